"""Area export and import, on SQLite and PostgreSQL: an area exported, imported into an empty database and
exported again gives the same document; refs, versions and the event history survive, the ids and the secrets
do not travel, and the imported area works (a new measure continues its refs, a transition continues its
versions). A document that is not whole, not this version or not consistent is refused with a Norwegian message
naming the problem, and nothing is written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from samordna.accounts.repository import load_actor
from samordna.services import Services
from samordna.store.models import AgendaItem, Area, Body, Event, Measure, Meeting, User
from samordna.transfer import document
from samordna.transfer import repository as transfer_repo
from samordna.transfer.document import DocumentError
from tests.factories import NEED, World
from tests.transfer.conftest import fill_area, row_counts


def export(samordna: Services, slug: str = "alfa") -> dict[str, Any]:
    return json.loads(samordna.transfer.export_bytes(slug=slug))


def without_time(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "exported_at"}


# ---------------------------------------------------------------- the round trip


def test_export_import_export_gives_the_same_document(world: World, target: Services) -> None:
    made = fill_area(world)
    raw = world.samordna.transfer.export_bytes(slug="alfa")
    first = json.loads(raw)
    assert first["format"] == "samordna-area" and first["schema_version"] == 1
    assert [s for s in first if s not in ("format", "schema_version", "exported_at")] == list(document.SECTIONS)
    # One of everything made it into the document.
    for section in document.SECTIONS[1:]:
        assert first[section], f"{section} is empty: the round trip would prove nothing about it"
    assert {m["state"] for m in first["meetings"]} >= {"minutes_approved", "agenda_sent", "cancelled"}
    assert any(i["decision_event"] for i in first["agenda_items"])
    assert any(m["participating_units"] for m in first["measures"])

    imported = target.transfer.import_area(raw=raw)
    assert imported.slug == "alfa" and imported.counts["measures"] == len(first["measures"])
    second = export(target)
    assert without_time(second) == without_time(first)

    # Refs and versions as they were; the events in the same order, each measure's 1…n.
    def history(samordna: Services) -> list[tuple[str, int, str, str | None]]:
        with samordna.db.read() as s:
            rows = s.execute(
                select(Measure.ref, Event.version, Event.trigger, Event.comment)
                .join(Measure, Measure.id == Event.measure_id)
                .join(Area, Area.id == Measure.area_id)
                .where(Area.slug == "alfa")
                .order_by(Event.id)
            )
            return [tuple(r) for r in rows]

    assert history(target) == history(world.samordna)
    # The imported measures are found by the measure list's search (kept by the database as rows arrive).
    if target.db.engine.dialect.name == "sqlite":
        query = "SELECT count(*) FROM measure_fts WHERE measure_fts MATCH 'Natteravner'"
    else:
        query = "SELECT count(*) FROM measure WHERE search @@ plainto_tsquery('norwegian', 'Natteravner')"
    with target.db.read() as s:
        assert s.execute(text(query)).scalar_one() == 1
        # «Our measures» per unit (unit_tally, migration 0014) kept as the measures and participations arrive.
        ours = (
            "SELECT area_id, unit_id, state, count(*) FROM (SELECT id, area_id, responsible_unit_id AS unit_id, state "
            "FROM measure WHERE responsible_unit_id IS NOT NULL UNION SELECT m.id, m.area_id, mu.unit_id, m.state "
            "FROM measure AS m JOIN measure_unit AS mu ON mu.measure_id = m.id) AS ours "
            "GROUP BY area_id, unit_id, state"
        )
        counted = {tuple(r[:3]): r[3] for r in s.execute(text(ours))}
        tallied = {tuple(r[:3]): r[3] for r in s.execute(text("SELECT area_id, unit_id, state, n FROM unit_tally"))}
        assert counted and {k: n for k, n in tallied.items() if n} == counted
    with target.db.read() as s:
        closed = s.execute(select(Measure).where(Measure.ref == made["closed"].ref)).scalar_one()
        assert (closed.state, closed.version) == ("closed", made["closed"].version + 1)
        decided = s.execute(select(Event).where(Event.measure_id == closed.id, Event.trigger == "close")).scalar_one()
        item = s.execute(select(AgendaItem).where(AgendaItem.decision_event_id == decided.id)).scalar_one()
        assert decided.meeting_id == item.meeting_id
        approved = s.execute(select(Meeting).where(Meeting.id == item.meeting_id)).scalar_one()
        assert approved.state == "minutes_approved" and approved.approved_in_id is not None
        # The ids in the history are this database's: the unit given responsibility is the target's own.
        running = s.execute(select(Measure).where(Measure.ref == made["running"].ref)).scalar_one()
        assigned = s.execute(select(Event.changes).where(Event.measure_id == running.id, Event.trigger == "assign"))
        assert json.loads(assigned.scalar_one())["responsible_unit_id"] == [None, running.responsible_unit_id]


def test_no_database_ids_and_no_secrets_travel(world: World) -> None:
    fill_area(world)
    raw = world.samordna.transfer.export_bytes(slug="alfa")
    doc = json.loads(raw)
    with world.samordna.db.read() as s:
        feed_keys = list(s.execute(select(Body.feed_key)).scalars())
    for secret in feed_keys + list(world.tokens.values()):
        assert secret.encode() not in raw
    for word in (b"password", b"token", b"feed_key", b'"area_id"', b'"measure_id"', b'"user_id"'):
        assert word not in raw, word
    # Document-local ids: 1…n in each section that has them, whatever the database's ids were.
    for section in ("units", "users", "goals", "measures", "meetings"):
        assert [r["id"] for r in doc[section]] == list(range(1, len(doc[section]) + 1)), section
    # The ids in the history are document ids too: the unit given responsibility, the participating units,
    # the contact person and the goal, as the units, users and goals sections number them.
    unit = {u["name"]: u["id"] for u in doc["units"]}
    user = {u["email"]: u["id"] for u in doc["users"]}
    goal = {g["title"]: g["id"] for g in doc["goals"]}
    assigned = next(e for e in doc["events"] if e["trigger"] == "assign")
    assert assigned["changes"]["responsible_unit_id"] == [None, unit["Ungdomsskolene"]]
    assert assigned["changes"]["participating_unit_ids"] == [[], sorted([unit["Politiet"], unit["Kultur og fritid"]])]
    assert assigned["changes"]["contact_user_id"] == [None, user["executing@example.no"]]
    initiated = next(e for e in doc["events"] if e["trigger"] == "initiate")
    assert initiated["changes"]["goal_id"] == [None, goal["Redusere rusbruk blant ungdom"]]
    # Only alfa: beta's coordinator, unit and goal are not in it.
    assert "beta_coordinator@example.no" not in {u["email"] for u in doc["users"]}
    assert "Skolen" not in {u["name"] for u in doc["units"]}


def test_files_do_not_travel_and_their_events_name_no_row(world: World, target: Services) -> None:
    """The document carries no attachments: the history keeps the events of a file added and removed with its
    name and size, but not the id of its row, which would name nothing (or another file) where it is imported.
    A document from before this rule that carries the id has it dropped on import."""
    coordinator = world.actors["coordinator"]
    m = world.register(title="Med vedlegg")
    temp = world.samordna.attachments.temp_path()
    temp.write_text("Evalueringsrapporten.\n", encoding="utf-8")
    added = world.samordna.attachments.add(actor=coordinator, temp=temp, filename="rapport.txt", measure_id=m.id)
    world.samordna.attachments.remove(actor=coordinator, attachment_id=added.id)
    raw = world.samordna.transfer.export_bytes(slug="alfa")
    doc = json.loads(raw)
    files = [(e["trigger"], e["data"]) for e in doc["events"] if e["trigger"] in ("attach", "detach")]
    assert files == [
        ("attach", {"filename": "rapport.txt", "size": added.size}),
        ("detach", {"filename": "rapport.txt"}),
    ]
    assert b"attachment_id" not in raw and added.sha256.encode() not in raw

    attach_event = next(e for e in doc["events"] if e["trigger"] == "attach")
    attach_event["data"]["attachment_id"] = added.id  # as an export made before the rule carried it
    target.transfer.import_area(raw=json.dumps(doc).encode())
    with target.db.read() as s:
        data = s.execute(select(Event.data).where(Event.trigger == "attach")).scalar_one()
    assert json.loads(data) == {"filename": "rapport.txt", "size": added.size}
    with target.db.read() as s:
        assert s.execute(text("SELECT count(*) FROM attachment")).scalar_one() == 0


def test_the_imported_area_works_and_its_users_have_no_password(world: World, target: Services) -> None:
    made = fill_area(world)
    target.transfer.import_area(raw=world.samordna.transfer.export_bytes(slug="alfa"))
    with target.db.read() as s:
        users = list(s.execute(select(User)).scalars())
        assert users and all(u.password_hash is None for u in users)
        viewer = next(u for u in users if u.email == "viewer@example.no")
        assert viewer.active is False  # deactivated with their last membership, and so it stays
        executing = load_actor(s, next(u for u in users if u.email == "executing@example.no"))
        coordination = load_actor(s, next(u for u in users if u.email == "coordination@example.no"))
        with world.samordna.db.read() as source:
            source_keys = set(source.execute(select(Body.feed_key)).scalars())
        target_keys = set(s.execute(select(Body.feed_key)).scalars())
        assert len(target_keys) == 4 and not target_keys & source_keys  # new calendar addresses
    # The area's next measure continues its refs; a transition continues the measure's versions.
    fresh = target.measures.register_need(actor=executing, slug="alfa", data=NEED)
    numbers = sorted(int(m["ref"].rsplit("-", 1)[1]) for m in export(world.samordna)["measures"])
    assert int(fresh.ref.rsplit("-", 1)[1]) == numbers[-1] + 1
    with target.db.read() as s:
        need = s.execute(select(Measure).where(Measure.ref == made["need"].ref)).scalar_one()
    moved = target.measures.record_transition(
        actor=coordination,
        measure_id=need.id,
        trigger="decline",
        version=made["need"].version,
        data={"reason": "Dekkes av andre tiltak."},
    )
    assert moved.version == made["need"].version + 1


def test_users_already_in_the_target_are_linked_not_changed(world: World, target: Services) -> None:
    made = fill_area(world)
    raw = world.samordna.transfer.export_bytes(slug="alfa")
    with target.db.write() as s:
        s.add(User(email="other@example.no", name="Noen Andre", password_hash="x"))  # ids differ from the source's
        s.add(User(email="executing@example.no", name="Jonas Fra Før", password_hash="kept-hash"))
    imported = target.transfer.import_area(raw=raw)
    assert imported.linked_users == ["executing@example.no"]
    assert "executing@example.no" not in imported.new_users and "steering@example.no" in imported.new_users
    with target.db.read() as s:
        jonas = s.execute(select(User).where(User.email == "executing@example.no")).scalar_one()
        assert (jonas.name, jonas.password_hash) == ("Jonas Fra Før", "kept-hash")
        registered = s.execute(select(Measure.ref).where(Measure.created_by_id == jonas.id)).scalars().all()
        assert len(registered) == 4  # every need fill_area registered
        # The contact person in the history is the linked user too.
        running = select(Measure.id).where(Measure.ref == made["running"].ref).scalar_subquery()
        assigned = s.execute(select(Event.changes).where(Event.measure_id == running, Event.trigger == "assign"))
        assert json.loads(assigned.scalar_one())["contact_user_id"] == [None, jonas.id]


def test_the_append_only_and_minutes_triggers_still_hold_after_an_import(world: World, target: Services) -> None:
    fill_area(world)
    target.transfer.import_area(raw=world.samordna.transfer.export_bytes(slug="alfa"))
    for statement in (
        "UPDATE event SET comment = 'endret'",
        "UPDATE meeting SET title = 'endret' WHERE state = 'minutes_approved'",
        "DELETE FROM attendance",
    ):
        with pytest.raises(DBAPIError):
            with target.db.engine.begin() as conn:
                conn.execute(text(statement))


def test_an_export_is_logged_in_the_area(world: World) -> None:
    world.samordna.transfer.export_bytes(slug="alfa")
    with world.samordna.db.read() as s:
        kinds = s.execute(text("SELECT kind, subject FROM audit_log WHERE kind = 'area_exported'")).all()
    assert [tuple(k) for k in kinds] == [("area_exported", "alfa")]


# ---------------------------------------------------------------- refusals: nothing written


def refused(target: Services, raw: bytes | str) -> str:
    """Import `raw` into `target`: DocumentError, every table as it was; the problems as one text."""
    before = row_counts(target)
    with pytest.raises(DocumentError) as caught:
        target.transfer.import_area(raw=raw.encode() if isinstance(raw, str) else raw)
    assert row_counts(target) == before, "a refused import wrote rows"
    return "\n".join(caught.value.problems)


@pytest.fixture
def exported(world: World) -> dict[str, Any]:
    fill_area(world)
    return export(world.samordna)


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False)


def test_a_truncated_or_malformed_file_is_refused(exported: dict[str, Any], target: Services) -> None:
    raw = dumps(exported)
    assert "avkuttet" in refused(target, raw[: len(raw) // 2])
    assert "ikke gyldig JSON" in refused(target, "{" + raw)
    assert refused(target, "  \n") == "Filen er tom."
    assert "ikke et JSON-objekt" in refused(target, "[1, 2]")
    assert "ikke en områdeeksport" in refused(target, dumps({k: v for k, v in exported.items() if k != "format"}))


@pytest.mark.parametrize("version", [2, 0, "1", None])
def test_an_unknown_schema_version_is_refused(exported: dict[str, Any], target: Services, version: Any) -> None:
    message = refused(target, dumps(exported | {"schema_version": version}))
    assert "Ukjent skjemaversjon" in message and "leser skjemaversjon 1" in message


@pytest.mark.parametrize("section", document.SECTIONS)
def test_a_missing_section_is_refused(exported: dict[str, Any], target: Services, section: str) -> None:
    doc = {k: v for k, v in exported.items() if k != section}
    assert refused(target, dumps(doc)) == f"Filen mangler seksjonen «{section}»."


def test_the_first_wrong_value_is_named_with_where_it_is(exported: dict[str, Any], target: Services) -> None:
    doc = json.loads(dumps(exported))
    doc["units"][1]["active"] = "ja"
    assert refused(target, dumps(doc)) == "$.units[1].active: ventet true eller false, fant tekst."
    doc = json.loads(dumps(exported))
    doc["measures"][0]["title"] = "x" * 201
    assert refused(target, dumps(doc)) == "$.measures[0].title: teksten er lengre enn 200 tegn."
    doc = json.loads(dumps(exported))
    doc["events"][0]["at"] = "2026-01-01T10:00:00"
    assert refused(target, dumps(doc)) == "$.events[0].at: tidspunktet mangler tidssone."
    doc = json.loads(dumps(exported))
    doc["goals"][0]["surprise"] = 1
    assert refused(target, dumps(doc)) == "$.goals[0]: ukjent felt «surprise»."


def test_dangling_references_are_refused_every_one_named(exported: dict[str, Any], target: Services) -> None:
    doc = json.loads(dumps(exported))
    doc["events"][2]["actor"] = 999
    doc["measures"][0]["goal"] = 77
    doc["members"][0]["unit"] = 55
    decided = next(i for i in doc["agenda_items"] if i["decision_event"])
    decided["decision_event"]["version"] = 99
    doc["meetings"][0]["approved_in"] = 404
    message = refused(target, dumps(doc))
    assert "events[2].actor: peker på brukeren 999, som ikke finnes i filen." in message
    assert "measures[0].goal: peker på målet 77, som ikke finnes i filen." in message
    assert "members[0].unit: peker på enheten 55, som ikke finnes i filen." in message
    assert "decision_event: peker på versjon 99 av tiltak" in message
    assert "meetings[0].approved_in: peker på møtet 404" in message


def test_a_partial_history_is_refused(exported: dict[str, Any], target: Services) -> None:
    doc = json.loads(dumps(exported))
    measure = doc["measures"][-1]
    doc["events"] = [e for e in doc["events"] if not (e["measure"] == measure["id"] and e["version"] == 2)]
    message = refused(target, dumps(doc))
    assert f"tiltaket {measure['ref']} har versjon {measure['version']}, men hendelsene" in message


def test_a_ref_counter_behind_the_refs_is_refused(exported: dict[str, Any], target: Services) -> None:
    doc = json.loads(dumps(exported))
    year = doc["ref_counters"][0]["year"]
    doc["ref_counters"][0]["last"] = 1
    message = refused(target, dumps(doc))
    assert f"ref_counters: telleren for {year} står på 1, men tiltaket ALF-{year}-004 finnes" in message


def test_values_this_installation_does_not_know_are_refused(exported: dict[str, Any], target: Services) -> None:
    doc = json.loads(dumps(exported))
    doc["measures"][0]["state"] = "on_hold_forever"
    doc["members"][0]["role"] = "king"
    doc["bodies"] = doc["bodies"][:3]
    message = refused(target, dumps(doc))
    assert "measures[0].state: ukjent verdi 'on_hold_forever'" in message
    assert "members[0].role: ukjent verdi 'king'" in message
    assert "bodies: ventet ett organ per nivå" in message


def test_an_area_that_exists_already_is_refused(exported: dict[str, Any], target: Services) -> None:
    target.transfer.import_area(raw=dumps(exported).encode())
    message = refused(target, dumps(exported))
    assert message.startswith("Området «alfa» finnes allerede i denne databasen.")
    # Another slug, the same area code: the refs would collide.
    other = exported | {"area": exported["area"] | {"slug": "alfa-kopi"}}
    assert "Områdekoden ALF brukes allerede av området «alfa»" in refused(target, dumps(other))


def test_a_failure_while_writing_leaves_nothing_behind(
    exported: dict[str, Any], target: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks pass and the writing starts; the meetings' step fails: the area, its users, measures and
    events written before it are rolled back with it."""

    def fail(*_args: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(transfer_repo, "_write_meetings", fail)
    before = row_counts(target)
    with pytest.raises(RuntimeError, match="disk full"):
        target.transfer.import_area(raw=dumps(exported).encode())
    assert row_counts(target) == before


# ---------------------------------------------------------------- the document's schema


def test_the_published_json_schema_is_current() -> None:
    from pathlib import Path

    published = Path(__file__).resolve().parents[2] / "docs" / "area-export.schema.json"
    assert json.loads(published.read_text()) == document.json_schema(), (
        "docs/area-export.schema.json is stale: write it again with "
        "python -c 'import json; from samordna.transfer.document import json_schema; "
        "print(json.dumps(json_schema(), indent=2, ensure_ascii=False))' > docs/area-export.schema.json"
    )


@pytest.mark.slow
def test_the_demo_area_round_trips(samordna: Services, target: Services) -> None:
    """The demo's year: 40 measures, their history, 41 meetings with agendas, decisions, attendance and approved
    minutes (about four seconds to load)."""
    import io

    from samordna.demo import SLUG, load_demo

    load_demo(samordna, io.StringIO())
    first = export(samordna, SLUG)
    assert len(first["meetings"]) > 30 and any(m["state"] == "minutes_approved" for m in first["meetings"])
    target.transfer.import_area(raw=samordna.transfer.export_bytes(slug=SLUG))
    assert without_time(export(target, SLUG)) == without_time(first)
