"""Saved views of the measure list: the list's search, filters and sort under a name, found again in the user's
menu on every page; replaced under the same name, refused with a clear message (the typed name kept), the
user's own (another member neither sees nor deletes them), per area."""

from __future__ import annotations

import html
import re

from tests.factories import World, national_id

LIST = "/areas/alfa/measures"


def menu(page: str) -> list[tuple[str, str]]:
    """(href, name) of the «Mine visninger» menu."""
    found = re.search(r"<summary>Mine visninger</summary>\s*<ul class=\"menu__list\">(.*?)</ul>", page, re.S)
    if not found:
        return []
    return [(html.unescape(h), html.unescape(n)) for h, n in re.findall(r'<a href="([^"]*)">([^<]*)</a>', found[1])]


def test_a_saved_view_is_in_the_menu_on_every_page(browser, web_world: World) -> None:
    web_world.register(title="Natteravner på torget")
    b = browser("executing")
    assert menu(b.get(LIST).text) == []
    query = "q=torget&state=need_identified&state=nonsense&sort=title&dir=desc&goal=abc&mine=1"
    r = b.post(f"{LIST}/views", {"name": "  Mine   på torget ", "query": query})
    assert r.status_code == 303
    # Only what the list understands is kept, in its own order.
    expected = f"{LIST}?q=torget&state=need_identified&mine=1&sort=title&dir=desc"
    assert r.headers["location"] == expected
    landing = b.get(r.headers["location"]).text
    assert "Visningen er lagret." in landing and "Natteravner på <mark>torget</mark>" in landing
    for path in ("/areas/alfa/boards/execution", "/areas/alfa/meetings", LIST):
        assert menu(b.get(path).text) == [(expected, "Mine på torget")], path
    # The same name again replaces the view.
    b.post(f"{LIST}/views", {"name": "Mine på torget", "query": "state=closed"})
    assert menu(b.get(LIST).text) == [(f"{LIST}?state=closed", "Mine på torget")]
    # Nobody else sees it.
    assert menu(browser("coordination").get(LIST).text) == []


def test_a_refused_name_keeps_what_was_typed(browser, web_world: World) -> None:
    b = browser("coordination")
    r = b.post(f"{LIST}/views", {"name": "   ", "query": "q=torget"})
    assert r.status_code == 422 and "Gi visningen et navn." in r.text
    assert 'value="torget"' in r.text  # the search the user was looking at is still there
    number = national_id()
    r = b.post(f"{LIST}/views", {"name": f"Oppfølging {number}", "query": ""})
    assert r.status_code == 422 and "Taushetsplikten" in r.text
    assert number not in r.text  # never echoed back
    r = b.post(f"{LIST}/views", {"name": "x" * 81, "query": ""})
    assert r.status_code == 422 and "høyst 80 tegn" in r.text
    assert menu(b.get(LIST).text) == []


def test_deleting_a_view(browser, web_world: World) -> None:
    b = browser("coordination")
    b.post(f"{LIST}/views", {"name": "Avsluttede", "query": "state=closed"})
    view_id = int(re.search(r'/views/(\d+)/delete"', b.get(LIST).text)[1])
    assert browser("executing").post(f"{LIST}/views/{view_id}/delete").status_code == 404  # not theirs
    assert browser("beta_coordinator").post(f"/areas/beta/measures/views/{view_id}/delete").status_code == 404
    r = b.post(f"{LIST}/views/{view_id}/delete")
    assert r.status_code == 303
    page = b.get(LIST).text
    assert "Visningen er slettet." in page and menu(page) == []
    assert b.post(f"{LIST}/views/{view_id}/delete").status_code == 404
