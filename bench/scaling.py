"""Board time as the area grows: 1 000, 10 000 and 100 000 measures, and a page showing more cards.

The same server and data as bench.board (one `samordna serve` worker over areas of each size, the floor
beside it on the same file). The first page of every column shows 20 cards whatever the area holds, so
the time should follow the cards shown, not the measures stored; the last case asks the 10 000-measure
board for 100 cards per column (`limit_<state>=100`, what «Vis flere» without JavaScript does) to show
what cards cost. SQL statements per page are counted in-process at each size.

Prints figures only; asserts nothing. `python -m bench.scaling [--rounds R] [--per-round N]`.
"""

from __future__ import annotations

import argparse
from urllib.parse import urlencode

from bench.board import board_path, compare, count_statements
from bench.common import Row, smoke, start_floor, start_samordna, time_ratio
from bench.data import SCALING_SIZES, Dataset, shared_sqlite

NAME = "scaling"
ROUNDS = smoke(3, 1)
PER_ROUND = smoke(10, 2)


def thousands(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def run(rounds: int = ROUNDS, per_round: int = PER_ROUND) -> list[Row]:
    path_db, ds = shared_sqlite(SCALING_SIZES)
    url = f"sqlite:///{path_db}"
    cases = [(a, board_path(a.slug), f"{thousands(a.measures)} measures, 20 cards/column") for a in ds.areas]
    mid = ds.areas[len(ds.areas) // 2]
    states = ("need_identified", "initiated", "assigned", "in_follow_up", "paused", "under_evaluation")
    big_page = urlencode({f"limit_{s}": 100 for s in states})
    # The floor knows no limits; the wider page is compared with Samordna's own 20-card page instead.
    cases.append((mid, board_path(mid.slug, query=big_page), f"{thousands(mid.measures)} measures, 100 cards/column"))
    counts = count_statements(url, {Dataset.email(a.slug, "coordinator"): board_path(a.slug) for a in ds.areas})
    rows: list[Row] = []
    results = {}
    with start_samordna(url) as app, start_floor(path_db) as floor:
        for area, path, label in cases:
            email = Dataset.email(area.slug, "coordinator")
            results[label] = compare(app, floor, email, path, rounds, per_round)
    base_20 = {}
    for (area, path, label), (a, f) in zip(cases, results.values(), strict=True):
        ms_a = Row("", "", "", tuple(a.wall)).median
        ms_f = Row("", "", "", tuple(f.wall)).median
        wide = "limit_" in path
        if wide:
            note = f"vs Samordna's 20-card page: {ms_a / base_20[area.slug]:.1f}× the time for 5× the cards"
            ratio = None
        else:
            n = counts[Dataset.email(area.slug, "coordinator")][0]
            note = f"{n} SQL statements (+ session write); floor {ms_f:.1f} ms"
            ratio = time_ratio(ms_a, ms_f, lower_is_better=True)
            base_20[area.slug] = ms_a
        rows.append(Row(NAME, f"board: {label}", "ms/page", tuple(a.wall), note, ratio=ratio, lower_is_better=True))
    return rows


def main(argv: list[str] | None = None) -> None:
    from bench.common import print_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--per-round", type=int, default=PER_ROUND)
    args = parser.parse_args(argv)
    print_table(run(args.rounds, args.per_round))


if __name__ == "__main__":
    main()
