"""`samordna export` and `samordna import` as an administrator runs them (exit codes, Norwegian messages, the
file written whole or not at all), and the coordinator's download on the organisation pages."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from samordna import cli
from samordna.services import Services
from tests.factories import World
from tests.transfer.conftest import fill_area, row_counts


def run(monkeypatch: pytest.MonkeyPatch, samordna: Services, *argv: str) -> int:
    monkeypatch.setenv("SAMORDNA_DATABASE_URL", samordna.settings.database_url)
    return cli.main(list(argv))


def same(a: bytes | str, b: bytes | str) -> bool:
    first, second = json.loads(a), json.loads(b)
    return {k: v for k, v in first.items() if k != "exported_at"} == {
        k: v for k, v in second.items() if k != "exported_at"
    }


def test_export_to_a_file_then_import(
    world: World, target: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fill_area(world)
    out = tmp_path / "alfa.json"
    assert run(monkeypatch, world.samordna, "export", "--area", "alfa", "-o", str(out)) == 0
    assert f"Området alfa er eksportert til {out}" in capsys.readouterr().out
    assert not (tmp_path / "alfa.json.part").exists()
    assert same(out.read_bytes(), world.samordna.transfer.export_bytes(slug="alfa"))

    assert run(monkeypatch, target, "import", str(out)) == 0
    said = capsys.readouterr().out
    assert re.search(r"Importerte området alfa \(Alfa kommune\): \d+ tiltak, \d+ hendelser", said)
    assert "nye brukere er opprettet uten passord" in said and "samordna user password --email" in said
    assert "coordinator@example.no" in said
    assert "kalenderadresser er nye" in said
    assert same(target.transfer.export_bytes(slug="alfa"), out.read_bytes())

    before = row_counts(target)
    assert run(monkeypatch, target, "import", str(out)) == 1
    err = capsys.readouterr().err
    assert f"Feil: {out} ble ikke importert. Ingenting er skrevet." in err
    assert "Området «alfa» finnes allerede i denne databasen." in err
    assert row_counts(target) == before


def test_export_to_standard_output(
    world: World, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert run(monkeypatch, world.samordna, "export", "--area", "beta") == 0
    doc = json.loads(capsysbinary.readouterr().out)
    assert doc["area"]["slug"] == "beta" and [u["email"] for u in doc["users"]] == ["beta_coordinator@example.no"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("export", "--area", "gamma"), "Feil: Fant ikke området gamma."),
        (("import", "/finnes/ikke.json"), "Feil: kan ikke lese /finnes/ikke.json"),
    ],
)
def test_refusals_exit_with_1_and_say_why(
    samordna: Services,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
    message: str,
) -> None:
    assert run(monkeypatch, samordna, *argv) == 1
    assert message in capsys.readouterr().err


def test_a_bad_file_is_refused_with_every_problem_listed(
    world: World, target: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fill_area(world)
    doc: dict[str, Any] = json.loads(world.samordna.transfer.export_bytes(slug="alfa"))
    doc["events"][0]["actor"] = 500
    doc["measures"][1]["responsible_unit"] = 600
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    assert run(monkeypatch, target, "import", str(bad)) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"Feil: {bad} ble ikke importert. Ingenting er skrevet."
    assert "  – events[0].actor: peker på brukeren 500, som ikke finnes i filen." in err
    assert "  – measures[1].responsible_unit: peker på enheten 600, som ikke finnes i filen." in err
    assert row_counts(target) == {table: 0 for table in row_counts(target)}


# ---------------------------------------------------------------- the coordinator's download


def test_the_coordinator_downloads_the_area_and_the_download_is_logged(browser: Any, web_world: World) -> None:
    fill_area(web_world)
    b = browser("coordinator")
    log = b.get("/areas/alfa/admin/log")
    assert 'href="/areas/alfa/admin/export.json"' in log.text
    r = b.get("/areas/alfa/admin/export.json")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert re.fullmatch(
        r'attachment; filename="samordna-alfa-\d{4}-\d{2}-\d{2}\.json"', r.headers["content-disposition"]
    )
    assert r.headers["cache-control"] == "no-store"
    assert same(r.content, web_world.samordna.transfer.export_bytes(slug="alfa"))
    assert "Området lastet ned (eksport)" in b.get("/areas/alfa/admin/log").text


@pytest.mark.parametrize(("who", "status"), [("steering", 403), ("coordination", 403), ("beta_coordinator", 404)])
def test_nobody_else_downloads_it(browser: Any, web_world: World, who: str, status: int) -> None:
    r = browser(who).get("/areas/alfa/admin/export.json")
    assert r.status_code == status
    assert b"samordna-area" not in r.content
