"""SAMORDNA_DB_POOL_SIZE: the connections each server process keeps open (SQLAlchemy's QueuePool)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.pool import QueuePool

from samordna.services import Services
from samordna.settings import Settings


def test_pool_size_comes_from_the_environment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'pool.sqlite3'}"
    assert Settings.from_env({"SAMORDNA_DATABASE_URL": url}).db_pool_size == 5
    settings = Settings.from_env({"SAMORDNA_DATABASE_URL": url, "SAMORDNA_DB_POOL_SIZE": "12"})
    samordna = Services.build(settings)
    try:
        assert isinstance(samordna.db.engine.pool, QueuePool)
        assert samordna.db.engine.pool.size() == 12
    finally:
        samordna.db.dispose()


@pytest.mark.parametrize("value", ["0", "-3", "fem", "2.5", "100000"])
def test_a_pool_size_that_makes_no_sense_stops_start_up(value: str) -> None:
    with pytest.raises(ValueError, match="SAMORDNA_DB_POOL_SIZE"):
        Settings.from_env({"SAMORDNA_DB_POOL_SIZE": value})
