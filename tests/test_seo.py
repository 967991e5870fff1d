"""News SEO: feeds that parse, NewsArticle JSON-LD, and the head tags every page carries."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest

from .conftest import REPO, build_site

OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)$")


class Head(HTMLParser):
    """The tags search engines and social sites read: meta, link, JSON-LD, <html lang>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str]] = []
        self.jsonld: list[str] = []
        self.lang: str | None = None
        self.scripts: list[dict[str, str]] = []
        self._in_jsonld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "meta" and ("property" in a or "name" in a):
            self.meta.setdefault(a.get("property") or a["name"], a.get("content", ""))
        elif tag == "link":
            self.links.append(a)
        elif tag == "script":
            self.scripts.append(a)
            if a.get("type") == "application/ld+json":
                self._in_jsonld = True
                self.jsonld.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_jsonld = False

    def handle_data(self, data: str) -> None:
        if self._in_jsonld:
            self.jsonld[-1] += data


def parse(path: Path) -> Head:
    head = Head()
    head.feed(path.read_text(encoding="utf-8"))
    return head


def copy_sample(root: Path) -> Path:
    shutil.copy(REPO / "config.yaml", root / "config.yaml")
    shutil.copytree(REPO / "content", root / "content")
    return root


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's sample site, built in a temporary folder."""
    root = copy_sample(tmp_path_factory.mktemp("sample"))
    build_site(root)
    return root / "output"


def html_pages(output: Path) -> list[Path]:
    return sorted(p for p in output.rglob("*.html") if "pagefind" not in p.parts)


def article_pages(output: Path) -> list[Path]:
    return sorted(output.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]/*/index.html"))


def check_news_article(data: dict, page: str) -> None:
    assert data["@context"] == "https://schema.org", page
    assert data["@type"] == "NewsArticle", page
    assert 0 < len(data["headline"]) <= 110, page
    for key in ("datePublished", "dateModified"):
        assert OFFSET.match(data[key]), (page, key, data[key])
        assert dt.datetime.fromisoformat(data[key]).utcoffset() is not None
    assert data["author"] and all(a["name"] for a in data["author"]), page
    assert data["publisher"]["@type"] == "Organization" and data["publisher"]["name"], page
    assert isinstance(data["articleSection"], str) and data["articleSection"], page
    assert data["inLanguage"] in ("de", "en"), page
    assert data["mainEntityOfPage"].startswith("https://example.github.io/newsdigest/"), page
    if "image" in data:
        urls = [i if isinstance(i, str) else i["url"] for i in data["image"]]
        assert all(u.startswith("https://") for u in urls), page
        for item in data["image"]:
            if isinstance(item, dict):
                assert item["@type"] == "ImageObject" and item["width"] and item["height"]


def test_every_page_has_the_seo_head(output: Path) -> None:
    pages = html_pages(output)
    assert len(pages) > 50
    for path in pages:
        page = str(path.relative_to(output))
        head = parse(path)
        assert head.lang == "de", page
        canonical = [link["href"] for link in head.links if link.get("rel") == "canonical"]
        assert len(canonical) == 1 and canonical[0].startswith("https://example.github.io/"), page
        for key in ("description", "og:title", "og:description", "og:url", "og:type",
                    "og:site_name", "og:locale", "twitter:card"):
            assert head.meta.get(key), (page, key)
        assert head.meta["og:url"] == canonical[0], page
        feeds = [link for link in head.links if link.get("rel") == "alternate"
                 and link.get("type") == "application/atom+xml"]
        assert feeds and all(f["href"].endswith("feed.xml") for f in feeds), page


def test_canonical_urls_match_the_output_paths(output: Path) -> None:
    for path in html_pages(output):
        rel = path.relative_to(output).as_posix()
        expected = "https://example.github.io/newsdigest/" + (
            rel.removesuffix("index.html") if rel.endswith("index.html") else rel)
        canonical = [link["href"] for link in parse(path).links if link.get("rel") == "canonical"]
        assert canonical == [expected]


def test_articles_carry_one_valid_news_article(output: Path) -> None:
    pages = article_pages(output)
    assert len(pages) >= 18
    for path in pages:
        head = parse(path)
        page = str(path.relative_to(output))
        assert len(head.jsonld) == 1, page
        data = json.loads(head.jsonld[0])
        check_news_article(data, page)
        assert head.meta["og:type"] == "article"
        assert head.meta["article:published_time"]
        assert data["headline"] == head.meta["og:title"][:110] or len(head.meta["og:title"]) > 110


def test_json_ld_blocks_anywhere_parse(output: Path) -> None:
    for path in html_pages(output):
        for block in parse(path).jsonld:
            check_news_article(json.loads(block), str(path))


def test_article_with_image_has_absolute_image_everywhere(output: Path) -> None:
    path = next(p for p in article_pages(output) if "hamburger-hafen" in str(p))
    head = parse(path)
    data = json.loads(head.jsonld[0])
    image = "https://example.github.io/newsdigest/" + path.parent.relative_to(output).as_posix() \
        + "/hafen.svg"
    assert data["image"] == [image]
    assert head.meta["og:image"] == image
    assert head.meta["twitter:card"] == "summary_large_image"
    assert (path.parent / "hafen.svg").is_file()


def test_article_with_photo_has_crops_for_search_engines(output: Path) -> None:
    path = next(p for p in article_pages(output) if "frauen-nationalteam" in str(p))
    head = parse(path)
    data = json.loads(head.jsonld[0])
    ratios = {round(i["width"] / i["height"], 2) for i in data["image"]}
    assert ratios == {round(16 / 9, 2), round(4 / 3, 2), 1.0}
    assert all(i["width"] >= 1000 and i["caption"] and i["creditText"] == "Sportredaktion"
               for i in data["image"])
    assert head.meta["og:image"].endswith("/training-1600w.jpg")
    assert head.meta["robots"] == "max-image-preview:large"
    for item in data["image"]:
        assert (output / item["url"].removeprefix("https://example.github.io/newsdigest/")
                ).is_file()


def test_english_article_keeps_the_site_language_on_the_page(output: Path) -> None:
    path = next(p for p in article_pages(output) if "berlin-museum" in str(p))
    text = path.read_text(encoding="utf-8")
    assert '<html lang="de">' in text
    assert '<article class="article" lang="en">' in text
    assert json.loads(parse(path).jsonld[0])["inLanguage"] == "en"


def test_every_feed_parses_with_the_right_entries(output: Path) -> None:
    articles = {"https://example.github.io/newsdigest/"
                + p.parent.relative_to(output).as_posix() + "/" for p in article_pages(output)}
    feeds = sorted(p for p in output.rglob("feed.xml") if p.parent.name != "korrekturen")
    assert output / "feed.xml" in feeds and len(feeds) == 7  # the corrections feed: test_desk
    for path in feeds:
        feed = feedparser.parse(path.read_bytes())
        assert not feed.bozo, (path, feed.get("bozo_exception"))
        assert feed.feed.title and feed.feed.updated
        links = [e.link for e in feed.entries]
        assert links and set(links) <= articles, path
        assert len(links) == len(set(links))
        dates = [e.published_parsed for e in feed.entries]
        assert dates == sorted(dates, reverse=True), path
        for entry in feed.entries:
            assert entry.title and entry.id and entry.updated, path
        if path.parent.name != "output":
            topic = path.parent.name
            topic_page = (output / "topics" / topic / "index.html").read_text(encoding="utf-8")
            assert all(link.removeprefix("https://example.github.io") in topic_page
                       for link in links), path
    whole = feedparser.parse((output / "feed.xml").read_bytes())
    assert len(whole.entries) == min(20, len(articles))


def test_script_end_tag_in_a_title_cannot_close_the_json_ld(site) -> None:
    title = 'Die Frage </script><script>alert("x")</script> & <!-- mehr -->'
    root = site({"content/politik/a.md": f"---\ntitle: '{title}'\ndate: 2025-06-01T10:00:00"
                 "+02:00\n---\nText.\n"})
    build_site(root)
    path = next((root / "output").glob("2025/06/01/*/index.html"))
    text = path.read_text(encoding="utf-8")
    block = text.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert json.loads(block)["headline"] == title
    assert "<" not in block and ">" not in block
    head = parse(path)
    assert [s.get("type") for s in head.scripts] == ["application/ld+json"]
    assert text.count("<script") == 1 and text.count("</script>") == 1


def test_long_headline_is_cut_at_a_word(site) -> None:
    title = " ".join(["Bundesregierung"] * 12)
    root = site({"content/politik/a.md": f"---\ntitle: {title}\ndate: 2025-06-01\n---\nText.\n"})
    build_site(root)
    path = next((root / "output").glob("2025/06/01/*/index.html"))
    headline = json.loads(parse(path).jsonld[0])["headline"]
    assert len(headline) <= 110
    assert headline.endswith("Bundesregierung…")
    assert title.startswith(headline.removesuffix("…"))
