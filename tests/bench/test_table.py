"""bench.run's table as Markdown (`make bench` writes bench/results/table.md for the README): the same cells as
the printed table, a pipe in a note escaped so it cannot split a cell."""

from __future__ import annotations

from bench.common import Row, markdown_table


def test_the_markdown_table_has_a_row_per_case_with_the_printed_cells() -> None:
    rows = [
        Row("board", "coordination board", "ms", (10.0, 12.0, 14.0), "SQL 6 | 6", ratio=1.234),
        Row("load", "capacity", "req/s", (80.0,)),
    ]
    lines = markdown_table(rows).splitlines()
    assert lines[0] == "| benchmark | case | median | spread | unit | n | × floor | note |"
    assert lines[2] == "| board | coordination board | 12.0 | 10.0–14.0 | ms | 3 | 1.23 | SQL 6 \\| 6 |"
    assert lines[3] == "| load | capacity | 80.0 |  | req/s | 1 |  |  |"
    assert len(lines) == 4
