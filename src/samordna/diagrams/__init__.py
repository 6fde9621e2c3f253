"""Workflow diagrams, drawn from a loaded definition: inline SVG laid out by Graphviz (through transitions'
GraphMachine) for the workflow page, Mermaid text for the API. The workflow package itself only loads,
validates, compiles and fires."""

from samordna.diagrams.draw import INSTALL, GraphvizMissing, svg
from samordna.diagrams.mermaid import mermaid

__all__ = ["INSTALL", "GraphvizMissing", "mermaid", "svg"]
