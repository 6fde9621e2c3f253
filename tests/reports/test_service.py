"""The steering report's figures (ReportService): replayed from the event history with known dates on the
world's clock, the period (a year, or from/to) choosing the events, every count through the small-number
rule, and who may read it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from samordna.domain.errors import Invalid, NotFound
from samordna.domain.small_numbers import AT_LEAST, FEWER, MIN_COUNT
from samordna.reports import history
from samordna.reports import repository as repo
from samordna.reports.service import day_start, parse_period
from samordna.reports.views import Period
from tests.factories import World
from tests.reports.support import at, every_count, goal, measure, on

GOAL = "Redusere rusbruk blant ungdom"
YEAR = Period(date(2026, 1, 1), date(2026, 12, 31), 2026)


def report(world: World, period: Period = YEAR, who: str = "steering"):  # type: ignore[no-untyped-def]
    return world.samordna.reports.report(actor=world.actors[who], slug="alfa", period=period)


# ---------------------------------------------------------------- days per stage


def test_median_days_per_stage_come_from_the_event_history(world: World) -> None:
    # Five needs registered on 2 March, initiated 2, 4, 6, 8 and 10 days later, all assigned on 20 March.
    for gap in (2, 4, 6, 8, 10):
        measure(world, [("2026-03-02", "register"), (f"2026-03-{2 + gap:02d}", "initiate"), ("2026-03-20", "assign")])
    on(world, "2026-09-15")
    medians = dict(goal(report(world), GOAL).median_days)
    assert medians["need_identified"] == 6.0  # 2, 4, 6, 8, 10
    assert medians["initiated"] == 12.0  # 18 - 2 … 18 - 10 days: 16, 14, 12, 10, 8
    assert medians["assigned"] is None  # nobody has left it yet
    # A stay counts in the period it ended in: from 10 March only two needs were initiated (10 and 12 March).
    later = dict(goal(report(world, Period(date(2026, 3, 10), date(2026, 12, 31))), GOAL).median_days)
    assert later["need_identified"] is None
    assert later["initiated"] == 12.0


def test_a_status_report_does_not_end_a_stay_and_days_are_counted_in_the_areas_calendar(world: World) -> None:
    for i in range(5):
        steps = [("2026-01-05", "register"), ("2026-01-06", "initiate"), ("2026-01-07", "assign")]
        steps += [("2026-01-08", "start"), ("2026-02-01", "report_status"), ("2026-03-01", "report_status")]
        steps += [(f"2026-04-0{i + 1}", "request_evaluation")]
        measure(world, steps)
    on(world, "2026-09-15")
    medians = dict(goal(report(world), GOAL).median_days)
    assert medians["in_follow_up"] == 85.0  # 8 January to 1–5 April: 83, 84, 85, 86, 87 days


# ---------------------------------------------------------------- the period


def evaluated_in_march_and_june(world: World) -> None:
    """Five measures evaluated in March (achieved), six in June (partly); all started in February."""
    start = [("2026-02-02", "register"), ("2026-02-05", "initiate"), ("2026-02-10", "assign"), ("2026-02-12", "start")]
    for _ in range(5):
        measure(
            world,
            [*start, ("2026-03-10", "request_evaluation"), ("2026-03-15", "submit_evaluation")],
            submit_evaluation={"effect": "achieved"},
        )
    for _ in range(6):
        measure(world, [*start, ("2026-06-05", "request_evaluation"), ("2026-06-10", "submit_evaluation")])
    on(world, "2026-09-15")


def raw(world: World, start: str, end: str) -> history.Tallies:
    """The unprotected tallies of the period [start, end] (dates, both included)."""
    service = world.samordna.reports
    period = service.period(start=start, end=end)
    tz = world.samordna.clock.tz
    s, e = day_start(period.start, tz), day_start(date.fromordinal(period.end.toordinal() + 1), tz)
    rules = history.Rules(frozenset({"closed", "declined"}), "in_follow_up", "evaluation_effect")
    with repo.reading(world.samordna.db) as conn:
        events = list(repo.events(conn, area_id=world.areas["alfa"], start=s, end=e, final_states=["closed"]))
    return history.tally(events, history.Window(s, e, period.end, (), tz), rules)


def test_the_period_selects_the_events(world: World) -> None:
    evaluated_in_march_and_june(world)
    alfa = world.goals["alfa"]
    assert dict(raw(world, "2026-03-01", "2026-03-31").by_effect[alfa]) == {"achieved": 5}
    assert dict(raw(world, "2026-06-01", "2026-06-30").by_effect[alfa]) == {"partly": 6}
    assert dict(raw(world, "2026-01-01", "2026-12-31").by_effect[alfa]) == {"achieved": 5, "partly": 6}
    assert dict(raw(world, "2026-03-16", "2026-06-09").by_effect) == {}
    # The state at the end of each period: in June the June group was being evaluated.
    assert dict(raw(world, "2026-03-01", "2026-03-31").by_state[alfa]) == {"evaluated": 5, "in_follow_up": 6}
    assert dict(raw(world, "2026-06-01", "2026-06-07").by_state[alfa]) == {"evaluated": 5, "under_evaluation": 6}
    assert raw(world, "2025-01-01", "2025-12-31").by_state == {}  # none existed yet

    march = goal(report(world, Period(date(2026, 3, 1), date(2026, 3, 31))), GOAL)
    assert dict(march.by_effect)["achieved"].value == 5
    assert dict(march.by_effect)["partly"].hidden == FEWER  # 0 in March
    june = goal(report(world, Period(date(2026, 6, 1), date(2026, 6, 30))), GOAL)
    assert dict(june.by_effect)["partly"].value == 6
    assert dict(june.by_effect)["achieved"].hidden == FEWER
    year = goal(report(world), GOAL)
    assert (dict(year.by_effect)["achieved"].value, dict(year.by_effect)["partly"].value) == (5, 6)
    assert dict(year.by_state)["evaluated"].value == 11


def test_overdue_is_judged_on_the_periods_last_day(world: World) -> None:
    # Six started on 12 February with a follow-up every 14 days (due 26 February), never reported on.
    for _ in range(6):
        measure(
            world,
            [("2026-02-02", "register"), ("2026-02-05", "initiate"), ("2026-02-10", "assign"), ("2026-02-12", "start")],
        )
    on(world, "2026-09-15")
    alfa = world.goals["alfa"]
    assert raw(world, "2026-02-01", "2026-02-26").on_time[alfa] == 6  # due that day: not overdue yet
    assert raw(world, "2026-02-01", "2026-02-27").overdue[alfa] == 6


# ---------------------------------------------------------------- small numbers


def test_one_measure_shows_no_number_at_all(world: World) -> None:
    measure(
        world,
        [
            ("2026-02-02", "register"),
            ("2026-02-05", "initiate"),
            ("2026-02-10", "assign"),
            ("2026-02-12", "start"),
            ("2026-03-01", "report_status"),
        ],
    )
    on(world, "2026-09-15")
    r = report(world)
    assert all(c.value is None for c in every_count(r))
    assert all(d is None for g in r.goals for _s, d in g.median_days)
    assert all(g.follow_up is None or g.follow_up.share is None for g in r.goals)


def test_a_total_that_would_give_a_small_count_away_is_hidden(world: World) -> None:
    start = [("2026-02-02", "register"), ("2026-02-05", "initiate")]
    for _ in range(6):
        measure(world, start)  # initiated
    for _ in range(2):
        measure(world, [*start, ("2026-02-10", "assign")])  # assigned
    on(world, "2026-09-15")
    g = goal(report(world), GOAL)
    groups = {grp.key: grp for grp in g.by_group}
    assert dict(g.by_state)["initiated"].value == 6
    assert dict(groups["planning"].states)["need_identified"].hidden == FEWER  # 0
    # planning (6) minus initiated (6) would say no need is waiting, and the goal's 8 minus 6 that two were assigned.
    assert groups["planning"].count.hidden == AT_LEAST
    assert g.measures.hidden == AT_LEAST
    for c in every_count(report(world)):
        assert c.value is None or c.value >= MIN_COUNT


# ---------------------------------------------------------------- who, and which period


@pytest.mark.parametrize("who", ["coordinator", "steering", "coordination", "executing", "viewer"])
def test_every_member_of_the_area_reads_it(world: World, who: str) -> None:
    assert report(world, who=who).area_name == "Alfa kommune"


def test_another_areas_report_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        report(world, who="beta_coordinator")


TODAY = date(2026, 9, 15)


def test_periods_a_query_can_ask_for() -> None:
    assert parse_period(year=None, start=None, end=None, today=TODAY) == YEAR
    assert parse_period(year="2025", start=None, end=None, today=TODAY) == Period(
        date(2025, 1, 1), date(2025, 12, 31), 2025
    )
    assert parse_period(year="2025", start="2026-03-01", end="2026-05-31", today=TODAY) == Period(
        date(2026, 3, 1), date(2026, 5, 31)
    )
    assert parse_period(year=None, start="2026-03-01", end=None, today=TODAY) == Period(
        date(2026, 3, 1), date(2026, 12, 31)
    )
    assert parse_period(year=None, start=None, end="2026-05-31", today=TODAY) == Period(
        date(2026, 1, 1), date(2026, 5, 31)
    )


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"year": "abc"}, "year", "Året må være et årstall med fire sifre, for eksempel 2026."),
        ({"year": "1999"}, "year", "Velg et år mellom 2000 og 2100."),
        (
            {"start": "2026-05-01", "end": "2026-03-01"},
            "from",
            "«Fra og med» må være samme dag som eller før «til og med».",
        ),
        ({"start": "2026-02-30"}, "from", "«Fra og med» må være en dato, for eksempel 2026-01-01."),
        ({"end": "31.12.2026"}, "to", "«Til og med» må være en dato, for eksempel 2026-12-31."),
        ({"start": "2001-01-01", "end": "2026-01-01"}, "to", "Perioden kan være høyst 10 år lang."),
    ],
)
def test_a_period_that_cannot_be_read_says_why_in_norwegian(query: dict[str, str], field: str, message: str) -> None:
    with pytest.raises(Invalid) as refused:
        parse_period(year=query.get("year"), start=query.get("start"), end=query.get("end"), today=TODAY)
    assert [(e.field, e.message) for e in refused.value.errors] == [(field, message)]


# ---------------------------------------------------------------- the kept replay


def test_a_replay_is_kept_until_the_history_changes(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page, its PDF and the next member reuse one replay of the history; any write — a transition, a
    new measure, a deleted one — or another window replays again, and the figures follow."""
    replays: list[int] = []
    real = history.tally

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        replays.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(history, "tally", counted)
    for _ in range(5):
        measure(world, [("2026-03-02", "register"), ("2026-03-04", "initiate")])
    on(world, "2026-09-15")
    first = goal(report(world), GOAL)
    assert dict(first.by_state)["initiated"].value == 5 and len(replays) == 1
    assert goal(report(world, who="coordinator"), GOAL) == first and len(replays) == 1  # kept
    later = at("2026-09-15") + timedelta(hours=3)  # the same day, later: the running year now ends later
    world.samordna.clock.source = lambda: later
    assert goal(report(world), GOAL) == first and len(replays) == 1
    report(world, Period(date(2026, 3, 1), date(2026, 3, 31)))  # another window
    assert len(replays) == 2
    measure(world, [("2026-09-14", "register"), ("2026-09-14", "initiate")])  # a write
    on(world, "2026-09-15")
    after = goal(report(world), GOAL)
    assert dict(after.by_state)["initiated"].value == 6 and len(replays) == 3
    on(world, "2026-09-16")  # the next day: overdue is judged on another day
    report(world)
    assert len(replays) == 4
