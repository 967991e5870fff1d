"""The news desk (SPEC §9): Google News sitemap, corrections and updates, live blogs, expiry,
and the check that no withheld article leaks, each on a real built site."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import feedparser
from lxml import etree

from .conftest import build_site, run_digest, write_site

SCHEMAS = Path(__file__).parent / "fixtures" / "sitemaps"
BERLIN = dt.timezone(dt.timedelta(hours=2))
NOW = dt.datetime(2025, 6, 4, 12, 0, tzinfo=BERLIN)
CONFIG = "title: Tagesdienst\nbase_url: https://example.org/news/\nsearch: false\n"


def article(title: str, date: str, *front: str, body: str = "Text.") -> str:
    return "---\n" + "\n".join([f"title: {title}", f"date: {date}", *front]) + "\n---\n" + \
        body + "\n"


TICKER = article("Gipfel in Brüssel", "2025-06-03T09:00:00+02:00", "live: true",
                 "live_until: 2025-06-04T20:00:00+02:00", "summary: Alles vom Gipfel.",
                 body="Die Chefs beraten.\n\n## 09:15 Uhr\n\nDie ersten kommen.\n\n"
                      "## 14:32 – Scholz spricht\n\nEr sagt etwas.\n\n## 01:10\n\nNacht.")
CORRECTED = article("Haushalt beschlossen", "2025-06-03T10:00:00+02:00",
                    "corrections:", "  - date: 2025-06-03T14:20:00+02:00",
                    "    text: Der Haushalt wurde nicht einstimmig beschlossen.",
                    "  - date: 2025-06-04T09:00:00+02:00",
                    "    text: Die Summe war 480, nicht 408 Milliarden.",
                    "updates:", "  - date: 2025-06-03T16:00:00+02:00",
                    "    text: Stimmen der Opposition ergänzt.")
DESK = {
    "config.yaml": CONFIG,
    "content/politik/ticker.md": TICKER,
    "content/politik/haushalt.md": CORRECTED,
    "content/politik/alt.md": article("Alte Meldung", "2025-06-01T10:00:00+02:00"),
    "content/politik/gestern.md": article("Von gestern", "2025-06-02T13:00:00+02:00"),
    "content/politik/weg.md": article("Zurückgezogen", "2025-06-02T10:00:00+02:00",
                                      "expires: 2025-06-03T00:00:00+02:00",
                                      "aliases: [/alt/zurueck/]", body="Geheimes."),
    "content/politik/bald.md": article("Bald weg", "2025-06-02T11:00:00+02:00",
                                       "expires: 2025-06-05T00:00:00+02:00"),
    "content/politik/entwurf.md": article("Entwurf", "2025-06-03T10:00:00+02:00",
                                          "draft: true"),
    "content/politik/morgen.md": article("Morgen", "2025-06-06T10:00:00+02:00"),
}
TICKER_PAGE = "2025/06/03/gipfel-in-bruessel/index.html"
EXPIRED_URL = "2025/06/02/zurueckgezogen/"


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def jsonld(page: Path) -> dict:
    text = page.read_text(encoding="utf-8")
    return json.loads(text.split('<script type="application/ld+json">', 1)[1]
                      .split("</script>", 1)[0])


def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def valid(xsd: str, path: Path) -> None:
    checker = schema(xsd)
    assert checker.validate(etree.parse(str(path))), (path.name, checker.error_log)


NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def news_locs(output: Path) -> list[str]:
    root = etree.parse(str(output / "news-sitemap.xml")).getroot()
    return [url.findtext(f"{SITEMAP}loc") for url in root]


def test_news_sitemap_holds_the_last_48_hours_and_validates(site) -> None:
    root = site(DESK)
    build_site(root, now=NOW)
    output = root / "output"
    for xsd, name in (("news-sitemap.xsd", "news-sitemap.xml"), ("sitemap.xsd", "sitemap.xml"),
                      ("siteindex.xsd", "sitemap-index.xml")):
        valid(xsd, output / name)
    base = "https://example.org/news/2025/06/"
    # 48 hours before 2025-06-04 12:00: the articles since 2025-06-02 12:00, newest first;
    # not the draft, the future, the expired or the older ones
    assert news_locs(output) == [base + "03/haushalt-beschlossen/",
                                 base + "03/gipfel-in-bruessel/", base + "02/von-gestern/"]
    first = etree.parse(str(output / "news-sitemap.xml")).getroot()[0]
    assert first.findtext(f"{NEWS}news/{NEWS}publication/{NEWS}name") == "Tagesdienst"
    assert first.findtext(f"{NEWS}news/{NEWS}publication/{NEWS}language") == "de"
    assert first.findtext(f"{NEWS}news/{NEWS}publication_date") == "2025-06-03T10:00:00+02:00"
    assert first.findtext(f"{NEWS}news/{NEWS}title") == "Haushalt beschlossen"
    robots = (output / "robots.txt").read_text(encoding="utf-8")
    assert "Sitemap: https://example.org/news/news-sitemap.xml\n" in robots
    assert "Sitemap: https://example.org/news/sitemap.xml\n" in robots
    index = (output / "sitemap-index.xml").read_text(encoding="utf-8")
    assert index.count("<sitemap>") == 2 and "news-sitemap.xml" in index
    # the schema is strict: a wrong language code does not pass
    broken = (output / "news-sitemap.xml").read_bytes().replace(b">de<", b">Deutsch<")
    assert not schema("news-sitemap.xsd").validate(etree.fromstring(broken))


def test_no_news_sitemap_while_no_article_is_recent(site) -> None:
    """A sitemap must list a URL: with nothing in the last 48 hours there is no news sitemap,
    and robots.txt and the index name it again once there is."""
    root = site(DESK)
    build_site(root, now=NOW + dt.timedelta(days=30))
    output = root / "output"
    assert not (output / "news-sitemap.xml").exists()
    assert "news-sitemap" not in (output / "robots.txt").read_text(encoding="utf-8")
    valid("siteindex.xsd", output / "sitemap-index.xml")
    assert "news-sitemap" not in (output / "sitemap-index.xml").read_text(encoding="utf-8")
    later = NOW + dt.timedelta(days=30)
    write_site(root, {"content/politik/neu.md": "---\ntitle: Neu\ndate: "
                      f"{(later - dt.timedelta(hours=1)).isoformat()}\n---\nText.\n"})
    build_site(root, now=later)
    valid("news-sitemap.xsd", output / "news-sitemap.xml")
    assert "news-sitemap" in (output / "robots.txt").read_text(encoding="utf-8")


def test_the_hourly_run_drops_articles_that_age_out(site) -> None:
    """No file changes, yet an article leaves the 48 hours: the no-op answer must not hide it."""
    root = site(DESK)
    build_site(root, now=NOW)
    _, same = build_site(root, now=NOW + dt.timedelta(minutes=30))
    assert same.written == 0
    _, later = build_site(root, now=dt.datetime(2025, 6, 4, 13, 30, tzinfo=BERLIN))
    assert later.written > 0
    assert not any("von-gestern" in loc for loc in news_locs(root / "output"))
    cold = write_site(root.parent / "cold", DESK)
    build_site(cold, now=dt.datetime(2025, 6, 4, 13, 30, tzinfo=BERLIN))
    assert tree(root / "output") == tree(cold / "output")


def test_corrections_show_on_the_page_in_json_ld_feeds_sitemap_and_their_page(site) -> None:
    root = site(DESK)
    build_site(root, now=NOW)
    output = root / "output"
    page = output / "2025/06/03/haushalt-beschlossen/index.html"
    text = page.read_text(encoding="utf-8")
    box = text.split('<aside class="notices"', 1)[1].split("</aside>", 1)[0]
    order = [box.index(s) for s in ("Korrektur vom 4. Juni 2025, 09:00",
                                    "Aktualisierung vom 3. Juni 2025, 16:00",
                                    "Korrektur vom 3. Juni 2025, 14:20")]
    assert order == sorted(order)  # newest first
    assert 'id="correction-1"' in box and 'id="correction-2"' in box
    data = jsonld(page)
    assert data["dateModified"] == "2025-06-04T09:00:00+02:00"
    assert [c["@type"] for c in data["correction"]] == ["CorrectionComment"] * 2
    assert data["correction"][0]["text"] == "Die Summe war 480, nicht 408 Milliarden."
    feed = feedparser.parse((output / "feed.xml").read_bytes())
    entry = next(e for e in feed.entries if "haushalt" in e.link)
    assert entry.updated == "2025-06-04T09:00:00+02:00"
    assert entry.published == "2025-06-03T10:00:00+02:00"
    sitemap = (output / "sitemap.xml").read_text(encoding="utf-8")
    assert re.search(r"haushalt-beschlossen/</loc><lastmod>2025-06-04T09:00:00\+02:00<", sitemap)
    listing = (output / "korrekturen/index.html").read_text(encoding="utf-8")
    assert listing.index("480, nicht 408") < listing.index("nicht einstimmig")
    assert 'href="/news/2025/06/03/haushalt-beschlossen/#correction-2"' in listing
    assert "Stimmen der Opposition" not in listing  # an update is no correction
    corrections = feedparser.parse((output / "korrekturen/feed.xml").read_bytes())
    assert not corrections.bozo and corrections.feed.title == "Korrekturen – Tagesdienst"
    assert [e.link.rsplit("#", 1)[1] for e in corrections.entries] == ["correction-2",
                                                                       "correction-1"]
    assert corrections.entries[0].title == "Korrektur: Haushalt beschlossen"
    assert 'href="/news/korrekturen/"' in (output / "index.html").read_text(encoding="utf-8")


def test_an_english_site_lists_corrections_at_corrections(site) -> None:
    root = site({"config.yaml": CONFIG + "language: en\n",
                 "content/a.md": CORRECTED})
    build_site(root, now=NOW)
    text = (root / "output/corrections/index.html").read_text(encoding="utf-8")
    assert "<h1 class=\"page-title\">Corrections</h1>" in text
    article_page = next((root / "output/2025/06/03").glob("*/index.html"))
    assert "Correction of June 3, 2025, 2:20\u202fPM" in article_page.read_text(encoding="utf-8")
    assert not (root / "output/korrekturen").exists()


def test_bad_corrections_are_errors_at_their_line(site) -> None:
    root = site({"config.yaml": CONFIG,
                 "content/a.md": article("A", "2025-06-03", "corrections:",
                                         "  - date: 2025-06-03T14:20:00+02:00",
                                         "  - text: Ohne Datum."),
                 "content/b.md": article("B", "2025-06-03", "updates: gestern korrigiert"),
                 "content/c.md": article("C", "2025-06-03", "corrections:",
                                         "  - date: 2025-13-45", "    text: x"),
                 "content/d.md": article("D", "2025-06-03", "live: ja",
                                         "expires: bald")})
    result = run_digest("build", cwd=root)
    assert result.returncode == 1
    err = result.stderr
    assert "content/a.md:5:5: error: 'corrections': entry 1 has no 'text'" in err
    assert "content/a.md:6:5: error: 'corrections': entry 2 has no 'date'" not in err  # first
    assert re.search(r"content/b\.md:4:1: error: 'updates': expected a list of entries", err)
    assert re.search(r"content/c\.md:5:\d+: error: 'corrections': entry 1: expected a date", err)
    assert re.search(r"content/d\.md:4:1: error: 'live': expected true or false", err)
    assert re.search(r"content/d\.md:5:1: error: 'expires': expected a date", err)
    assert not (root / "output").exists()


def test_a_live_blog_runs_newest_first_and_its_badge_goes_after_live_until(site) -> None:
    root = site(DESK)
    build_site(root, now=NOW)
    output = root / "output"
    text = (output / TICKER_PAGE).read_text(encoding="utf-8")
    ids = re.findall(r'<section class="live-entry" id="([^"]+)"', text)
    assert ids == ["live-0110", "live-1432", "live-0915"]
    assert '<time datetime="2025-06-04T01:10:00+02:00">01:10 Uhr</time>' in text
    assert "</time></a> Scholz spricht</h2>" in text
    assert '<span class="badge-live">LIVE</span>' in text
    assert 'href="/news/2025/06/03/gipfel-in-bruessel/feed.xml"' in text
    data = jsonld(output / TICKER_PAGE)
    assert data["@type"] == "LiveBlogPosting"
    assert data["coverageStartTime"] == "2025-06-03T09:00:00+02:00"
    assert data["coverageEndTime"] == "2025-06-04T20:00:00+02:00"
    updates = data["liveBlogUpdate"]
    assert [u["@type"] for u in updates] == ["BlogPosting"] * 3
    assert updates[1] == {"@type": "BlogPosting", "headline": "Scholz spricht",
                          "datePublished": "2025-06-03T14:32:00+02:00",
                          "url": "https://example.org/news/2025/06/03/gipfel-in-bruessel/"
                                 "#live-1432", "articleBody": "Er sagt etwas."}
    feed = feedparser.parse((output / "2025/06/03/gipfel-in-bruessel/feed.xml").read_bytes())
    assert not feed.bozo
    assert [e.link.rsplit("#", 1)[1] for e in feed.entries] == ids
    front = (output / "index.html").read_text(encoding="utf-8")
    assert front.count('<span class="badge-live">LIVE</span>') == 1
    # after live_until the next build (no file changed) takes the badge off everywhere
    _, after = build_site(root, now=dt.datetime(2025, 6, 4, 20, 30, tzinfo=BERLIN))
    assert after.written > 0
    assert not any(b"badge-live\"" in data for data in tree(output).values())


def test_an_expired_article_leaves_only_its_notice(site) -> None:
    root = site(DESK)
    before = dt.datetime(2025, 6, 2, 23, 0, tzinfo=BERLIN)
    _, shown = build_site(root, now=before)
    assert shown.next_expiry == dt.datetime(2025, 6, 3, 0, 0, tzinfo=BERLIN)
    assert "Geheimes" in (root / "output" / EXPIRED_URL / "index.html").read_text()
    _, report = build_site(root, now=NOW)  # nothing changed but the time
    assert report.next_expiry == dt.datetime(2025, 6, 5, 0, 0, tzinfo=BERLIN)
    output = root / "output"
    notices = {EXPIRED_URL + "index.html", "alt/zurueck/index.html"}
    for rel, data in tree(output).items():
        if rel in notices:
            continue
        for needle in (b"zurueckgezogen", "Zurückgezogen".encode(), b"Geheimes"):
            assert needle not in data, (rel, needle)
    for rel in notices:
        text = (output / rel).read_text(encoding="utf-8")
        assert '<meta name="robots" content="noindex">' in text
        assert "Dieser Artikel ist nicht mehr verfügbar" in text
        assert "Zurückgezogen" not in text and "Geheimes" not in text
    assert "bald-weg" in (output / "index.html").read_text(encoding="utf-8")


def test_build_says_when_the_next_article_expires(site) -> None:
    root = site(DESK)
    result = run_digest("build", cwd=root, check=True)
    assert "next article expires" not in result.stdout  # every expiry is in the past by now
    write_site(root, {"content/politik/bald.md": article(
        "Bald weg", "2025-06-02T11:00:00+02:00", "expires: 2099-01-01T00:00:00+01:00")})
    result = run_digest("build", cwd=root, check=True)
    assert "; next article expires: 2099-01-01T00:00:00+01:00" in result.stdout


def test_check_passes_a_clean_site_and_names_a_planted_leak(site) -> None:
    root = site(DESK)
    result = run_digest("check", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    # a leak planted into what the build writes: a static file that links the expired article
    # and names the draft's URL, as a hand-made listing might
    write_site(root, {"static/archiv-alt.html":
                      '<a href="/news/2025/06/02/zurueckgezogen/">x</a> '
                      "https://example.org/news/2025/06/03/entwurf/"})
    result = run_digest("check", cwd=root)
    assert result.returncode == 1
    assert "output/archiv-alt.html: error: the expired article content/politik/weg.md " \
           "(/2025/06/02/zurueckgezogen/) appears in this file" in result.stderr
    assert "output/archiv-alt.html: error: the draft article content/politik/entwurf.md" \
        in result.stderr


def test_the_leak_finder_reads_a_built_output_and_the_packed_search_index(site) -> None:
    import gzip

    from digest.commands.check import leaks
    from digest.config import load_config

    root = site(DESK)
    _, report = build_site(root, now=NOW, sources=True)
    config = load_config(root / "config.yaml")
    output = root / "output"
    assert leaks(config, output, report.withheld) == []
    assert report.withheld["/2025/06/06/morgen/"] == ("content/politik/morgen.md", "future")
    feed = output / "feed.xml"
    feed.write_text(feed.read_text(encoding="utf-8").replace(
        "</feed>", "<entry><id>https://example.org/news/2025/06/06/morgen/</id></entry></feed>"),
        encoding="utf-8")
    (output / "pagefind").mkdir()
    (output / "pagefind/x.pf_fragment").write_bytes(
        gzip.compress(b'pagefind_dcd{"url":"/2025/06/03/entwurf/"}'))
    found = {(p.path, p.message.split(" (")[0]) for p in leaks(config, output, report.withheld)}
    assert found == {("output/feed.xml", "the future article content/politik/morgen.md"),
                     ("output/pagefind/x.pf_fragment",
                      "the draft article content/politik/entwurf.md")}


def test_warm_rebuilds_of_desk_edits_equal_cold_builds(site) -> None:
    """The edits a desk makes while `digest serve` runs: a first correction, a changed one, a
    retitled recent article, a new live entry, an expiry; each warm build equals a cold one."""
    from digest.build import BuildOptions, Memo, build
    from digest.config import load_config

    root = site(DESK)
    memo = Memo()
    options = BuildOptions(now=NOW)
    build(load_config(root / "config.yaml"), options, memo)
    gestern = DESK["content/politik/gestern.md"]
    edits = [
        ("content/politik/gestern.md", gestern.replace("---\nText", "corrections:\n  - date: "
                                                       "2025-06-03\n    text: Erste.\n---\nText")),
        ("content/politik/haushalt.md", CORRECTED.replace("480, nicht 408", "481, nicht 418")),
        ("content/politik/gestern.md", gestern.replace("Von gestern", "Von vorgestern")),
        ("content/politik/ticker.md", TICKER + "\n## 11:00\n\nNeu dazu.\n"),
        ("content/politik/alt.md", DESK["content/politik/alt.md"].replace(
            "---\nText", "expires: 2025-06-04T00:00:00+02:00\n---\nText")),
    ]
    for number, (rel, text) in enumerate(edits):
        write_site(root, {rel: text})
        build(load_config(root / "config.yaml"), options, memo,
              {str((root / rel).absolute())})
        cold = write_site(root.parent / f"cold-{number}",
                          {p: (root / p).read_text(encoding="utf-8") for p in DESK})
        build_site(cold, now=NOW)
        assert tree(root / "output") == tree(cold / "output"), rel


def test_correction_and_live_entry_text_is_escaped_everywhere(site) -> None:
    evil = "<script>alert(1)</script> & </script>"
    root = site({"config.yaml": CONFIG, "content/a.md": article(
        "A", "2025-06-03T10:00:00+02:00", "live: true", "corrections:",
        "  - date: 2025-06-03T11:00:00+02:00", f"    text: '{evil}'",
        body="## 10:30 <em>x</em> &amp; Titel\n\nText.")})
    build_site(root, now=NOW)
    output = root / "output"
    for rel, data in tree(output).items():
        assert b"<script>alert" not in data, rel
    page = output / "2025/06/03/a/index.html"
    data = jsonld(page)
    assert data["correction"][0]["text"] == evil
    assert data["liveBlogUpdate"][0]["headline"] == "x & Titel"
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;/script&gt;" in \
        (output / "korrekturen/index.html").read_text(encoding="utf-8")


def test_a_day_without_a_time_is_a_date_in_the_news_sitemap(site) -> None:
    root = site({"config.yaml": CONFIG + "language: en-GB\n",
                 "content/a.md": article("A day", "2025-06-04")})
    build_site(root, now=NOW)
    output = root / "output"
    valid("news-sitemap.xsd", output / "news-sitemap.xml")
    text = (output / "news-sitemap.xml").read_text(encoding="utf-8")
    assert "<news:publication_date>2025-06-04</news:publication_date>" in text
    assert "<news:language>en</news:language>" in text
