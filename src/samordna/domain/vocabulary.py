"""Words of the domain outside the workflow file: roles, arenas, unit and area kinds, in nb/nn/en."""

from __future__ import annotations

from samordna.i18n import current_lang

ROLES = ("steering", "coordinator", "coordination", "executing", "viewer")
ARENAS = ("school", "leisure", "digital", "neighbourhood", "family", "nightlife", "other")
UNIT_KINDS = ("municipal", "police", "voluntary", "business", "state", "other")
AREA_KINDS = ("municipality", "intermunicipal", "district")
HEALTHS = ("on_track", "at_risk", "off_track")
# The steering board's goal overview and the steering report group the states; a state a custom workflow
# adds falls under "other".
STATE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("planning", ("need_identified", "initiated")),
    ("running", ("assigned", "in_follow_up", "paused")),
    ("evaluation", ("under_evaluation", "evaluated")),
    ("closed", ("closed",)),
    ("declined", ("declined",)),
)
# The bodies that meet (DESIGN.md §11): one per level and area, with these names until the coordinator
# renames them in the area's own words (the same names as migration 0006 gave the areas it found).
BODY_LEVELS = ("steering", "coordination", "executing", "all")
DEFAULT_BODY_NAMES = {
    "steering": "Styringsgruppe (politiråd)",
    "coordination": "Koordineringsgruppe",
    "executing": "Faggruppe",
    "all": "SLT-samling",
}

ROLE_LABELS: dict[str, dict[str, str]] = {
    "steering": {"nb": "styringsgruppen", "nn": "styringsgruppa", "en": "the steering group"},
    "coordinator": {"nb": "SLT-koordinator", "nn": "SLT-koordinator", "en": "the SLT coordinator"},
    "coordination": {
        "nb": "koordineringsgruppen",
        "nn": "koordineringsgruppa",
        "en": "the coordination group",
    },
    "executing": {"nb": "utførende nivå", "nn": "utførande nivå", "en": "the executing level"},
    "viewer": {"nb": "lesetilgang", "nn": "lesetilgang", "en": "read-only members"},
}

ARENA_LABELS: dict[str, dict[str, str]] = {
    "school": {"nb": "Skole", "nn": "Skule", "en": "School"},
    "leisure": {"nb": "Fritid", "nn": "Fritid", "en": "Leisure"},
    "digital": {"nb": "Digitalt", "nn": "Digitalt", "en": "Digital"},
    "neighbourhood": {"nb": "Nærmiljø", "nn": "Nærmiljø", "en": "Neighbourhood"},
    "family": {"nb": "Familie", "nn": "Familie", "en": "Family"},
    "nightlife": {"nb": "Uteliv", "nn": "Uteliv", "en": "Nightlife"},
    "other": {"nb": "Annet", "nn": "Anna", "en": "Other"},
}


BODY_LEVEL_LABELS: dict[str, dict[str, str]] = {
    "steering": {"nb": "Styringsnivå", "nn": "Styringsnivå", "en": "Steering level"},
    "coordination": {"nb": "Koordineringsnivå", "nn": "Koordineringsnivå", "en": "Coordination level"},
    "executing": {"nb": "Utførende nivå", "nn": "Utførande nivå", "en": "Executing level"},
    "all": {"nb": "Alle nivåer", "nn": "Alle nivå", "en": "All levels"},
}


def role_list(roles: tuple[str, ...] | list[str], lang: str | None = None) -> str:
    """«SLT-koordinator og koordineringsgruppen» — the roles joined as a sentence (default: current language)."""
    lang = lang or current_lang.get()
    words = [ROLE_LABELS[r].get(lang, ROLE_LABELS[r]["nb"]) for r in roles]
    if len(words) <= 1:
        return "".join(words)
    conj = {"nb": "og", "nn": "og", "en": "and"}.get(lang, "og")
    return f"{', '.join(words[:-1])} {conj} {words[-1]}"
