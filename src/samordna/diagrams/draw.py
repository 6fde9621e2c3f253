"""A workflow's state diagram as inline SVG: transitions' GraphMachine lays it out with Graphviz's `dot`.

`svg(workflow, lang)` builds a GraphMachine from the definition (states and transitions labelled in `lang`,
the initial state after a start dot, final states with a double border, one edge per source), has `dot`
draw it and rebuilds the answer from an allow-list of SVG elements and attributes: no prolog, doctype or
comments, no script, no `style=`, no ids but our own, no links. The page embeds it under a CSP without
inline styles or scripts. Drawing costs tens of milliseconds, so the SVG is kept per (workflow, language).

Without the `dot` program (a laptop without Graphviz) `svg()` raises GraphvizMissing; the page says so.
"""

from __future__ import annotations

import logging
import threading
import xml.etree.ElementTree as ET
from html import escape
from typing import TYPE_CHECKING, Any

import graphviz
from transitions import State
from transitions.extensions import GraphMachine
from transitions.extensions.diagrams_graphviz import Graph

from samordna.i18n import current_lang, gettext

if TYPE_CHECKING:
    from samordna.workflow import Workflow

log = logging.getLogger("samordna")

LANGS = ("nb", "nn", "en")
INSTALL = "apt-get install graphviz"
FONT_FAMILY = "'Source Sans 3', 'Segoe UI', system-ui, -apple-system, 'Helvetica Neue', Arial, sans-serif"
STATE_WRAP = 20  # characters before a state label goes over two lines
EDGE_WRAP = 18  # characters before an edge label goes over two lines
START = "[*]"  # the start dot's node: no state is called this (state names are identifiers)

INK, EDGE, BRAND = "#1c2430", "#4a5565", "#0b4f8a"  # 15.6:1 and 7.4:1 on white; the page's blue
STATE_FILL, FINAL_FILL = "#e6eff8", "#f3f5f8"  # ink keeps > 13:1 on both

GRAPH = {
    "rankdir": "TB",
    "label": "",
    "bgcolor": "white",
    "fontname": "Helvetica",  # dot measures text with the nearest sans font it has; the page's font is narrower
    "nodesep": "0.35",
    "ranksep": "0.45",
    "pad": "0.1",
}
STYLES = {
    "node": {
        "default": {
            "shape": "box",
            "style": "rounded,filled",
            "fillcolor": STATE_FILL,
            "color": BRAND,
            "fontcolor": INK,
            "fontname": "Helvetica",
            "fontsize": "11",
            "penwidth": "1.2",
            "margin": "0.15,0.06",
        },
        "initial": {"penwidth": "2.4"},
        "final": {"fillcolor": FINAL_FILL, "color": INK, "peripheries": "2"},
    },
    "edge": {
        "default": {
            "color": EDGE,
            "fontcolor": EDGE,
            "fontname": "Helvetica",
            "fontsize": "10",
            "penwidth": "1.2",
            "arrowsize": "0.8",
        },
    },
    "graph": {"default": {}},
}

SVG_NS = "http://www.w3.org/2000/svg"
# What dot draws, and the attributes kept on it; everything else (and anything under it) is dropped.
ELEMENTS = {"svg", "g", "polygon", "polyline", "path", "ellipse", "text"}
ATTRIBUTES = {
    "class", "transform", "points", "d", "cx", "cy", "rx", "ry", "x", "y",
    "fill", "stroke", "stroke-width", "stroke-dasharray", "text-anchor", "font-size", "font-weight",
}  # fmt: skip


class GraphvizMissing(RuntimeError):
    """Graphviz's `dot` program is not installed, so no diagram can be drawn."""

    def __init__(self) -> None:
        super().__init__(f"the workflow diagram needs Graphviz's `dot` program: {INSTALL}")


# ------------------------------------------------------------------------------------- text


def clean(text: str) -> str:
    """One line of text XML can hold: whitespace runs become one space, control characters go."""
    text = " ".join(text.split())
    return "".join(ch for ch in text if ch >= " " and ch not in "\x7f\ufffe\uffff")


def wrap(text: str, limit: int) -> tuple[str, ...]:
    """`text` on one line, or on two split at the space nearest the middle (rather after a dash or a
    colon) when it is longer than `limit`."""
    text = clean(text)
    if len(text) <= limit:
        return (text,)
    spaces = [i for i, ch in enumerate(text) if ch == " " and text[i + 1] not in "–—-"]
    if not spaces:
        return (text,)
    cut = min(spaces, key=lambda i: (abs(2 * i - len(text)) - (6 if text[i - 1] in "–—-:" else 0), i))
    return (text[:cut], text[cut + 1 :])


def dot_label(lines: tuple[str, ...]) -> str:
    """Lines as a DOT label taken literally: backslashes doubled, lines joined by DOT's centred newline,
    and marked so the graphviz package never reads `<...>` as an HTML label."""
    return graphviz.nohtml("\\n".join(line.replace("\\", "\\\\") for line in lines))


# ------------------------------------------------------------------------------------- the machine


class LabelledState(State):
    """A transitions State that carries the label the diagram shows (MarkupMachine reads `label`)."""

    def __init__(self, *args: Any, label: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label = label


class WorkflowGraph(Graph):
    """transitions' graphviz Graph with literal, wrapped labels, a start dot, and initial and final styles."""

    def _convert_state_attributes(self, state: dict) -> str:
        return dot_label(wrap(state.get("label", state["name"]), STATE_WRAP))

    def _add_nodes(self, states: list[dict], container: graphviz.Digraph) -> None:
        styles = self.machine.style_attributes["node"]
        for state in states:
            style = "final" if state.get("final") else "initial" if state["name"] == self.machine.initial else ""
            container.node(state["name"], label=self._convert_state_attributes(state), **styles.get(style, {}))

    def _add_edges(self, transitions: list[dict], container: graphviz.Digraph) -> None:
        """One edge per (source, dest); the labels of several triggers between them stacked."""
        labels: dict[tuple[str, str], list[str]] = {}
        for t in transitions:
            labels.setdefault((t["source"], t.get("dest", t["source"])), []).extend(
                wrap(t.get("label", t["trigger"]), EDGE_WRAP)
            )
        for (source, dest), lines in labels.items():
            container.edge(source, dest, label=dot_label(tuple(lines)))

    def get_graph(self, title: str | None = None, roi_state: Any = None) -> graphviz.Digraph:
        graph = super().get_graph(title, roi_state)
        graph.graph_attr.update(GRAPH)
        graph.node(START, label="", shape="circle", style="filled", fillcolor=INK, color=INK, width="0.16")
        graph.edge(START, self.machine.initial)
        return graph


class WorkflowGraphMachine(GraphMachine):
    """A GraphMachine drawn by WorkflowGraph in the page's colours, used only to draw (never fired)."""

    state_cls = LabelledState
    style_attributes = STYLES

    def _init_graphviz_engine(self, graph_engine: str) -> type:
        if graph_engine != "graphviz":
            raise ValueError(f"only the graphviz engine is supported, not {graph_engine!r}")
        return WorkflowGraph


def graph_machine(workflow: Workflow, lang: str) -> WorkflowGraphMachine:
    """A GraphMachine of `workflow` with its states and transitions labelled in `lang`."""
    return WorkflowGraphMachine(
        states=[{"name": s.name, "label": s.label.get(lang), "final": s.final} for s in workflow.states.values()],
        transitions=[
            {"trigger": t.trigger, "source": list(t.sources), "dest": t.dest, "label": t.label.get(lang)}
            for t in workflow.transitions
        ],
        initial=workflow.initial,
        auto_transitions=False,
        graph_engine="graphviz",
        title=clean(workflow.label.get(lang)),
        name=workflow.name,
    )


# ------------------------------------------------------------------------------------- the SVG


_cache: dict[tuple[str, str], tuple[Workflow, str]] = {}
_cache_lock = threading.Lock()


def svg(workflow: Workflow, lang: str = "nb") -> str:
    """The workflow's state diagram as an accessible, sanitised inline <svg>, labels in `lang` (else bokmål).

    Kept per (workflow name, language) for as long as the same definition is asked for; raises
    GraphvizMissing without Graphviz's `dot`.
    """
    lang = lang if lang in LANGS else "nb"
    key = (workflow.name, lang)
    cached = _cache.get(key)
    if cached is not None and cached[0] is workflow:
        return cached[1]
    drawn = render(workflow, lang)
    with _cache_lock:
        _cache[key] = (workflow, drawn)
    return drawn


def render(workflow: Workflow, lang: str) -> str:
    """Draw the diagram with `dot` (no cache) and return it sanitised."""
    graph = graph_machine(workflow, lang).get_graph()
    try:
        raw = graph.draw(None, format="svg", prog="dot")
    except graphviz.ExecutableNotFound as error:
        log.warning("workflow diagram not drawn: Graphviz's `dot` is missing (%s)", INSTALL)
        raise GraphvizMissing() from error
    return sanitise(raw, title=_title(workflow, lang), desc=_description(workflow, lang))


def sanitise(raw: bytes, *, title: str, desc: str) -> str:
    """dot's SVG rebuilt from the allow-list, with role="img", our <title> and <desc>, and the page's font."""
    root = ET.fromstring(raw)  # comments, prolog and doctype are not part of the tree
    if root.tag != f"{{{SVG_NS}}}svg":
        raise ValueError(f"dot did not answer with SVG: {root.tag!r}")
    head = {
        "xmlns": SVG_NS,
        "class": "workflow-diagram",
        "role": "img",
        "aria-labelledby": "wf-title wf-desc",
        "width": root.get("width", ""),
        "height": root.get("height", ""),
        "viewBox": root.get("viewBox", ""),
        "font-family": FONT_FAMILY,
    }
    out = [f"<svg {_attributes(head)}>", f'<title id="wf-title">{_text(title)}</title>']
    out.append(f'<desc id="wf-desc">{_text(desc)}</desc>')
    for child in root:
        _element(child, out)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _element(element: ET.Element, out: list[str]) -> None:
    name = element.tag.removeprefix(f"{{{SVG_NS}}}")
    if name not in ELEMENTS or name == "svg":
        return  # <title> (dot's node ids as tooltips), <a>, <image>, <script>, <style>, anything unknown
    kept = {k: v for k, v in element.attrib.items() if k in ATTRIBUTES and "url(" not in v.lower()}
    if name == "text":
        out.append(f"<text {_attributes(kept)}>{_text(element.text or '')}</text>")
        return
    children: list[str] = []
    for child in element:
        _element(child, children)
    tag = f"<{name} {_attributes(kept)}" if kept else f"<{name}"
    out.append(f"{tag}>" + "".join(children) + f"</{name}>" if children else f"{tag}/>")


def _attributes(attributes: dict[str, str]) -> str:
    return " ".join(f'{k}="{escape(clean(v), quote=False).replace(chr(34), "&quot;")}"' for k, v in attributes.items())


def _text(text: str) -> str:
    return escape(clean(text), quote=False)


def _title(workflow: Workflow, lang: str) -> str:
    with _language(lang):
        return gettext("Tilstandsdiagram: {name}").format(name=clean(workflow.label.get(lang)))


def _description(workflow: Workflow, lang: str) -> str:
    """The diagram in words, for the accessible description."""
    states = workflow.states

    def name(state: str) -> str:
        return clean(states[state].label.get(lang))

    with _language(lang):
        parts = [gettext("Starttilstand: {state}.").format(state=name(workflow.initial))]
        finals = [name(s) for s in states if states[s].final]
        if finals:
            parts.append(gettext("Sluttilstander: {states}.").format(states=", ".join(finals)))
        moves = [
            gettext("«{action}» fra {sources} til {dest}").format(
                action=clean(t.label.get(lang)), sources=", ".join(name(s) for s in t.sources), dest=name(t.dest)
            )
            for t in workflow.transitions
        ]
        parts.append(gettext("Handlinger: {moves}.").format(moves="; ".join(moves)))
    return " ".join(parts)


class _language:
    """Translate in `lang` inside the block, whatever the request's language is."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __enter__(self) -> None:
        self.token = current_lang.set(self.lang)

    def __exit__(self, *exc: object) -> None:
        current_lang.reset(self.token)
