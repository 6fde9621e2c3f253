"""`samordna workflow check FILE`: validate one workflow file and say what is wrong with it."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from samordna.workflow.definition import WorkflowError, load_workflow
from samordna.workflow.machine import Callback


def main_check(path: str, *, callbacks: Mapping[str, Callback] | None = None) -> int:
    """Print every problem to stderr and return 1, or print a one-line summary and return 0. With
    `callbacks`, every callback the file names must be one of them."""
    try:
        workflow = load_workflow(path, callbacks=callbacks)
    except WorkflowError as e:
        for message in e.messages:
            print(message, file=sys.stderr)
        return 1
    print(f"OK: {path}: {len(workflow.states)} states, {len(workflow.transitions)} transitions")
    return 0
