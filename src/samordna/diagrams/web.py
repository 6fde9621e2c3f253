"""The workflow page: a workflow's state diagram and its transitions in a table, public."""

from __future__ import annotations

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from samordna.workflow import Workflow


@get("/workflows/{name:str}", sync_to_thread=True, include_in_schema=False)
def workflow_page(request: Request, workflows: NamedDependency[dict[str, Workflow]], name: FromPath[str]) -> Template:
    """A workflow (`measure`, `meeting`): its state diagram as SVG drawn by Graphviz (or a note saying what to
    install), every transition in a table, the Mermaid text, and links to the other workflows."""
    from markupsafe import Markup

    from samordna.diagrams import INSTALL, GraphvizMissing, mermaid, svg
    from samordna.domain.vocabulary import role_list
    from samordna.web.i18n import current_lang

    lang = current_lang.get()
    wf = workflows.get(name)
    if wf is None:
        raise NotFoundException("Fant ikke arbeidsflyten.")
    transitions = []
    for t in wf.transitions:
        fields = [wf.fields[name].label.get(lang) for name in t.required]
        for rule in t.allow:  # fields only some roles must give
            fields += [
                f"{wf.fields[name].label.get(lang)} ({role_list([rule.role], lang)})"
                for name in rule.requires
                if name not in t.required
            ]
        transitions.append(
            {
                "label": t.label.get(lang),
                "sources": [wf.states[s].label.get(lang) for s in t.sources],
                "dest": wf.states[t.dest].label.get(lang),
                "who": role_list(t.roles(), lang),
                "fields": fields,
            }
        )
    try:
        diagram = Markup(svg(wf, lang))  # safe: diagrams.draw rebuilds dot's SVG from an allow-list, text escaped
    except GraphvizMissing:
        diagram = None
    return Template(
        template_name="pages/workflow.html",
        context={
            "wf": wf,
            "others": [(other.name, other.label.get(lang)) for other in workflows.values() if other is not wf],
            "lang": lang,
            "svg": diagram,
            "install": INSTALL,
            "mermaid": mermaid(wf, lang),
            "transitions": transitions,
            "page": _page_if_logged_in(request),
            "active": "workflow",
        },
    )


def _page_if_logged_in(request: Request):  # type: ignore[no-untyped-def]
    """A public page still shows the header menus to a logged-in user."""
    from samordna.accounts.web import LoginRequired, page_for

    if not request.session.get("uid"):
        return None
    try:
        return page_for(request)
    except LoginRequired:
        return None
