"""Search: Pagefind indexes the article text of the sample site, and the search page finds it."""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import REPO, build_site, write_site
from .test_serve import serving

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


def bundle_names(root: Path) -> list[str]:
    return json.loads((root / "output/pagefind/bundles.json").read_text(encoding="utf-8"))


def test_index_holds_only_articles_in_bundles(sample: Path) -> None:
    names = bundle_names(sample)
    assert names == ["recent", "2025"]  # 6 to 12 June, then the days before
    count = 0
    for name in names:
        entry = json.loads((sample / "output/pagefind" / name / "pagefind-entry.json")
                           .read_text(encoding="utf-8"))
        assert list(entry["languages"]) == ["de"]
        count += entry["languages"]["de"]["page_count"]
    articles = len({p.parent for p in (sample / "output").glob("20*/*/*/*/index.html")})
    assert count == articles
    assert (sample / "output/pagefind/pagefind-ui.js").is_file()
    assert not (sample / "output/pagefind/recent/pagefind-ui.js").exists()  # once, beside


def dated(title: str, day: str, body: str) -> str:
    return f"---\ntitle: {title}\ndate: {day}\n---\n{body}\n"


def test_index_is_kept_when_no_article_page_changed(site) -> None:
    root = site({"content/politik/a.md": dated("Erster Text", "2025-06-01", "Ein Wort."),
                 "content/politik/b.md": dated("Zweiter Text", "2025-06-02", "Zwei Wörter.")})
    _, first = build_site(root)
    assert first.indexed == 2
    _, again = build_site(root, clean=True)  # --clean makes the index again, never loses it
    assert again.indexed == 2 and (root / "output/pagefind/recent/pagefind-entry.json").is_file()
    write_site(root, {"config.yaml": "title: Anders\nbase_url: https://example.org/\n"})
    _, retitled = build_site(root)  # every page changes, the article text does not
    assert retitled.indexed == 2 and retitled.written > 0
    _, unchanged = build_site(root)
    assert unchanged.indexed is None and unchanged.written == 0


def test_index_is_made_again_when_missing_or_a_page_changed(site) -> None:
    root = site({"content/politik/a.md": dated("Erster Text", "2025-06-01", "Ein Wort.")})
    _, report = build_site(root)
    assert report.indexed == 1
    write_site(root, {"content/politik/a.md": dated("Erster Text", "2025-06-01",
                                                    "Ein anderes Wort.")})
    _, report = build_site(root)
    assert report.indexed == 1
    shutil.rmtree(root / "output" / "pagefind")
    _, report = build_site(root)
    assert report.indexed == 1 and (root / "output/pagefind/recent/pagefind-entry.json").is_file()
    assert (root / "output/pagefind/pagefind-ui.js").is_file()
    leftovers = [p for p in root.rglob("*") if "search-" in p.name or ".new-" in p.name]
    assert not leftovers


SPREAD = {  # three years apart, and a recent week
    "content/politik/alt.md": dated("Gletscher schmilzt", "2023-03-01",
                                    "Der Gletscherschwund im Allgäu beschleunigt sich."),
    "content/politik/mitte.md": dated("Bahn baut", "2024-05-01", "Die Bahn baut Brücken."),
    "content/politik/fruehjahr.md": dated("Wahl im Januar", "2025-01-10",
                                          "Die Wahlbeteiligung stieg deutlich."),
    "content/politik/neu.md": dated("Stadtrat tagt", "2025-06-03",
                                    "Der Stadtrat berät über Fußgängerzonen."),
    "content/politik/neu2.md": dated("Markt öffnet", "2025-06-01", "Der Wochenmarkt öffnet."),
}


def files_of(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_an_edit_indexes_only_its_bundle(site) -> None:
    root = site(SPREAD)
    _, first = build_site(root)
    assert first.indexed == 5
    assert bundle_names(root) == ["recent", "2025", "2024", "2023"]
    before = {name: files_of(root / "output/pagefind" / name) for name in bundle_names(root)}
    write_site(root, {"content/politik/neu.md": dated("Stadtrat tagt", "2025-06-03",
                                                      "Der Stadtrat berät über Radwege.")})
    _, edited = build_site(root)
    assert edited.indexed == 2  # the recent bundle: the edited article and its neighbour
    after = {name: files_of(root / "output/pagefind" / name) for name in bundle_names(root)}
    assert after["recent"] != before["recent"]
    for name in ("2025", "2024", "2023"):
        assert after[name] == before[name], f"bundle {name} was written again"
    (root / "content/politik/mitte.md").unlink()
    _, deleted = build_site(root)
    assert deleted.indexed == 0 or deleted.indexed is None
    assert bundle_names(root) == ["recent", "2025", "2023"]
    assert not (root / "output/pagefind/2024").exists()


def test_search_false_turns_it_off(site) -> None:
    root = site({"config.yaml": "title: T\nbase_url: https://example.org/\nsearch: false\n",
                 "content/a.md": "---\ntitle: A\ndate: 2025-06-01\n---\nText.\n"})
    _, report = build_site(root)
    assert report.indexed is None
    assert not (root / "output" / "pagefind").exists()
    assert not (root / "output" / "search").exists()
    assert "search-form" not in (root / "output" / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def spread(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A site whose articles span four bundles, built and served at /."""
    root = write_site(tmp_path_factory.mktemp("spread"), SPREAD)
    build_site(root)
    handler = functools.partial(QuietHandler, directory=str(root / "output"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_finds_articles_in_the_oldest_and_the_newest_bundle(browser, spread) -> None:
    root, url = spread
    links, errors = search_results(browser, url + "search/?q=Gletscherschwund")
    assert links == ["/2023/03/01/gletscher-schmilzt/"] and errors == []
    links, errors = search_results(browser, url + "search/?q=Fu%C3%9Fg%C3%A4ngerzonen")
    assert links == ["/2025/06/03/stadtrat-tagt/"] and errors == []
    write_site(root, {"content/politik/neu.md": dated("Stadtrat tagt", "2025-06-03",
                                                      "Der Stadtrat berät über Radschnellwege.")})
    (root / "content/politik/alt.md").unlink()
    build_site(root)
    links, _ = search_results(browser, url + "search/?q=Radschnellwege")
    assert links == ["/2025/06/03/stadtrat-tagt/"]
    links, _ = search_results(browser, url + "search/?q=Gletscherschwund")
    assert links == []


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


def children_named(parent: int, name: str) -> list[int]:
    """The processes whose parent is `parent` and whose command is `name` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
            command = fields[0].split("(", 1)[1]
            if command == name and int(fields[1].split()[1]) == parent:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def many_articles(word: str) -> dict[str, str]:
    files = {}
    for i in range(300):
        day = f"2025-06-{1 + i % 10:02d}" if i % 3 else f"2024-{1 + i % 12:02d}-15"
        files[f"content/politik/a{i:03d}.md"] = dated(
            f"Meldung {i}", day, f"{word} Nummer {i}. " + "Der Rat berät lange. " * 40)
    return files


def test_a_killed_indexer_leaves_the_last_bundles_served_and_whole(site) -> None:
    root = site(many_articles("Frühling"))
    build_site(root)
    before = files_of(root / "output/pagefind")
    write_site(root, many_articles("Sommer"))
    process = subprocess.Popen([sys.executable, "-m", "digest", "build"], cwd=root,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    killed = None
    while killed is None and process.poll() is None and time.monotonic() < deadline:
        for pid in children_named(process.pid, "pagefind"):
            os.kill(pid, signal.SIGKILL)
            killed = pid
        time.sleep(0.002)
    _, err = process.communicate(timeout=60)
    assert killed, "the indexer was never seen running"
    assert process.returncode == 1, err
    assert "search: Pagefind failed" in err
    assert files_of(root / "output/pagefind") == before  # served as it was, whole
    assert not list(root.glob(".digest-cache/commit-*/search-*"))
    _, report = build_site(root)
    assert report.indexed == 300
    total = sum(json.loads((root / "output/pagefind" / name / "pagefind-entry.json")
                           .read_text(encoding="utf-8"))["languages"]["de"]["page_count"]
                for name in bundle_names(root))
    assert total == 300


def test_serve_makes_an_edit_findable_within_seconds(browser, site) -> None:
    root = site(SPREAD)
    with serving(root) as served:
        deadline = time.monotonic() + 60
        while not (root / "output/pagefind/recent/pagefind-entry.json").is_file():
            assert time.monotonic() < deadline, "\n".join(served.seen)
            time.sleep(0.1)
        path = root / "content/politik/neu.md"
        temp = path.with_name("neu.md.tmp")
        temp.write_text(dated("Stadtrat tagt", "2025-06-03", "Der Stadtrat berät über "
                              "Ladesäulen."), encoding="utf-8")
        saved = time.monotonic()
        temp.replace(path)
        links: list[str] = []
        while links != ["/2025/06/03/stadtrat-tagt/"]:
            assert time.monotonic() - saved < 20, "the edit never became findable"
            links, _ = search_results(browser, served.url + "search/?q=Lades%C3%A4ulen")
        print(f"findable {time.monotonic() - saved:.1f} s after the save")
