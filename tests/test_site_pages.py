"""Every page is reachable from the front page, index pages move with permalinks, day pages
name their weekday, and the build's summary line is its last line."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from digest.config import Permalinks, load_config
from digest.errors import DigestError

from .conftest import build_site, run_digest, write_site
from .linkcrawl import broken_links

OLD_INDEX_URLS = ("topics/", "tags/", "archive/", "search/")
MOVED = {"topics_index": "/themen/", "archive": "/archiv/", "search": "/suche/",
         "tags_index": "/schlagwoerter/"}
SUMMARY = (r"\d+ pages, \d+ articles: \d+ files written, \d+ unchanged, \d+ removed in [\d.]+ s"
           r"(; search index: \d+ pages in [\d.]+ s)?")


class Links(HTMLParser):
    """Every URL a reader can follow from a page: links, and the search form's target."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (name == "href" or (tag == "form" and name == "action")):
                self.urls.append(value)


def page_links(output: Path, base_url: str, rel: str) -> list[str]:
    """The internal links of one page as paths relative to the site root ('topics/x/')."""
    base = urlsplit(base_url)
    page_url = base_url + (rel[:-len("index.html")] if rel.endswith("index.html") else rel)
    parser = Links()
    parser.feed((output / rel).read_text(encoding="utf-8"))
    found = []
    for link in parser.urls:
        parts = urlsplit(urljoin(page_url, link))
        path = unquote(parts.path)
        if parts.scheme in ("http", "https") and parts.netloc == base.netloc and \
                path.startswith(base.path):
            found.append(path[len(base.path):])
    return found


def crawl(output: Path, base_url: str) -> set[str]:
    """The HTML files reached by following every internal link from the front page."""
    seen: set[str] = set()
    todo = ["index.html"]
    while todo:
        rel = todo.pop()
        if rel in seen or not (output / rel).is_file():
            continue
        seen.add(rel)
        for link in page_links(output, base_url, rel):
            target = link + "index.html" if link == "" or link.endswith("/") else link
            if target.endswith(".html"):
                todo.append(target)
    return seen


def html_pages(output: Path) -> set[str]:
    return {p.relative_to(output).as_posix() for p in output.rglob("*.html")} - {"404.html"}


def article(topic: str, day: int, n: int, tags: str = "[Ukraine]") -> str:
    return (f"---\ntitle: Meldung {n} zu {topic}\ndate: 2025-06-{day:02d}T{8 + n % 10:02d}:00:00"
            f"+02:00\ntags: {tags}\n---\nText der Meldung {n}.\n")


def news_site(root: Path, base_url: str, extra_config: str = "") -> Path:
    """A site whose topic and tag both have more articles than fit on one page."""
    files: dict[str, str | bytes] = {
        "config.yaml": f"title: Testseite\nbase_url: {base_url}\nper_page: 2\n{extra_config}"}
    for n in range(1, 8):
        topic = "politik" if n % 2 else "wirtschaft"
        files[f"content/{topic}/meldung-{n}.md"] = article(topic, 1 + n % 3, n)
    files["content/sport/meldung-9.md"] = article("sport", 4, 9, "[]")
    return write_site(root, files)


@pytest.mark.parametrize("base_url", ["https://e.org/", "https://e.org/sub/"])
def test_crawl_from_the_front_page_reaches_every_page(tmp_path: Path, base_url: str) -> None:
    root = news_site(tmp_path / "site", base_url)
    build_site(root)
    output = root / "output"
    assert (output / "tags/ukraine/page/4/index.html").is_file()
    assert (output / "topics/politik/page/2/index.html").is_file()
    assert crawl(output, base_url) == html_pages(output)
    assert broken_links(output, base_url) == []


def test_tag_pages_link_each_other_like_topic_pages(tmp_path: Path) -> None:
    root = news_site(tmp_path / "site", "https://e.org/")
    build_site(root)
    second = (root / "output/tags/ukraine/page/2/index.html").read_text(encoding="utf-8")
    nav = re.search(r'<nav class="pagination" aria-label="Seitennavigation">(.*?)</nav>',
                    second, re.S)
    assert nav, second
    assert '<a class="pager-prev" href="/tags/ukraine/" rel="prev">Neuere Artikel</a>' \
        in nav.group(1)
    assert '<a class="pager-next" href="/tags/ukraine/page/3/" rel="next">Ältere Artikel</a>' \
        in nav.group(1)
    assert "Seite 2 von 4" in nav.group(1)


@pytest.mark.parametrize("base_url", ["https://e.org/", "https://e.org/sub/"])
def test_index_pages_move_with_permalinks(tmp_path: Path, base_url: str) -> None:
    moved = "".join(f"  {key}: {url}\n" for key, url in MOVED.items())
    root = news_site(tmp_path / "site", base_url, f"permalinks:\n{moved}")
    build_site(root)
    output = root / "output"
    for url in MOVED.values():
        assert (output / url.strip("/") / "index.html").is_file(), url
    for old in OLD_INDEX_URLS:
        assert not (output / old / "index.html").exists(), old
    for rel in html_pages(output) | {"404.html"}:
        links = page_links(output, base_url, rel)
        assert not set(links) & set(OLD_INDEX_URLS), (rel, set(links) & set(OLD_INDEX_URLS))
    sitemap = (output / "sitemap.xml").read_text(encoding="utf-8")
    for url in MOVED.values():
        assert f"<loc>{base_url}{url.lstrip('/')}</loc>" in sitemap, url
    for old in OLD_INDEX_URLS:
        assert f"<loc>{base_url}{old}</loc>" not in sitemap, old
    search = (output / "suche/index.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{base_url}suche/">' in search
    front = (output / "index.html").read_text(encoding="utf-8")
    assert f'action="{urlsplit(base_url).path}suche/"' in front
    assert crawl(output, base_url) == html_pages(output)
    assert broken_links(output, base_url) == []


def test_index_permalinks_default_to_todays_urls() -> None:
    defaults = Permalinks()
    assert (defaults.topics_index, defaults.tags_index, defaults.archive, defaults.search,
            defaults.page) == ("/topics/", "/tags/", "/archive/", "/search/", "/{slug}/")


def config_problems(tmp_path: Path, permalinks: str) -> list[str]:
    root = write_site(tmp_path / "site", {
        "config.yaml": f"title: T\nbase_url: https://e.org/\npermalinks:\n{permalinks}"})
    with pytest.raises(DigestError) as caught:
        load_config(root / "config.yaml")
    return [str(p) for p in caught.value.problems]


def test_two_patterns_for_one_url_are_a_config_error_naming_both(tmp_path: Path) -> None:
    problems = config_problems(tmp_path, "  archive: /archiv/\n  search: /archiv/\n")
    assert len(problems) == 1, problems
    assert re.search(r"config\.yaml:5:3: error: 'permalinks\.search': .*'/archiv/'.*"
                     r"'permalinks\.archive'", problems[0]), problems


@pytest.mark.parametrize(("setting", "message"), [
    ("archive: archiv/", r"'permalinks\.archive': expected a pattern that starts and ends "
                         r"with '/', got 'archiv/'"),
    ("search: /suche", r"'permalinks\.search': expected a pattern that starts and ends"),
    ("tags_index: /../tags/", r"'permalinks\.tags_index': the pattern '/\.\./tags/' would "
                              r"leave the output folder"),
    ("topics_index: /themen/{topic}/", r"'permalinks\.topics_index': .*\{topic\}.*"),
    ("page: /{title}/", r"'permalinks\.page': unknown placeholder \{title\}.*use \{slug\}"),
])
def test_index_permalinks_are_validated(tmp_path: Path, setting: str, message: str) -> None:
    problems = config_problems(tmp_path, f"  {setting}\n")
    assert len(problems) == 1 and re.search(message, problems[0]), problems


@pytest.mark.parametrize(("language", "weekday_date", "plain_date"), [
    ("de", "Dienstag, 3. Juni 2025", "3. Juni 2025"),
    ("en", "Tuesday, June 3, 2025", "June 3, 2025"),
])
def test_day_page_names_its_weekday(tmp_path: Path, language: str, weekday_date: str,
                                    plain_date: str) -> None:
    root = write_site(tmp_path / "site", {
        "config.yaml": f"title: Testseite\nbase_url: https://e.org/\nlanguage: {language}\n",
        "content/politik/a.md": "---\ntitle: A\ndate: 2025-06-03T10:00:00+02:00\n---\nText\n",
        "content/politik/b.md": "---\ntitle: B\ndate: 2025-06-04T10:00:00+02:00\n---\nText\n"})
    build_site(root)
    day = (root / "output/2025/06/03/index.html").read_text(encoding="utf-8")
    assert f"<title>{weekday_date} – Testseite</title>" in day
    assert f'<h1 class="page-title">{weekday_date}</h1>' in day
    assert f'<meta property="og:title" content="{weekday_date}">' in day
    front = (root / "output/index.html").read_text(encoding="utf-8")
    assert f'<a href="/2025/06/03/">{plain_date}</a></h2>' in front
    month = (root / "output/2025/06/index.html").read_text(encoding="utf-8")
    assert f'<h2><a href="/2025/06/03/">{plain_date}</a></h2>' in month


def scheduled_site(root: Path) -> Path:
    return write_site(root, {
        "config.yaml": "title: Testseite\nbase_url: https://e.org/\nsearch: false\n",
        "content/politik/jetzt.md": "---\ntitle: Jetzt\ndate: 2025-06-03T10:00:00+02:00\n---\nT\n",
        "content/politik/spaeter.md": "---\ntitle: Später\ndate: 2999-01-01T00:00:00+01:00\n"
                                      "---\nT\n"})


def test_build_ends_with_the_summary_line_naming_the_next_scheduled_article(
        tmp_path: Path) -> None:
    root = scheduled_site(tmp_path / "site")
    result = run_digest("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(SUMMARY + r"; next scheduled article: 2999-01-01T00:00:00\+01:00\n",
                        result.stdout), result.stdout
    assert "scheduled" not in result.stderr
    verbose = run_digest("build", "--verbose", cwd=root)
    assert verbose.returncode == 0, verbose.stderr
    last = verbose.stdout.splitlines()[-1]
    assert re.fullmatch(SUMMARY + r"; next scheduled article: 2999-01-01T00:00:00\+01:00",
                        last), verbose.stdout
    quiet = run_digest("build", "--quiet", cwd=root)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == "" and "scheduled" not in quiet.stderr, quiet.stdout + quiet.stderr
