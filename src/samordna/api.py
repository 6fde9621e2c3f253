"""The JSON API under /api/v1: bearer tokens, one service call per handler.

Nothing here blocks the event loop, and little waits on a worker thread: the guard and the reading of
the Authorization header run on the loop; the token is looked up in a worker thread (`actor`), and a
transition looks it up inside its own write transaction (`token`), so the API's hottest path is one
thread hop and one transaction. A handler's dependencies chain (`actor` needs `accounts`) or stand
alone (`token`): dependencies side by side would each be resolved in a task of their own.

Size: one controller, one short handler per operation, and the request structs the OpenAPI document shows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import File
from msgspec import UNSET, UnsetType

from samordna.accounts.service import AccountService
from samordna.attachments import content
from samordna.attachments import web as attachment_web
from samordna.attachments.service import AttachmentService
from samordna.attachments.views import AttachmentView
from samordna.diagrams import mermaid
from samordna.domain.actor import Actor
from samordna.domain.errors import FieldError, Invalid, NotAuthenticated
from samordna.domain.vocabulary import ARENAS
from samordna.fields import DB_INT_MAX, DB_INT_MIN
from samordna.i18n import gettext as _
from samordna.measures.service import NEED_FIELDS, MeasureService
from samordna.measures.views import SORTS, ListFilters
from samordna.meetings import fields as meeting_fields
from samordna.meetings.service import MeetingService
from samordna.meetings.views import AgendaItemView, MeetingView
from samordna.organisation.repository import GOAL_FIELDS
from samordna.organisation.service import OrganisationService
from samordna.web.api_doc import NO_NUL, READ, READ_IN_AREA, VERSIONED_WRITE, WRITE, Fields, errors
from samordna.web.edge import JsonRequest
from samordna.web.security_log import note_actor
from samordna.workflow import Workflow

# Handlers name their dependencies explicitly (Litestar 3 drops inferred ones).
AccountsDep = NamedDependency[AccountService]
MeasuresDep = NamedDependency[MeasureService]
MeetingsDep = NamedDependency[MeetingService]
AttachmentsDep = NamedDependency[AttachmentService]
OrganisationDep = NamedDependency[OrganisationService]
ActorDep = NamedDependency[Actor]
TokenDep = NamedDependency[str]
ARENA_VALUES = ARENAS  # the query's enumerations, as Literal types the OpenAPI document lists
SORT_VALUES = SORTS


def provide_token(request: Request) -> str:
    """The bearer token as sent (not yet checked against the database), or 401 when there is none."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Mangler API-nøkkel: send «Authorization: Bearer <nøkkel>».")
    return token.strip()


def provide_token_after_service(request: Request, measures: MeasuresDep) -> str:
    """`provide_token` for a handler that also takes `measures`: naming it chains the two. Side by side, Litestar
    would resolve them in a task group with a task for each, on every request."""
    return provide_token(request)


def provide_actor(request: Request, accounts: AccountsDep) -> Actor:
    actor = accounts.actor_for_token(token=provide_token(request))
    note_actor(request, actor.user_id)  # for the security log, should the request be refused
    return actor


def _given(struct: msgspec.Struct, *skip: str) -> dict[str, Any]:
    return {
        name: getattr(struct, name)
        for name in struct.__struct_fields__
        if name not in skip and getattr(struct, name) is not UNSET
    }


class NeedIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A need to register: descriptive fields, at group level (never about one child)."""

    doc_fields: ClassVar[Fields] = NEED_FIELDS  # for the OpenAPI document (web.api_doc)

    title: str | UnsetType = UNSET
    need_description: str | UnsetType = UNSET
    knowledge_source: str | UnsetType = UNSET
    target_group: str | UnsetType = UNSET
    arena: str | UnsetType = UNSET
    age_from: int | None | UnsetType = UNSET
    age_to: int | None | UnsetType = UNSET
    goal_id: int | None | UnsetType = UNSET
    comment: str | None | UnsetType = UNSET


class MeasurePatch(NeedIn, kw_only=True, forbid_unknown_fields=True):
    """An `edit`: the version the caller saw, and the fields to change."""

    doc_all_optional: ClassVar[bool] = True  # each field may be left out of an edit (but not given blank)

    version: int


class TransitionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    doc_fields: ClassVar[Fields] = ()  # `data` depends on the trigger: the workflow definition says

    trigger: str
    version: int
    data: dict[str, Any] = msgspec.field(default_factory=dict)
    comment: str | None = None


class GoalIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    doc_fields: ClassVar[Fields] = GOAL_FIELDS

    title: str | UnsetType = UNSET
    description: str | UnsetType = UNSET
    period_from: int | UnsetType = UNSET
    period_to: int | UnsetType = UNSET
    priority: int | UnsetType = UNSET


class MeetingIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A meeting to plan: the body (steering | coordination | executing | all), when it starts (an ISO 8601
    time with its offset), optionally when it ends (two hours later if left out), a title and a place."""

    doc_fields: ClassVar[Fields] = ((meeting_fields.TITLE, False), (meeting_fields.PLACE, False))

    body: Literal["steering", "coordination", "executing", "all"]
    starts_at: datetime
    ends_at: datetime | UnsetType = UNSET
    title: str | UnsetType = UNSET
    place: str | UnsetType = UNSET


class AgendaItemIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A free item: orientation (orientering), discussion (drøfting) or decision (vedtak)."""

    doc_fields: ClassVar[Fields] = ((meeting_fields.ITEM_TITLE, True), (meeting_fields.ITEM_TEXT, False))

    kind: Literal["orientation", "discussion", "decision"]
    title: str
    text: str | UnsetType = UNSET


class DecisionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A decision taken in the meeting on a measure on its agenda: the measure's trigger, the version the
    caller saw, the trigger's fields (`meeting_date` is the meeting's), and the minutes' note."""

    doc_fields: ClassVar[Fields] = ((meeting_fields.NOTE, False),)

    measure_id: int
    trigger: str
    version: int
    data: dict[str, Any] = msgspec.field(default_factory=dict)
    note: str | None = None


def meeting_json(m: MeetingView) -> dict[str, Any]:
    return {
        "id": m.id,
        "area": m.area_slug,
        "body": {"id": m.body.id, "level": m.body.level, "name": m.body.name},
        "title": m.title,
        "starts_at": m.starts_at.isoformat(),
        "ends_at": m.ends_at.isoformat(),
        "place": m.place,
        "state": m.state,
        "version": m.version,
        "cancel_reason": m.cancel_reason,
        "agenda_sent_at": m.agenda_sent_at.isoformat() if m.agenda_sent_at else None,
        "held_at": m.held_at.isoformat() if m.held_at else None,
        "minutes_approved_at": m.minutes_approved_at.isoformat() if m.minutes_approved_at else None,
        "allowed_triggers": list(m.allowed_triggers),
    }


def item_json(i: AgendaItemView) -> dict[str, Any]:
    return {
        "id": i.id,
        "number": i.label or None,
        "position": i.position,
        "kind": i.kind,
        "reason": i.reason,
        "title": i.title,
        "text": i.text,
        "measure_id": i.measure_id,
        "goal_id": i.goal_id,
        "note": i.note,
        "decision": i.decision_trigger,
    }


def _times(meetings: MeetingService, data: MeetingIn) -> dict[str, str]:
    """The API's instants as the service's fields: the day and the times in the area's time zone."""
    problems = [
        FieldError(name, _("Oppgi tidspunktet med tidssone, for eksempel 2027-03-09T09:00:00+01:00."))
        for name in ("starts_at", "ends_at")
        if isinstance(getattr(data, name), datetime) and getattr(data, name).tzinfo is None
    ]
    if problems:
        raise Invalid(problems)
    start = data.starts_at.astimezone(meetings.clock.tz)
    end = (data.ends_at if not isinstance(data.ends_at, UnsetType) else data.starts_at + timedelta(hours=2)).astimezone(
        meetings.clock.tz
    )
    if end.date() != start.date():
        raise Invalid([FieldError("ends_at", _("Møtet må slutte samme dag som det begynner."))])
    return {"day": start.date().isoformat(), "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}


def _comment(struct: msgspec.Struct) -> str | None:
    value = getattr(struct, "comment", None)
    return None if value is UNSET else value


class ApiController(Controller):
    path = "/api/v1"
    tags = ["API v1"]
    security = [{"BearerToken": []}]
    request_class = JsonRequest  # bodies: application/json only, decoded strictly (web.edge)
    dependencies = {
        "token": Provide(provide_token, sync_to_thread=False),
        "actor": Provide(provide_actor, sync_to_thread=True),
    }

    @get("/areas", sync_to_thread=True, responses=READ, summary="SLT areas the caller is a member of")
    def areas(self, organisation: OrganisationDep, actor: ActorDep) -> list[dict[str, Any]]:
        return [a.to_json() for a in organisation.areas(actor=actor)]

    @get("/areas/{slug:str}/units", sync_to_thread=True, responses=READ_IN_AREA, summary="Units of an area")
    def units(self, organisation: OrganisationDep, actor: ActorDep, slug: FromPath[str]) -> list[dict[str, Any]]:
        return [u.to_json() for u in organisation.units(actor=actor, slug=slug)]

    @get("/areas/{slug:str}/goals", sync_to_thread=True, responses=READ_IN_AREA, summary="Goals of an area")
    def goals(self, organisation: OrganisationDep, actor: ActorDep, slug: FromPath[str]) -> list[dict[str, Any]]:
        return [g.to_json() for g in organisation.goals(actor=actor, slug=slug)]

    @post(
        "/areas/{slug:str}/goals",
        sync_to_thread=True,
        responses=WRITE,
        summary="Create a goal (steering group, coordinator)",
    )
    def create_goal(
        self, organisation: OrganisationDep, actor: ActorDep, slug: FromPath[str], data: JSONBody[GoalIn]
    ) -> dict[str, Any]:
        return organisation.create_goal(actor=actor, slug=slug, data=_given(data)).to_json()

    @get(
        "/areas/{slug:str}/measures",
        sync_to_thread=True,
        responses=errors(400, 401, 404, 422),
        summary="Measures of an area: search, filter, sort; cursor pages",
        description=(
            "Every measure of the area, closed and declined included, in pages of `limit`. The next page is at "
            'the URL in the `Link: <…>; rel="next"` header (its `cursor`); `X-Total-Count` says how many match '
            "in all. `q` searches the titles and every text field (all words must match, each as a word prefix); "
            "results are then ordered by relevance unless `sort` is given. `unit_id` matches the responsible unit "
            "and the units taking part; `mine`: registered by the caller; `my_unit`: the caller's unit responsible "
            "or taking part; `year`: registered that year. A `state` the workflow does not have is refused with 422; a "
            "`cursor` that is not one this endpoint gave, or one given for another sort, is refused with 422."
        ),
    )
    def measures(
        self,
        request: Request,
        measures: MeasuresDep,
        actor: ActorDep,
        slug: FromPath[str],
        q: Annotated[str | None, QueryParameter(max_length=200, pattern=NO_NUL)] = None,
        state_filter: Annotated[
            list[str] | None,
            QueryParameter(
                name="state", schema_extra={"items": {"type": "string", "maxLength": 40, "pattern": NO_NUL}}
            ),
        ] = None,
        goal_id: Annotated[int | None, QueryParameter(ge=DB_INT_MIN, le=DB_INT_MAX)] = None,
        unit_id: Annotated[int | None, QueryParameter(ge=DB_INT_MIN, le=DB_INT_MAX)] = None,
        arena: Annotated[Literal[ARENA_VALUES] | None, QueryParameter()] = None,  # type: ignore[valid-type]
        health: Annotated[Literal["on_track", "at_risk", "off_track", "none"] | None, QueryParameter()] = None,
        year: Annotated[int | None, QueryParameter(ge=1900, le=9999)] = None,
        mine: Annotated[bool, QueryParameter()] = False,
        my_unit: Annotated[bool, QueryParameter()] = False,
        sort: Annotated[Literal[SORT_VALUES] | None, QueryParameter()] = None,  # type: ignore[valid-type]
        dir: Annotated[Literal["asc", "desc"] | None, QueryParameter()] = None,  # noqa: A002 (the query's name)
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 500,
        cursor: Annotated[str | None, QueryParameter(max_length=400, pattern=NO_NUL)] = None,
    ) -> Response[list[dict[str, Any]]]:
        states = tuple(dict.fromkeys(state_filter or ()))
        unknown = [st for st in states if st not in measures.workflow.states]
        if unknown:  # a typing error should not look like an empty area (the workflow file decides the states)
            names = ", ".join(measures.workflow.states)
            raise Invalid(
                [
                    FieldError(
                        "state", _("Ukjent tilstand «{state}». Gyldige: {names}.").format(state=unknown[0], names=names)
                    )
                ]
            )
        filters = ListFilters(
            q=q or "",
            states=states,
            goal_id=goal_id,
            unit_id=unit_id,
            arena=arena,
            health=health,
            year=year,
            mine=mine,
            my_unit=my_unit,
            sort=sort or ("" if q else "id"),
            descending={"asc": False, "desc": True}.get(dir or ""),
        )
        found = measures.list_page(actor=actor, slug=slug, filters=filters, after=cursor, limit=limit, full=True)
        headers = {"X-Total-Count": str(found.total)}
        if found.next_after:
            query = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
            query.append(("cursor", found.next_after))
            headers["Link"] = f'<{request.url.path}?{urlencode(query)}>; rel="next"'
        return Response([m.to_json() for m in found.measures], headers=headers)

    @post(
        "/areas/{slug:str}/measures",
        sync_to_thread=True,
        responses=WRITE,
        summary="Register a need (create a measure)",
    )
    def create_measure(
        self, measures: MeasuresDep, actor: ActorDep, slug: FromPath[str], data: JSONBody[NeedIn]
    ) -> dict[str, Any]:
        return measures.register_need(
            actor=actor, slug=slug, data=_given(data, "comment"), comment=_comment(data)
        ).to_json()

    @get("/measures/{measure_id:int}", sync_to_thread=True, responses=READ_IN_AREA, summary="One measure")
    def measure(self, measures: MeasuresDep, actor: ActorDep, measure_id: FromPath[int]) -> dict[str, Any]:
        return measures.get(actor=actor, measure_id=measure_id).to_json()

    @patch(
        "/measures/{measure_id:int}",
        sync_to_thread=True,
        responses=VERSIONED_WRITE,
        summary="Edit descriptive fields (versioned)",
    )
    def edit_measure(
        self, measures: MeasuresDep, actor: ActorDep, measure_id: FromPath[int], data: JSONBody[MeasurePatch]
    ) -> dict[str, Any]:
        return measures.edit(
            actor=actor,
            measure_id=measure_id,
            version=data.version,
            data=_given(data, "comment", "version"),
            comment=_comment(data),
        ).to_json()

    @post(
        "/measures/{measure_id:int}/transitions",
        sync_to_thread=True,
        dependencies={"token": Provide(provide_token_after_service, sync_to_thread=False)},
        status_code=200,
        responses=VERSIONED_WRITE,
        summary="Fire a trigger",
    )
    def transition(
        self,
        request: Request,
        measures: MeasuresDep,
        token: TokenDep,
        measure_id: FromPath[int],
        data: JSONBody[TransitionIn],
    ) -> dict[str, Any]:
        # The token is checked in the transition's own transaction, before the measure is looked at.
        return measures.record_transition_for_token(
            token=token,
            measure_id=measure_id,
            trigger=data.trigger,
            version=data.version,
            data=data.data,
            comment=data.comment,
            seen=lambda actor: note_actor(request, actor.user_id),  # for the refusal log, as `provide_actor`
        ).to_json()

    @get(
        "/measures/{measure_id:int}/events",
        sync_to_thread=True,
        responses=READ_IN_AREA,
        summary="The audit trail, oldest first",
    )
    def events(self, measures: MeasuresDep, actor: ActorDep, measure_id: FromPath[int]) -> list[dict[str, Any]]:
        return [e.to_json() for e in measures.events(actor=actor, measure_id=measure_id)]

    @get("/areas/{slug:str}/meetings", sync_to_thread=True, responses=READ_IN_AREA, summary="Meetings of an area")
    def meetings(self, meetings: MeetingsDep, actor: ActorDep, slug: FromPath[str]) -> list[dict[str, Any]]:
        page = meetings.overview(actor=actor, slug=slug)
        found = [m for body in page.bodies for m in (*body.past, *body.coming)]
        return [meeting_json(m) for m in sorted(found, key=lambda m: (m.starts_at, m.id))]

    @post(
        "/areas/{slug:str}/meetings",
        sync_to_thread=True,
        responses=WRITE,
        summary="Plan a meeting (coordinator)",
    )
    def plan_meeting(
        self, meetings: MeetingsDep, actor: ActorDep, slug: FromPath[str], data: JSONBody[MeetingIn]
    ) -> dict[str, Any]:
        fields = {"body": data.body, **_times(meetings, data), **_given(data, "body", "starts_at", "ends_at")}
        try:
            return meeting_json(meetings.plan(actor=actor, slug=slug, data=fields))
        except Invalid as refused:  # the form's names (day, start, end) as the API's
            names = {"day": "starts_at", "start": "starts_at", "end": "ends_at"}
            raise Invalid([FieldError(names.get(e.field, e.field), e.message) for e in refused.errors]) from None

    @get(
        "/meetings/{meeting_id:int}",
        sync_to_thread=True,
        responses=READ_IN_AREA,
        summary="One meeting and its agenda",
    )
    def meeting(self, meetings: MeetingsDep, actor: ActorDep, meeting_id: FromPath[int]) -> dict[str, Any]:
        agenda = meetings.agenda(actor=actor, meeting_id=meeting_id)
        return {
            **meeting_json(agenda.meeting),
            "agenda_frozen": agenda.frozen,
            "agenda": [item_json(i) for i in agenda.items],
        }

    @post(
        "/meetings/{meeting_id:int}/items",
        sync_to_thread=True,
        responses=VERSIONED_WRITE,
        summary="Add a free item to a meeting's agenda (coordinator; before it is sent)",
    )
    def add_item(
        self, meetings: MeetingsDep, actor: ActorDep, meeting_id: FromPath[int], data: JSONBody[AgendaItemIn]
    ) -> dict[str, Any]:
        return item_json(meetings.add_item(actor=actor, meeting_id=meeting_id, data=_given(data)))

    @post(
        "/meetings/{meeting_id:int}/decisions",
        sync_to_thread=True,
        status_code=200,
        responses=VERSIONED_WRITE,
        summary="Record a decision on a measure of the agenda: fires its trigger with the meeting as reference",
    )
    def decide(
        self, meetings: MeetingsDep, actor: ActorDep, meeting_id: FromPath[int], data: JSONBody[DecisionIn]
    ) -> dict[str, Any]:
        return meetings.record_decision(
            actor=actor,
            meeting_id=meeting_id,
            measure_id=data.measure_id,
            trigger=data.trigger,
            version=data.version,
            data=data.data,
            note=data.note,
        ).to_json()

    @get("/workflows/measure", sync_to_thread=False, responses=READ, summary="The measure workflow definition")
    def workflow(self, measures: MeasuresDep, actor: ActorDep) -> dict[str, Any]:
        return workflow_json(measures.workflow)


# ---------------------------------------------------------------- attachments (DESIGN.md §14)


@dataclass
class UploadOperation(Operation):
    """The upload's body in the OpenAPI document: the handler reads the stream itself, so Litestar cannot tell."""

    def __post_init__(self) -> None:
        file = Schema(
            type=OpenAPIType.STRING,
            format=OpenAPIFormat.BINARY,
            description="The file (at most SAMORDNA_MAX_UPLOAD_MB)",
        )
        body = Schema(type=OpenAPIType.OBJECT, required=["file"], properties={"file": file})
        self.request_body = RequestBody(content={"multipart/form-data": OpenAPIMediaType(schema=body)}, required=True)


@dataclass
class DownloadOperation(Operation):
    """The download's answer in the OpenAPI document: the file as it was kept, of one of the accepted kinds."""

    def __post_init__(self) -> None:
        file = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        kinds = dict.fromkeys(kind.mime.split(";")[0] for kind in content.KINDS.values())
        self.responses = {
            **(self.responses or {}),
            "200": OpenAPIResponse(
                description="The file, sent as an attachment (Content-Disposition) with its own type and nosniff",
                content={kind: OpenAPIMediaType(schema=file) for kind in kinds},
            ),
        }


def attachment_json(a: AttachmentView) -> dict[str, Any]:
    return {
        "id": a.id,
        "filename": a.filename,
        "content_type": a.content_type,
        "kind": a.kind,
        "size": a.size,
        "sha256": a.sha256,
        "measure_id": a.measure_id,
        "meeting_id": a.meeting_id,
        "created_at": a.created_at.isoformat(),
        "created_by": {"id": a.created_by_id, "name": a.created_by_name},
        "url": f"/api/v1/attachments/{a.id}/content",
    }


UPLOAD = {**errors(400, 401, 403, 404, 413, 415, 422)}


class AttachmentApiController(Controller):
    """Files on measures and meetings. Not under ApiController: an upload is multipart, read as a stream
    (samordna.attachments.upload), never decoded as JSON."""

    path = "/api/v1"
    tags = ["API v1"]
    security = [{"BearerToken": []}]
    dependencies = ApiController.dependencies

    @get(
        "/measures/{measure_id:int}/attachments",
        sync_to_thread=True,
        responses=READ_IN_AREA,
        summary="Files on a measure",
    )
    def of_measure(
        self, attachments: AttachmentsDep, actor: ActorDep, measure_id: FromPath[int]
    ) -> list[dict[str, Any]]:
        return [attachment_json(a) for a in attachments.of_measure(actor=actor, measure_id=measure_id).files]

    @post(
        "/measures/{measure_id:int}/attachments",
        responses=UPLOAD,
        request_max_body_size=None,
        operation_class=UploadOperation,
        summary="Add a file to a measure (multipart, field `file`)",
    )
    async def add_to_measure(
        self, request: Request, attachments: AttachmentsDep, actor: ActorDep, measure_id: FromPath[int]
    ) -> Response[dict[str, Any]]:
        view = await attachment_web.receive_and_add(request, attachments, actor, measure_id=measure_id)
        return Response(attachment_json(view), status_code=201)

    @get(
        "/meetings/{meeting_id:int}/attachments",
        sync_to_thread=True,
        responses=READ_IN_AREA,
        summary="Files on a meeting",
    )
    def of_meeting(
        self, attachments: AttachmentsDep, actor: ActorDep, meeting_id: FromPath[int]
    ) -> list[dict[str, Any]]:
        return [attachment_json(a) for a in attachments.of_meeting(actor=actor, meeting_id=meeting_id).files]

    @post(
        "/meetings/{meeting_id:int}/attachments",
        responses=UPLOAD,
        request_max_body_size=None,
        operation_class=UploadOperation,
        summary="Add a file to a meeting (coordinator; multipart, field `file`)",
    )
    async def add_to_meeting(
        self, request: Request, attachments: AttachmentsDep, actor: ActorDep, meeting_id: FromPath[int]
    ) -> Response[dict[str, Any]]:
        view = await attachment_web.receive_and_add(request, attachments, actor, meeting_id=meeting_id)
        return Response(attachment_json(view), status_code=201)

    @get("/attachments/{attachment_id:int}", sync_to_thread=True, responses=READ_IN_AREA, summary="One file's metadata")
    def attachment(self, attachments: AttachmentsDep, actor: ActorDep, attachment_id: FromPath[int]) -> dict[str, Any]:
        return attachment_json(attachments.get(actor=actor, attachment_id=attachment_id))

    @get(
        "/attachments/{attachment_id:int}/content",
        sync_to_thread=True,
        responses=READ_IN_AREA,
        summary="The file itself (as an attachment)",
        operation_class=DownloadOperation,
    )
    def content(self, attachments: AttachmentsDep, actor: ActorDep, attachment_id: FromPath[int]) -> File:
        return attachment_web.download(*attachments.open(actor=actor, attachment_id=attachment_id))

    @delete(
        "/attachments/{attachment_id:int}",
        sync_to_thread=True,
        status_code=200,
        responses=errors(400, 401, 403, 404),
        summary="Remove a file (it stays in the history; a retention command deletes it later)",
    )
    def remove(self, attachments: AttachmentsDep, actor: ActorDep, attachment_id: FromPath[int]) -> dict[str, Any]:
        view = attachments.remove(actor=actor, attachment_id=attachment_id)
        return {**attachment_json(view), "removed_at": view.removed_at.isoformat() if view.removed_at else None}


def workflow_json(wf: Workflow) -> dict[str, Any]:
    return {
        "name": wf.name,
        "initial": wf.initial,
        "states": [
            {"name": s.name, "label": asdict(s.label), "board": s.board, "final": s.final} for s in wf.states.values()
        ],
        "transitions": [
            {
                "trigger": t.trigger,
                "sources": list(t.sources),
                "dest": t.dest,
                "roles": list(t.roles()),
                "required": list(t.required),
                "optional": list(t.optional),
                "label": asdict(t.label),
            }
            for t in wf.transitions
        ],
        "mermaid": mermaid(wf, "nb"),
    }
