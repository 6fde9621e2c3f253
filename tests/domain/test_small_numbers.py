"""The small-number rule (domain.small_numbers): no count below 5 is shown, and no shown sum lets one be
computed — checked here by brute force: every table of counts that agrees with what is shown must agree on
nothing below 5."""

from __future__ import annotations

from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st

from samordna.domain.small_numbers import AT_LEAST, FEWER, MIN_COUNT, Protected, Tally, protect, safe_count, safe_total


def test_counts_below_five_are_hidden_zero_included() -> None:
    assert safe_count(5).value == 5
    for n in range(5):
        assert safe_count(n).value is None and safe_count(n).hidden == FEWER


def test_a_total_with_one_hidden_part_is_hidden() -> None:
    assert safe_total(9, [6, 3]) == protect(Tally.of({"a": 6, "b": 3})).count
    assert safe_total(9, [6, 3]).hidden == AT_LEAST


def test_a_total_with_hidden_parts_that_make_a_small_number_together_is_hidden() -> None:
    assert protect(Tally.of({"a": 6, "b": 7, "c": 1, "d": 0, "e": 0})).count.hidden == AT_LEAST  # 1 in c–e
    assert protect(Tally.of({"a": 6, "b": 7, "c": 0, "d": 0})).count.hidden == AT_LEAST  # c and d are zero


def test_a_total_whose_hidden_parts_would_all_be_four_is_hidden() -> None:
    assert protect(Tally.of({"a": 6, "b": 4, "c": 4})).count.hidden == AT_LEAST  # 14 - 6 = 8: both 4


def test_a_total_is_shown_when_the_hidden_parts_cannot_be_told_apart() -> None:
    t = protect(Tally.of({"a": 6, "b": 3, "c": 4, "d": 0}))
    assert t.count.value == 13
    assert [c.value for _k, c in t.counts()] == [6, None, None, None]


def test_a_hidden_sum_hands_its_hidden_parts_to_the_sum_above() -> None:
    # The goal's 9 would give away «overdue» (2); the area's total would then give away the goal's 9.
    goal = Tally.of({"running": Tally.of({"overdue": 2, "on_time": 7}), "closed": 6})
    area = protect(Tally.of({"goal": goal, "other": 8}))
    assert area["goal"]["running"].count.hidden == AT_LEAST
    assert area["goal"].count.hidden == AT_LEAST
    assert area.count.hidden == AT_LEAST
    assert area["other"].count.value == 8


# ---------------------------------------------------------------- nothing small can be computed


def nodes(t: Tally, p: Protected) -> list[tuple[Tally, Protected]]:
    return [(t, p)] + [pair for k in t.parts for pair in nodes(t.parts[k], p.parts[k])]


def leaves(t: Tally) -> list[Tally]:
    return [t] if not t.parts else [leaf for part in t.parts.values() for leaf in leaves(part)]


def rebuild(t: Tally, values: dict[int, int]) -> Tally:
    if not t.parts:
        return Tally(values[id(t)])
    return Tally.of({k: rebuild(part, values) for k, part in t.parts.items()})


def consistent(t: Tally, shown: Protected) -> bool:
    """Whether the tally `t` agrees with every number and every «<5»/«≥5» of `shown`."""
    for node, p in nodes(t, shown):
        c = p.count
        if c.value is not None and node.n != c.value:
            return False
        if c.hidden == FEWER and node.n >= MIN_COUNT:
            return False
        if c.hidden == AT_LEAST and node.n < MIN_COUNT:
            return False
    return True


def tallies() -> st.SearchStrategy[Tally]:
    leaf = st.integers(0, 9).map(Tally)
    return st.recursive(
        leaf,
        lambda children: st.dictionaries(st.sampled_from("abc"), children, min_size=2, max_size=3).map(Tally.of),
        max_leaves=5,
    )


@settings(max_examples=150, deadline=None)
@given(tallies())
def test_no_hidden_small_count_can_be_worked_out(tally: Tally) -> None:
    shown = protect(tally)
    # Every way the leaves could be filled in that agrees with what is shown (a leaf is hidden only as «<5»).
    ranges = [
        [p.count.value] if p.count.value is not None else range(MIN_COUNT)
        for node, p in nodes(tally, shown)
        if not node.parts
    ]
    worlds = []
    for values in product(*ranges):
        candidate = rebuild(tally, {id(leaf): v for leaf, v in zip(leaves(tally), values, strict=True)})
        if consistent(candidate, shown):
            worlds.append(candidate)
    assert tally in worlds
    # A count hidden because it is small: no agreeing world pins it to one value.
    for i, (node, p) in enumerate(nodes(tally, shown)):
        if p.count.hidden == FEWER:
            possible = {nodes(w, shown)[i][0].n for w in worlds}
            assert len(possible) > 1, (node.n, possible)
        if p.count.value is not None:
            assert p.count.value >= MIN_COUNT
