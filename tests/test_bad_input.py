"""Bad input: one clear message with path:line:col, exit 1, no traceback, output untouched."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import feedparser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.config import load_config
from digest.content import ArticleReader, SourceFile
from digest.errors import Problem

from .conftest import build_site, run_digest, write_site

GOOD = {
    "config.yaml": "title: Testseite\nbase_url: https://example.org/\n",
    "content/politik/2025-06-03-gut.md": "---\ntitle: Gut\ndate: 2025-06-03T10:00:00+02:00\n"
                                         "tags: [EU]\n---\nEin guter Artikel.\n",
}


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file's hash and modification time."""
    return {p.relative_to(folder).as_posix(): (hashlib.sha1(p.read_bytes()).hexdigest(),
                                               p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def built_then_broken(site, files: dict[str, str | bytes]) -> tuple[Path, dict]:
    """Build a good site, then add the bad files; return the root and the output snapshot."""
    root = site(GOOD)
    assert run_digest("build", cwd=root).returncode == 0
    write_site(root, files)
    return root, snapshot(root / "output")


def fails_with(root: Path, before: dict, pattern: str) -> str:
    result = run_digest("build", cwd=root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert re.search(pattern, result.stderr, re.M), result.stderr
    assert snapshot(root / "output") == before, "a failed build changed output/"
    return result.stderr


def test_yaml_error_points_at_the_line_in_the_file(site) -> None:
    root, before = built_then_broken(site, {
        "content/politik/kaputt.md": "---\ntitle: Kaputt\ntags: [EU\nauthor: x\n---\nText\n"})
    fails_with(root, before, r"^content/politik/kaputt\.md:3:7: error: invalid YAML")


def test_bad_values_point_at_their_keys(site) -> None:
    root, before = built_then_broken(site, {
        "content/politik/werte.md": "---\ntitle: Werte\ndate: 2025-13-45\ntags: 5\n---\nx\n"})
    err = fails_with(root, before, r"^content/politik/werte\.md:3:1: error: 'date': expected")
    assert re.search(r"^content/politik/werte\.md:4:1: error: 'tags': expected", err, re.M)
    assert "modification time" not in err


def test_non_utf8_byte_is_named_by_line_and_column(site) -> None:
    root, before = built_then_broken(site, {
        "content/politik/agentur.txt": "Schlagzeile\n\nGrüße aus K".encode() + b"\xf6ln\n"})
    fails_with(root, before, r"^content/politik/agentur\.txt:3:12: error: not UTF-8 text")


def test_all_errors_are_reported_at_once(site) -> None:
    root, before = built_then_broken(site, {
        "content/a.md": "---\ntitle: A\ndraft: vielleicht\n---\nx\n",
        "content/b.md": "---\ntitle: B\nsource_url: javascript:alert(1)\n---\nx\n"})
    err = fails_with(root, before, r"^content/a\.md:3:1: error: 'draft'")
    assert re.search(r"^content/b\.md:3:1: error: 'source_url'", err, re.M)
    assert "2 errors" in err


def test_template_error_names_the_template_line(site) -> None:
    root, before = built_then_broken(site, {
        "themes/default/templates/day.html": "{% extends 'base.html' %}\n{% block content %}\n"
                                             "{{ day.title }\n{% endblock %}\n"})
    fails_with(root, before, r"themes/default/templates/day\.html:3:\d+: error: template")


def test_template_runtime_error_names_the_template_line(site) -> None:
    root, before = built_then_broken(site, {
        "themes/default/templates/tag.html": "{% extends 'base.html' %}\n{% block content %}\n"
                                             "<p>{{ tag.no_such_field }}</p>\n{% endblock %}\n"})
    fails_with(root, before, r"themes/default/templates/tag\.html:3:\d+: error: template")


def test_config_unknown_key_and_wrong_type(site) -> None:
    root, before = built_then_broken(site, {
        "config.yaml": "title: T\nbase_url: https://e.org/\nper_pgae: 5\nfeeds:\n  entries: viele\n"})
    err = fails_with(root, before, r"^config\.yaml:3:1: error: 'per_pgae': unknown key "
                                   r"'per_pgae'; did you mean 'per_page'\?")
    assert re.search(r"^config\.yaml:5:3: error: 'feeds\.entries': expected a whole number", err,
                     re.M)


def test_permalink_that_leaves_the_output_is_a_config_error(site) -> None:
    root, before = built_then_broken(site, {
        "config.yaml": "title: T\nbase_url: https://e.org/\npermalinks:\n  article: /../../x/\n"})
    fails_with(root, before, r"^config\.yaml:4:3: error: 'permalinks\.article': .*leave the "
                             "output folder")


def test_slug_cannot_climb_out_of_the_output(site, tmp_path: Path) -> None:
    root = site({**GOOD, "content/politik/boese.md":
                 "---\ntitle: Böse\ndate: 2025-06-03\nslug: ../../../tmp/pwned\n---\nx\n"})
    build_site(root)
    written = [p for p in (root / "output").rglob("*") if "pwned" in p.name]
    assert [p.relative_to(root / "output").as_posix() for p in written] == \
        ["2025/06/03/tmp-pwned"]
    assert not (root.parent / "tmp").exists() and not (tmp_path / "tmp").exists()


def test_two_articles_with_one_url_name_both_files(site) -> None:
    root, before = built_then_broken(site, {
        "content/politik/2025-06-03-zwei.md": "---\ntitle: Gut\ndate: 2025-06-03T12:00:00+02:00"
                                              "\n---\nNoch einer.\n"})
    err = fails_with(root, before, r"content/politik/2025-06-03-(gut|zwei)\.md: error: .*URL")
    assert "2025-06-03-gut.md" in err and "2025-06-03-zwei.md" in err


def test_files_that_are_not_articles_are_skipped_with_a_warning(site) -> None:
    root = site({**GOOD, "config.yaml": "title: T\nbase_url: https://e.org/\nmax_file_size: 5000\n",
                 "content/politik/leer.md": "",
                 "content/politik/binaer.md": b"\x00\x01\x02binary",
                 "content/politik/riesig.md": "---\ntitle: R\n---\n" + "x" * 6000,
                 "content/politik/gut.md~": "backup", "content/politik/.#gut.md": "lock",
                 "content/politik/.gut.md.swp": "swap", "content/.versteckt.md": "hidden"})
    os.symlink("schleife.md", root / "content/politik/schleife.md")
    os.symlink("/etc/hostname", root / "content/politik/draussen.md")
    result = run_digest("build", cwd=root)
    assert result.returncode == 0, result.stderr
    for name in ("leer.md", "binaer.md", "riesig.md", "schleife.md", "draussen.md"):
        assert re.search(rf"^content/politik/{re.escape(name)}: warning: skipped", result.stderr,
                         re.M), (name, result.stderr)
    for name in ("politik/gut.md~", "politik/.#gut.md", "politik/.gut.md.swp", ".versteckt.md"):
        assert re.search(rf"^content/{re.escape(name)}: warning: skipped: a hidden file",
                         result.stderr, re.M), (name, result.stderr)
    assert "Traceback" not in result.stderr
    assert not list((root / "output").rglob("*riesig*"))


def test_skip_invalid_builds_the_rest(site) -> None:
    root = site({**GOOD, "content/politik/kaputt.md": "---\ntitle: [\n---\nx\n"})
    assert run_digest("build", cwd=root).returncode == 1
    result = run_digest("build", "--skip-invalid", cwd=root)
    assert result.returncode == 0
    assert re.search(r"^content/politik/kaputt\.md:[23]:\d+: warning: invalid YAML", result.stderr,
                     re.M)
    assert (root / "output/2025/06/03/gut/index.html").is_file()
    write_site(root, {"config.yaml": "title: T\nbase_url: https://e.org/\non_error: skip\n"})
    assert run_digest("build", cwd=root).returncode == 0


def event_handlers(html: str) -> list[str]:
    """Attribute names such as onerror anywhere in the page, found by a real HTML parser."""
    found: list[str] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.extend(name for name, _ in attrs if name.startswith("on"))

    Parser().feed(html)
    return found


EVIL = '</script><script>alert("x")</script>'


def test_article_text_is_escaped_everywhere(site) -> None:
    root = site({**GOOD, "content/politik/2025-06-03-evil.md":
                 f"---\ntitle: '{EVIL}'\nsummary: '<img src=x onerror=alert(1)>'\nslug: evil\n"
                 f"tags: ['<b>tag</b>']\n---\n<script>alert(1)</script>\n"
                 "<img src=x onerror=\"alert(2)\"> [klick](javascript:alert(3))\n"
                 "<iframe src=\"https://e.org\"></iframe>\n"})
    build_site(root)
    out = root / "output"
    page = (out / "2025/06/03/evil/index.html").read_text(encoding="utf-8")
    assert page.count("<script") == page.count('<script type="application/ld+json">')
    assert not event_handlers(page), "an event handler attribute survived"
    assert "javascript:" not in page and "<iframe" not in page
    for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S):
        assert json.loads(block)["headline"] == EVIL
    feed = (out / "feed.xml").read_text(encoding="utf-8")
    assert "<script" not in feed
    parsed = feedparser.parse(feed)
    assert not parsed.bozo and EVIL in [e.title for e in parsed.entries]


def test_raw_html_is_kept_when_allowed(site) -> None:
    root = site({"config.yaml": "title: T\nbase_url: https://e.org/\nallow_raw_html: true\n",
                 "content/a/2025-06-03-a.md": "---\ntitle: A\n---\n<video controls></video>\n"})
    build_site(root)
    assert "<video controls>" in (root / "output/2025/06/03/a/index.html").read_text("utf-8")


def reader(tmp_path: Path) -> ArticleReader:
    (tmp_path / "config.yaml").write_text("title: T\n", encoding="utf-8")
    return ArticleReader(load_config(tmp_path / "config.yaml"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_random_bytes_give_an_article_or_problems_never_a_crash(tmp_path: Path, data: bytes) -> None:
    source = SourceFile(tmp_path / "content/x/a.md", "x/a.md", "content/x/a.md", "md")
    article, problems = reader(tmp_path).from_bytes(source, data, 0.0)
    assert all(isinstance(p, Problem) and p.path == "content/x/a.md" for p in problems)
    assert article is not None or any(not p.warning for p in problems) or not data.strip()


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
    | st.dates().map(str), lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(meta=st.dictionaries(st.sampled_from(["title", "date", "tags", "topic", "topics", "slug",
                                             "draft", "author", "updated", "image", "lang",
                                             "source_url", "summary", "extra"]),
                            yaml_values, max_size=6), kind=st.sampled_from(["md", "txt"]))
def test_random_front_matter_gives_only_our_problems(tmp_path: Path, meta: dict, kind: str) -> None:
    import yaml
    text = "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\nText.\n"
    source = SourceFile(tmp_path / f"content/x/a.{kind}", f"x/a.{kind}", f"content/x/a.{kind}",
                        kind)
    article, problems = reader(tmp_path).from_bytes(source, text.encode(), 0.0)
    assert all(isinstance(p, Problem) for p in problems)
    for p in problems:
        assert p.path == source.display and (p.warning or p.line >= 1)


def test_config_values_that_would_crash_later_are_errors_at_their_keys(site) -> None:
    root, before = built_then_broken(site, {
        "config.yaml": "title: T\nbase_url: https://e.org/\nlanguage: xx-!!\ntheme: nope\n"
                       "markdown:\n  extensions: [nosuchext]\n"})
    err = fails_with(root, before, r"^config\.yaml:3:1: error: 'language': expected a language")
    assert re.search(r"^config\.yaml:4:1: error: 'theme': no folder themes/nope/", err, re.M)
    assert re.search(r"^config\.yaml:6:3: error: 'markdown\.extensions': unknown Markdown "
                     r"extension 'nosuchext'", err, re.M)
    write_site(root, {"config.yaml": "title: T\nbase_url: https://e.org/\nmarkdown:\n"
                                     "  extension_configs:\n    toc: {bogus: 1}\n"})
    fails_with(root, before, r"^config\.yaml:4:3: error: 'markdown\.extension_configs': "
                             r"unknown option 'bogus'")


def test_non_utf8_config_is_named_by_line_and_column(site) -> None:
    root, before = built_then_broken(site, {"config.yaml": b"title: T\nti\xfctle: x\n"})
    fails_with(root, before, r"^config\.yaml:2:3: error: not UTF-8 text")


def test_output_folder_may_not_hold_the_sources(site) -> None:
    root, before = built_then_broken(site, {})
    (root / "static").mkdir()
    precious = root.parent / "precious.txt"
    precious.write_text("keep me", encoding="utf-8")
    for config, args, pattern in [
        ("output_dir: ..\n", (), r"^config\.yaml:3:1: error: 'output_dir': .*site folder"),
        ("output_dir: content/out\n", (), r"^config\.yaml:3:1: error: 'output_dir': .*content"),
        ("", ("--clean", "--output", "static"), r"^command line: error: '--output': .*static"),
    ]:
        write_site(root, {"config.yaml": "title: T\nbase_url: https://e.org/\n" + config})
        result = run_digest("build", *args, cwd=root)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert re.search(pattern, result.stderr, re.M), result.stderr
    assert precious.read_text(encoding="utf-8") == "keep me"
    assert (root / "config.yaml").is_file() and (root / "content").is_dir()
    assert snapshot(root / "output") == before


def test_a_full_disk_mid_write_leaves_the_output_as_it_was(site) -> None:
    """A file size limit makes every write past 4 KB fail, like a disk that fills up."""
    root, before = built_then_broken(site, {
        "content/politik/2025-06-04-lang.md": "---\ntitle: Lang\n---\n" + "Wort " * 4000})
    limit = "import resource, signal, runpy, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); " \
            "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096)); " \
            "sys.argv = ['digest', 'build']; runpy.run_module('digest', run_name='__main__')"
    result = subprocess.run([sys.executable, "-c", limit], cwd=root, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    # the body file of the article cache, or a page: whichever passes the limit first
    assert re.search(r"error: cannot write the (site|cache): File too large", result.stderr)
    assert snapshot(root / "output") == before


def test_data_urls_and_unsafe_links_are_removed(site) -> None:
    root = site({**GOOD, "content/politik/2025-06-03-daten.md":
                 "---\ntitle: Daten\n---\n[a](data:text/html,<script>x</script>) "
                 "<a href=\"vbscript:x\">b</a> <img src=\"data:image/svg+xml,<svg onload=x>\" "
                 "alt=\"\"> <form action=\"https://e.org\"><input></form>\n"})
    build_site(root)
    page = (root / "output/2025/06/03/daten/index.html").read_text(encoding="utf-8")
    body = page.split("data-pagefind-body>", 2)[-1]
    assert "data:" not in body and "vbscript:" not in body and "<form" not in body
    assert not event_handlers(page)


def test_linked_folders_are_skipped_with_a_warning(site, tmp_path: Path) -> None:
    root = site(GOOD)
    outside = tmp_path / "draussen"
    outside.mkdir()
    (outside / "2025-06-03-fremd.md").write_text("---\ntitle: Fremd\n---\nx\n", encoding="utf-8")
    os.symlink(outside, root / "content/fremd")
    os.symlink("../politik", root / "content/politik/schleife")
    result = run_digest("build", cwd=root)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    for name in ("content/fremd", "content/politik/schleife"):
        assert re.search(rf"^{name}: warning: skipped: a linked folder", result.stderr, re.M), \
            result.stderr
    assert not list((root / "output").rglob("*fremd*"))
