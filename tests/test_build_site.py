"""The whole site from the sample content: every page, right days, links, feeds, sitemap."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest

from digest.slugs import slugify

from .conftest import REPO, build_site, run_digest, write_site
from .linkcrawl import broken_links


def copy_sample(target: Path, base_url: str | None = None) -> Path:
    target.mkdir(parents=True)
    config = (REPO / "config.yaml").read_text(encoding="utf-8")
    if base_url:
        config = re.sub(r"(?m)^base_url:.*$", f"base_url: {base_url}", config)
    (target / "config.yaml").write_text(config, encoding="utf-8")
    shutil.copytree(REPO / "content", target / "content")
    return target


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    root = copy_sample(tmp_path_factory.mktemp("sample") / "site")
    build_site(root)
    return root / "output"


def test_every_page_of_the_spec_exists(sample: Path) -> None:
    for rel in ["index.html", "2025/06/03/index.html", "2025/06/index.html", "2025/index.html",
                "topics/index.html", "topics/aussenpolitik/index.html",
                "topics/aussenpolitik/feed.xml", "tags/eu/index.html", "feed.xml",
                "sitemap.xml", "robots.txt", "404.html", ".nojekyll", "archive/index.html",
                "2025/06/03/aussenminister-trifft-amtskollegen-in-strassburg/index.html"]:
        assert (sample / rel).is_file(), rel


def test_article_at_2330_minus_five_belongs_to_the_next_berlin_day(sample: Path) -> None:
    day = sample / "2025/06/05"
    assert (day / "handelsgespraeche-in-washington-ohne-durchbruch/index.html").is_file()
    assert "Handelsgespräche in Washington" in (day / "index.html").read_text(encoding="utf-8")
    assert not (sample / "2025/06/04").exists()


def test_german_month_names_and_dates(sample: Path) -> None:
    month = (sample / "2025/06/index.html").read_text(encoding="utf-8")
    assert "Juni 2025" in month
    day = (sample / "2025/06/03/index.html").read_text(encoding="utf-8")
    assert "3. Juni 2025" in day
    assert "Weiterlesen" in day or "Themen" in day


def test_plain_text_article_is_escaped_paragraphs_under_its_headline(sample: Path) -> None:
    source = REPO / "content/wirtschaft/2025-06-05-industrie-fordert-entlastung-beim-strompreis.txt"
    headline, body = source.read_text(encoding="utf-8").split("\n\n", 1)
    page = sample / "2025/06/05" / slugify(headline) / "index.html"
    html = page.read_text(encoding="utf-8")
    assert re.search(r"<h1[^>]*>" + re.escape(headline.strip()) + "</h1>", html)
    body_html = html.split("data-pagefind-body>", 1)[1].split("</div>", 1)[0]
    paragraphs = [p for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]
    assert body_html.count("<p>") == len(paragraphs)
    assert "*" in body_html and "<em>" not in body_html and "<strong>" not in body_html
    assert '<a href="https://www.example.org/bericht">' in body_html


def test_draft_is_left_out_and_built_with_drafts(tmp_path: Path, sample: Path) -> None:
    assert not (sample / "2025/06/10").exists()
    root = copy_sample(tmp_path / "site")
    build_site(root, drafts=True)
    assert (root / "output/2025/06/10/koalition-einigt-sich-auf-kommission-zur-wahlrechtsreform").is_dir()


def test_german_slugs() -> None:
    assert slugify("Außenminister Über Straße") == "aussenminister-ueber-strasse"
    assert slugify("Städte & Regionen") == "staedte-regionen"
    long = slugify("Wort " * 40)
    assert len(long) <= 80 and not long.endswith("-") and long.endswith("wort")


def test_image_is_copied_next_to_its_article(sample: Path) -> None:
    folder = sample / "2025/06/03/hamburger-hafen-legt-beim-containerumschlag-zu"
    assert (folder / "hafen.svg").is_file()
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert 'src="/newsdigest/2025/06/03/hamburger-hafen-legt-beim-containerumschlag-zu/hafen.svg"' in html


def test_no_broken_internal_links_under_a_sub_path(sample: Path) -> None:
    assert broken_links(sample, "https://example.github.io/newsdigest/") == []


def test_no_broken_internal_links_at_the_root(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "site", base_url="https://news.example.org/")
    build_site(root)
    html = (root / "output/index.html").read_text(encoding="utf-8")
    assert 'href="/topics/' in html and "/newsdigest/" not in html
    assert broken_links(root / "output", "https://news.example.org/") == []


def test_feeds_parse_and_list_the_right_entries(sample: Path) -> None:
    site_feed = feedparser.parse((sample / "feed.xml").read_bytes())
    assert not site_feed.bozo, site_feed.bozo_exception
    titles = [e.title for e in site_feed.entries]
    assert "Außenminister trifft Amtskollegen in Straßburg" in titles
    assert not any("Wahlrechtskommission" in t for t in titles)  # the draft
    dates = [e.published_parsed for e in site_feed.entries]
    assert dates == sorted(dates, reverse=True)
    for feed_path in sorted(sample.glob("topics/*/feed.xml")):
        topic = feedparser.parse(feed_path.read_bytes())
        assert not topic.bozo, (feed_path, topic.bozo_exception)
        assert topic.entries
        for entry in topic.entries:
            assert f"/topics/{feed_path.parent.name}/" in \
                (sample / entry.link.split("/newsdigest/", 1)[1] / "index.html"
                 ).read_text(encoding="utf-8")


def test_sitemap_lists_every_html_page(sample: Path) -> None:
    tree = ET.parse(sample / "sitemap.xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    listed = {loc.text for loc in tree.findall(".//s:loc", ns)}
    pages = set()
    for page in sample.rglob("*.html"):
        rel = page.relative_to(sample).as_posix()
        if rel == "404.html" or rel.startswith("search/"):
            continue
        pages.add("https://example.github.io/newsdigest/" + rel.removesuffix("index.html"))
    assert pages - listed == set()


def test_every_page_has_lang_title_canonical_and_feed_link(sample: Path) -> None:
    for page in sample.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert re.search(r'<html lang="[a-z]{2}', html), page
        assert "<title>" in html and 'rel="canonical"' in html, page
        assert 'type="application/atom+xml"' in html, page


def test_front_page_groups_latest_editions_by_topic(tmp_path: Path) -> None:
    root = write_site(tmp_path / "s", {
        "config.yaml": "title: T\nbase_url: https://e.org/\nfront_page_days: 2\n",
        "content/sport/2025-06-03-a.md": "---\ntitle: Sport A\ndate: 2025-06-03T10:00:00+02:00\n---\nx\n",
        "content/kultur/2025-06-03-b.md": "---\ntitle: Kultur B\ndate: 2025-06-03T11:00:00+02:00\n---\nx\n",
        "content/sport/2025-06-02-c.md": "---\ntitle: Sport C\ndate: 2025-06-02T10:00:00+02:00\n---\nx\n",
        "content/sport/2025-06-01-d.md": "---\ntitle: Sport D\ndate: 2025-06-01T10:00:00+02:00\n---\nx\n",
    })
    build_site(root)
    html = (root / "output/index.html").read_text(encoding="utf-8")
    assert "Sport A" in html and "Kultur B" in html and "Sport C" in html
    assert "Sport D" not in html
    assert html.index("Sport A") < html.index("Sport C")


def test_topics_with_different_spellings_are_one_topic(tmp_path: Path) -> None:
    root = write_site(tmp_path / "s", {
        "content/a.md": "---\ntitle: Eins\ndate: 2025-06-03\ntopic: Außenpolitik\n---\nx\n",
        "content/b.md": "---\ntitle: Zwei\ndate: 2025-06-03\ntopic: außenpolitik\n---\nx\n",
        "content/c.md": "---\ntitle: Drei\ndate: 2025-06-03\ntopic: Außenpolitik\n---\nx\n",
    })
    build_site(root)
    topics = sorted(p.name for p in (root / "output/topics").iterdir() if p.is_dir())
    assert topics == ["aussenpolitik"]
    html = (root / "output/topics/aussenpolitik/index.html").read_text(encoding="utf-8")
    assert "<h1" in html and "Außenpolitik" in html


def test_topic_pages_are_paginated(tmp_path: Path) -> None:
    files = {"config.yaml": "title: T\nbase_url: https://e.org/\nper_page: 2\n"}
    for i in range(5):
        files[f"content/sport/2025-06-0{i + 1}-a{i}.md"] = f"---\ntitle: Artikel {i}\n---\nx\n"
    root = write_site(tmp_path / "s", files)
    build_site(root)
    out = root / "output/topics/sport"
    assert (out / "index.html").is_file() and (out / "page/3/index.html").is_file()
    assert not (out / "page/4").exists()
    assert "Artikel 4" in (out / "index.html").read_text(encoding="utf-8")
    assert "Artikel 0" in (out / "page/3/index.html").read_text(encoding="utf-8")


def test_english_site_gets_english_dates_and_quotes(tmp_path: Path) -> None:
    root = write_site(tmp_path / "s", {
        "config.yaml": "title: T\nbase_url: https://e.org/\nlanguage: en\ntimezone: UTC\n",
        "content/world/2025-06-03-a.md": '---\ntitle: A\n---\nHe said "yes" and \'no\'.\n',
    })
    build_site(root)
    html = (root / "output/2025/06/03/a/index.html").read_text(encoding="utf-8")
    assert "“yes”" in html and "‘no’" in html and "June 3, 2025" in html


def test_german_quotes(tmp_path: Path) -> None:
    root = write_site(tmp_path / "s", {
        "content/a/2025-06-03-a.md": '---\ntitle: A\n---\nEr sagte "ja" und \'nein\', geht\'s?\n',
    })
    build_site(root)
    html = (root / "output/2025/06/03/a/index.html").read_text(encoding="utf-8")
    assert "„ja“" in html and "‚nein‘" in html and "geht’s" in html


def test_cli_build_prints_one_summary_line_and_exit_codes(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "site")
    result = run_digest("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"\d+ pages, \d+ articles: \d+ files written, \d+ unchanged, "
                        r"\d+ removed in [\d.]+ s(; search index: \d+ pages in [\d.]+ s)?"
                        r"(; next scheduled article: \d{4}-\d\d-\d\dT[\d:]+[+-]\d\d:\d\d)?\n",
                        result.stdout), result.stdout
    assert run_digest("build", "--no-such-option", cwd=root).returncode == 2
    assert run_digest("--version", cwd=root).stdout.startswith("digest, version ")


@pytest.mark.skipif(sys.platform != "linux", reason="venv layout")
def test_fresh_venv_installs_and_builds_a_new_site(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "--quiet",
                          "--disable-pip-version-check", str(REPO)],
                         capture_output=True, text=True, timeout=900)
    assert pip.returncode == 0, pip.stderr
    digest = str(venv / "bin/digest")
    where = subprocess.run([str(venv / "bin/python"), "-c",
                            "import digest, sys; print(digest.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, check=True)
    assert str(venv) in where.stdout, "the test must use the installed copy, not the repo"
    subprocess.run([digest, "init", "mysite"], cwd=tmp_path, check=True,
                   capture_output=True)
    built = subprocess.run([digest, "build"], cwd=tmp_path / "mysite", capture_output=True,
                           text=True)
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "mysite/output/index.html").is_file()
    assert (tmp_path / "mysite/output/feed.xml").is_file()
    assert (tmp_path / "mysite/output/pagefind/pagefind-ui.js").is_file(), built.stdout
