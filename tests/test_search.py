"""Search: Pagefind indexes the article text of the sample site, and the search page finds it."""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import REPO, build_site, write_site

HITZEWELLE = "/newsdigest/2025/06/01/erste-hitzewelle-des-sommers-staedte-oeffnen-kuehle-raeume/"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's sample site, built and indexed in a temporary folder."""
    root = tmp_path_factory.mktemp("sample")
    shutil.copy(REPO / "config.yaml", root / "config.yaml")
    shutil.copytree(REPO / "content", root / "content")
    _, report = build_site(root)
    assert report.indexed and report.indexed > 0
    return root


@pytest.fixture(scope="module")
def served(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The built site over real HTTP under its sub-path /newsdigest/."""
    www = tmp_path_factory.mktemp("www")
    (www / "newsdigest").symlink_to(sample / "output", target_is_directory=True)
    handler = functools.partial(QuietHandler, directory=str(www))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/newsdigest/"
    server.shutdown()
    server.server_close()


def search_results(browser, url: str) -> tuple[list[str], list[str]]:
    """Open the search page at `url`; return the result links and any console errors."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(url)
        page.wait_for_selector(".pagefind-ui__message", timeout=15_000)
        page.wait_for_function(
            "!document.querySelector('.pagefind-ui__message').textContent.match(/\\.\\.\\.|…/)",
            timeout=15_000)
        page.wait_for_timeout(300)
        links = page.eval_on_selector_all(".pagefind-ui__result-link",
                                          "els => els.map(e => e.getAttribute('href'))")
    finally:
        page.close()
    return links, errors


def test_index_holds_only_articles(sample: Path) -> None:
    bundle = sample / "output" / "pagefind"
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert list(entry["languages"]) == ["de"]
    articles = len({p.parent for p in (sample / "output").glob("20*/*/*/*/index.html")})
    assert entry["languages"]["de"]["page_count"] == articles


def test_index_is_kept_when_no_article_page_changed(site) -> None:
    root = site({"content/politik/a.md": "---\ntitle: Erster Text\ndate: 2025-06-01\n---\n"
                 "Ein Wort.\n", "content/politik/b.md": "---\ntitle: Zweiter Text\n"
                 "date: 2025-06-02\n---\nZwei Wörter.\n"})
    _, first = build_site(root)
    assert first.indexed == 2
    _, again = build_site(root, clean=True)  # --clean makes the index again, never loses it
    assert again.indexed == 2 and (root / "output/pagefind/pagefind-entry.json").is_file()
    write_site(root, {"config.yaml": "title: Anders\nbase_url: https://example.org/\n"})
    _, retitled = build_site(root)  # every page changes, the article text does not
    assert retitled.indexed == 2 and retitled.written > 0
    _, unchanged = build_site(root)
    assert unchanged.indexed is None and unchanged.written == 0


def test_index_is_made_again_when_missing_or_a_page_changed(site) -> None:
    root = site({"content/politik/a.md": "---\ntitle: Erster Text\ndate: 2025-06-01\n---\n"
                 "Ein Wort.\n"})
    _, report = build_site(root)
    assert report.indexed == 1
    write_site(root, {"content/politik/a.md": "---\ntitle: Erster Text\ndate: 2025-06-01\n"
                      "---\nEin anderes Wort.\n"})
    _, report = build_site(root)
    assert report.indexed == 1
    shutil.rmtree(root / "output" / "pagefind")
    _, report = build_site(root)
    assert report.indexed == 1 and (root / "output/pagefind/pagefind-entry.json").is_file()
    leftovers = [p for p in root.rglob("*") if "search-" in p.name or ".new-" in p.name]
    assert not leftovers


def test_search_false_turns_it_off(site) -> None:
    root = site({"config.yaml": "title: T\nbase_url: https://example.org/\nsearch: false\n",
                 "content/a.md": "---\ntitle: A\ndate: 2025-06-01\n---\nText.\n"})
    _, report = build_site(root)
    assert report.indexed is None
    assert not (root / "output" / "pagefind").exists()
    assert not (root / "output" / "search").exists()
    assert "search-form" not in (root / "output" / "index.html").read_text(encoding="utf-8")


def test_finds_an_article_by_a_body_word(browser, served: str) -> None:
    links, errors = search_results(browser, served + "search/?q=Gemeindezentren")
    assert links == [HITZEWELLE]
    assert errors == []


def test_finds_an_article_by_a_word_with_umlauts(browser, served: str) -> None:
    links, errors = search_results(browser, served + "search/?q=%C3%84rzteverb%C3%A4nde")
    assert links == [HITZEWELLE]
    assert errors == []


def test_header_search_box_leads_to_results(browser, served: str) -> None:
    page = browser.new_page()
    try:
        page.goto(served)
        page.fill("#site-search", "Hitzeaktionspläne")
        page.press("#site-search", "Enter")
        page.wait_for_url("**/search/?q=*")
        page.wait_for_selector(".pagefind-ui__result-link", timeout=15_000)
        assert page.get_attribute(".pagefind-ui__result-link", "href") == HITZEWELLE
    finally:
        page.close()


def test_listing_pages_are_not_in_the_results(browser, served: str) -> None:
    links, _ = search_results(browser, served + "search/?q=Klima")
    assert links, "articles about the climate mention 'Klima'"
    assert all(re.fullmatch(r"/newsdigest/\d{4}/\d\d/\d\d/[^/]+/", link) for link in links), links
    assert "/newsdigest/topics/klima/" not in links
