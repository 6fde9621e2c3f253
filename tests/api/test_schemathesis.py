"""Property-based tests of the JSON API from its own OpenAPI document (Schemathesis 4).

The schema is read from the live server (/schema/openapi.json, real HTTP), and every operation gets
generated requests — valid and invalid ones — sent as the coordinator of the test world (a bearer
token; the strongest role, so the requests reach the deepest code). Half the generated path parameters
are replaced by real objects of the world (area «alfa», measures in several states), or nearly every
request would stop at a 404 for a random slug.

Every answer is judged by all of Schemathesis's checks (no server error, status code and content type
documented, the body conforms to the documented schema — the error bodies to `ErrorBody` —, schema-invalid
data refused, schema-valid data accepted, ...) and by the API's own contract: every answer is JSON, and
every error carries the status it was sent with. One check is widened: a schema-valid request may still
be refused with 422 where the refusal is not about the request's form but about the world or one field
against another (a goal that does not exist in the area, «Alder til» below «Alder fra», a transition's
`data`, which depends on the trigger, a text the confidentiality guard stops) — and `only_semantic_422`
checks that a 422 to schema-valid data is only that. Shrinking is off and the number of examples per
operation bounded, so the whole file runs in well under a minute.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from tests.factories import World

pytestmark = pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)

MAX_EXAMPLES = int(os.environ.get("SAMORDNA_SCHEMATHESIS_EXAMPLES", "25"))
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # Schemathesis's default for valid data
# Fields a schema-valid body can still be refused for: a state the workflow file does not have (state), a
# reference to a row (goal_id, a measure on the agenda), one field against
# another (age_to, period_to, a meeting's end against its start), a time the area cannot plan (starts_at), a
# page cursor the API did not give out, a file whose content is refused (empty, unreadable, a national identity
# number in it).
SEMANTIC = {"state", "goal_id", "measure_id", "age_to", "period_to", "starts_at", "ends_at", "cursor", "file"}
GUARD = "Taushetsplikten"


@pytest.fixture
def api_schema(live_server: Any, world: World) -> Any:
    need = world.register()
    running = world.advance(world.register(title="Tiltak i gang"), "in_follow_up")
    evaluated = world.advance(world.register(title="Evaluert tiltak"), "evaluated")
    meeting = world.samordna.meetings.plan(
        actor=world.actors["coordinator"],
        slug="alfa",
        data={"body": "coordination", "day": f"{world.today().year + 1}-03-09", "start": "09:00", "end": "11:00"},
    )
    config = SchemathesisConfig.from_dict(
        {
            "headers": {"Authorization": f"Bearer {world.tokens['coordinator']}"},
            "generation": {"max-examples": MAX_EXAMPLES},
            "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}},
            # A file the schema allows (any bytes) is still refused when its content is not of a kind Samordna
            # takes: 415 with the accepted kinds (only_semantic_415).
            "operations": [
                {
                    "include-path-regex": "/attachments$",
                    "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "415", "422"]}},
                }
            ],
        }
    )
    schema = schemathesis.openapi.from_url(f"{live_server.url}/schema/openapi.json", config=config, timeout=10)
    real = {
        "slug": ["alfa", "beta"],
        "measure_id": [need.id, running.id, evaluated.id],
        "meeting_id": [meeting.id],
        "attachment_id": [attachment(world, need.id)],  # read, never removed
    }
    removable = [attachment(world, running.id) for _ in range(3)]  # for DELETE: each removed once, then 404

    @schema.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
        """The generated parameters, or the same with real objects of the world in their place."""
        if not path_parameters:
            return st.just(path_parameters)
        deleting = context.operation is not None and context.operation.method.upper() == "DELETE"
        ours = {**real, "attachment_id": removable} if deleting else real
        choices = {
            name: st.sampled_from(ours[name]) if name in ours else st.just(value)
            for name, value in path_parameters.items()
        }
        if deleting and path_parameters.get("attachment_id") in real["attachment_id"]:
            return st.fixed_dictionaries(choices)  # a generated id that happens to be the file the reads need
        return st.one_of(st.just(path_parameters), st.fixed_dictionaries(choices))

    return schema


def attachment(world: World, measure_id: int) -> int:
    """A text file on the measure, added by the coordinator (through the service: the upload is not under test)."""
    files = world.samordna.attachments
    temp = files.temp_path()
    temp.write_bytes("Referat fra møtet.\n".encode())
    return files.add(actor=world.actors["coordinator"], temp=temp, filename="referat.txt", measure_id=measure_id).id


def the_api_contract(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every API answer is JSON (but a file downloaded); an error body states the status it was sent with."""
    content_type = response.headers.get("content-type", [""])[0]
    if case.operation.path.endswith("/content") and response.status_code == 200:
        assert response.headers.get("x-content-type-options") == ["nosniff"], response.headers
        return None
    assert content_type.startswith("application/json"), f"not JSON: {content_type}"
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body, dict) and body.get("status") == response.status_code, body
        assert body.get("title") and body.get("detail"), body
    return None


def only_semantic_422(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 422 to schema-valid data names only fields the schema cannot judge (see the module's doc)."""
    if response.status_code != 422 or case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    fires = case.operation.path.endswith(("/transitions", "/decisions"))  # a decision in a meeting is a transition
    own = {"trigger", "version"} if fires else set()
    for error in response.json()["errors"]:
        field, message = error["field"], error["message"]
        transition_data = fires and field not in own | {"comment", "note"}
        assert field in SEMANTIC or transition_data or GUARD in message, (error, case.body)
    return None


def only_semantic_415(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 415 to schema-valid data is only an upload whose content is of no accepted kind, and says which are."""
    if response.status_code != 415 or case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    assert case.operation.path.endswith("/attachments") and case.operation.method.upper() == "POST", case.operation
    assert "application/pdf" in response.json()["accepted"], response.json()
    return None


def test_the_document_describes_the_api_only(api_schema: Any) -> None:
    """The browser's pages and forms (cookies and CSRF tokens, HTML answers) are not API operations."""
    paths = {result.ok().path for result in api_schema.get_all_operations()}
    assert paths and all(path.startswith("/api/v1/") for path in paths), sorted(paths)


def examples(operation: Any, mode: GenerationMode, headers: dict[str, str], seen: Counter[int]) -> Any:
    """A Hypothesis test sending MAX_EXAMPLES generated requests for `operation` and checking each answer."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        response = case.call(headers=headers, timeout=10)
        seen[response.status_code] += 1
        checks = [the_api_contract, only_semantic_422, only_semantic_415]
        case.validate_response(response, additional_checks=checks, headers=headers)

    return run


@pytest.mark.long
def test_the_api_never_answers_with_a_server_error(api_schema: Any, world: World) -> None:
    """Each operation, with valid and with invalid data (MAX_EXAMPLES of each): no 5xx, and the contract.

    (The operations are run here one by one, not with `schema.parametrize()`: Schemathesis 4.32's lazy
    pytest loader sets `Function._nodeid`, which pytest 9 no longer has.)"""
    headers = {"Authorization": f"Bearer {world.tokens['coordinator']}"}
    failures: list[str] = []
    statuses: dict[str, Counter[int]] = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        seen = statuses.setdefault(operation.label, Counter())
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                examples(operation, mode, headers, seen)()
            except Unsatisfiable:
                continue  # nothing to get wrong: an operation without parameters has no invalid requests
            except Exception as exc:  # every operation is tried; all failures are reported together
                failures.append(f"{operation.label} ({mode.value}):\n{exc}")
    assert not failures, "\n\n".join(failures)
    assert len(statuses) >= 11, sorted(statuses)
    # The generator really ran, and with real objects in the paths the requests got past the 404s.
    for label, seen in statuses.items():
        assert seen and any(status != 404 for status in seen), (label, seen)
    assert sum(sum(seen.values()) for seen in statuses.values()) >= 10 * len(statuses), statuses
    print({label: dict(sorted(seen.items())) for label, seen in statuses.items()})
