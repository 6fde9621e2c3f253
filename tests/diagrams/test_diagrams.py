"""Workflow diagrams: the SVG that transitions' GraphMachine and Graphviz draw (every label in every language,
well-formed, sanitised, escaped, cached), the workflow page with and without Graphviz, and the Mermaid text."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from litestar.testing import TestClient

from samordna.app import create_app
from samordna.diagrams import GraphvizMissing, draw, mermaid, svg
from samordna.settings import Settings
from samordna.store.migrate import upgrade
from samordna.workflow import LANGS, Workflow, load_workflow
from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
MEASURE = ROOT / "workflows" / "measure.toml"
SVG = "{http://www.w3.org/2000/svg}"

# Labels a hostile or careless workflow author could write: markup, entities, quotes, a whole label that
# looks like a DOT HTML label, DOT escapes (\N is the node's name, \G the graph's) and a trailing backslash.
HOSTILE = {
    'nb = "Initiert"': r'nb = "Initiert <script>alert(1)</script> & \"sitat\" \u0027enkel\u0027"',
    'nb = "Avsluttet"': 'nb = "<b>Avsluttet</b>"',
    'nb = "Initier tiltak"': r'nb = "Start <&\">"',
    'nb = "Gjenoppta"': r'nb = "Ta opp \\N \\G \\"',
}
HOSTILE_SHOWN = {
    "initiated": "Initiert <script>alert(1)</script> & \"sitat\" 'enkel'",
    "closed": "<b>Avsluttet</b>",
    "initiate": 'Start <&">',
    "resume": "Ta opp \\N \\G \\",
}


@pytest.fixture(scope="module")
def measure() -> Workflow:
    return load_workflow(MEASURE)


@pytest.fixture
def dot() -> None:
    if shutil.which("dot") is None:
        skip_or_fail("Graphviz's `dot` is not installed (apt-get install graphviz): the diagram cannot be drawn")


def hostile_workflow(folder: Path) -> Workflow:
    """A copy of measure.toml in `folder` with the labels in HOSTILE."""
    text = MEASURE.read_text(encoding="utf-8")
    for old, new in HOSTILE.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (folder / "measure.toml").write_text(text, encoding="utf-8")
    return load_workflow(folder / "measure.toml")


def shown(group: ET.Element) -> str:
    """The text of a node or edge dot drew, its lines joined with a space."""
    return " ".join(t.text or "" for t in group.iter(f"{SVG}text"))


def groups(root: ET.Element, kind: str) -> list[str]:
    """The text of every node (kind "node") or edge ("edge")."""
    return [shown(g) for g in root.iter(f"{SVG}g") if g.get("class") == kind]


def one_line(text: str) -> str:
    return " ".join(text.split())


# ------------------------------------------------------------------------------------- content


@pytest.mark.parametrize("lang", LANGS)
def test_every_state_and_transition_label_is_drawn(dot: None, measure: Workflow, lang: str) -> None:
    root = ET.fromstring(svg(measure, lang))
    assert root.tag == f"{SVG}svg"
    nodes, edges = groups(root, "node"), groups(root, "edge")
    for state in measure.states.values():
        assert one_line(state.label.get(lang)) in nodes, state.name
    for t in measure.transitions:
        assert any(one_line(t.label.get(lang)) in edge for edge in edges), t.trigger
    assert "" in nodes  # the start dot


def test_one_edge_per_source_and_the_start_and_ends_marked(dot: None, measure: Workflow) -> None:
    root = ET.fromstring(svg(measure, "en"))
    pairs = {(source, t.dest) for t in measure.transitions for source in t.sources}
    assert len(groups(root, "edge")) == len(pairs) + 1  # and one from the start dot
    reassign = one_line(measure.first_transition("reassign").label.get("en"))
    assert groups(root, "edge").count(reassign) == len(measure.first_transition("reassign").sources)

    def node(label: str) -> ET.Element:
        [g] = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node" and shown(g) == label]
        return g

    for state in measure.states.values():
        outlines = node(one_line(state.label.get("en"))).findall(f"{SVG}path")
        assert len(outlines) == (2 if state.final else 1), state.name  # a final state has a double border
    initial = node(measure.states[measure.initial].label.get("en")).find(f"{SVG}path")
    assert float(initial.get("stroke-width")) > 2
    start = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node" and g.find(f"{SVG}ellipse") is not None]
    assert len(start) == 1


@pytest.mark.parametrize("lang", LANGS)
def test_svg_is_accessible_sanitised_and_inline(dot: None, measure: Workflow, lang: str) -> None:
    text = svg(measure, lang)
    assert text.startswith("<svg ") and text.rstrip().endswith("</svg>")
    for banned in ("<?xml", "<!doctype", "<!--", "<script", "<style", "style=", "href", "url(", "<a ", "<image"):
        assert banned not in text.lower(), banned
    root = ET.fromstring(text)
    assert root.get("role") == "img"
    assert root.get("class") == "workflow-diagram"
    assert root.get("aria-labelledby") == "wf-title wf-desc"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.get("id") == "wf-title" and measure.label.get(lang) in title.text
    assert desc.get("id") == "wf-desc"
    for t in measure.transitions:
        assert t.label.get(lang) in desc.text
    assert len(root.findall(f".//{SVG}title")) == 1  # dot's tooltips with the states' ids are gone
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert ids == ["wf-title", "wf-desc"]
    for element in root.iter():
        assert "style" not in element.attrib
        assert not [a for a in element.attrib if a.lower().startswith("on")], element.tag
    assert "sans-serif" in root.get("font-family")
    assert not [t for t in root.iter(f"{SVG}text") if t.get("font-family")]  # the page's font, set once
    assert root.get("viewBox") and root.get("width") and root.get("height")


def test_titles_and_descriptions_are_in_the_language(dot: None, measure: Workflow) -> None:
    titles = {lang: ET.fromstring(svg(measure, lang)).find(f"{SVG}title").text for lang in LANGS}
    assert titles == {
        "nb": "Tilstandsdiagram: Tiltak",
        "nn": "Tilstandsdiagram: Tiltak",
        "en": "State diagram: Measure",
    }
    desc = ET.fromstring(svg(measure, "en")).find(f"{SVG}desc").text
    assert desc.startswith("Initial state: Need identified. Final states: Closed, Not prioritised. Actions: ")
    assert "“Close” from Evaluated – awaiting decision to Closed" in desc
    assert svg(measure, "xx") == svg(measure, "nb")


def test_hostile_labels_are_shown_literally_and_escaped(dot: None, tmp_path: Path) -> None:
    wf = hostile_workflow(tmp_path)
    text = svg(wf, "nb")
    root = ET.fromstring(text)  # still well-formed
    nodes, edges = groups(root, "node"), groups(root, "edge")
    assert HOSTILE_SHOWN["initiated"] in nodes
    assert HOSTILE_SHOWN["closed"] in nodes  # not read as a DOT HTML label
    assert HOSTILE_SHOWN["initiate"] in edges
    assert HOSTILE_SHOWN["resume"] in edges  # \N and \G not replaced by the node's or the graph's name
    assert "<script" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in text
    assert HOSTILE_SHOWN["initiate"] in root.find(f"{SVG}desc").text


def test_drawn_once_per_workflow_and_language(dot: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wf = hostile_workflow(tmp_path)
    drawn: list[str] = []
    render = draw.render

    def counting(workflow: Workflow, lang: str) -> str:
        drawn.append(lang)
        return render(workflow, lang)

    monkeypatch.setattr(draw, "render", counting)
    first = svg(wf, "nb")
    assert svg(wf, "nb") is first and svg(wf, "se") is first
    assert svg(wf, "en") != first
    assert drawn == ["nb", "en"]
    again = load_workflow(tmp_path / "measure.toml")  # the same name, reloaded: drawn anew, not mixed up
    assert svg(again, "nb") == first
    assert drawn == ["nb", "en", "nb"]


def test_without_dot_it_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wf = hostile_workflow(tmp_path)  # a definition of its own: nothing cached for it
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizMissing, match="apt-get install graphviz"):
        svg(wf, "nb")


# ------------------------------------------------------------------------------------- the page


@pytest.fixture
def client(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'page.sqlite3'}"
    upgrade(url)
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    hostile_workflow(workflows)
    with TestClient(create_app(Settings(database_url=url, workflows_dir=workflows))) as client:
        yield client


# auth.login_page's `next` query parameter (not this feature's code) trips a Litestar deprecation warning,
# which the project turns into an error when the app is built; it is not what this test is about.
@pytest.mark.filterwarnings("ignore:.*deprecated inferred style:litestar.utils.deprecation.LitestarDeprecationWarning")
def test_workflow_page_shows_the_diagram_table_and_mermaid(dot: None, client: TestClient) -> None:
    response = client.get("/workflows/measure")
    assert response.status_code == 200
    html = response.text
    assert '<figure class="diagram" tabindex="0">' in html and "<figcaption>" in html
    assert re.search(r'<svg [^>]*role="img"', html)
    root = ET.fromstring(html[html.index("<svg") : html.index("</svg>") + len("</svg>")])
    assert "Behov avdekket" in groups(root, "node")
    assert "Diagrammet krever Graphviz" not in html
    assert "SLT-koordinator og koordineringsgruppen" in html  # who may, from role_list
    assert "stateDiagram-v2" in html and "<details" in html
    body = html.split("</head>", 1)[1]
    assert "<script" not in body and "<b>" not in body  # labels escaped in the SVG, the table and the Mermaid text
    assert "Initiert &lt;script&gt;alert(1)&lt;/script&gt; &amp;" in body


@pytest.mark.filterwarnings("ignore:.*deprecated inferred style:litestar.utils.deprecation.LitestarDeprecationWarning")
def test_workflow_page_without_graphviz(client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` here
    response = client.get("/workflows/measure")
    assert response.status_code == 200
    html = response.text
    assert "<svg" not in html and '<figure class="diagram"' not in html
    assert "Diagrammet krever Graphviz (programmet dot), som ikke er installert på serveren." in html
    assert "<code>apt-get install graphviz</code>" in html
    assert "Tabellen under viser de samme handlingene." in html
    assert 'aria-labelledby="transitions-heading"' in html and "Gi ansvaret til en annen enhet" in html
    assert "stateDiagram-v2" in html


# ------------------------------------------------------------------------------------- Mermaid (the API's)


@pytest.mark.parametrize("lang", LANGS)
def test_mermaid_has_every_state_and_edge(measure: Workflow, lang: str) -> None:
    lines = mermaid(measure, lang).splitlines()
    assert lines[0] == "stateDiagram-v2"
    for state in measure.states.values():
        assert f'    state "{state.label.get(lang)}" as {state.name}' in lines
    assert "    [*] --> need_identified" in lines
    assert "    closed --> [*]" in lines and "    declined --> [*]" in lines
    pairs = [(source, t) for t in measure.transitions for source in t.sources]
    for source, t in pairs:
        assert f"    {source} --> {t.dest} : {t.label.get(lang)}" in lines
    assert len([line for line in lines if " --> " in line]) == len(pairs) + 1 + 2


def test_mermaid_falls_back_to_bokmaal(measure: Workflow) -> None:
    assert mermaid(measure, "se") == mermaid(measure, "nb") == mermaid(measure)
    assert 'state "Behov avdekket" as need_identified' in mermaid(measure)
    assert "evaluated --> closed : Close" in mermaid(measure, "en")


def test_mermaid_escapes_quotes_colons_and_keywords(tmp_path: Path) -> None:
    text = """\
[workflow]
name = "odd"
initial = "note"
label = { nb = "Rart: «navn»", nn = "x", en = "x" }
[states.note]
label = { nb = 'Si "hei": nå; #1 <b>', nn = "x", en = "x" }
[states.end]
final = true
label = { nb = "Slutt\\nher", nn = "x", en = "x" }
[[transitions]]
trigger = "go"
source = ["note"]
dest = "end"
allow = [{ role = "viewer" }]
label = { nb = "Gå: videre 100%", nn = "x", en = "x" }
"""
    (tmp_path / "odd.toml").write_text(text, encoding="utf-8")
    diagram = mermaid(load_workflow(tmp_path / "odd.toml"), "nb")
    assert diagram == (
        "stateDiagram-v2\n"
        "    accTitle: Rart#58; «navn»\n"
        '    state "Si #quot;hei#quot;#58; nå#59; #35;1 #lt;b#gt;" as note_\n'
        '    state "Slutt her" as end_\n'
        "    [*] --> note_\n"
        "    note_ --> end_ : Gå#58; videre 100#37;\n"
        "    end_ --> [*]\n"
    )


@pytest.mark.filterwarnings("ignore:.*deprecated inferred style:litestar.utils.deprecation.LitestarDeprecationWarning")
def test_the_meeting_workflow_has_its_own_page_and_an_unknown_one_is_404(dot: None, client: TestClient) -> None:
    response = client.get("/workflows/meeting")
    assert response.status_code == 200
    html = response.text
    root = ET.fromstring(html[html.index("<svg") : html.index("</svg>") + len("</svg>")])
    assert {"Planlagt", "Saksliste sendt", "Gjennomført", "Referat godkjent", "Avlyst"} <= set(groups(root, "node"))
    assert "Arbeidsflyt: Møte" in html and 'href="/workflows/measure"' in html  # and a link to the other one
    assert client.get("/workflows/ingen").status_code == 404
