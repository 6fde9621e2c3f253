"""`samordna workflow check FILE`: validate one workflow file and say what is wrong with it."""

from __future__ import annotations

import sys

from samordna.workflow.definition import WorkflowError, load_workflow


def main_check(path: str) -> int:
    """Print every problem to stderr and return 1, or print a one-line summary and return 0."""
    try:
        workflow = load_workflow(path)
    except WorkflowError as e:
        for message in e.messages:
            print(message, file=sys.stderr)
        return 1
    print(f"OK: {path}: {len(workflow.states)} states, {len(workflow.transitions)} transitions")
    return 0
