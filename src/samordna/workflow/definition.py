"""Workflow files as data: frozen definitions and the loader that validates them. No HTTP, no SQL.

Size: the definitions and their validating loader belong together; most lines are the
validation messages a coordinator editing a workflow file reads.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from samordna.workflow.machine import CALLBACK_KEYS, Callback, CompiledMachine

if TYPE_CHECKING:
    from transitions import Machine

LANGS = ("nb", "nn", "en")
ROLES = ("steering", "coordinator", "coordination", "executing", "viewer")
FIELD_TYPES = ("text", "longtext", "date", "integer", "enum", "goal", "unit", "units", "member")
BOARDS = ("coordination", "execution", "steering")
UNIT_SCOPES = ("responsible", "involved")
DATE_RULES = ("not_past", "not_future")
RESERVED_TRIGGERS = ("create", "edit", "attach", "detach", "trigger", "state")
RESERVED_PREFIXES = ("to_", "may_", "is_")

_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*\Z")
_WORKFLOW_NAME = re.compile(r"[a-z][a-z0-9_-]*\Z")
_NAME_RULE = "must be lower-case letters, digits and _, starting with a letter"
_TOML_POSITION = re.compile(r"(?P<msg>.*) \(at (?:line (?P<line>\d+), column (?P<col>\d+)|end of document)\)", re.S)


# ------------------------------------------------------------------------------------- definitions


@dataclass(frozen=True)
class Label:
    """One text in every language the app speaks."""

    nb: str
    nn: str
    en: str

    def get(self, lang: str) -> str:
        """The text in `lang`, or in bokmål when `lang` is not one we know."""
        return getattr(self, lang) if lang in LANGS else self.nb


@dataclass(frozen=True)
class StateDef:
    name: str
    label: Label
    board: str | None = None
    final: bool = False


@dataclass(frozen=True)
class FieldDef:
    """An input a trigger can ask for; `store` is the measure column it is written to (None: event only)."""

    name: str
    type: str
    label: Label
    help: Label | None = None
    store: str | None = None
    options: tuple[str, ...] = ()
    option_labels: dict[str, Label] = field(default_factory=dict, hash=False)
    min: int | None = None
    max: int | None = None
    rule: str | None = None  # "not_past" | "not_future" | None
    of_unit: str | None = None


@dataclass(frozen=True)
class AllowRule:
    """Members with `role` may fire; `unit` narrows to the responsible (or also participating) unit."""

    role: str
    unit: str | None = None  # "responsible" | "involved" | None
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class TransitionDef:
    trigger: str
    sources: tuple[str, ...]
    dest: str
    allow: tuple[AllowRule, ...]
    required: tuple[str, ...]
    optional: tuple[str, ...]
    label: Label
    conditions: tuple[str, ...] = ()  # callbacks that must answer True, or the transition is refused
    before: tuple[str, ...] = ()  # callbacks run before the state changes
    after: tuple[str, ...] = ()  # callbacks run once it has

    def calls(self, callback: str) -> bool:
        """Whether the transition names `callback` (as a condition, before or after)."""
        return callback in self.conditions or callback in self.before or callback in self.after

    def fields(self) -> tuple[str, ...]:
        """Every field this transition can take: required, optional, then role-specific, no repeats."""
        names = [*self.required, *self.optional]
        for rule in self.allow:
            names.extend(rule.requires)
        return tuple(dict.fromkeys(names))

    def roles(self) -> tuple[str, ...]:
        """The roles named in `allow`, in order, no repeats."""
        return tuple(dict.fromkeys(rule.role for rule in self.allow))


@dataclass(frozen=True, eq=False)
class Workflow:
    """A validated workflow file, compiled once into the transitions Machine every row shares.

    `callbacks` binds the names the file's transitions give (conditions, before, after) to functions of the
    model; without it a callback reached by fire() raises UnboundCallback.
    """

    name: str
    initial: str
    label: Label
    path: str
    states: dict[str, StateDef]
    fields: dict[str, FieldDef]
    transitions: tuple[TransitionDef, ...]
    callbacks: Mapping[str, Callback] | None = field(default=None, repr=False, compare=False)
    _compiled: CompiledMachine = field(init=False, repr=False, compare=False)
    _boards: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _triggers: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _first: dict[str, TransitionDef] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        compiled = CompiledMachine(
            name=self.name,
            path=self.path,
            states=tuple(self.states),
            initial=self.initial,
            transitions=self.transitions,
            callbacks=self.callbacks,
        )
        boards = {board: tuple(s.name for s in self.states.values() if s.board == board) for board in BOARDS}
        object.__setattr__(self, "_compiled", compiled)
        object.__setattr__(self, "_boards", boards)
        first: dict[str, TransitionDef] = {}
        for t in self.transitions:
            first.setdefault(t.trigger, t)
        object.__setattr__(self, "_first", first)
        object.__setattr__(self, "_triggers", tuple(first))

    @property
    def machine(self) -> Machine:
        """The one transitions Machine of this workflow (fire() never attaches a model to it)."""
        return self._compiled.machine

    def allowed_triggers(self, state: str) -> tuple[str, ...]:
        """Triggers that may be fired from `state`, in declaration order; () for unknown states."""
        return self._compiled.allowed.get(state, ())

    def transition(self, state: str, trigger: str) -> TransitionDef | None:
        """The transition `trigger` fires from `state`, or None when it cannot be fired there."""
        return self._compiled.lookup.get((state, trigger))

    def first_transition(self, trigger: str) -> TransitionDef | None:
        """The first transition declared for `trigger` (its label and fields where no state is given), or None."""
        return self._first.get(trigger)

    def triggers(self) -> tuple[str, ...]:
        """All trigger names, in declaration order."""
        return self._triggers

    def states_on_board(self, board: str) -> tuple[str, ...]:
        """The states a board shows, in declaration order."""
        return self._boards.get(board, ())

    def fire(self, model: Any, trigger: str) -> str:
        """Move `model` (anything with a writable `state`) by `trigger` through the shared machine, running
        the transition's conditions and callbacks on it; returns and writes the new state. No lock, and
        nothing is added to the model.

        Raises TriggerNotAllowed when `trigger` cannot be fired from the model's state and TransitionRefused
        when a condition answers False (both transitions.MachineError), leaving the state alone.
        """
        return self._compiled.fire(model, trigger)


class WorkflowError(Exception):
    """A workflow file (or folder) could not be loaded; `messages` holds every problem found."""

    def __init__(self, messages: Iterable[str] | str) -> None:
        self.messages: list[str] = [messages] if isinstance(messages, str) else list(messages)
        super().__init__(self.messages)

    def __str__(self) -> str:
        return "\n".join(self.messages)


# ------------------------------------------------------------------------------------- loading


def load_workflow(path: str | Path, *, callbacks: Mapping[str, Callback] | None = None) -> Workflow:
    """Read, validate and compile one workflow file; raises WorkflowError listing every problem.

    With `callbacks` (name -> function of the model), every callback the file names must be one of them
    and is bound to it; without, callback names are only checked for their spelling.
    """
    return _Loader(str(path), callbacks).load()


def check_workflow_file(path: str | Path, *, callbacks: Mapping[str, Callback] | None = None) -> list[str]:
    """Every problem of a workflow file, [] when it is fine."""
    try:
        load_workflow(path, callbacks=callbacks)
    except WorkflowError as e:
        return e.messages
    return []


def load_workflows(folder: str | Path, *, callbacks: Mapping[str, Callback] | None = None) -> dict[str, Workflow]:
    """Every *.toml in `folder`, keyed by workflow name; raises WorkflowError with all files' problems."""
    folder = Path(folder)
    if not folder.is_dir():
        raise WorkflowError(f"{folder}: is not a folder")
    workflows: dict[str, Workflow] = {}
    problems: list[str] = []
    for path in sorted(folder.glob("*.toml")):
        try:
            workflow = load_workflow(path, callbacks=callbacks)
        except WorkflowError as e:
            problems.extend(e.messages)
            continue
        if workflow.name in workflows:
            other = workflows[workflow.name].path
            problems.append(f"{path}: workflow: name {workflow.name!r} is already used by {other}")
        else:
            workflows[workflow.name] = workflow
    if problems:
        raise WorkflowError(problems)
    return workflows


_TOP_KEYS = ("workflow", "states", "fields", "transitions")
_WORKFLOW_KEYS = ("name", "initial", "label")
_STATE_KEYS = ("board", "final", "label")
_FIELD_KEYS = ("type", "label", "help", "store", "options", "option_labels", "min", "max", "rule", "of_unit")
_TRANSITION_KEYS = (
    "trigger",
    "source",
    "dest",
    "allow",
    "required",
    "optional",
    *CALLBACK_KEYS,
    "label",
)
_FORMER_FLAGS = ("status_report", "schedule_follow_up")  # now callbacks: after = ["schedule_follow_up"]
_ALLOW_KEYS = ("role", "unit", "requires")
_NO_LABEL = Label("", "", "")


def _one_of(values: Iterable[str]) -> str:
    return "one of " + ", ".join(values)


class _Loader:
    """Checks one file, collecting every problem as `<file>: <where>: <what>` before giving up."""

    def __init__(self, path: str, callbacks: Mapping[str, Callback] | None = None) -> None:
        self.path = path
        self.callbacks = callbacks
        self.problems: list[str] = []
        self.edges: list[tuple[str, tuple[str, ...], str]] = []  # (trigger, sources, dest), even if flawed
        self.edges_complete = True  # False once a source or dest could not be read: skip the graph checks

    def problem(self, where: str, what: str) -> None:
        self.problems.append(f"{self.path}: {where}: {what}" if where else f"{self.path}: {what}")

    # ---- small typed readers; each reports its own problem and returns None when the value is unusable

    def keys(self, where: str, table: dict[str, Any], allowed: tuple[str, ...], required: tuple[str, ...]) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}?" if close else "allowed: " + ", ".join(allowed)
                self.problem(where, f"unknown key {key!r} ({hint})")
        for key in required:
            if key not in table:
                self.problem(where, f"{key} is missing")

    def string(self, where: str, table: dict[str, Any], key: str) -> str | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(where, f"{key} must be a non-empty string, not {value!r}")
            return None
        return value

    def identifier(self, where: str, table: dict[str, Any], key: str) -> str | None:
        value = self.string(where, table, key)
        if value is not None and not _IDENTIFIER.match(value):
            self.problem(where, f"{key} {value!r} {_NAME_RULE}")
            return None
        return value

    def boolean(self, where: str, table: dict[str, Any], key: str) -> bool:
        value = table.get(key, False)
        if not isinstance(value, bool):
            self.problem(where, f"{key} must be true or false, not {value!r}")
            return False
        return value

    def integer(self, where: str, table: dict[str, Any], key: str) -> int | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(where, f"{key} must be an integer, not {value!r}")
            return None
        return value

    def string_list(self, where: str, table: dict[str, Any], key: str, *, non_empty: bool = False) -> list[str]:
        value = table.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.problem(where, f"{key} must be a list of names, not {value!r}")
            return []
        if non_empty and not value:
            self.problem(where, f"{key} must not be empty")
        for dup in sorted({v for v in value if value.count(v) > 1}):
            self.problem(where, f"{key} names {dup!r} more than once")
        return list(dict.fromkeys(value))

    def label(
        self, where: str, table: dict[str, Any], key: str = "label", *, required: bool = True, shown: str = ""
    ) -> Label | None:
        value = table.get(key)
        key = shown or key
        if value is None:
            if required:
                self.problem(where, f"{key} is missing (give nb, nn and en)")
            return None
        if not isinstance(value, dict):
            self.problem(where, f'{key} must be a table like {{ nb = "...", nn = "...", en = "..." }}')
            return None
        self.keys(f"{where}.{key}", value, LANGS, ())
        ok = True
        for lang in LANGS:
            text = value.get(lang)
            if text is None:
                self.problem(where, f"{key}.{lang} is missing")
                ok = False
            elif not isinstance(text, str) or not text.strip():
                self.problem(where, f"{key}.{lang} must be a non-empty string, not {text!r}")
                ok = False
        return Label(value["nb"], value["nn"], value["en"]) if ok else None

    def only_for(self, where: str, table: dict[str, Any], key: str, type_: str | None, wanted: str) -> bool:
        """Whether `key` is given and meaningful: a key of another field type is a problem."""
        if key in table and type_ in FIELD_TYPES and type_ != wanted:
            self.problem(where, f"{key} only applies to {wanted} fields, not {type_}")
            return False
        return key in table

    def table(self, where: str, value: Any, what: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.problem(where, f"must be {what}, not {value!r}")
            return None
        return value

    # ---- the file

    def load(self) -> Workflow:
        data = self.read()
        if data is None:
            raise WorkflowError(self.problems)
        self.keys("", data, _TOP_KEYS, ())
        head = self.workflow_table(data)
        states = self.states(data)
        fields = self.fields(data)
        transitions = self.transitions(data, states, fields)
        self.graph(head.get("initial"), states)
        if self.problems:
            raise WorkflowError(self.problems)
        try:
            return Workflow(
                name=head["name"],
                initial=head["initial"],
                label=head["label"],
                path=self.path,
                states=states,
                fields=fields,
                transitions=tuple(transitions),
                callbacks=self.callbacks,
            )
        except Exception as e:  # the checks above should make this unreachable
            raise WorkflowError(f"{self.path}: cannot compile the state machine: {e}") from e

    def read(self) -> dict[str, Any] | None:
        try:
            with open(self.path, "rb") as f:
                return tomllib.load(f)
        except OSError as e:
            self.problem("", f"cannot read the file: {e.strerror or e}")
        except UnicodeDecodeError as e:
            self.problem("", f"is not UTF-8 text: {e}")
        except tomllib.TOMLDecodeError as e:
            m = _TOML_POSITION.fullmatch(str(e))
            if m:
                where = f"line {m['line']}, column {m['col']}" if m["line"] else "end of file"
                self.problem(where, f"TOML syntax error: {m['msg']}")
            else:
                self.problem("", f"TOML syntax error: {e}")
        return None

    def workflow_table(self, data: dict[str, Any]) -> dict[str, Any]:
        raw = data.get("workflow")
        if raw is None:
            self.problem("workflow", "the [workflow] table is missing (name, initial, label)")
            return {}
        table = self.table("workflow", raw, "a table with name, initial and label")
        if table is None:
            return {}
        self.keys("workflow", table, _WORKFLOW_KEYS, ("name", "initial"))
        name = self.string("workflow", table, "name")
        if name is not None and not _WORKFLOW_NAME.match(name):
            self.problem("workflow", f"name {name!r} must be lower-case letters, digits, _ and -")
        initial = self.string("workflow", table, "initial")
        states = data.get("states")
        if initial is not None and isinstance(states, dict) and initial not in states:
            self.problem("workflow", f"initial {initial!r} is not a declared state")
        return {"name": name, "initial": initial, "label": self.label("workflow", table)}

    def states(self, data: dict[str, Any]) -> dict[str, StateDef]:
        raw = data.get("states")
        if not raw:
            self.problem("states", "no states are declared (add [states.<name>] tables)")
            return {}
        if self.table("states", raw, "a table of [states.<name>] tables") is None:
            return {}
        states: dict[str, StateDef] = {}
        for name, value in raw.items():
            where = f"states.{name}"
            if not _IDENTIFIER.match(name):
                self.problem(where, f"the state name {_NAME_RULE}")
            table = self.table(where, value, "a table")
            if table is None:
                states[name] = StateDef(name, _NO_LABEL)
                continue
            self.keys(where, table, _STATE_KEYS, ())
            board = self.string(where, table, "board")
            if board is not None and board not in BOARDS:
                self.problem(where, f"board {board!r} is not {_one_of(BOARDS)}")
            final = self.boolean(where, table, "final")
            label = self.label(where, table)
            states[name] = StateDef(name, label or _NO_LABEL, board, final)
        return states

    def fields(self, data: dict[str, Any]) -> dict[str, FieldDef]:
        raw = data.get("fields", {})
        if self.table("fields", raw, "a table of [fields.<name>] tables") is None:
            return {}
        fields: dict[str, FieldDef] = {}
        of_units: dict[str, str] = {}
        for name, value in raw.items():
            where = f"fields.{name}"
            if not _IDENTIFIER.match(name):
                self.problem(where, f"the field name {_NAME_RULE}")
            table = self.table(where, value, "a table")
            if table is None:
                continue
            self.keys(where, table, _FIELD_KEYS, ("type",))
            type_ = self.string(where, table, "type")
            if type_ is not None and type_ not in FIELD_TYPES:
                self.problem(where, f"type {type_!r} is not {_one_of(FIELD_TYPES)}")
            label = self.label(where, table)
            help_ = self.label(where, table, "help", required=False)
            store = self.identifier(where, table, "store")

            def only_for(key: str, wanted: str) -> bool:
                return self.only_for(where, table, key, type_, wanted)  # noqa: B023 - called at once

            options: list[str] = []
            option_labels: dict[str, Label] = {}
            if only_for("options", "enum"):
                options = self.string_list(where, table, "options")
            if type_ == "enum" and not options:
                self.problem(where, "an enum field needs a non-empty options list")
            if only_for("option_labels", "enum"):
                option_labels = self.option_labels(where, table, options)
            elif type_ == "enum":
                for option in options:
                    self.problem(where, f"option_labels.{option} is missing")

            low = high = None
            if only_for("min", "integer"):
                low = self.integer(where, table, "min")
            if only_for("max", "integer"):
                high = self.integer(where, table, "max")
            if low is not None and high is not None and low > high:
                self.problem(where, f"min ({low}) is greater than max ({high})")

            rule = None
            if only_for("rule", "date"):
                rule = self.string(where, table, "rule")
                if rule is not None and rule not in DATE_RULES:
                    self.problem(where, f"rule {rule!r} is not {_one_of(DATE_RULES)}")
                    rule = None

            of_unit = None
            if only_for("of_unit", "member"):
                of_unit = self.string(where, table, "of_unit")
                if of_unit is not None:
                    of_units[name] = of_unit

            fields[name] = FieldDef(
                name=name,
                type=type_ or "",
                label=label or _NO_LABEL,
                help=help_,
                store=store,
                options=tuple(options),
                option_labels=option_labels,
                min=low,
                max=high,
                rule=rule,
                of_unit=of_unit,
            )
        for name, unit_field in of_units.items():
            target = fields.get(unit_field)
            if target is None:
                self.problem(f"fields.{name}", f"of_unit {unit_field!r} is not a declared field")
            elif target.type != "unit":
                what = f"of_unit {unit_field!r} is a {target.type} field, not a unit field"
                self.problem(f"fields.{name}", what)
        return fields

    def option_labels(self, where: str, table: dict[str, Any], options: list[str]) -> dict[str, Label]:
        what = "a table of option = { nb, nn, en }"
        raw = self.table(f"{where}.option_labels", table["option_labels"], what)
        if raw is None:
            return {}
        labels: dict[str, Label] = {}
        for option in raw:
            if option not in options:
                self.problem(where, f"option_labels.{option} is not one of the options")
        for option in options:
            if option not in raw:
                self.problem(where, f"option_labels.{option} is missing")
                continue
            label = self.label(where, raw, option, shown=f"option_labels.{option}")
            if label is not None:
                labels[option] = label
        return labels

    def transitions(
        self, data: dict[str, Any], states: dict[str, StateDef], fields: dict[str, FieldDef]
    ) -> list[TransitionDef]:
        raw = data.get("transitions", [])
        if not isinstance(raw, list):
            self.problem("transitions", "must be an array of [[transitions]] tables")
            return []
        transitions: list[TransitionDef] = []
        seen: dict[tuple[str, str], int] = {}
        for number, value in enumerate(raw, start=1):
            where = f"transitions[{number}]"
            table = self.table(where, value, "a table")
            if table is None:
                continue
            if isinstance(table.get("trigger"), str):
                where += f" ({table['trigger']})"
            for flag in _FORMER_FLAGS:
                if flag in table:
                    self.problem(where, f'{flag} is no longer a key: name the callback, e.g. after = ["{flag}"]')
            known = {k: v for k, v in table.items() if k not in _FORMER_FLAGS}
            self.keys(where, known, _TRANSITION_KEYS, ("trigger", "source", "dest", "allow"))
            trigger = self.identifier(where, table, "trigger")
            if trigger is not None and (trigger in RESERVED_TRIGGERS or trigger.startswith(RESERVED_PREFIXES)):
                reserved = ", ".join(RESERVED_TRIGGERS) + ", " + ", ".join(p + "*" for p in RESERVED_PREFIXES)
                self.problem(where, f"trigger {trigger!r} is a reserved name ({reserved})")
                trigger = None

            before = len(self.problems)
            sources: list[str] = []
            if "source" in table:
                sources = self.string_list(where, table, "source", non_empty=True)
            for source in sources:
                if source not in states:
                    self.problem(where, f"source {source!r} is not a declared state")
            sources = [s for s in sources if s in states]
            dest = self.string(where, table, "dest")
            if dest is not None and dest not in states:
                self.problem(where, f"dest {dest!r} is not a declared state")
                dest = None
            if not sources or dest is None or len(self.problems) > before:
                self.edges_complete = False
            else:
                self.edges.append((table.get("trigger", "?"), tuple(sources), dest))

            if trigger is not None:
                for source in sources:
                    if (trigger, source) in seen:
                        self.problem(
                            where,
                            f"trigger {trigger!r} from {source!r} is already declared in "
                            f"transitions[{seen[trigger, source]}]",
                        )
                    else:
                        seen[trigger, source] = number

            allow = self.allow(where, table, fields)
            required = self.field_list(where, table, "required", fields)
            optional = self.field_list(where, table, "optional", fields)
            for name in required:
                if name in optional:
                    self.problem(where, f"field {name!r} is both required and optional")
            conditions, before, after = (self.callback_list(where, table, key) for key in CALLBACK_KEYS)
            label = self.label(where, table)
            if trigger is not None and sources and dest is not None:
                transitions.append(
                    TransitionDef(
                        trigger=trigger,
                        sources=tuple(sources),
                        dest=dest,
                        allow=tuple(allow),
                        required=tuple(required),
                        optional=tuple(optional),
                        label=label or _NO_LABEL,
                        conditions=tuple(conditions),
                        before=tuple(before),
                        after=tuple(after),
                    )
                )
        return transitions

    def field_list(self, where: str, table: dict[str, Any], key: str, fields: dict[str, FieldDef]) -> list[str]:
        names = self.string_list(where, table, key)
        for name in names:
            if name not in fields:
                self.problem(where, f"{key} names {name!r}, which is not a declared field")
        return names

    def callback_list(self, where: str, table: dict[str, Any], key: str) -> list[str]:
        """The callbacks named under `key`; each must be known to the registry when one is given."""
        names = []
        for name in self.string_list(where, table, key):
            if not _IDENTIFIER.match(name):
                self.problem(where, f"{key} names {name!r}, which {_NAME_RULE}")
            elif self.callbacks is not None and name not in self.callbacks:
                known = sorted(self.callbacks)
                close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}?" if close else "known: " + (", ".join(known) or "none")
                self.problem(where, f"{key} names {name!r}, which is not a known callback ({hint})")
            else:
                names.append(name)
        return names

    def allow(self, where: str, table: dict[str, Any], fields: dict[str, FieldDef]) -> list[AllowRule]:
        raw = table.get("allow")
        if raw is None:
            return []
        if not isinstance(raw, list) or not raw:
            self.problem(where, 'allow must be a non-empty list like [{ role = "coordinator" }]')
            return []
        rules: list[AllowRule] = []
        seen: set[tuple[str, str | None]] = set()
        for number, value in enumerate(raw, start=1):
            at = f"{where} allow[{number}]"
            item = self.table(at, value, 'a table like { role = "coordinator" }')
            if item is None:
                continue
            self.keys(at, item, _ALLOW_KEYS, ("role",))
            role = self.string(at, item, "role")
            if role is not None and role not in ROLES:
                self.problem(at, f"role {role!r} is not {_one_of(ROLES)}")
                role = None
            unit = self.string(at, item, "unit")
            if unit is not None and unit not in UNIT_SCOPES:
                self.problem(at, f"unit {unit!r} is not {_one_of(UNIT_SCOPES)} (or left out)")
            requires = self.field_list(at, item, "requires", fields)
            if role is None:
                continue
            if (role, unit) in seen:
                self.problem(at, f"role {role!r} is allowed twice with the same unit")
            seen.add((role, unit))
            rules.append(AllowRule(role, unit, tuple(requires)))
        return rules

    def graph(self, initial: str | None, states: dict[str, StateDef]) -> None:
        """Final states are ends, other states have a way out, and every state can be reached.

        Skipped when a transition's source or dest is already reported: the graph would be guesswork.
        """
        if not self.edges_complete:
            return
        leaving: dict[str, list[str]] = {name: [] for name in states}
        for trigger, sources, _dest in self.edges:
            for source in sources:
                leaving[source].append(str(trigger))
        for name, state in states.items():
            if state.final and leaving[name]:
                triggers = ", ".join(dict.fromkeys(leaving[name]))
                self.problem(f"states.{name}", f"is final but has outgoing transitions ({triggers})")
            elif not state.final and not leaving[name]:
                self.problem(
                    f"states.{name}",
                    "has no outgoing transition and is not final (set final = true or add a transition)",
                )
        if initial not in states:
            return
        reached, todo = {initial}, [initial]
        while todo:
            here = todo.pop()
            for _trigger, sources, dest in self.edges:
                if here in sources and dest not in reached:
                    reached.add(dest)
                    todo.append(dest)
        for name in states:
            if name not in reached:
                self.problem(f"states.{name}", f"cannot be reached from the initial state {initial!r}")
