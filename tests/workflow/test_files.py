"""Every workflow file shipped in workflows/ loads; the `workflow check` helper reports like the loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from samordna.diagrams import mermaid
from samordna.measures.callbacks import CALLBACKS
from samordna.workflow import check_workflow_file, load_workflow, load_workflows
from samordna.workflow.check import main_check

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
FILES = sorted(WORKFLOWS.glob("*.toml"))


def test_there_are_workflow_files() -> None:
    assert WORKFLOWS / "measure.toml" in FILES


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_workflow_file_loads(path: Path) -> None:
    assert check_workflow_file(path) == []
    assert check_workflow_file(path, callbacks=CALLBACKS) == []  # every callback it names is provided
    workflow = load_workflow(path)
    assert workflow.path == str(path)
    assert workflow.machine.models == []
    assert mermaid(workflow).startswith("stateDiagram-v2\n")


def test_folder_loads_keyed_by_name() -> None:
    workflows = load_workflows(WORKFLOWS)
    assert "measure" in workflows
    assert len(workflows) == len(FILES)
    assert all(name == w.name for name, w in workflows.items())


def test_check_ok(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(WORKFLOWS / "measure.toml")
    assert main_check(path) == 0
    out, err = capsys.readouterr()
    assert out == f"OK: {path}: 9 states, 13 transitions\n"
    assert err == ""


def test_check_reports_a_typo_in_the_real_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (WORKFLOWS / "measure.toml").read_text(encoding="utf-8")
    assert text.count('source = ["initiated"]') == 1
    (tmp_path / "measure.toml").write_text(text.replace('source = ["initiated"]', 'source = ["initated"]'))
    monkeypatch.chdir(tmp_path)
    assert main_check("measure.toml") == 1
    out, err = capsys.readouterr()
    assert out == ""
    # the one real problem, without guesses about unreachable states that follow from it
    assert err == "measure.toml: transitions[3] (assign): source 'initated' is not a declared state\n"


def test_check_reports_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (WORKFLOWS / "measure.toml").read_text(encoding="utf-8")
    text = text.replace('required = ["reason"]', 'requried = ["reason"]').replace(
        'board = "steering"', 'board = "styring"'
    )
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    assert main_check(str(path)) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{path}: states.evaluated: board 'styring' is not one of coordination, execution, steering",
        f"{path}: transitions[2] (decline): unknown key 'requried' (did you mean 'required'?)",
        f"{path}: transitions[7] (pause): unknown key 'requried' (did you mean 'required'?)",
    ]


def test_check_with_the_registry_reports_an_unknown_callback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (WORKFLOWS / "measure.toml").read_text(encoding="utf-8")
    (tmp_path / "measure.toml").write_text(text.replace('after = ["clear_follow_up"]', 'after = ["clear_health"]'))
    monkeypatch.chdir(tmp_path)
    assert main_check("measure.toml") == 0  # without a registry only the spelling of names is checked
    capsys.readouterr()
    assert main_check("measure.toml", callbacks=CALLBACKS) == 1  # what `samordna workflow check` does
    assert capsys.readouterr().err == (
        "measure.toml: transitions[12] (adjust): after names 'clear_health', which is not a known callback "
        "(known: clear_follow_up, schedule_follow_up, status_report)\n"
    )
