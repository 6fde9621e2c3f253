"""What the attachments room hands out: frozen views, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AttachmentView:
    id: int
    area_id: int
    measure_id: int | None
    meeting_id: int | None
    filename: str
    kind: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime
    created_by_id: int
    created_by_name: str
    removed_at: datetime | None
    may_remove: bool = False

    @property
    def image(self) -> bool:
        return self.kind in ("png", "jpeg")


@dataclass(frozen=True)
class Attachments:
    """The files of one measure or meeting, for its page: whether the reader may add one, and the limits."""

    files: tuple[AttachmentView, ...]
    may_add: bool
    max_mb: int
    accepted: str  # «PDF, Word (DOCX), …» for the form's help text
