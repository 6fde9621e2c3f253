"""Workflow files: load and validate them, compile each once into a transitions Machine, fire triggers.

Knows no HTTP and no SQL.
"""

from samordna.workflow.definition import (
    BOARDS,
    DATE_RULES,
    FIELD_TYPES,
    LANGS,
    RESERVED_PREFIXES,
    RESERVED_TRIGGERS,
    ROLES,
    UNIT_SCOPES,
    AllowRule,
    FieldDef,
    Label,
    StateDef,
    TransitionDef,
    Workflow,
    WorkflowError,
    check_workflow_file,
    load_workflow,
    load_workflows,
)
from samordna.workflow.machine import Callback, TransitionRefused, TriggerNotAllowed, UnboundCallback

__all__ = [
    "BOARDS",
    "DATE_RULES",
    "FIELD_TYPES",
    "LANGS",
    "RESERVED_PREFIXES",
    "RESERVED_TRIGGERS",
    "ROLES",
    "UNIT_SCOPES",
    "AllowRule",
    "Callback",
    "FieldDef",
    "Label",
    "StateDef",
    "TransitionDef",
    "TransitionRefused",
    "TriggerNotAllowed",
    "UnboundCallback",
    "Workflow",
    "WorkflowError",
    "check_workflow_file",
    "load_workflow",
    "load_workflows",
]
