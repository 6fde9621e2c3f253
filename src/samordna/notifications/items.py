"""What is due for whom: each member's items, computed from an area's facts of the day (never stored as flags).

Pure Python on the service side. The states come from the workflow file, not from names written here:

- follow-up states: the sources of a transition that writes a status report (`status_report` callback);
- start states: the other states of the execution board (responsibility given, not started yet);
- evaluation: a follow-up whose own due date comes within the week (time to ask for an evaluation), a state
  with a transition onto the steering board (an evaluation to submit), a state on the steering board (an
  evaluation awaiting the steering group's decision);
- decisions: the triggers that take a measure off the steering board (boards.service.decision_triggers).

Whose items: the coordinator gets the whole area; a member with a unit gets the measures their unit is
responsible for (decisions also on measures the unit takes part in); the coordination level also gets the
evaluations to submit for their unit; the steering group gets the evaluations awaiting its decision. Meetings
are those of the bodies whose agenda the member gets (policy.AGENDA_RECIPIENTS), in the coming week.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from samordna.boards.service import decision_triggers
from samordna.domain import policy
from samordna.notifications.views import AreaFacts, DecisionFact, Item, MeasureFact, Member
from samordna.workflow import Workflow

HORIZON_DAYS = 7  # follow-ups and due dates within a week, meetings in the coming week
MAX_PER_KIND = 50  # per user, area and kind: the most urgent (a coordinator of a large area is not sent thousands)


@dataclass(frozen=True)
class Rules:
    follow: tuple[str, ...]
    start: tuple[str, ...]
    submit: tuple[str, ...]
    decide: tuple[str, ...]
    decisions: tuple[str, ...]

    @property
    def waiting(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.start + self.submit + self.decide))


def rules_of(workflow: Workflow) -> Rules:
    follow = tuple(dict.fromkeys(s for t in workflow.transitions if t.calls("status_report") for s in t.sources))
    execution = workflow.states_on_board("execution")
    decide = workflow.states_on_board("steering")
    submit = tuple(
        dict.fromkeys(
            s
            for t in workflow.transitions
            if t.dest in decide
            for s in t.sources
            if s not in decide and not workflow.states[s].final
        )
    )
    start = tuple(s for s in execution if s not in follow)
    return Rules(follow, start, submit, decide, decision_triggers(workflow))


def _measure_item(kind: str, m: Member, f: MeasureFact, code: str, on: date | None, key: str) -> Item:
    return Item(
        kind=kind,
        key=key,
        area_id=m.area_id,
        area_slug=m.area_slug,
        area_name=m.area_name,
        measure_id=f.id,
        meeting_id=None,
        ref=f.ref,
        title=f.title,
        code=code,
        on_date=on,
    )


class AreaItems:
    """One area's facts sorted by what each member needs, so handing them out costs each member only their
    own items."""

    def __init__(self, facts: AreaFacts, rules: Rules, day: date) -> None:
        self.facts = facts
        self.rules = rules
        self.day = day
        horizon = day + timedelta(days=HORIZON_DAYS)
        self.follow_ups: list[tuple[MeasureFact, str]] = []
        self.period_ends: list[MeasureFact] = []
        self.starts: list[MeasureFact] = []
        self.submits: list[MeasureFact] = []
        self.decides: list[MeasureFact] = []
        for f in facts.measures:
            if f.state in rules.follow:
                if f.next_follow_up_at is not None and f.next_follow_up_at <= horizon:
                    self.follow_ups.append((f, "overdue" if f.next_follow_up_at < day else "due"))
                if f.due_date is not None and f.due_date <= horizon:
                    self.period_ends.append(f)
            elif f.state in rules.start:
                self.starts.append(f)
            elif f.state in rules.submit:
                self.submits.append(f)
            elif f.state in rules.decide:
                self.decides.append(f)
        self.follow_ups.sort(key=lambda p: (p[0].next_follow_up_at, p[0].ref))
        self.period_ends.sort(key=lambda f: (f.due_date, f.ref))
        for group in (self.starts, self.submits, self.decides):
            group.sort(key=lambda f: f.ref)
        self.by_unit: dict[int | None, dict[str, list]] = {}
        for f, code in self.follow_ups:
            self._unit(f.unit_id)["follow_ups"].append((f, code))
        for name in ("period_ends", "starts", "submits"):
            for f in getattr(self, name):
                self._unit(f.unit_id)[name].append(f)

    def _unit(self, unit_id: int | None) -> dict[str, list]:
        return self.by_unit.setdefault(unit_id, {"follow_ups": [], "period_ends": [], "starts": [], "submits": []})

    def items_for(self, m: Member, since: object) -> list[Item]:
        """The member's items in this area, each kind at most MAX_PER_KIND (most urgent first); decisions
        taken at or after `since`."""
        everything = m.role == "coordinator"
        own = self.by_unit.get(m.unit_id, {}) if m.unit_id is not None else {}
        every = {
            "follow_ups": self.follow_ups,
            "period_ends": self.period_ends,
            "starts": self.starts,
            "submits": self.submits,
        }
        scope = every if everything else own
        out: list[Item] = []
        if m.role in ("coordinator", "coordination", "executing"):
            follow = scope.get("follow_ups", [])[:MAX_PER_KIND]
            out += [
                _measure_item(
                    "follow_up", m, f, code, f.next_follow_up_at, f"follow_up:{f.id}:{f.next_follow_up_at}:{code}"
                )
                for f, code in follow
            ]
            out += [
                _measure_item("start", m, f, "start", None, f"start:{f.id}:{f.unit_id}")
                for f in scope.get("starts", [])[:MAX_PER_KIND]
            ]
            evaluation = [
                _measure_item("evaluation", m, f, "period_ends", f.due_date, f"evaluation:{f.id}:period:{f.due_date}")
                for f in scope.get("period_ends", [])
            ]
            if m.role in ("coordinator", "coordination"):
                evaluation += [
                    _measure_item("evaluation", m, f, "submit", None, f"evaluation:{f.id}:submit")
                    for f in scope.get("submits", [])
                ]
            if everything:
                evaluation += [
                    _measure_item("evaluation", m, f, "decide", None, f"evaluation:{f.id}:decide") for f in self.decides
                ]
            out += evaluation[:MAX_PER_KIND]
            out += self._decisions(m, since, everything)
        elif m.role == "steering":
            out += [
                _measure_item("evaluation", m, f, "decide", None, f"evaluation:{f.id}:decide")
                for f in self.decides[:MAX_PER_KIND]
            ]
        out += self._meetings(m)
        return out

    def _decisions(self, m: Member, since: object, everything: bool) -> list[Item]:
        out = []
        for d in self.facts.decisions:
            if d.at < since:  # type: ignore[operator]
                continue
            if not everything and (m.unit_id is None or not _involves(d, m.unit_id)):
                continue
            out.append(
                Item(
                    kind="decision",
                    key=f"decision:{d.event_id}",
                    area_id=m.area_id,
                    area_slug=m.area_slug,
                    area_name=m.area_name,
                    measure_id=d.measure_id,
                    meeting_id=None,
                    ref=d.ref,
                    title=d.title,
                    code=d.trigger,
                    on_date=None,
                    at=d.at,
                )
            )
            if len(out) >= MAX_PER_KIND:
                break
        return out

    def _meetings(self, m: Member) -> list[Item]:
        levels = {level for level, roles in policy.AGENDA_RECIPIENTS.items() if m.role in roles}
        return [
            Item(
                kind="meeting",
                key=f"meeting:{g.id}:{g.starts_at.isoformat()}",
                area_id=m.area_id,
                area_slug=m.area_slug,
                area_name=m.area_name,
                measure_id=None,
                meeting_id=g.id,
                ref="",
                title=g.title,
                code=g.level,
                on_date=None,
                at=g.starts_at,
                place=g.place,
            )
            for g in self.facts.meetings
            if g.level in levels
        ]


def _involves(d: DecisionFact, unit_id: int) -> bool:
    return d.unit_id == unit_id or unit_id in d.participating


def merge(items: Iterable[Item], kinds: Sequence[str]) -> list[Item]:
    """A user's items across areas: the kinds they chose, each key once, in the digest's order."""
    seen: set[str] = set()
    out = []
    for item in items:
        if item.kind in kinds and item.key not in seen:
            seen.add(item.key)
            out.append(item)
    return out
