"""A live server of its own for the stream tests, with a heartbeat short enough to see."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from samordna.services import Services
from samordna.settings import Settings
from tests.conftest import LiveServer

HEARTBEAT = 0.3


@pytest.fixture(scope="session")
def stream_server(session_samordna: Services, settings: Settings) -> Iterator[LiveServer]:
    server = LiveServer(session_samordna, replace(settings, live_heartbeat_seconds=HEARTBEAT))
    server.start()
    yield server
    server.stop()
