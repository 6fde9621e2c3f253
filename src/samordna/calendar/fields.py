"""The milestone form's fields (labels in nb/nn/en), and the body levels' names: shared by the page and the
service."""

from __future__ import annotations

from samordna.domain.policy import LEVELS
from samordna.workflow import FieldDef, Label

LEVEL_LABELS = {
    "steering": Label(nb="Styringsgruppe", nn="Styringsgruppe", en="Steering group"),
    "coordination": Label(nb="Koordineringsgruppe", nn="Koordineringsgruppe", en="Coordination group"),
    "executing": Label(nb="Utførende nivå", nn="Utførande nivå", en="Executing level"),
    "all": Label(nb="SLT-samling (alle nivåer)", nn="SLT-samling (alle nivå)", en="SLT gathering (all levels)"),
}


def _field(name: str, type_: str, label: Label, **kw: object) -> FieldDef:
    return FieldDef(name=name, type=type_, label=label, store=name, **kw)  # type: ignore[arg-type]


TITLE = _field("title", "text", Label(nb="Tittel", nn="Tittel", en="Title"))
MONTH = _field("month", "integer", Label(nb="Måned (1–12)", nn="Månad (1–12)", en="Month (1–12)"), min=1, max=12)
DAY = _field(
    "day",
    "integer",
    Label(nb="Dag i måneden", nn="Dag i månaden", en="Day of the month"),
    min=1,
    max=31,
    help=Label(
        nb="La stå tom når milepælen gjelder hele måneden.",
        nn="La stå tom når milepælen gjeld heile månaden.",
        en="Leave empty when the milestone concerns the whole month.",
    ),
)
LEVEL = _field(
    "level",
    "enum",
    Label(nb="Gjelder", nn="Gjeld", en="Concerns"),
    options=LEVELS,
    option_labels=LEVEL_LABELS,
    help=Label(
        nb="Nivået milepælen særlig angår. La stå tom når den angår alle.",
        nn="Nivået milepælen særleg gjeld. La stå tom når han gjeld alle.",
        en="The level the milestone mostly concerns. Leave empty when it concerns everyone.",
    ),
)
DESCRIPTION = _field("description", "longtext", Label(nb="Beskrivelse", nn="Skildring", en="Description"))

MILESTONE_FIELDS = ((TITLE, True), (MONTH, True), (DAY, False), (LEVEL, False), (DESCRIPTION, False))
