"""Mermaid stateDiagram-v2 text drawn from a workflow definition, with labels in one language (the API gives it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from samordna.workflow.definition import Workflow

# Words the stateDiagram grammar reads as keywords: a state with such a name gets another id.
_KEYWORDS = frozenset({"state", "note", "end", "as", "direction", "class", "classdef", "style", "scale"})
# Mermaid entity codes, which it decodes before it parses: keep label text from ending a statement.
_ENTITIES = {"#": "#35;", '"': "#quot;", ":": "#58;", ";": "#59;", "<": "#lt;", ">": "#gt;", "%": "#37;"}


def text(label: str) -> str:
    """A label made safe inside quotes and after ' : ' in Mermaid: one line, entities for syntax."""
    return "".join(_ENTITIES.get(ch, ch) for ch in " ".join(label.split()))


def mermaid(workflow: Workflow, lang: str = "nb") -> str:
    """The workflow as `stateDiagram-v2` text: labelled states, start, ends and one edge per source."""
    ids: dict[str, str] = {}
    for name in workflow.states:
        node = name
        while node.lower() in _KEYWORDS or node in ids.values():
            node += "_"
        ids[name] = node

    lines = ["stateDiagram-v2", f"    accTitle: {text(workflow.label.get(lang))}"]
    for state in workflow.states.values():
        lines.append(f'    state "{text(state.label.get(lang))}" as {ids[state.name]}')
    lines.append(f"    [*] --> {ids[workflow.initial]}")
    for t in workflow.transitions:
        for source in t.sources:
            lines.append(f"    {ids[source]} --> {ids[t.dest]} : {text(t.label.get(lang))}")
    for state in workflow.states.values():
        if state.final:
            lines.append(f"    {ids[state.name]} --> [*]")
    return "\n".join(lines) + "\n"
