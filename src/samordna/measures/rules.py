"""What a measure is made of and who may change it: the fields of a need, the roles that may register and
edit one, who may fire a transition (in words), and the checks of a comment and an age range. No SQL."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from samordna.domain import policy
from samordna.domain.confidentiality import contains_national_id, guard_message
from samordna.domain.errors import Conflict, FieldError, NotAllowed
from samordna.domain.vocabulary import ARENA_LABELS, ARENAS, role_list
from samordna.fields import has_nul, message_for
from samordna.i18n import current_lang
from samordna.i18n import gettext as _
from samordna.workflow import AllowRule, FieldDef, Label, TransitionDef, Workflow

CREATE_ROLES = policy.REGISTER_NEED
EDIT_ROLES = policy.EDIT_MEASURE
permitted_rule = policy.permitted_rule

CREATE = "create"  # registering a need (reserved: no workflow trigger has the name)
EDIT = "edit"  # changing the descriptive fields outside a transition (reserved as well)
ATTACH, DETACH = "attach", "detach"  # a file added to the measure or removed (reserved as well)
CHOICE_TYPES = ("goal", "unit", "units", "member")  # fields whose form offers the area's goals, units, members


def _field(name: str, type_: str, nb: str, nn: str, en: str, **kw: Any) -> FieldDef:
    return FieldDef(
        name=name,
        type=type_,
        label=Label(nb=nb, nn=nn, en=en),
        help=kw.pop("help", None),
        store=name,
        options=kw.pop("options", ()),
        option_labels={k: Label(**v) for k, v in kw.pop("option_labels", {}).items()},
        min=kw.pop("min", None),
        max=kw.pop("max", None),
        rule=None,
        of_unit=None,
    )


# The descriptive fields of a need: given at `create`, changed by `edit`.
NEED_FIELDS: tuple[tuple[FieldDef, bool], ...] = (
    (_field("title", "text", "Tittel", "Tittel", "Title"), True),
    (
        _field(
            "need_description", "longtext", "Beskrivelse av behovet", "Skildring av behovet", "Description of the need"
        ),
        True,
    ),
    (_field("knowledge_source", "text", "Kunnskapsgrunnlag", "Kunnskapsgrunnlag", "Knowledge source"), True),
    (_field("target_group", "text", "Målgruppe", "Målgruppe", "Target group"), True),
    (_field("arena", "enum", "Arena", "Arena", "Arena", options=ARENAS, option_labels=ARENA_LABELS), True),
    (_field("age_from", "integer", "Alder fra", "Alder frå", "Age from", min=0, max=30), False),
    (_field("age_to", "integer", "Alder til", "Alder til", "Age to", min=0, max=30), False),
    (_field("goal_id", "goal", "Mål", "Mål", "Goal"), False),
)


# ---------------------------------------------------------------- policy


def transition_fields(wf: Workflow, td: TransitionDef, rule: AllowRule | None) -> tuple[tuple[FieldDef, bool], ...]:
    """(field, required) for a transition; a field its rule requires (the coordinator's meeting date) is
    required for the members of that rule only."""
    extra = set(rule.requires) if rule is not None else set()
    return tuple((wf.fields[n], n in td.required or n in extra) for n in td.fields())


def trigger_fields(wf: Workflow, trigger: str) -> tuple[tuple[FieldDef, bool], ...]:
    """Every field a form for `trigger` can send (`create` and `edit`: the fields of a need), none required:
    what to read from a submitted form. Which are required, for whom, the service decides on submit."""
    if trigger in (CREATE, EDIT):
        return tuple((f, False) for f, _required in NEED_FIELDS)
    names = dict.fromkeys(n for td in wf.transitions if td.trigger == trigger for n in td.fields())
    return tuple((wf.fields[n], False) for n in names)


def who_may(td: TransitionDef) -> str:
    """«SLT-koordinator og koordineringsgruppen» — who may fire `td`, in the current language."""
    parts = []
    for rule in td.allow:
        words = role_list([rule.role])
        if rule.unit == "responsible":
            words = _("{role} i den ansvarlige enheten").format(role=words)
        elif rule.unit == "involved":
            words = _("{role} i en ansvarlig eller deltakende enhet").format(role=words)
        if "meeting_date" in rule.requires:
            words = _("{role} (med møtedato fra styringsgruppen)").format(role=words)
        parts.append(words)
    if len(parts) > 1:
        return _("{first} og {last}").format(first=", ".join(parts[:-1]), last=parts[-1])
    return parts[0]


def age_range_errors(values: Mapping[str, Any], current: Mapping[str, Any]) -> list[FieldError]:
    age_from = values.get("age_from", current.get("age_from"))
    age_to = values.get("age_to", current.get("age_to"))
    if age_from is not None and age_to is not None and age_from > age_to:
        return [FieldError("age_to", _("«Alder til» kan ikke være lavere enn «Alder fra»."))]
    return []


def comment_errors(comment: str | None) -> list[FieldError]:
    if comment is None:
        return []
    if not isinstance(comment, str):
        return [FieldError("comment", message_for("not_text"))]
    if has_nul(comment):
        return [FieldError("comment", message_for("nul"))]
    if len(comment) > 4000:
        return [FieldError("comment", _("Kommentaren er for lang (høyst {max} tegn).").format(max=4000))]
    if contains_national_id(comment):
        return [FieldError("comment", guard_message())]
    return []


# ---------------------------------------------------------------- refusals of a transition


def not_in_state(wf: Workflow, trigger: str, row: Mapping[str, Any], allowed: tuple[str, ...]) -> Conflict:
    """409: `trigger` cannot be fired from the measure's state (or is no trigger at all)."""
    state = row["state"]
    label = wf.states[state].label.get(current_lang.get())
    return Conflict(
        _("Handlingen kan ikke utføres når tiltaket har status «{state}».").format(state=label)
        if trigger in wf.triggers()
        else _("Ukjent handling «{trigger}».").format(trigger=trigger[:40]),
        state=state,
        current_version=row["version"],
        allowed_triggers=allowed,
    )


def not_permitted(td: TransitionDef) -> NotAllowed:
    """403: the actor's role or unit may not fire `td`; the message says who may."""
    return NotAllowed(
        _("«{action}» kan bare gjøres av {who}.").format(action=td.label.get(current_lang.get()), who=who_may(td)),
        allowed_roles=td.roles(),
    )


def condition_refused(td: TransitionDef, row: Mapping[str, Any], allowed: tuple[str, ...]) -> Conflict:
    """409: a condition of `td` answered no. The request was valid; the measure is not ready for it."""
    return Conflict(
        _("Tiltaket oppfyller ikke vilkårene for «{action}».").format(action=td.label.get(current_lang.get())),
        state=row["state"],
        current_version=row["version"],
        allowed_triggers=allowed,
    )
