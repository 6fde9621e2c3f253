"""The workflow loader: definitions, and one test per class of problem a broken file can have."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from samordna.workflow import (
    AllowRule,
    FieldDef,
    Label,
    TransitionDef,
    WorkflowError,
    check_workflow_file,
    load_workflow,
    load_workflows,
)

MINI = """\
[workflow]
name = "mini"
initial = "open"
label = { nb = "Mini", nn = "Mini", en = "Mini" }

[states.open]
board = "coordination"
label = { nb = "Åpen", nn = "Open", en = "Open" }

[states.done]
final = true
label = { nb = "Ferdig", nn = "Ferdig", en = "Done" }

[fields.note]
type = "longtext"
label = { nb = "Merknad", nn = "Merknad", en = "Note" }

[fields.unit_id]
type = "unit"
store = "unit_id"
label = { nb = "Enhet", nn = "Eining", en = "Unit" }

[[transitions]]
trigger = "finish"
source = ["open"]
dest = "done"
allow = [{ role = "coordinator" }]
required = ["note"]
label = { nb = "Fullfør", nn = "Fullfør", en = "Finish" }
"""

TRANSITION = """
[[transitions]]
trigger = "{trigger}"
source = {source}
dest = "{dest}"
allow = [{{ role = "coordinator" }}]
label = {{ nb = "X", nn = "X", en = "X" }}
"""

FIELD = """
[fields.{name}]
{body}
label = {{ nb = "F", nn = "F", en = "F" }}
"""


def write(tmp_path: Path, text: str, name: str = "mini.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> tuple[str, list[str]]:
    path = write(tmp_path, text)
    with pytest.raises(WorkflowError) as caught:
        load_workflow(path)
    assert check_workflow_file(path) == caught.value.messages
    return str(path), caught.value.messages


def assert_problem(path: str, messages: list[str], where: str, *words: str) -> None:
    """Some message names the file, then the key path, then contains every word of the problem."""
    prefix = f"{path}: {where}: "
    hits = [m for m in messages if m.startswith(prefix) and all(w in m for w in words)]
    assert hits, f"no message starting {prefix!r} containing {words!r} in:\n" + "\n".join(messages)


def transition(trigger: str = "again", source: str = '["open"]', dest: str = "open") -> str:
    return TRANSITION.format(trigger=trigger, source=source, dest=dest)


def test_mini_file_loads(tmp_path: Path) -> None:
    workflow = load_workflow(write(tmp_path, MINI))
    assert workflow.name == "mini"
    assert workflow.path == str(tmp_path / "mini.toml")
    assert list(workflow.states) == ["open", "done"]
    assert workflow.states["done"].final and workflow.states["done"].board is None
    assert workflow.fields["note"].label == Label("Merknad", "Merknad", "Note")
    assert workflow.fields["unit_id"].store == "unit_id"
    assert workflow.fields["note"].store is None
    assert (workflow.transitions[0].conditions, workflow.transitions[0].before, workflow.transitions[0].after) == (
        (),
        (),
        (),
    )
    assert check_workflow_file(tmp_path / "mini.toml") == []


# ------------------------------------------------------------------------------------- data classes


def test_label_get_falls_back_to_bokmaal() -> None:
    label = Label("bokmål", "nynorsk", "english")
    assert [label.get(lang) for lang in ("nb", "nn", "en", "se", "", "get")] == [
        "bokmål",
        "nynorsk",
        "english",
        "bokmål",
        "bokmål",
        "bokmål",
    ]


def test_transition_fields_and_roles_keep_order_without_repeats() -> None:
    t = TransitionDef(
        trigger="extend",
        sources=("evaluated",),
        dest="in_follow_up",
        allow=(
            AllowRule("steering"),
            AllowRule("coordinator", None, ("meeting_date", "decision_note")),
            AllowRule("coordinator", "responsible", ("extra",)),
        ),
        required=("decision_note", "due_date"),
        optional=("meeting_date",),
        label=Label("a", "b", "c"),
        conditions=("has_goal",),
        after=("schedule_follow_up",),
    )
    assert t.fields() == ("decision_note", "due_date", "meeting_date", "extra")
    assert t.roles() == ("steering", "coordinator")
    assert t.before == ()
    assert [t.calls(name) for name in ("has_goal", "schedule_follow_up", "status_report")] == [True, True, False]


def test_definitions_are_frozen_and_hashable() -> None:
    f = FieldDef("health", "enum", Label("a", "b", "c"), options=("x",), option_labels={"x": Label("x", "x", "x")})
    assert hash(f) == hash(FieldDef("health", "enum", Label("a", "b", "c"), options=("x",)))
    with pytest.raises(AttributeError):
        f.name = "other"  # type: ignore[misc]


def test_workflow_is_hashable_by_identity(tmp_path: Path) -> None:
    a = load_workflow(write(tmp_path, MINI))
    b = load_workflow(tmp_path / "mini.toml")
    assert len({a, b, a}) == 2
    assert "machine" not in repr(a).lower()


def test_workflow_error_joins_messages_and_pickles() -> None:
    error = WorkflowError(["a.toml: x: one", "a.toml: y: two"])
    assert str(error) == "a.toml: x: one\na.toml: y: two"
    assert pickle.loads(pickle.dumps(error)).messages == error.messages
    assert WorkflowError("single").messages == ["single"]


# ------------------------------------------------------------------------------------- file level


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path, messages = problems_of(tmp_path, MINI.replace('initial = "open"', 'initial = "open'))
    assert len(messages) == 1
    assert_problem(path, messages, "line 3, column 16", "TOML syntax error", "Illegal character")


def test_a_state_declared_twice_is_a_syntax_error(tmp_path: Path) -> None:
    path, messages = problems_of(tmp_path, MINI + '\n[states.done]\nlabel = { nb = "a", nn = "b", en = "c" }\n')
    assert_problem(path, messages, "line 31, column 13", "TOML syntax error", "Cannot declare", "done")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(WorkflowError) as caught:
        load_workflow(tmp_path / "nope.toml")
    assert caught.value.messages == [f"{tmp_path / 'nope.toml'}: cannot read the file: No such file or directory"]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(MINI.encode("latin-1"))
    assert check_workflow_file(path)[0].startswith(f"{path}: is not UTF-8 text")


def test_missing_workflow_table(tmp_path: Path) -> None:
    text = MINI.replace(
        '[workflow]\nname = "mini"\ninitial = "open"\nlabel = { nb = "Mini", nn = "Mini", en = "Mini" }\n', ""
    )
    path, messages = problems_of(tmp_path, text)
    assert_problem(path, messages, "workflow", "[workflow] table is missing")


def test_missing_name_and_initial(tmp_path: Path) -> None:
    path, messages = problems_of(tmp_path, MINI.replace('name = "mini"\ninitial = "open"\n', ""))
    assert_problem(path, messages, "workflow", "name is missing")
    assert_problem(path, messages, "workflow", "initial is missing")


def test_bad_workflow_name(tmp_path: Path) -> None:
    path, messages = problems_of(tmp_path, MINI.replace('name = "mini"', 'name = "Mini tiltak"'))
    assert_problem(path, messages, "workflow", "name 'Mini tiltak'")


def test_initial_must_be_a_declared_state(tmp_path: Path) -> None:
    path, messages = problems_of(tmp_path, MINI.replace('initial = "open"', 'initial = "opn"'))
    assert_problem(path, messages, "workflow", "initial 'opn' is not a declared state")


def test_missing_states(tmp_path: Path) -> None:
    path, messages = problems_of(tmp_path, '[workflow]\nname = "x"\ninitial = "a"\n')
    assert_problem(path, messages, "states", "no states are declared")


# ------------------------------------------------------------------------------------- labels


@pytest.mark.parametrize(
    ("old", "new", "where", "what"),
    [
        ('label = { nb = "Mini", nn = "Mini", en = "Mini" }\n', "", "workflow", "label is missing"),
        ('nn = "Open", ', "", "states.open", "label.nn is missing"),
        ('en = "Done"', 'en = " "', "states.done", "label.en must be a non-empty string"),
        ('nn = "Eining",', "nn = 3,", "fields.unit_id", "label.nn must be a non-empty string"),
        (
            'en = "Finish"',
            'en = "Finish", se = "Loahpat"',
            "transitions[1] (finish).label",
            "unknown key 'se'",
        ),
        (
            'label = { nb = "Fullfør", nn = "Fullfør", en = "Finish" }',
            'label = "Fullfør"',
            "transitions[1] (finish)",
            "label must be a table",
        ),
    ],
    ids=[
        "workflow-missing",
        "state-missing-lang",
        "state-blank",
        "field-not-string",
        "extra-lang",
        "not-table",
    ],
)
def test_labels_need_nb_nn_and_en(tmp_path: Path, old: str, new: str, where: str, what: str) -> None:
    assert MINI.count(old) == 1
    path, messages = problems_of(tmp_path, MINI.replace(old, new))
    assert_problem(path, messages, where, what)


def test_help_label_is_checked_too(tmp_path: Path) -> None:
    text = MINI.replace('type = "longtext"\n', 'type = "longtext"\nhelp = { nb = "Hjelp" }\n')
    path, messages = problems_of(tmp_path, text)
    assert_problem(path, messages, "fields.note", "help.nn is missing")
    assert_problem(path, messages, "fields.note", "help.en is missing")


# ------------------------------------------------------------------------------------- states


def test_unknown_board(tmp_path: Path) -> None:
    path, messages = problems_of(tmp_path, MINI.replace('board = "coordination"', 'board = "kanban"'))
    assert_problem(path, messages, "states.open", "board 'kanban' is not one of coordination, execution, steering")


def test_final_must_be_boolean(tmp_path: Path) -> None:
    path, messages = problems_of(tmp_path, MINI.replace("final = true", 'final = "yes"'))
    assert_problem(path, messages, "states.done", "final must be true or false")


def test_bad_state_name(tmp_path: Path) -> None:
    text = MINI.replace("[states.done]", '[states."Done"]').replace('dest = "done"', 'dest = "Done"')
    path, messages = problems_of(tmp_path, text)
    assert_problem(path, messages, "states.Done", "state name must be lower-case")


def test_final_state_has_no_outgoing_transitions(tmp_path: Path) -> None:
    path, messages = problems_of(tmp_path, MINI + transition("reopen", '["done"]', "open"))
    assert_problem(path, messages, "states.done", "is final but has outgoing transitions (reopen)")


def test_non_final_state_needs_an_outgoing_transition(tmp_path: Path) -> None:
    text = MINI + '\n[states.stuck]\nlabel = { nb = "a", nn = "b", en = "c" }\n' + transition("park", dest="stuck")
    path, messages = problems_of(tmp_path, text)
    assert_problem(path, messages, "states.stuck", "has no outgoing transition and is not final")
    assert len(messages) == 1


def test_every_state_reachable_from_initial(tmp_path: Path) -> None:
    text = (
        MINI
        + '\n[states.island]\nlabel = { nb = "a", nn = "b", en = "c" }\n'
        + transition("leave", '["island"]', "done")
    )
    path, messages = problems_of(tmp_path, text)
    assert_problem(path, messages, "states.island", "cannot be reached from the initial state 'open'")
    assert len(messages) == 1


# ------------------------------------------------------------------------------------- transitions


@pytest.mark.parametrize("trigger", ["Finish", "1st", "go-on", "_x", "gå"])
def test_trigger_must_be_an_identifier(tmp_path: Path, trigger: str) -> None:
    path, messages = problems_of(tmp_path, MINI + transition(trigger))
    assert_problem(path, messages, f"transitions[2] ({trigger})", f"trigger {trigger!r} must be lower-case")


@pytest.mark.parametrize("trigger", ["create", "edit", "trigger", "state", "to_done", "may_finish", "is_open"])
def test_trigger_must_not_be_reserved(tmp_path: Path, trigger: str) -> None:
    path, messages = problems_of(tmp_path, MINI + transition(trigger))
    assert_problem(path, messages, f"transitions[2] ({trigger})", f"trigger {trigger!r} is a reserved name")
    assert len(messages) == 1


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("[]", "source must not be empty"),
        ('"open"', "source must be a list of names"),
        ('["open", "open"]', "source names 'open' more than once"),
        ('["opn"]', "source 'opn' is not a declared state"),
    ],
    ids=["empty", "not-a-list", "repeated", "unknown"],
)
def test_source_must_list_known_states(tmp_path: Path, source: str, what: str) -> None:
    path, messages = problems_of(tmp_path, MINI + transition(source=source))
    assert_problem(path, messages, "transitions[2] (again)", what)


def test_missing_source_dest_and_allow(tmp_path: Path) -> None:
    text = MINI + '\n[[transitions]]\ntrigger = "again"\nlabel = { nb = "X", nn = "X", en = "X" }\n'
    path, messages = problems_of(tmp_path, text)
    for key in ("source", "dest", "allow"):
        assert_problem(path, messages, "transitions[2] (again)", f"{key} is missing")


def test_dest_must_be_a_known_state(tmp_path: Path) -> None:
    path, messages = problems_of(tmp_path, MINI.replace('dest = "done"', 'dest = "dne"'))
    assert_problem(path, messages, "transitions[1] (finish)", "dest 'dne' is not a declared state")


def test_trigger_and_source_pair_is_unique(tmp_path: Path) -> None:
    path, messages = problems_of(tmp_path, MINI + transition("finish", '["open"]', "open"))
    assert_problem(
        path,
        messages,
        "transitions[2] (finish)",
        "trigger 'finish' from 'open' is already declared in transitions[1]",
    )


def test_same_trigger_from_other_states_is_fine(tmp_path: Path) -> None:
    text = MINI + '\n[states.middle]\nlabel = { nb = "a", nn = "b", en = "c" }\n'
    text += transition("go", dest="middle") + transition("finish", '["middle"]', "done")
    workflow = load_workflow(write(tmp_path, text))
    assert workflow.triggers() == ("finish", "go")
    assert workflow.allowed_triggers("middle") == ("finish",)


@pytest.mark.parametrize(
    ("allow", "where", "what"),
    [
        ("[]", "transitions[1] (finish)", "allow must be a non-empty list"),
        ('{ role = "coordinator" }', "transitions[1] (finish)", "allow must be a non-empty list"),
        ('["coordinator"]', "transitions[1] (finish) allow[1]", "must be a table"),
        ('[{ unit = "responsible" }]', "transitions[1] (finish) allow[1]", "role is missing"),
        ('[{ role = "admin" }]', "transitions[1] (finish) allow[1]", "role 'admin' is not one of steering, "),
        (
            '[{ role = "executing", unit = "own" }]',
            "transitions[1] (finish) allow[1]",
            "unit 'own' is not one of responsible, involved",
        ),
        (
            '[{ role = "steering" }, { role = "coordinator", requires = ["meeting_date"] }]',
            "transitions[1] (finish) allow[2]",
            "requires names 'meeting_date', which is not a declared field",
        ),
        (
            '[{ role = "steering" }, { role = "steering" }]',
            "transitions[1] (finish) allow[2]",
            "role 'steering' is allowed twice",
        ),
        (
            '[{ role = "steering", requries = ["note"] }]',
            "transitions[1] (finish) allow[1]",
            "unknown key 'requries' (did you mean 'requires'?)",
        ),
    ],
    ids=[
        "empty",
        "not-list",
        "not-table",
        "no-role",
        "bad-role",
        "bad-unit",
        "unknown-field",
        "twice",
        "typo",
    ],
)
def test_allow_rules(tmp_path: Path, allow: str, where: str, what: str) -> None:
    text = MINI.replace('allow = [{ role = "coordinator" }]', f"allow = {allow}")
    path, messages = problems_of(tmp_path, text)
    assert_problem(path, messages, where, what)


@pytest.mark.parametrize(
    ("lines", "what"),
    [
        ('required = ["note", "nte"]', "required names 'nte', which is not a declared field"),
        ('required = ["note"]\noptional = ["unit"]', "optional names 'unit', which is not a declared field"),
        ('required = ["note"]\noptional = ["note"]', "field 'note' is both required and optional"),
        ('required = "note"', "required must be a list of names"),
        ('required = ["note", "note"]', "required names 'note' more than once"),
    ],
    ids=["required-unknown", "optional-unknown", "both", "not-list", "repeated"],
)
def test_required_and_optional_name_known_fields(tmp_path: Path, lines: str, what: str) -> None:
    path, messages = problems_of(tmp_path, MINI.replace('required = ["note"]', lines))
    assert_problem(path, messages, "transitions[1] (finish)", what)


def test_former_flags_say_to_name_the_callback(tmp_path: Path) -> None:
    text = MINI.replace('required = ["note"]', 'required = ["note"]\nstatus_report = true\nschedule_follow_up = true')
    path, messages = problems_of(tmp_path, text)
    assert_problem(
        path, messages, "transitions[1] (finish)", "status_report is no longer a key", 'after = ["status_report"]'
    )
    assert_problem(path, messages, "transitions[1] (finish)", "schedule_follow_up is no longer a key")
    assert len(messages) == 2  # not also reported as unknown keys


CALLBACKS = {"notify": lambda model: None, "has_goal": lambda model: True, "stamp": lambda model: None}


def test_callbacks_load_in_order(tmp_path: Path) -> None:
    lines = 'required = ["note"]\nconditions = ["has_goal"]\nbefore = ["stamp"]\nafter = ["notify", "stamp"]'
    path = write(tmp_path, MINI.replace('required = ["note"]', lines))
    for workflow in (load_workflow(path), load_workflow(path, callbacks=CALLBACKS)):
        t = workflow.transitions[0]
        assert (t.conditions, t.before, t.after) == (("has_goal",), ("stamp",), ("notify", "stamp"))
    assert check_workflow_file(path, callbacks=CALLBACKS) == []


@pytest.mark.parametrize(
    ("lines", "what"),
    [
        ('after = ["notfiy"]', "after names 'notfiy', which is not a known callback (did you mean 'notify'?)"),
        ('before = ["email"]', "before names 'email', which is not a known callback (known: has_goal, notify, stamp)"),
        ('conditions = ["Has-Goal"]', "conditions names 'Has-Goal', which must be lower-case letters"),
        ('after = "notify"', "after must be a list of names"),
        ('after = ["notify", "notify"]', "after names 'notify' more than once"),
    ],
    ids=["typo", "unknown", "bad-name", "not-list", "repeated"],
)
def test_callbacks_must_be_known(tmp_path: Path, lines: str, what: str) -> None:
    path = write(tmp_path, MINI.replace('required = ["note"]', 'required = ["note"]\n' + lines))
    with pytest.raises(WorkflowError) as caught:
        load_workflow(path, callbacks=CALLBACKS)
    assert check_workflow_file(path, callbacks=CALLBACKS) == caught.value.messages
    assert_problem(str(path), caught.value.messages, "transitions[1] (finish)", what)


def test_unknown_callback_is_refused_by_load_workflows_with_the_file_named(tmp_path: Path) -> None:
    write(tmp_path, MINI.replace('required = ["note"]', 'required = ["note"]\nafter = ["nope"]'))
    assert load_workflows(tmp_path)["mini"].transitions[0].after == ("nope",)  # no registry: spelling only
    with pytest.raises(WorkflowError) as caught:
        load_workflows(tmp_path, callbacks=CALLBACKS)
    assert caught.value.messages == [
        f"{tmp_path / 'mini.toml'}: transitions[1] (finish): after names 'nope', which is not a known callback "
        "(known: has_goal, notify, stamp)"
    ]


def test_transitions_must_be_an_array_of_tables(tmp_path: Path) -> None:
    text = 'transitions = "none"\n' + MINI.split("[[transitions]]")[0]
    path, messages = problems_of(tmp_path, text)
    assert_problem(path, messages, "transitions", "must be an array of [[transitions]] tables")


# ------------------------------------------------------------------------------------- unknown keys


@pytest.mark.parametrize(
    ("old", "new", "where", "what"),
    [
        (
            'required = ["note"]',
            'requried = ["note"]',
            "transitions[1] (finish)",
            "unknown key 'requried' (did you mean 'required'?)",
        ),
        (
            "final = true",
            "final = true\nfinale = true",
            "states.done",
            "unknown key 'finale' (did you mean 'final'?)",
        ),
        (
            'type = "longtext"',
            'type = "longtext"\nmax_length = 10',
            "fields.note",
            "unknown key 'max_length'",
        ),
        ('initial = "open"', 'initial = "open"\nversion = 2', "workflow", "unknown key 'version'"),
        ("[workflow]", 'title = "x"\n[workflow]', "", "unknown key 'title'"),
    ],
    ids=["transition", "state", "field", "workflow", "top-level"],
)
def test_unknown_keys_are_errors(tmp_path: Path, old: str, new: str, where: str, what: str) -> None:
    path, messages = problems_of(tmp_path, MINI.replace(old, new, 1))
    if where:
        assert_problem(path, messages, where, what)
    else:
        assert f"{path}: {what} (allowed: workflow, states, fields, transitions)" in messages


# ------------------------------------------------------------------------------------- fields


@pytest.mark.parametrize(
    ("body", "what"),
    [
        ('type = "string"', "type 'string' is not one of text, longtext, date,"),
        ('store = "x"', "type is missing"),
        ('type = "text"\nstore = "Last Name"', "store 'Last Name' must be lower-case"),
        ('type = "enum"', "an enum field needs a non-empty options list"),
        ('type = "enum"\noptions = []', "an enum field needs a non-empty options list"),
        (
            'type = "enum"\noptions = ["a", "b"]\noption_labels = { a = { nb = "A", nn = "A", en = "A" } }',
            "option_labels.b is missing",
        ),
        ('type = "enum"\noptions = ["a"]', "option_labels.a is missing"),
        (
            'type = "enum"\noptions = ["a"]\noption_labels = { a = { nb = "A", nn = "A" } }',
            "option_labels.a.en is missing",
        ),
        (
            'type = "enum"\noptions = ["a"]\n'
            'option_labels = { a = { nb = "A", nn = "A", en = "A" }, c = { nb = "C", nn = "C", en = "C" } }',
            "option_labels.c is not one of the options",
        ),
        ('type = "text"\noptions = ["a"]', "options only applies to enum fields, not text"),
        ('type = "integer"\nmin = 10\nmax = 5', "min (10) is greater than max (5)"),
        ('type = "integer"\nmin = "1"', "min must be an integer"),
        ('type = "date"\nmax = 5', "max only applies to integer fields, not date"),
        ('type = "date"\nrule = "future"', "rule 'future' is not one of not_past, not_future"),
        ('type = "text"\nrule = "not_past"', "rule only applies to date fields, not text"),
        ('type = "member"\nof_unit = "unit"', "of_unit 'unit' is not a declared field"),
        ('type = "member"\nof_unit = "note"', "of_unit 'note' is a longtext field, not a unit field"),
        ('type = "text"\nof_unit = "unit_id"', "of_unit only applies to member fields, not text"),
    ],
    ids=[
        "bad-type",
        "no-type",
        "bad-store",
        "enum-no-options",
        "enum-empty-options",
        "enum-label-missing",
        "enum-no-labels",
        "enum-label-lang",
        "enum-extra-label",
        "options-not-enum",
        "min-max",
        "min-type",
        "max-not-integer",
        "bad-rule",
        "rule-not-date",
        "of-unit-unknown",
        "of-unit-not-unit",
        "of-unit-not-member",
    ],
)
def test_field_rules(tmp_path: Path, body: str, what: str) -> None:
    path, messages = problems_of(tmp_path, MINI + FIELD.format(name="extra", body=body))
    assert_problem(path, messages, "fields.extra", what)


def test_good_fields_load(tmp_path: Path) -> None:
    text = MINI + FIELD.format(name="contact", body='type = "member"\nof_unit = "unit_id"\nstore = "contact_id"')
    text += FIELD.format(name="days", body='type = "integer"\nmin = 7\nmax = 7')
    text += FIELD.format(name="when", body='type = "date"\nrule = "not_future"')
    text += FIELD.format(
        name="health",
        body='type = "enum"\noptions = ["ok"]\noption_labels.ok = { nb = "Bra", nn = "Bra", en = "OK" }',
    )
    fields = load_workflow(write(tmp_path, text)).fields
    assert fields["contact"].of_unit == "unit_id" and fields["contact"].store == "contact_id"
    assert (fields["days"].min, fields["days"].max) == (7, 7)
    assert fields["when"].rule == "not_future"
    assert fields["health"].options == ("ok",)
    assert fields["health"].option_labels["ok"].get("en") == "OK"


# ------------------------------------------------------------------------------------- all at once


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    text = (
        MINI.replace('initial = "open"', 'initial = "opne"')
        .replace('board = "coordination"', 'board = "kanban"')
        .replace('required = ["note"]', 'requried = ["note"]')
        .replace('nn = "Ferdig", ', "")
        + transition("assign", '["initated"]', "open")
        + FIELD.format(name="days", body='type = "integer"\nmin = 9\nmax = 1')
    )
    path, messages = problems_of(tmp_path, text)
    assert_problem(path, messages, "workflow", "initial 'opne' is not a declared state")
    assert_problem(path, messages, "states.open", "board 'kanban'")
    assert_problem(path, messages, "states.done", "label.nn is missing")
    assert_problem(path, messages, "transitions[1] (finish)", "unknown key 'requried'")
    assert_problem(path, messages, "transitions[2] (assign)", "source 'initated' is not a declared state")
    assert_problem(path, messages, "fields.days", "min (9) is greater than max (1)")
    assert len(messages) == 6, "\n".join(messages)
    assert str(WorkflowError(messages)).count("\n") == 5


# ------------------------------------------------------------------------------------- folders


def test_load_workflows_keys_by_name(tmp_path: Path) -> None:
    write(tmp_path, MINI, "a.toml")
    write(tmp_path, MINI.replace('name = "mini"', 'name = "small-area"'), "b.toml")
    write(tmp_path, "not = [toml", "notes.txt")
    workflows = load_workflows(tmp_path)
    assert sorted(workflows) == ["mini", "small-area"]
    assert workflows["mini"].path == str(tmp_path / "a.toml")


def test_load_workflows_reports_every_file_and_duplicate_names(tmp_path: Path) -> None:
    write(tmp_path, MINI, "a.toml")
    write(tmp_path, MINI, "b.toml")
    write(tmp_path, MINI.replace('dest = "done"', 'dest = "dne"'), "c.toml")
    write(tmp_path, "[workflow", "d.toml")
    with pytest.raises(WorkflowError) as caught:
        load_workflows(tmp_path)
    messages = caught.value.messages
    assert f"{tmp_path / 'b.toml'}: workflow: name 'mini' is already used by {tmp_path / 'a.toml'}" in messages
    assert any(m.startswith(f"{tmp_path / 'c.toml'}: transitions[1] (finish): dest 'dne'") for m in messages)
    syntax = "end of file: TOML syntax error: Expected ']' at the end of a table declaration"
    assert f"{tmp_path / 'd.toml'}: {syntax}" in messages


def test_load_workflows_needs_a_folder(tmp_path: Path) -> None:
    with pytest.raises(WorkflowError, match="is not a folder"):
        load_workflows(tmp_path / "missing")
