"""axe-core in a real Chromium finds no violations on the sample site, light and dark."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator

import pytest

from .agency_fixtures import add_wire_stories
from .conftest import REPO, build_site

PAGES = {
    "front page": "",
    "article": "2025/06/01/erste-hitzewelle-des-sommers-staedte-oeffnen-kuehle-raeume/",
    "article in English": "2025/06/07/berlin-museum-reopens-its-restored-gallery-of-german-"
                          "renaissance-painting/",
    "article with photo": "2025/06/12/frauen-nationalteam-gibt-kader-fuer-die-em-bekannt/",
    "day page": "2025/06/03/",
    "folded agency story": "2025/06/03/lokfuehrer-legen-gueterverkehr-lahm/",
    "day page with photos": "2025/06/12/",
    "topic page": "topics/klima/",
    "search page": "search/?q=Hitze",
    "not-found page": "404.html",
}


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The sample site, built and indexed, over real HTTP under its sub-path /newsdigest/."""
    root = tmp_path_factory.mktemp("sample")
    shutil.copy(REPO / "config.yaml", root / "config.yaml")
    shutil.copytree(REPO / "content", root / "content")
    add_wire_stories(root / "content")  # a folded story with its versions (§10)
    build_site(root)
    www = tmp_path_factory.mktemp("www")
    (www / "newsdigest").symlink_to(root / "output", target_is_directory=True)
    handler = functools.partial(QuietHandler, directory=str(www))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/newsdigest/"
    server.shutdown()
    server.server_close()


DESK_PAGES = {
    "live blog": "2025/06/03/gipfel-in-bruessel/",
    "corrected article": "2025/06/03/haushalt-beschlossen/",
    "corrections page": "korrekturen/",
    "expired notice": "2025/06/02/zurueckgezogen/",
}


@pytest.fixture(scope="module")
def desk_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The news desk's pages (tests/test_desk.py), built while the live blog runs."""
    from .conftest import write_site
    from .test_desk import DESK, NOW

    root = write_site(tmp_path_factory.mktemp("desk") / "site", DESK)
    build_site(root, now=NOW)
    www = tmp_path_factory.mktemp("www")
    (www / "news").symlink_to(root / "output", target_is_directory=True)
    handler = functools.partial(QuietHandler, directory=str(www))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/news/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", list(PAGES))
def test_no_axe_violations_and_no_console_errors(browser, served: str, axe, name: str,
                                                  scheme: str) -> None:
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        response = page.goto(served + PAGES[name])
        assert response is not None and response.ok
        if name == "search page":
            page.wait_for_selector(".pagefind-ui__result-link", timeout=15_000)
        results = axe.run(page)
        assert results.violations_count == 0, results.generate_report()
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", list(DESK_PAGES))
def test_news_desk_pages_have_no_axe_violations(browser, desk_served: str, axe, name: str,
                                                scheme: str) -> None:
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        response = page.goto(desk_served + DESK_PAGES[name])
        assert response is not None and response.ok
        results = axe.run(page)
        assert results.violations_count == 0, results.generate_report()
    finally:
        context.close()


@pytest.mark.parametrize("width", [320])
def test_readable_at_320_pixels(browser, served: str, width: int) -> None:
    """No page scrolls sideways on a small phone."""
    context = browser.new_context(viewport={"width": width, "height": 640})
    page = context.new_page()
    try:
        for path in PAGES.values():
            page.goto(served + path)
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= width, f"{path or 'front page'} is {overflow} px wide"
    finally:
        context.close()


@pytest.mark.parametrize("width", [320, 390, 1280])
def test_navigation_is_one_row_that_scrolls_inside_itself(browser, served: str,
                                                          width: int) -> None:
    """The site navigation keeps one row; a focused link beyond its edge scrolls into view."""
    context = browser.new_context(viewport={"width": width, "height": 700})
    page = context.new_page()
    try:
        page.goto(served)
        tops = page.evaluate("[...new Set([...document.querySelectorAll('.site-nav a')]"
                             ".map(a => Math.round(a.getBoundingClientRect().top)))]")
        assert len(tops) == 1, f"the navigation has {len(tops)} rows at {width} px"
        page.focus(".site-nav li:last-child a")
        box = page.evaluate("(() => { const r = document.activeElement.getBoundingClientRect();"
                            " return [r.left, r.right, document.documentElement.scrollWidth]; })()")
        assert box[0] >= 0 and box[1] <= width, f"the focused last link is at {box[:2]}"
        assert box[2] <= width
    finally:
        context.close()


def test_first_headline_is_in_the_first_400_pixels_of_a_phone(browser, served: str,
                                                              tmp_path) -> None:
    """On a 390 px phone the navigation keeps to one row, and a story starts high up."""
    context = browser.new_context(viewport={"width": 390, "height": 844},
                                  device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(served)
        top = page.evaluate("document.querySelector('.lead-title, .teaser-title')"
                            ".getBoundingClientRect().top")
        assert 0 < top <= 400, f"the first headline starts at {top} px"
        shot = tmp_path / "front-390.png"
        page.screenshot(path=str(shot))  # kept by pytest for a look when this fails
        assert shot.stat().st_size > 10_000
    finally:
        context.close()


def test_not_found_page_fills_the_screen(browser, served: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 1200})
    page = context.new_page()
    try:
        page.goto(served + PAGES["not-found page"])
        bottom = page.evaluate("document.querySelector('.site-footer')"
                               ".getBoundingClientRect().bottom")
        assert bottom >= 1199, f"the footer ends at {bottom} px of 1200"
    finally:
        context.close()


def test_skip_link_is_first_and_focus_is_visible(browser, served: str) -> None:
    page = browser.new_page()
    try:
        page.goto(served + PAGES["article"])
        page.keyboard.press("Tab")
        focused = page.evaluate("[document.activeElement.className, "
                                "getComputedStyle(document.activeElement).outlineStyle, "
                                "document.activeElement.getBoundingClientRect().top]")
        assert focused[0] == "skip-link"
        assert focused[1] != "none" and focused[2] >= 0
    finally:
        page.close()
