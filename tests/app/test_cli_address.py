"""The address the commands print is the one the server answers on: `make run PORT=8101` passes its host
and port to `samordna demo` (which prints where to log in) and to `samordna serve`."""

from __future__ import annotations

from typing import Any

import pytest

from samordna import cli
from samordna.services import Services
from samordna.settings import Settings


@pytest.fixture
def database(samordna: Services, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Services:
    monkeypatch.setenv("SAMORDNA_DATABASE_URL", settings.database_url)
    return samordna


def test_demo_prints_the_log_in_address_with_the_given_host_and_port(
    database: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["demo", "--host", "127.0.0.1", "--port", "8101"]) == 0
    out = capsys.readouterr().out
    assert "Logg inn på http://127.0.0.1:8101/login med passordet «demo»" in out
    assert ":8000" not in out
    # loaded already: the second run says so, and still prints the address it was given
    assert cli.main(["demo", "--host", "localhost", "--port", "9000"]) == 0
    out = capsys.readouterr().out
    assert "finnes allerede" in out
    assert "Logg inn på http://localhost:9000/login" in out


def test_demo_without_options_prints_the_default_address(
    database: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["demo"]) == 0
    assert "Logg inn på http://127.0.0.1:8000/login" in capsys.readouterr().out


def test_serve_prints_the_address_it_listens_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    assert cli.main(["serve", "--host", "127.0.0.1", "--port", "8101"]) == 0
    assert "Samordna kjører på http://127.0.0.1:8101" in capsys.readouterr().out
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 8101)


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("127.0.0.1", 8101, "http://127.0.0.1:8101"),
        ("samordna.example.no", 80, "http://samordna.example.no:80"),
        ("0.0.0.0", 8101, "http://127.0.0.1:8101"),  # listening everywhere: reachable here
        ("::", 8101, "http://127.0.0.1:8101"),
        ("::1", 8101, "http://[::1]:8101"),
    ],
)
def test_site_url(host: str, port: int, url: str) -> None:
    assert cli.site_url(host, port) == url
