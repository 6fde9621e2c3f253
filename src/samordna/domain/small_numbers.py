"""Small-number protection (DESIGN.md §5: reports never show counts below 5), one rule for every aggregate:
the steering board's goal progress and the steering report.

The rule, for a table of counts where some numbers are sums of others (a total over its parts, a part over
its own parts — a tree):

1. A count below MIN_COUNT (5) is hidden and shown as «<5» — zero too: «none» is a small number like
   any other, and showing zeros would let a reader subtract them away.
2. A sum is hidden («≥5», «5 or more») when it would let a hidden count be computed. A shown sum minus its
   shown parts gives the hidden parts together; that is harmless only when
   - at least two parts are hidden (one hidden part would simply be the difference),
   - together they make at least 5 (else the reader learns a small count of those parts together), and
   - together they make less than 4 × their number (at 4 × k every hidden part would have to be 4).
   A part hidden by this rule (2.) hands its own hidden parts on to the sum above it, which is then judged
   with all of them, so no chain of subtractions through the tree reaches a small count either.
3. Sums are hidden, never parts: the parts are what a reader came for.

Numbers from different tables of one report describe different things (measures at the period's end,
evaluations in the period, status at each month's end) and are never added up across tables; each table
is protected on its own. A report cannot protect against two reports over overlapping periods being
subtracted from each other; the periods a report offers are whole years or dates a member picks, and its
readers are the area's members, who see the measures themselves on the boards.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

MIN_COUNT = 5

FEWER = "fewer"  # hidden: fewer than MIN_COUNT
AT_LEAST = "at_least"  # hidden: MIN_COUNT or more, but it would give a small count away


@dataclass(frozen=True)
class SafeCount:
    """A count as a report may show it: the number only when it is 5 or more and gives nothing away."""

    value: int | None  # None: hidden
    hidden: str | None = None  # FEWER or AT_LEAST when hidden

    @property
    def shown(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class Tally:
    """A count and, when it is a sum, its parts by key (in the order they are shown)."""

    n: int
    parts: Mapping[str, Tally] = field(default_factory=dict)

    @classmethod
    def of(cls, parts: Mapping[str, int | Tally]) -> Tally:
        """A sum over `parts` (counts or tallies), its total their sum."""
        tallies = {k: v if isinstance(v, Tally) else Tally(v) for k, v in parts.items()}
        return cls(sum(t.n for t in tallies.values()), tallies)


@dataclass(frozen=True)
class Protected:
    """A Tally as it may be shown: its count and its parts', by the same keys."""

    count: SafeCount
    parts: Mapping[str, Protected] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Protected:
        return self.parts[key]

    def counts(self) -> tuple[tuple[str, SafeCount], ...]:
        """(key, count) of the parts, in order."""
        return tuple((k, p.count) for k, p in self.parts.items())


def safe_count(n: int) -> SafeCount:
    """A count shown on its own (no sum of it is shown anywhere)."""
    return SafeCount(n) if n >= MIN_COUNT else SafeCount(None, FEWER)


def safe_total(n: int, parts: Sequence[int]) -> SafeCount:
    """The total `n` of `parts` (their true counts), shown beside `safe_count` of each part."""
    return protect(Tally(n, {str(i): Tally(p) for i, p in enumerate(parts)})).count


def protect(tally: Tally) -> Protected:
    """`tally` with every count decided by the rule above."""
    protected, _unknown = _protect(tally)
    return protected


def harmless(hidden: Sequence[int]) -> bool:
    """Whether a shown sum may leave these hidden counts (each below MIN_COUNT) to be found as a difference."""
    together = sum(hidden)
    return len(hidden) >= 2 and MIN_COUNT <= together < (MIN_COUNT - 1) * len(hidden)


def _protect(tally: Tally) -> tuple[Protected, list[int]]:
    """(the tally as shown, the hidden counts a reader would meet under it when it is hidden itself)."""
    parts = {k: _protect(p) for k, p in tally.parts.items()}
    shown_parts = {k: p for k, (p, _u) in parts.items()}
    if tally.n < MIN_COUNT:
        # Hidden as a whole: a count below 5, whatever its parts (which are all below 5 then too).
        return Protected(SafeCount(None, FEWER), shown_parts), [tally.n]
    unknown = [n for _p, u in parts.values() for n in u]
    if not unknown or harmless(unknown):
        return Protected(SafeCount(tally.n), shown_parts), []
    return Protected(SafeCount(None, AT_LEAST), shown_parts), unknown
