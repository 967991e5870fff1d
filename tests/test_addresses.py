"""Addresses a newsroom can rely on: earlier URLs redirect, standalone pages, menus."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from pathlib import Path

from .conftest import build_site, run_digest, write_site

CONFIG = ("title: T\nbase_url: https://e.org/sub/\nsearch: true\nmenu:\n  footer:\n"
          "    - {name: Impressum, page: impressum}\n  header:\n"
          "    - {name: Themen, url: /topics/}\n")
NEU = "---\ntitle: Neu\ndate: 2025-06-03\naliases: [/2025/06/03/alt/, /alt.html]\n---\nText.\n"
IMPRESSUM = "---\ntitle: Impressum\ntype: page\n---\nVerantwortlich: Anna Weiß.\n"


def test_earlier_urls_redirect_and_stay_out_of_sitemap_feeds_and_search(tmp_path: Path
                                                                        ) -> None:
    root = write_site(tmp_path / "site", {"config.yaml": CONFIG, "content/politik/neu.md": NEU,
                                          "content/impressum.md": IMPRESSUM})
    _, report = build_site(root)
    assert not [p for p in report.warnings if "impressum" in p.path]  # a page needs no date
    for path in ("output/2025/06/03/alt/index.html", "output/alt.html"):
        html = (root / path).read_text(encoding="utf-8")
        assert '<meta http-equiv="refresh" content="0; url=/sub/2025/06/03/neu/">' in html
        assert '<link rel="canonical" href="https://e.org/sub/2025/06/03/neu/">' in html
        assert '<meta name="robots" content="noindex">' in html
        assert '<a href="/sub/2025/06/03/neu/">' in html
    for listing in ("sitemap.xml", "feed.xml"):
        text = (root / "output" / listing).read_text(encoding="utf-8")
        assert "/alt" not in text
    bundle = b"".join(p.read_bytes() for p in (root / "output/pagefind").rglob("*")
                      if p.is_file() and "entry" in p.name)
    assert report.indexed == 1 and b"alt" not in bundle


def test_standalone_pages_are_in_the_menu_and_sitemap_and_in_no_listing(tmp_path: Path
                                                                        ) -> None:
    root = write_site(tmp_path / "site", {"config.yaml": CONFIG, "content/politik/neu.md": NEU,
                                          "content/impressum.md": IMPRESSUM})
    build_site(root)
    out = root / "output"
    page = (out / "impressum/index.html").read_text(encoding="utf-8")
    assert "Verantwortlich: Anna Weiß." in page
    front = (out / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<ul class="footer-menu"><li><a href="/sub/impressum/">Impressum</a>',
                     front)
    assert '<a href="/sub/topics/">Themen</a>' in front
    assert "https://e.org/sub/impressum/" in (out / "sitemap.xml").read_text(encoding="utf-8")
    for listing in ("feed.xml", "topics/index.html", "2025/06/03/index.html", "archive/index.html"):
        text = (out / listing).read_text(encoding="utf-8")
        assert "Verantwortlich" not in text and "impressum/\">Impressum</a></h" not in text
    assert not (out / "2000").exists()  # a page's stand-in date makes no edition


def test_an_earlier_url_that_is_a_live_url_is_an_error_naming_both_files(tmp_path: Path
                                                                         ) -> None:
    root = write_site(tmp_path / "site", {
        "content/politik/neu.md": NEU.replace("/alt.html", "/2025/06/02/anders/"),
        "content/politik/anders.md": "---\ntitle: Anders\ndate: 2025-06-02\n---\nX.\n"})
    result = run_digest("build", cwd=root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert ("content/politik/neu.md: error: an earlier URL of this article, "
            "/2025/06/02/anders/ ('aliases' or its git history), is the URL of "
            "content/politik/anders.md") in result.stderr


def test_a_bad_alias_and_an_unknown_menu_page_are_errors(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", {
        "config.yaml": "title: T\nmenu:\n  footer:\n    - {name: Impressum, page: impressum}\n",
        "content/politik/neu.md": "---\ntitle: Neu\ndate: 2025-06-03\n"
                                  "aliases: [https://other.org/x/]\n---\nText.\n"})
    result = run_digest("build", cwd=root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "content/politik/neu.md:4:1: error: 'aliases': expected paths of this site" \
        in result.stderr
    assert "config.yaml: error: 'menu': no page has the slug 'impressum'" in result.stderr


def test_a_changed_url_is_noted_when_it_happens(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", {"content/politik/a.md":
                                          "---\ntitle: Stadtrat tagt\ndate: 2025-06-03\n---\nX.\n"})
    run_digest("build", cwd=root, check=True)
    write_site(root, {"content/politik/a.md":
                      "---\ntitle: Stadtrat tagt erneut\ndate: 2025-06-03\n---\nX.\n"})
    result = run_digest("build", cwd=root, check=True)
    assert ("content/politik/a.md: note: URL changed from /2025/06/03/stadtrat-tagt/ to "
            "/2025/06/03/stadtrat-tagt-erneut/") in result.stderr
    again = run_digest("build", cwd=root, check=True)
    assert "note:" not in again.stderr


def test_init_links_an_impressum_and_check_warns_while_placeholders_are_left(tmp_path: Path
                                                                             ) -> None:
    run_digest("init", str(tmp_path / "neu"), cwd=tmp_path, check=True)
    root = tmp_path / "neu"
    run_digest("build", cwd=root, check=True)
    front = (root / "output/index.html").read_text(encoding="utf-8")
    assert '<a href="/nachrichten/impressum/">Impressum</a>' in front
    assert '<a href="/nachrichten/datenschutz/">Datenschutz</a>' in front
    result = run_digest("check", cwd=root)
    assert result.returncode == 0
    assert re.search(r"content/impressum\.md:\d+:\d+: warning: placeholder left", result.stderr)
    impressum = root / "content/impressum.md"
    impressum.write_text("---\ntitle: Impressum\ntype: page\nslug: impressum\n---\nAnna Weiß, "
                         "Köln.\n", encoding="utf-8")
    result = run_digest("check", cwd=root)
    assert "content/impressum.md" not in result.stderr


def test_an_old_url_leads_to_the_new_one_in_a_browser(browser, tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", {"config.yaml": CONFIG, "content/politik/neu.md": NEU,
                                          "content/impressum.md": IMPRESSUM})
    build_site(root)
    www = tmp_path / "www"
    www.mkdir()
    (www / "sub").symlink_to(root / "output", target_is_directory=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page = browser.new_page()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/sub/"
        page.goto(base + "2025/06/03/alt/")
        page.wait_for_url("**/2025/06/03/neu/", timeout=10_000)
        assert page.locator("h1").first.inner_text() == "Neu"
    finally:
        page.close()
        server.shutdown()
        server.server_close()


LINKING = ("---\ntitle: Bericht\ndate: 2025-06-04\n---\nSiehe [den Aufstieg]"
           "(../sport/2025-06-03-aufstieg.md#tor) und [alle Sportmeldungen](/topics/sport/).\n")
AUFSTIEG = "---\ntitle: Aufstieg\ndate: 2025-06-03\n---\nText.\n"


def test_links_by_file_and_root_relative_links_work_at_the_root_and_under_a_sub_path(
        tmp_path: Path) -> None:
    for base, path in (("https://e.org/", "/"), ("https://e.org/sub/", "/sub/")):
        config = f"title: T\nbase_url: {base}\nsearch: false\n"
        root = write_site(tmp_path / path.strip("/") / "site", {
            "config.yaml": config, "content/politik/b.md": LINKING,
            "content/sport/2025-06-03-aufstieg.md": AUFSTIEG})
        build_site(root)
        html = (root / "output/2025/06/04/bericht/index.html").read_text(encoding="utf-8")
        assert f'<a href="{path}2025/06/03/aufstieg/#tor">den Aufstieg</a>' in html
        assert f'<a href="{path}topics/sport/">alle Sportmeldungen</a>' in html
        feed = (root / "output/feed.xml").read_text(encoding="utf-8")
        assert "__digest__" not in feed
        # the linked article is retitled: the link follows it
        write_site(root, {"config.yaml": config, "content/sport/2025-06-03-aufstieg.md":
                          AUFSTIEG.replace("Aufstieg", "Aufstieg perfekt")})
        build_site(root)
        html = (root / "output/2025/06/04/bericht/index.html").read_text(encoding="utf-8")
        assert f'<a href="{path}2025/06/03/aufstieg-perfekt/#tor">' in html


def test_a_link_to_a_missing_content_file_is_an_error_at_the_link(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", {
        "content/politik/b.md": "---\ntitle: Bericht\ndate: 2025-06-04\n---\nErst Text.\n\n"
                                "Dann [weg](../sport/fehlt.md).\n"})
    result = run_digest("build", cwd=root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert ("content/politik/b.md:7:12: error: link to content/sport/fehlt.md: there is no "
            "such article file in the content folder") in result.stderr


def test_a_page_on_an_index_pages_url_is_an_error_naming_both(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", {
        "content/archiv.md": "---\ntitle: Archiv\ntype: page\nslug: archive\n---\nText.\n",
        "content/politik/a.md": "---\ntitle: A\ndate: 2025-06-03\n---\nX.\n"})
    before = run_digest("build", cwd=root)
    assert before.returncode == 1 and "Traceback" not in before.stderr
    assert ("content/archiv.md: error: content/archiv.md and the archive page would both be "
            "written to archive/index.html") in before.stderr
