"""SAMORDNA_LIVE_BACKEND: how changes travel between processes (samordna.live.channels)."""

from __future__ import annotations

import pytest

from samordna.live.channels import announces_through_database
from samordna.settings import Settings

PG = "postgresql+psycopg://samordna@db/samordna"


def test_the_live_backend_comes_from_the_environment() -> None:
    assert Settings.from_env({}).live_backend == "auto"
    assert Settings.from_env({"SAMORDNA_LIVE_BACKEND": "memory"}).live_backend == "memory"
    assert Settings.from_env({"SAMORDNA_LIVE_BACKEND": " Auto "}).live_backend == "auto"


@pytest.mark.parametrize("value", ["redis", "postgres", "1"])
def test_a_live_backend_that_makes_no_sense_stops_start_up(value: str) -> None:
    with pytest.raises(ValueError, match="SAMORDNA_LIVE_BACKEND"):
        Settings.from_env({"SAMORDNA_LIVE_BACKEND": value})


def test_changes_go_through_the_database_on_postgresql_only_when_auto() -> None:
    assert announces_through_database(PG, "auto")
    assert announces_through_database("postgres://samordna@db/samordna", "auto")
    assert not announces_through_database(PG, "memory")
    assert not announces_through_database("sqlite:///var/samordna.sqlite3", "auto")
