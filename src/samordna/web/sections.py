"""Sections a feature higher up adds to a page of a feature below it: the files on a measure's page come from
the attachments room, which sits above measures and meetings and so cannot be imported by them. The page asks
for its sections by name; the composition root (samordna.app) says who provides them, in `app.state.sections`:
{"measure": [provider, …]}, each `provider(request, page, object_id) -> dict` adding to the page's context."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request

Provider = Callable[[Request, Any, int], dict[str, Any]]


def sections(request: Request, name: str, page: Any, object_id: int) -> dict[str, Any]:
    """What the providers of the page `name` add to its context (nothing when none are registered)."""
    providers: dict[str, list[Provider]] = getattr(request.app.state, "sections", None) or {}
    out: dict[str, Any] = {}
    for provide in providers.get(name, ()):
        out.update(provide(request, page, object_id))
    return out
