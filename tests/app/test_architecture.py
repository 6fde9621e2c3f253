"""The import contracts in pyproject.toml ([tool.importlinter]) hold: web -> services -> workflow | store -> domain,
and web imports no SQL and no state machine. `make lint` runs the same check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def test_import_contracts_are_kept() -> None:
    assert LINT_IMPORTS.exists(), f"{LINT_IMPORTS} is missing: run `make install-dev`"
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


# Modules that still read `request.app.state.services` (docs/architecture.md, convention 2).
APP_STATE_READERS = {
    "app.py",  # puts the services there
    "accounts/web.py",  # page_for, and the log-in (the organisation's areas)
    "web/security_log.py",  # the refusal-log middleware
    "web/sections.py",  # a page's sections from rooms above it (app.py puts the providers there; no services)
}


def test_handlers_get_their_services_by_dependency_injection() -> None:
    package = ROOT / "src" / "samordna"
    readers = {
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if "app.state" in path.read_text(encoding="utf-8")
    }
    assert readers <= APP_STATE_READERS, (
        f"read app.state instead of declaring a dependency: {readers - APP_STATE_READERS}"
    )
