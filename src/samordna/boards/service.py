"""The boards: the cards each level's board shows, most urgent first, and the actions taken on them.

Policy and orchestration only: which columns a board has, whose measures it shows, what each card
lets the member do, the small-number protection of the steering summary, and one transaction per
request. Every statement is in samordna.boards.repository (a constant number per board, never one per
card); what comes back is in samordna.boards.views.

An action on a card is one write transaction: the transition (MeasureService) and the card's new
place and the column counts read on the same connection, so the page is updated from exactly what
was committed.

Size: one class with the three boards' shared reader; splitting it per board would repeat the reader.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from samordna.boards import repository as repo
from samordna.boards.repository import Conn
from samordna.boards.views import (
    NO_HEALTH,
    REGISTERED,
    ActionForm,
    BoardFilters,
    BoardView,
    Card,
    CardMoved,
    Column,
    ColumnPage,
    Decision,
    DecisionLog,
    Evaluation,
    GoalProgress,
    Placement,
    SafeCount,
)
from samordna.domain import policy
from samordna.domain.actor import Actor, MemberView
from samordna.domain.clock import Clock, aware
from samordna.domain.errors import Conflict, FieldError, Invalid, NotAllowed, NotFound
from samordna.domain.small_numbers import MIN_COUNT, Tally, protect, safe_count
from samordna.domain.vocabulary import HEALTHS, STATE_GROUPS
from samordna.i18n import current_lang, gettext
from samordna.measures.service import MeasureService, MeasureView, who_may
from samordna.organisation.repository import GoalView, UnitView
from samordna.store.db import Database
from samordna.workflow import Workflow

__all__ = [
    "BOARDS",
    "COUNT_CAP",
    "DECLINED_DAYS",
    "MAX_CARDS",
    "MAX_LIMIT",
    "MIN_COUNT",
    "NO_HEALTH",
    "PAGE_SIZE",
    "REGISTERED",
    "ActionForm",
    "BoardFilters",
    "BoardService",
    "BoardView",
    "Card",
    "CardMoved",
    "Column",
    "ColumnPage",
    "GoalProgress",
    "Placement",
    "SafeCount",
    "board_states",
    "need_states",
]

BOARDS = ("coordination", "execution", "steering")
PAGE_SIZE = 20
MAX_LIMIT = 100  # cards one column shows at most when a page asks for more without JavaScript
MAX_CARDS = 200  # cards one board page shows at most across its columns (a larger request is clamped)
MAX_SHOWN = 500  # ids of cards already shown a «Vis flere» request may name (the next cards skip them)
CREATE_ROLES = policy.REGISTER_NEED
COUNT_CAP = repo.REGISTERED_COUNT_CAP  # «Behov vi har meldt» counts this far; a larger total means «over»
DECLINED_DAYS = 30  # «Behov vi har meldt» keeps a declined need this long after the decision
DECISIONS_ON_BOARD = 5  # the steering board's latest decisions; the decision log pages through the rest
DECISIONS_PER_PAGE = 25
CHOICE_TYPES = ("goal", "unit", "units", "member")  # fields whose form offers the area's goals, units, members


# ---------------------------------------------------------------- columns of each board


def board_states(workflow: Workflow, board: str) -> tuple[str, ...]:
    """The columns of `board`, in the workflow's declaration order.

    coordination: every state on the coordination or execution board (the overview of all work);
    execution: the states on the execution board, plus the states the executing level hands a
    measure on to itself (a request for evaluation), which it still follows;
    steering: the states on the steering board.
    """
    states = workflow.states
    if board == "coordination":
        return tuple(s for s, d in states.items() if d.board in ("coordination", "execution"))
    if board == "execution":
        running = workflow.states_on_board("execution")
        handed_on = {
            t.dest
            for t in workflow.transitions
            if set(t.sources) & set(running)
            and t.dest not in running
            and not states[t.dest].final
            and any(rule.role == "executing" for rule in t.allow)
        }
        return running + tuple(s for s in states if s in handed_on)
    if board == "steering":
        return workflow.states_on_board("steering")
    raise NotFound(gettext("Fant ikke tavla."))


def decision_triggers(workflow: Workflow) -> tuple[str, ...]:
    """The steering group's decisions: the triggers that take a measure off the steering board (from
    «evaluated» on to extend, adjust or close it), read from the workflow file."""
    on_board = set(workflow.states_on_board("steering"))
    return tuple(
        dict.fromkeys(t.trigger for t in workflow.transitions if on_board & set(t.sources) and t.dest not in on_board)
    )


def need_states(workflow: Workflow) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(open, declined): the states of a need nobody carries out yet — the states declared before the
    first state of the execution board — and the final states a need can go to straight from them."""
    execution = set(workflow.states_on_board("execution"))
    open_states: list[str] = []
    for name, state in workflow.states.items():
        if name in execution:
            break
        if not state.final:
            open_states.append(name)
    declined = tuple(
        dict.fromkeys(
            t.dest
            for t in workflow.transitions
            if workflow.states[t.dest].final and set(t.sources) and set(t.sources) <= set(open_states)
        )
    )
    return tuple(open_states), declined


# ---------------------------------------------------------------- policy


class _Reader:
    def __init__(self, service: BoardService, board: str) -> None:
        self.workflow = service.workflow
        self.board = board
        self.states = board_states(self.workflow, board)
        self.running = self.workflow.states_on_board("execution")
        self.steering = board == "steering"
        self.today = service.today()

    def member(self, actor: Actor, slug: str) -> MemberView:
        """The actor's membership in the area `slug`: NotFound for an area the actor is no member of.
        The actor's memberships are read with the actor, in this request, so this asks no query."""
        member = next((m for m in actor.memberships.values() if m.area_slug == slug), None)
        if member is None:
            raise NotFound(gettext("Fant ikke SLT-området."))
        return member

    def unit_scope(self, member: MemberView, filters: BoardFilters) -> tuple[int | None, bool]:
        """(unit the cards are narrowed to, locked?). The execution board shows «our measures»."""
        if self.board != "execution":
            return filters.unit_id, False
        if member.role == "executing" and member.unit_id is not None:
            return member.unit_id, True
        if filters.all_units:
            return None, False
        return filters.unit_id or member.unit_id, False

    def cards(
        self,
        conn: Conn,
        member: MemberView,
        rows: Sequence[Mapping[str, Any]],
        units: Sequence[UnitView],
        goals: Sequence[GoalView],
        *,
        actions: bool = True,
    ) -> list[Card]:
        """The cards of `rows`; with `actions`, each with the triggers the member may fire on it."""
        unit_names = {u.id: u.name for u in units}
        goal_titles = {g.id: g.title for g in goals}
        participating = self._participating(conn, member, [r["id"] for r in rows]) if actions else {}
        allowed_for = partial(policy.allowed_triggers, self.workflow)
        allowed: dict[tuple[Any, ...], tuple[str, ...]] = {}  # the same few answers for most cards
        out = []
        for r in rows:
            following = r["state"] in self.running
            units_in = participating.get(r["id"], [])
            key = (r["state"], r["responsible_unit_id"], *units_in)
            if key not in allowed:
                allowed[key] = tuple(allowed_for(member, r, units_in)) if actions else ()
            follow_up = _date(r["next_follow_up_at"])
            evaluation = None
            if "evaluation_effect" in r:
                evaluation = Evaluation(
                    r["evaluation_effect"],
                    r["evaluation_method"],
                    r["evaluation_findings"],
                    r["evaluation_recommendation"],
                )
            out.append(
                Card(
                    id=r["id"],
                    ref=r["ref"],
                    title=r["title"],
                    state=r["state"],
                    version=r["version"],
                    responsible_unit_id=r["responsible_unit_id"],
                    responsible_unit=unit_names.get(r["responsible_unit_id"]),
                    goal_id=r["goal_id"],
                    goal=goal_titles.get(r["goal_id"]),
                    arena=r["arena"],
                    health=r["last_health"],
                    next_follow_up_at=follow_up if following else None,
                    overdue=bool(following and follow_up and follow_up < self.today),
                    allowed_triggers=allowed[key],
                    evaluation=evaluation,
                )
            )
        return out

    def _participating(self, conn: Conn, member: MemberView, ids: list[int]) -> dict[int, list[int]]:
        """Participating units of the cards, in one query, and only when they decide what the member may do."""
        unit_rules = any(
            rule.unit == "involved" and rule.role == member.role for t in self.workflow.transitions for rule in t.allow
        )
        if not ids or member.unit_id is None or not unit_rules:
            return {}
        return repo.participations(conn, ids)

    def progress(self, conn: Conn, area_id: int, goals: Sequence[GoalView]) -> tuple[GoalProgress, ...]:
        """Each goal's measures counted by state group, by last health and by evaluated effect (one query)."""
        rows = repo.goal_tallies(conn, area_id)
        wf = self.workflow
        group_of = {state: key for key, states in STATE_GROUPS for state in states}
        groups = [key for key, states in STATE_GROUPS if any(st in wf.states for st in states)]
        if any(st not in group_of for st in wf.states):
            groups.append("other")
        effects = list(wf.fields["effect"].options) if "effect" in wf.fields else []
        tallies: dict[int, dict[str, dict[str, int]]] = {}
        for goal_id, state, health, effect, n in rows:
            t = tallies.setdefault(goal_id, {"group": {}, "health": {}, "effect": {}})
            group = group_of.get(state, "other")
            t["group"][group] = t["group"].get(group, 0) + n
            if health and not (state in wf.states and wf.states[state].final):
                t["health"][health] = t["health"].get(health, 0) + n
            if effect:
                t["effect"][effect] = t["effect"].get(effect, 0) + n
        if "other" not in groups and any("other" in t["group"] for t in tallies.values()):
            groups.append("other")  # a state the workflow file no longer has
        out = []
        for g in goals:
            t = tallies.get(g.id)
            if t is None and not g.active:
                continue
            t = t or {"group": {}, "health": {}, "effect": {}}
            # The total is the sum of the groups, protected with them (domain.small_numbers).
            by_state = protect(Tally.of({k: t["group"].get(k, 0) for k in groups}))
            out.append(
                GoalProgress(
                    goal_id=g.id,
                    title=g.title,
                    active=g.active,
                    total=by_state.count,
                    by_group=by_state.counts(),
                    by_health=tuple((k, safe_count(t["health"].get(k, 0))) for k in HEALTHS),
                    by_effect=tuple((k, safe_count(t["effect"].get(k, 0))) for k in effects),
                )
            )
        return tuple(out)


def _date(value: date | str | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _page_key(value: str | None) -> tuple[datetime, int] | None:
    """The decision log's «eldre vedtak» key (the last shown decision's UTC instant and event id), or None
    when it is missing or not one (then the first page is shown)."""
    at, _, event_id = (value or "").partition("~")
    try:
        return datetime.fromisoformat(at).astimezone(UTC), int(event_id)
    except ValueError:
        return None


def _limit(value: Any) -> int:
    return max(1, min(int(value), MAX_LIMIT))


def clamp_limits(wanted: Mapping[str, int], columns: Sequence[str]) -> dict[str, int]:
    """Each column's cards on one page: what was asked (PAGE_SIZE when nothing was), at most MAX_LIMIT a
    column and MAX_CARDS in all. Every column keeps its first page (or less, when less was asked); what
    is left of MAX_CARDS goes to the columns' further cards in the board's order. Clamped, never refused."""
    asked = {c: _limit(wanted.get(c, PAGE_SIZE)) for c in columns}
    out = {c: min(n, PAGE_SIZE) for c, n in asked.items()}
    left = MAX_CARDS - sum(out.values())
    for c in columns:
        extra = max(0, min(asked[c] - out[c], left))
        out[c] += extra
        left -= extra
    return out


# ---------------------------------------------------------------- the service


class BoardService:
    """The boards of the three levels, and the actions taken on their cards. Keyword-only; each public
    method is one transaction (a refused action: a second one, to show the measure as it is now)."""

    def __init__(self, *, db: Database, workflow: Workflow, clock: Clock, measures: MeasureService) -> None:
        self.db = db
        self.workflow = workflow
        self.clock = clock
        self.measures = measures
        self.decision_triggers = decision_triggers(workflow)  # the steering group's decisions (the log)

    def today(self) -> date:
        return self.clock.today()

    # ------------------------------------------------------------ reads

    def read_board(
        self,
        *,
        actor: Actor,
        slug: str,
        board: str,
        filters: BoardFilters | None = None,
        limits: Mapping[str, int] | None = None,
    ) -> BoardView:
        """Every column's most urgent cards (PAGE_SIZE, or `limits[state]`) and its total; on the execution
        board also the member's «Behov vi har meldt» (`limits[REGISTERED]`)."""
        reader = _Reader(self, board)
        filters = (filters or BoardFilters()).cleaned()
        member = reader.member(actor, slug)
        limits = limits or {}
        columns = (*reader.states, REGISTERED) if board == "execution" else reader.states
        limit_of = clamp_limits(limits, columns)
        unit_id, locked = reader.unit_scope(member, filters)
        registered = None
        with repo.reading(self.db) as conn:
            units, goals = repo.units_and_goals(conn, member.area_id)
            by_state, totals = repo.first_pages(
                conn,
                area_id=member.area_id,
                states=reader.states,
                steering=reader.steering,
                filters=filters,
                unit_id=unit_id,
                limit_of=limit_of,
            )
            rows = [row for st in reader.states for row in by_state[st]]
            cards = iter(reader.cards(conn, member, rows, units, goals))
            progress = reader.progress(conn, member.area_id, goals) if reader.steering else ()
            decisions = self._decisions(conn, member.area_id, DECISIONS_ON_BOARD) if reader.steering else ()
            if board == "execution":
                page = self._registered(conn, reader, actor, member, filters, units, goals, limit_of[REGISTERED])
                registered = Column(REGISTERED, page[1], tuple(page[0]))
        columns = tuple(Column(st, totals[st], tuple(next(cards) for _ in by_state[st])) for st in reader.states)
        return BoardView(
            board=board,
            area_id=member.area_id,
            role=member.role,
            member_unit_id=member.unit_id,
            columns=columns,
            units=tuple(units),
            goals=tuple(goals),
            filters=filters,
            unit_id=unit_id,
            unit_locked=locked,
            may_register=member.role in CREATE_ROLES,
            progress=progress,
            decisions=decisions,
            registered=registered,
        )

    def decision_log(
        self, *, actor: Actor, slug: str, year: int | None = None, after: str | None = None
    ) -> DecisionLog:
        """The steering group's decisions on the area's measures across meetings, newest first, a page at a
        time: within `year` when given, older than `after` (the previous page's `next_after`)."""
        member = _Reader(self, "steering").member(actor, slug)
        with repo.reading(self.db) as conn:
            first = repo.first_decision_at(conn, area_id=member.area_id, triggers=self.decision_triggers)
            this_year = self.clock.today().year
            years = tuple(range(this_year, aware(first).astimezone(self.clock.tz).year - 1, -1)) if first else ()
            year = year if year in years else None
            decisions = self._decisions(conn, member.area_id, DECISIONS_PER_PAGE + 1, after=_page_key(after), year=year)
        more = len(decisions) > DECISIONS_PER_PAGE
        decisions = decisions[:DECISIONS_PER_PAGE]
        next_after = f"{decisions[-1].at.astimezone(UTC).isoformat()}~{decisions[-1].event_id}" if more else None
        return DecisionLog(decisions=decisions, year=year, years=years, next_after=next_after)

    def _decisions(
        self,
        conn: Conn,
        area_id: int,
        limit: int,
        *,
        after: tuple[datetime, int] | None = None,
        year: int | None = None,
    ) -> tuple[Decision, ...]:
        between = self.clock.year_span(year) if year is not None else None
        rows = repo.decisions(
            conn, area_id=area_id, triggers=self.decision_triggers, limit=limit, after=after, between=between
        )
        return tuple(self._decision(r) for r in rows)

    def _decision(self, r: Mapping[str, Any]) -> Decision:
        changes = json.loads(r["changes"] or "{}")
        note = changes.get("decision_note", [None, None])[1] or r["comment"] or ""
        starts = aware(r["meeting_starts_at"])
        number, year = r["item_number"], r["item_year"]
        return Decision(
            event_id=r["id"],
            measure_id=r["measure_id"],
            measure_ref=r["ref"],
            measure_title=r["title"],
            measure_state=r["state"],
            trigger=r["trigger"],
            at=aware(r["at"]).astimezone(self.clock.tz),
            actor_name=r["actor_name"],
            note=note,
            meeting_id=r["meeting_id"],
            meeting_day=starts.astimezone(self.clock.tz).date() if starts else None,
            case=f"Sak {number:02d}/{year % 100:02d}" if number is not None else "",
        )

    def read_column(
        self,
        *,
        actor: Actor,
        slug: str,
        board: str,
        state: str,
        filters: BoardFilters | None = None,
        shown: Sequence[int] = (),
        limit: int = PAGE_SIZE,
    ) -> ColumnPage:
        """The next cards of one column: the most urgent ones not already `shown` on the user's page.

        Skipping what is shown (rather than counting an offset) keeps «Vis flere» right after cards
        moved in or out of the column on the page.
        """
        reader = _Reader(self, board)
        registered = board == "execution" and state == REGISTERED
        if state not in reader.states and not registered:
            raise NotFound(gettext("Fant ikke kolonnen."))
        filters = (filters or BoardFilters()).cleaned()
        limit = _limit(limit)
        shown = [int(i) for i in list(shown)[:MAX_SHOWN]]
        member = reader.member(actor, slug)
        unit_id, _ = reader.unit_scope(member, filters)
        with repo.reading(self.db) as conn:
            units, goals = repo.units_and_goals(conn, member.area_id)
            if registered:
                cards, total = self._registered(conn, reader, actor, member, filters, units, goals, limit, shown)
                return ColumnPage(state=state, cards=tuple(cards), has_more=len(cards) < total)
            rows = repo.next_cards(
                conn,
                area_id=member.area_id,
                state=state,
                steering=reader.steering,
                filters=filters,
                unit_id=unit_id,
                shown=shown,
                limit=limit + 1,
            )
            cards = reader.cards(conn, member, rows[:limit], units, goals)
        return ColumnPage(state=state, cards=tuple(cards), has_more=len(rows) > limit)

    def place_card(
        self,
        *,
        actor: Actor,
        slug: str,
        board: str,
        measure_id: int,
        filters: BoardFilters | None = None,
    ) -> Placement:
        """The card as `board` shows it now (None when it is not on the board or filtered out) and the
        board's column counts: what an accepted action needs to update the page."""
        reader = _Reader(self, board)
        filters = (filters or BoardFilters()).cleaned()
        member = reader.member(actor, slug)
        with repo.reading(self.db) as conn:
            return self._place(conn, reader, member, measure_id, filters)

    # ------------------------------------------------------------ actions on a card

    def action_form(self, *, actor: Actor, slug: str, board: str, measure_id: int, trigger: str) -> ActionForm:
        """What a card's form for `trigger` needs, and whether the member may fire it now: status 409 when
        the measure's state has no such action, 403 when the member's role or unit may not."""
        reader = _Reader(self, board)
        member = reader.member(actor, slug)
        self._known(trigger)
        with repo.reading(self.db) as conn:
            measure = self._measure(conn, actor, member, measure_id)
            return self._form(conn, member, measure, trigger, opening=True)

    def submit_action(
        self,
        *,
        actor: Actor,
        slug: str,
        board: str,
        measure_id: int,
        trigger: str,
        version: int | None,
        data: Mapping[str, Any] | None = None,
        filters: BoardFilters | None = None,
    ) -> CardMoved | ActionForm:
        """Fire `trigger` on the card (the member saw `version`) and read where its card is now, in one
        write transaction. Refused: nothing written, and the form again (ActionForm) with why — 400 (no
        version), 422 (fields), 403 (who may), 409 (the measure changed: `changed`) — and the measure as
        it is now, read after the rollback."""
        reader = _Reader(self, board)
        filters = (filters or BoardFilters()).cleaned()
        member = reader.member(actor, slug)
        self._known(trigger)
        if version is None:
            missing = FieldError("version", gettext("Skjemaet mangler versjon. Last siden på nytt."))
            return self._refused(actor, member, measure_id, trigger, status=400, errors=(missing,))
        try:
            with repo.writing(self.db) as conn:
                before, after = self.measures.record_transition_in(
                    conn, actor=actor, measure_id=measure_id, trigger=trigger, version=version, data=data
                )
                if after.area_id != member.area_id:
                    raise NotFound(gettext("Fant ikke tiltaket."))  # rolled back: another area's measure
                placement = self._place(conn, reader, member, after.id, filters)
        except Invalid as exc:
            return self._refused(actor, member, measure_id, trigger, status=422, errors=tuple(exc.errors))
        except NotAllowed as exc:
            return self._refused(actor, member, measure_id, trigger, status=403, errors=(FieldError("", exc.message),))
        except Conflict:
            return self._refused(actor, member, measure_id, trigger, status=409, changed=True)
        return CardMoved(before_state=before, measure=after, placement=placement)

    # ------------------------------------------------------------ internals

    def _known(self, trigger: str) -> None:
        if trigger not in self.workflow.triggers():
            raise NotFound(gettext("Fant ikke handlingen."))

    def _measure(self, conn: Conn, actor: Actor, member: MemberView, measure_id: int) -> MeasureView:
        """The measure, when it lies in the board's area (NotFound otherwise)."""
        measure = self.measures.get_in(conn, actor=actor, measure_id=measure_id)
        if measure.area_id != member.area_id:
            raise NotFound(gettext("Fant ikke tiltaket."))
        return measure

    def _refused(
        self,
        actor: Actor,
        member: MemberView,
        measure_id: int,
        trigger: str,
        *,
        status: int,
        errors: tuple[FieldError, ...] = (),
        changed: bool = False,
    ) -> ActionForm:
        with repo.reading(self.db) as conn:
            measure = self._measure(conn, actor, member, measure_id)
            form = self._form(conn, member, measure, trigger, opening=False)
        return ActionForm(
            measure=form.measure,
            trigger=trigger,
            fields=form.fields,
            choices=form.choices,
            status=status,
            errors=errors,
            changed=changed,
        )

    def _form(self, conn: Conn, member: MemberView, measure: MeasureView, trigger: str, *, opening: bool) -> ActionForm:
        """The fields of `trigger` for this member (a rule may require more, e.g. the meeting date), the
        choices they offer, and — when `opening` — 409/403 when the member cannot fire it now."""
        wf = self.workflow
        td = wf.transition(measure.state, trigger)
        rule = (
            policy.permitted_rule(td, member, measure.responsible_unit_id, measure.participating_unit_ids)
            if td
            else None
        )
        shape = td or wf.first_transition(trigger)
        extra = set(rule.requires) if rule is not None else set()
        fields = tuple((wf.fields[n], n in shape.required or n in extra) for n in shape.fields()) if shape else ()
        choices = repo.form_choices(conn, member.area_id) if any(f.type in CHOICE_TYPES for f, _ in fields) else {}
        status, errors = 200, ()
        if opening and td is None:
            label = wf.states[measure.state].label.get(current_lang.get())
            message = gettext("Handlingen kan ikke utføres når tiltaket har status «{state}».").format(state=label)
            status, errors = 409, (FieldError("", message),)
        elif opening and rule is None:
            message = gettext("«{action}» kan bare gjøres av {who}.").format(
                action=td.label.get(current_lang.get()), who=who_may(td)
            )
            status, errors = 403, (FieldError("", message),)
        return ActionForm(
            measure=measure, trigger=trigger, fields=fields, choices=choices, status=status, errors=errors
        )

    def _place(
        self, conn: Conn, reader: _Reader, member: MemberView, measure_id: int, filters: BoardFilters
    ) -> Placement:
        units, goals = repo.units_and_goals(conn, member.area_id)
        unit_id, _ = reader.unit_scope(member, filters)
        scope = {"area_id": member.area_id, "states": reader.states, "filters": filters, "unit_id": unit_id}
        rows = repo.card_rows(conn, measure_id=measure_id, steering=reader.steering, **scope)
        cards = reader.cards(conn, member, rows, units, goals)
        counts = repo.totals(conn, **scope)
        return Placement(card=cards[0] if cards else None, counts=counts)

    def _registered(
        self,
        conn: Conn,
        reader: _Reader,
        actor: Actor,
        member: MemberView,
        filters: BoardFilters,
        units: Sequence[UnitView],
        goals: Sequence[GoalView],
        limit: int,
        shown: Sequence[int] = (),
    ) -> tuple[list[Card], int]:
        """«Behov vi har meldt»: the needs the member, or anyone in the member's unit, registered that no
        unit carries out yet, and those declined in the last DECLINED_DAYS days — most recently changed
        first, to follow (actions are on the coordination board; the cards here link to the measure).
        The goal, arena and status filters apply; the unit filter does not (it is about «us»).
        (cards, how many in all, those `shown` not counted)."""
        open_states, declined = need_states(self.workflow)
        rows, total = repo.registered_needs(
            conn,
            area_id=member.area_id,
            filters=filters,
            user_id=actor.user_id,
            unit_id=member.unit_id,
            open_states=open_states,
            closed_states=declined,
            since=self.clock.now() - timedelta(days=DECLINED_DAYS),
            limit=limit,
            shown=shown,
        )
        return reader.cards(conn, member, rows, units, goals, actions=False), total
