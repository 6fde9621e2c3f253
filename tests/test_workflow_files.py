"""Every workflow file shipped in workflows/ loads; the `workflow check` helper reports like the loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from samordna.diagrams import mermaid
from samordna.workflow import check_workflow_file, load_workflow, load_workflows
from samordna.workflow.check import main_check

WORKFLOWS = Path(__file__).resolve().parents[1] / "workflows"
FILES = sorted(WORKFLOWS.glob("*.toml"))


def test_there_are_workflow_files() -> None:
    assert WORKFLOWS / "measure.toml" in FILES


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_workflow_file_loads(path: Path) -> None:
    assert check_workflow_file(path) == []
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
