"""The measure page's words (web side): its history as a person reads it — «Ansvarlig enhet: Politiet → NAV»,
names for ids, labels for options, Norwegian dates — and the labels of states and health. No SQL, no policy:
everything here is read from the MeasureDetails the service hands out and the workflow's labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from samordna.domain.vocabulary import ARENA_LABELS
from samordna.measures.rules import ATTACH, DETACH
from samordna.measures.service import NEED_FIELDS
from samordna.measures.views import MeasureDetails, TimelineEntry
from samordna.web.i18n import fmt_date, fmt_size
from samordna.web.i18n import gettext as _
from samordna.web.rendering import label

DATE_COLUMNS = ("next_follow_up_at",)  # measure columns no form field writes


@dataclass
class Item:
    """A changed field or a given value, ready to read: «Ansvarlig enhet: Politiet → NAV»."""

    label: str
    new: str
    old: str | None = None
    long: bool = False


@dataclass
class Row:
    """One timeline entry as the page shows it."""

    entry: TimelineEntry
    label: str
    from_label: str | None = None
    to_label: str | None = None
    health_label: str | None = None
    items: list[Item] = field(default_factory=list)
    subject: str | None = None  # what the event was about, after its label: «Vedlegg lagt til: rapport.pdf (1,2 MB)»


def state_label(wf: Any, state: str | None, lang: str) -> str:
    st = wf.states.get(state or "")
    return st.label.get(lang) if st else (state or "")


def health_label(wf: Any, health: str | None, lang: str) -> str | None:
    if not health:
        return None
    fdef = wf.fields.get("health")
    option = fdef.option_labels.get(health) if fdef else None
    return option.get(lang) if option else health


def value_text(fdef: Any, value: Any, details: MeasureDetails, lang: str, kind: str | None = None) -> str:
    """A stored value as a person reads it: names for ids, labels for options, Norwegian dates."""
    if value is None or value == "" or value == []:
        return _("ingen")
    kind = fdef.type if fdef is not None else kind
    try:
        if kind == "goal":
            return details.goal_titles.get(int(value), str(value))
        if kind == "unit":
            return details.unit_names.get(int(value), str(value))
        if kind == "units":
            return ", ".join(details.unit_names.get(int(v), str(v)) for v in value)
        if kind == "member":
            return details.user_names.get(int(value), str(value))
        if kind == "date" or isinstance(value, date):
            return fmt_date(value if isinstance(value, date) else date.fromisoformat(str(value)))
    except (TypeError, ValueError):
        return str(value)
    if kind == "enum":
        if fdef.name == "arena":
            return label(ARENA_LABELS, value)
        option = fdef.option_labels.get(value)
        return option.get(lang) if option else str(value)
    return str(value)


def fields_by_column(wf: Any) -> dict[str, Any]:
    """Measure column → the field definition that writes it (workflow fields, then need fields)."""
    out = {f.name: f for f, _required in NEED_FIELDS}
    for fdef in wf.fields.values():
        if fdef.store:
            out.setdefault(fdef.store, fdef)
    return out


def event_labels(wf: Any, lang: str) -> dict[str, str]:
    """trigger -> what its event is called: «Behov meldt», «Beskrivelsen endret», the transitions' labels."""
    out = {t.trigger: t.label.get(lang) for t in reversed(wf.transitions)}
    return {
        **out,
        "create": _("Behov meldt"),
        "edit": _("Beskrivelsen endret"),
        "attach": _("Vedlegg lagt til"),
        "detach": _("Vedlegg fjernet"),
    }


def file_row(entry: TimelineEntry, names: dict[str, str]) -> Row:
    """A file added or removed, read as «Vedlegg lagt til: evaluering.pdf (1,2 MB)»: its name and size instead of
    the event's data (the attachment's id means nothing to a reader; a removal records no size)."""
    name = str(entry.data.get("filename") or "") or None
    size = entry.data.get("size")
    subject = f"{name} ({fmt_size(size)})" if name and isinstance(size, int) and not isinstance(size, bool) else name
    return Row(entry, names.get(entry.trigger or "", entry.trigger or ""), subject=subject)


def timeline_rows(details: MeasureDetails, wf: Any, lang: str) -> list[Row]:
    """The measure's history, newest first, as the page shows it."""
    by_column = fields_by_column(wf)
    extra = {"next_follow_up_at": _("Neste oppfølging")}
    names = event_labels(wf, lang)
    rows = []
    for entry in details.timeline:
        if entry.kind == "report":
            rows.append(Row(entry, _("Statusrapport"), health_label=health_label(wf, entry.health, lang)))
            continue
        if entry.trigger in (ATTACH, DETACH):
            rows.append(file_row(entry, names))
            continue
        row = Row(entry, names.get(entry.trigger or "", entry.trigger or ""))
        if entry.from_state and entry.to_state and entry.from_state != entry.to_state:
            row.from_label = state_label(wf, entry.from_state, lang)
            row.to_label = state_label(wf, entry.to_state, lang)
        if entry.health:
            row.health_label = health_label(wf, entry.health, lang)
        if entry.trigger != "create":  # the first values are the measure itself, shown above
            for column, pair in entry.changes.items():
                if entry.health and column == "last_health":
                    continue
                fdef = by_column.get(column)
                text = fdef.label.get(lang) if fdef else extra.get(column, column)
                old, new = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
                long = bool(fdef and fdef.type == "longtext")
                kind = "date" if column in DATE_COLUMNS else None
                row.items.append(
                    Item(
                        text,
                        value_text(fdef, new, details, lang, kind),
                        None if old in (None, "", []) else value_text(fdef, old, details, lang, kind),
                        long,
                    )
                )
        for name, value in entry.data.items():
            if entry.health and name == "note":
                continue  # the report's note is shown as the report
            fdef = wf.fields.get(name)
            text = fdef.label.get(lang) if fdef else name
            long = bool(fdef and fdef.type == "longtext")
            row.items.append(Item(text, value_text(fdef, value, details, lang), long=long))
        rows.append(row)
    return rows
