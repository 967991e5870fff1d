"""Live reload and the error overlay in a real headless Chromium, against `digest serve`."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from .test_serve import ARTICLE, Served, serving

SOURCE = "content/politik/2025-06-03-rubio.md"
PAGE = "2025/06/03/rubio/"
WAIT_MS = 10_000


@pytest.fixture
def served(site) -> Iterator[Served]:
    root = site({"config.yaml": "title: Vorschau\nbase_url: https://example.org/news/\n",
                 SOURCE: ARTICLE.format(title="Alter Titel")})
    with serving(root) as server:
        server.root = root
        yield server


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    yield context.new_page()
    context.close()


def save(served: Served, text: str) -> None:
    """Save the article the way an editor does: write a temp file, rename it over."""
    path = served.root / SOURCE
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(text, encoding="utf-8")
    temp.replace(path)


def test_tab_shows_the_new_title_without_a_manual_reload(served: Served, page: Page) -> None:
    page.goto(served.url + PAGE)
    expect(page.locator("h1")).to_have_text("Alter Titel")
    save(served, ARTICLE.format(title="Neuer Titel"))
    expect(page.locator("h1")).to_have_text("Neuer Titel", timeout=WAIT_MS)
    expect(page).to_have_title(re.compile("Neuer Titel"))
    served.wait_for(r"rebuilt in \d+ ms", again=True)
    assert "__digest" not in (served.root / "output" / PAGE / "index.html").read_text()


def test_overlay_shows_errors_keeps_the_page_and_clears(served: Served, page: Page) -> None:
    page.goto(served.url + PAGE)
    expect(page.locator("h1")).to_have_text("Alter Titel")
    page.evaluate("window.loadedOnce = true")
    save(served, '---\ntitle: "kaputt\nslug: rubio\n---\nText.\n')

    overlay = page.get_by_role("alert")
    expect(overlay).to_be_visible(timeout=WAIT_MS)
    expect(overlay).to_contain_text(re.compile(re.escape(SOURCE) + r":\d+:\d+"))
    expect(overlay).to_contain_text("YAML")
    expect(page.locator("h1")).to_have_text("Alter Titel")
    assert page.evaluate("window.loadedOnce") is True
    box = overlay.bounding_box()
    assert box is not None and box["width"] >= page.viewport_size["width"] - 1

    late = page.context.new_page()
    late.goto(served.url + PAGE)
    expect(late.get_by_role("alert")).to_contain_text(SOURCE, timeout=WAIT_MS)
    expect(late.locator("h1")).to_have_text("Alter Titel")

    save(served, ARTICLE.format(title="Repariert"))
    expect(page.locator("h1")).to_have_text("Repariert", timeout=WAIT_MS)
    expect(page.get_by_role("alert")).to_have_count(0)
    assert page.evaluate("window.loadedOnce") is None
    expect(late.get_by_role("alert")).to_have_count(0, timeout=WAIT_MS)
    expect(late.locator("h1")).to_have_text("Repariert")


def test_error_text_is_shown_as_text_not_markup(served: Served, page: Page) -> None:
    page.goto(served.url + PAGE)
    name = "content/politik/<img src=x onerror=window.pwned=1>.md"
    (served.root / name).write_text("---\ntitle: [kaputt\n---\nText.\n", encoding="utf-8")
    overlay = page.get_by_role("alert")
    expect(overlay).to_contain_text(name, timeout=WAIT_MS)
    assert page.locator("#digest-overlay img").count() == 0
    assert page.evaluate("window.pwned") is None


LIVE_SOURCE = "content/politik/2025-06-03-ticker.md"
LIVE_PAGE = "2025/06/03/gipfel-live/"
LIVE_BLOG = """\
---
title: Gipfel live
date: 2025-06-03T09:00:00+02:00
live: true
live_until: 2099-01-01T00:00:00+01:00
---
Die Chefs beraten.

## 09:15 Uhr

Die ersten kommen.
{more}"""


def test_a_new_live_blog_entry_shows_in_the_open_tab(site, page: Page) -> None:
    root = site({"config.yaml": "title: Vorschau\nbase_url: https://example.org/news/\n"
                                "search: false\n",
                 LIVE_SOURCE: LIVE_BLOG.format(more="")})
    with serving(root) as server:
        page.goto(server.url + LIVE_PAGE)
        entries = page.locator(".live-entry")
        expect(entries).to_have_count(1)
        expect(page.locator(".kicker .badge-live")).to_have_text("LIVE")
        path = root / LIVE_SOURCE
        temp = path.with_name(path.name + ".tmp")
        temp.write_text(LIVE_BLOG.format(more="\n## 18:05 Uhr – Einigung\n\nSie sind sich "
                                              "einig.\n"), encoding="utf-8")
        temp.replace(path)
        expect(entries).to_have_count(2, timeout=WAIT_MS)
        expect(entries.first).to_have_attribute("id", "live-1805")
        expect(entries.first.locator("h2")).to_have_text("18:05 Uhr Einigung")
        assert page.evaluate("location.hash") == ""
