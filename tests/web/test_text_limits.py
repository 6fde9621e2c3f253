"""A text over its limit is refused, never cut: the API answers 422 with the field's message, and the form
shows the limit beside the field, refuses with the message there and gives back every character typed."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select

from samordna.store.models import Measure
from tests.api.support import Api, assert_error
from tests.factories import NEED, World
from tests.web_support import WebClient

TOO_LONG = "Teksten er for lang (høyst 200 tegn)."
TITLE = "Trygg skolevei " * 667  # 10,005 characters, the kind of paste a browser's maxlength cut silently


@pytest.fixture
def api(live_server, world: World) -> Iterator[Api]:
    client = Api(live_server.url, world)
    yield client
    client.close()


def measures(world: World) -> int:
    with world.samordna.db.read() as s:
        return s.execute(select(func.count()).select_from(Measure)).scalar_one()


def test_the_api_refuses_a_title_of_10000_characters(api: Api, world: World) -> None:
    r = api.post("/areas/alfa/measures", NEED | {"title": "t" * 10_000}, "executing")
    assert_error(r, 422, errors=[{"field": "title", "message": TOO_LONG}])
    m = api.create()
    r = api.patch(f"/measures/{m['id']}", {"version": m["version"], "title": "t" * 10_000})
    assert_error(r, 422, errors=[{"field": "title", "message": TOO_LONG}])
    assert api.measure(m["id"])["title"] == NEED["title"]
    assert measures(world) == 1


def test_the_form_shows_the_limit_and_has_no_maxlength(browser: Callable[[str], WebClient]) -> None:
    page = browser("executing").get("/areas/alfa/measures/new").text
    assert "maxlength" not in page
    assert re.search(
        r'<input type="text" id="need-title" name="title" required '
        r'aria-describedby="need-title-count"',
        page,
    )
    counter = re.search(
        r'<p class="hint counter" id="need-title-count" data-counter-for="need-title" '
        r'data-max="200"[^>]*>([^<]+)</p>',
        page,
    )
    assert counter and counter.group(1) == "Høyst 200 tegn."
    assert '<p class="visually-hidden" id="need-title-count-live" aria-live="polite"></p>' in page
    assert 'id="need-need_description-count"' in page and "Høyst 4000 tegn." in page


@pytest.mark.parametrize("htmx", [False, True])
def test_the_form_refuses_a_title_of_10000_characters_beside_the_field_and_keeps_it(
    browser: Callable[[str], WebClient], web_world: World, htmx: bool
) -> None:
    b = browser("executing")
    r = b.post("/areas/alfa/measures", NEED | {"title": TITLE}, htmx=htmx)
    assert r.status_code == 422
    body = r.text
    error = re.search(r'<p class="error" id="need-title-error">([^<]+)</p>', body)
    assert error and error.group(1) == TOO_LONG
    field = re.search(
        r'<input type="text" id="need-title"[^>]*aria-invalid="true"'
        r'[^>]*aria-describedby="need-title-error need-title-count" value="([^"]*)"',
        body,
    )
    assert field and html.unescape(field.group(1)) == TITLE.strip()  # every character, to shorten it there
    assert measures(web_world) == 0
