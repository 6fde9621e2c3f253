"""Long Norwegian compound words in card titles: hyphenated in the page's language (<html lang>), broken
only when a word cannot fit at all, never sticking out of the card or its column."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import BROWSER, card
from tests.factories import World

pytestmark = BROWSER

TITLE = "Kriminalitetsforebyggende konflikthåndteringskurs for ungdomsrådsrepresentanter i skolekretsen"

WORDS_SPLIT_OVER_LINES = """(title) => {
  const text = title.querySelector("a").firstChild;
  const split = [];
  for (const word of text.data.matchAll(/\\S+/g)) {
    const range = document.createRange();
    range.setStart(text, word.index);
    range.setEnd(text, word.index + word[0].length);
    if (range.getClientRects().length > 1) split.push(word[0]);
  }
  return split;
}"""

# Whether this browser hyphenates Norwegian at all (Debian's Chromium ships no hyphenation dictionaries;
# desktop Chrome, Firefox and Safari do): a long word in a narrow box either wraps at a hyphen or not at all.
HYPHENATES = """() => {
  const probe = document.createElement("p");
  probe.lang = "nb";
  probe.textContent = "konflikthåndteringskurs";
  Object.assign(probe.style, {hyphens: "auto", width: "4em", position: "absolute", overflowWrap: "normal"});
  document.body.append(probe);
  const lines = Math.round(probe.getBoundingClientRect().height / parseFloat(getComputedStyle(probe).lineHeight));
  probe.remove();
  return lines > 1;
}"""


def fits_in(inner: Locator, outer: Locator) -> None:
    box, frame = inner.bounding_box(), outer.bounding_box()
    assert box and frame
    assert frame["x"] - 0.5 <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"] + 0.5, (box, frame)


@pytest.mark.parametrize("width", [360, 1280])
def test_a_long_compound_title_wraps_inside_its_card(user: Callable[..., Page], web_world: World, width: int) -> None:
    m = web_world.register(title=TITLE)
    page = user("coordinator", viewport={"width": width, "height": 900})
    page.goto("/areas/alfa/boards/coordination")
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    the_card = card(page, m.id)
    title = the_card.locator(".card__title")
    expect(title).to_contain_text("konflikthåndteringskurs")
    style = title.evaluate("t => [getComputedStyle(t).hyphens, getComputedStyle(t).overflowWrap]")
    assert style == ["auto", "break-word"]

    # nothing sticks out: the title stays in the card, the card in its column, the page on the screen
    assert title.evaluate("t => t.scrollWidth <= t.clientWidth")
    assert the_card.evaluate("c => c.scrollWidth <= c.clientWidth")
    fits_in(title, the_card)
    fits_in(the_card, page.locator("#column-need_identified"))
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # A phone's column holds the longest of these words: none is cut in the middle (on a wide board with
    # six columns a browser without Norwegian hyphenation may have to break one: the last resort).
    if width == 360 and not page.evaluate(HYPHENATES):
        assert title.evaluate(WORDS_SPLIT_OVER_LINES) == []


def test_the_page_language_follows_the_interface_language(user: Callable[..., Page], web_world: World) -> None:
    """`hyphens: auto` hyphenates by the lang of <html>: nb, nn or en as the user chose."""
    page = user("coordinator")
    for lang, label in (("nn", "Nynorsk"), ("en", "English")):
        page.locator(".site-user summary").last.click()
        page.locator("#lang-select").select_option(label=label)
        page.locator(".lang-form button").click()
        expect(page.locator("html")).to_have_attribute("lang", lang)
