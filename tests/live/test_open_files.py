"""`samordna serve` raises its soft limit on open files (each open live page holds a socket): a service started
with systemd's 1 024 would refuse connections near a thousand open boards. Real processes with real limits."""

from __future__ import annotations

import resource
import subprocess
import sys

import pytest

SERVE = (
    "import uvicorn; uvicorn.run = lambda *a, **k: None; "
    "import resource, sys; from samordna import cli; "
    "code = cli.main(['serve', '--port', '8199']); "
    "print('limit', resource.getrlimit(resource.RLIMIT_NOFILE)[0]); sys.exit(code)"
)


def _serve_with(soft: int, hard: int) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    return subprocess.run([sys.executable, "-c", SERVE], preexec_fn=limit, capture_output=True, text=True, timeout=60)


def test_serve_raises_the_soft_limit_towards_the_hard_one() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 8_192:
        pytest.skip(f"this machine's hard limit on open files is {hard}")
    done = _serve_with(1_024, hard)
    assert done.returncode == 0, done.stderr
    from samordna.cli import OPEN_FILES_WANTED

    wanted = OPEN_FILES_WANTED if hard == resource.RLIM_INFINITY else min(OPEN_FILES_WANTED, hard)
    assert f"limit {wanted}" in done.stdout and "Merk:" not in done.stderr


def test_serve_says_so_when_the_limit_cannot_be_raised() -> None:
    done = _serve_with(512, 512)
    assert done.returncode == 0, done.stderr
    assert "limit 512" in done.stdout
    assert "Merk: prosessen kan bare ha 512 åpne filer" in done.stderr and "LimitNOFILE" in done.stderr
