"""Incremental builds are never stale: after any edits they equal a cold build, file for file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .agency_fixtures import BAHN_1, BAHN_2, BAHN_3, HITZE_AFP, HITZE_REUTERS
from .conftest import build_site, write_site

TOPICS = ["politik", "sport", "kultur"]
TITLES = ["Außenminister reist", "Über Straßen", "Bahn streikt", "Neue Brücke", "Wahl in Köln"]
DAYS = ["2025-06-01T09:00:00+02:00", "2025-06-02T23:30:00-05:00", "2025-06-03T12:00:00+02:00"]
TEMPLATES = [None, "{% extends 'base.html' %}{% block content %}<h1>{{ tag.name }}</h1>"
                   "{% for a in articles %}<p>{{ a.title }}</p>{% endfor %}{% endblock %}"]


def article(title: str, day: str, topic: str | None, draft: bool, slug: str | None,
            body: str) -> str:
    lines = [f"title: {title}", f"date: {day}", "tags: [EU, Bahn]"]
    lines += [f"topic: {topic}"] if topic else []
    lines += ["draft: true"] if draft else []
    lines += [f"slug: {slug}"] if slug else []
    return "---\n" + "\n".join(lines) + "\n---\n" + body + "\n"


WIRE = [BAHN_1, BAHN_2, BAHN_3, HITZE_REUTERS, HITZE_AFP]
"""Agency copy whose versions fold into stories (§10): three of one, one story of two agencies."""
AGENCY_RULES = ("inbox_dir: eingang\nagencies: [ndh]\nstories:\n  window: 30\ntopics:\n"
                "  politik:\n    keywords: [Streik*, Gewerkschaft*]\n    exclude: [Pro Bahn]\n"
                "  kultur:\n    keywords: ['*hitze*']\n")
"""Keyword rules for the inbox; a window that the dates of DAYS straddle."""

edits = st.one_of(
    st.tuples(st.just("write"), st.integers(0, 5), st.sampled_from(TOPICS),
              st.sampled_from(TITLES), st.sampled_from(DAYS), st.sampled_from([None, "Sport"]),
              st.booleans(), st.sampled_from([None, "eigener-slug"]),
              st.sampled_from(["Text.", "Anderer \"Text\".", "## Kopf\n\nMehr.",
                               "## 14:32 Uhr\n\nEintrag."])),
    st.tuples(st.just("delete"), st.integers(0, 5)),
    st.tuples(st.just("rename"), st.integers(0, 5), st.sampled_from(TOPICS)),
    st.tuples(st.just("template"), st.sampled_from(TEMPLATES)),
    st.tuples(st.just("config"), st.integers(1, 3), st.sampled_from(["Eins", "Zwei"]),
              st.sampled_from(["", AGENCY_RULES])),
    st.tuples(st.just("static"), st.booleans()),
    st.tuples(st.just("agency"), st.integers(0, 3), st.sampled_from([None, *range(len(WIRE))]),
              st.sampled_from(DAYS)),
    st.tuples(st.just("photo"), st.sampled_from([(520, 300), (300, 400)])),
)
in_place = st.tuples(st.just("edit"), st.integers(0, 2),
                     st.sampled_from(["Neu.", "Ganz neu.", "x",
                                      "Lage.\n\n## 09:15\n\nFrüh.\n\n## 10:00 Uhr\n\nSpät."]),
                     st.sampled_from([None, "Kurz gesagt.", "Anders gesagt."]),
                     st.sampled_from([None, "Anna Weiß", "Jörg Groß"]))
FRONT_MATTER = {
    # every key a template shows, with values that change what pages show
    "title": ["Neuer Titel", "Straßenbahn fährt"],
    "summary": ["Kurz gesagt.", "Ganz anders."],
    "author": ["Anna Weiß", "[Jörg Groß, Eva Ähm]"],
    "tags": ["[EU]", "[Bahn, Köln]"],
    "topic": ["Sport", "Politik"],
    "slug": ["fester-slug", "anderer-slug"],
    "draft": ["true", "false"],
    "updated": ["2025-06-05T10:00:00+02:00", "2025-06-06"],
    "image": ["bild.svg", "https://example.org/foto.jpg", "bild.png"],
    "image_alt": ["Ein Bild", "Ein anderes Bild"],
    "image_caption": ["Eine Unterzeile", "Eine andere"],
    "image_credit": ["dpa", "Redaktion"],
    "featured": ["true", "false"],
    "source": ["dpa", "Reuters"],
    "source_url": ["https://example.org/a", "https://example.org/b"],
    "lang": ["en", "de"],
    "date": ["2025-06-01T09:00:00+02:00", "2025-06-02T09:00:00+01:00"],
    "rubrik": ["Meinung", "Bericht"],
    "aliases": ["[/alt/weg/]", "[/2025/06/01/frueher/, /alt.html]"],
    "dateline": ["Berlin", "Kiew/Moskau"],
    "corrections": ['[{date: "2025-06-05T10:00:00+02:00", text: Zahl korrigiert}]',
                    '[{date: "2025-06-06", text: Name}, {date: "2025-06-04", text: Ort}]'],
    "updates": ['[{date: "2025-06-05T11:00:00+02:00", text: Ergänzt}]',
                '[{date: "2025-06-07", text: Neue Zahlen}]'],
    "live": ["true", "false"],
    "live_until": ["2025-06-02T12:00:00+02:00", "2099-01-01T00:00:00+01:00"],
    "expires": ["2025-06-02T00:00:00+02:00", "2099-01-01"],
}
front = st.tuples(st.just("front"), st.integers(0, 2), st.sampled_from(sorted(FRONT_MATTER)),
                  st.integers(0, 3))
"""Set (a value by its index) or remove (an index past the values) one front matter key."""
edits = st.one_of(edits, in_place, front)


def photo(width: int, height: int) -> bytes:
    from .imagefiles import png

    return png(width, height)


def find(root: Path, number: int) -> Path | None:
    files = sorted((root / "content").rglob(f"a{number}.md"))
    return files[0] if files else None


def apply(root: Path, edit: tuple) -> None:
    kind = edit[0]
    if kind == "write":
        _, n, folder, title, day, topic, draft, slug, body = edit
        old = find(root, n)
        target = old or root / "content" / folder / f"a{n}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(article(f"{title} {n}", day, topic, draft, slug and f"{slug}-{n}",
                                  body), encoding="utf-8")
    elif kind == "delete":
        old = find(root, edit[1])
        if old:
            old.unlink()
    elif kind == "rename":
        old = find(root, edit[1])
        if old:
            new = root / "content" / edit[2] / f"a{edit[1]}.md"
            new.parent.mkdir(parents=True, exist_ok=True)
            old.rename(new)
    elif kind == "template":
        path = root / "themes/default/templates/tag.html"
        if edit[1] is None:
            path.unlink(missing_ok=True)
        else:
            write_site(root, {"themes/default/templates/tag.html": edit[1]})
    elif kind == "config":
        write_site(root, {"config.yaml": f"title: {edit[2]}\nbase_url: https://e.org/sub/\n"
                                         f"per_page: {edit[1]}\n{edit[3]}"})
    elif kind == "agency":  # an agency item in the inbox, or none (None)
        _, n, text, day = edit
        path = root / "content" / "eingang" / f"w{n}.txt"
        if text is None:
            path.unlink(missing_ok=True)
        else:
            headline, body = WIRE[text].split("\n", 1)
            write_site(root, {path.relative_to(root).as_posix():
                              f"---\ntitle: '{headline}'\ndate: {day}\n---\n{body}"})
    elif kind == "edit":  # the body, summary or author of an article; its place stays
        old = find(root, edit[1])
        if old:
            _, n, body, summary, author = edit
            front = old.read_text(encoding="utf-8").split("---\n")[1]
            lines = [line for line in front.splitlines()
                     if not line.startswith(("summary:", "author:"))]
            lines += [f"summary: {summary}"] if summary else []
            lines += [f"author: {author}"] if author else []
            old.write_text("---\n" + "\n".join(lines) + "\n---\n" + body + "\n",
                           encoding="utf-8")
    elif kind == "front":
        old = find(root, edit[1])
        if old:
            _, n, key, choice = edit
            head, body = old.read_text(encoding="utf-8").split("---\n")[1:3]
            lines = [line for line in head.splitlines() if not line.startswith(f"{key}:")]
            values = FRONT_MATTER[key]
            if key == "date" and choice >= len(values):
                choice = 0  # an article needs a date here (the file name has none)
            if choice < len(values):
                lines.append(f"{key}: {values[choice]}")
            if key == "image":
                write_site(old.parent, {"bild.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
                                        "bild.png": photo(520, 300)})
            old.write_text("---\n" + "\n".join(lines) + "\n---\n" + body, encoding="utf-8")
    elif kind == "photo":  # an image changes, no article does
        for path in (root / "content").rglob("bild.png"):
            path.write_bytes(photo(*edit[1]))
    elif kind == "static":
        path = root / "static/extra.txt"
        if edit[1]:
            write_site(root, {"static/extra.txt": "statisch"})
        else:
            path.unlink(missing_ok=True)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def relocate(root: Path, how: str, number: int) -> Path:
    """The site moved to another folder, or cloned afresh there with its cache and output
    restored (as a CI cache restores them); the old folder is gone."""
    new = root.parent / f"{how}-{number}"
    if how == "move":
        root.rename(new)
        return new
    shutil.copytree(root, new, ignore=shutil.ignore_patterns("output", ".digest-cache"),
                    copy_function=shutil.copyfile)  # a fresh checkout: new file times
    for name in ("output", ".digest-cache"):
        if (root / name).exists():
            shutil.copytree(root / name, new / name, symlinks=True)
    shutil.rmtree(root)
    return new


relocation = st.tuples(st.just("relocate"), st.sampled_from(["move", "restore"]))
committing = st.tuples(st.just("commit"))
"""Commit every change: earlier versions of an article give it redirects (git history)."""


def git(root: Path, *args: str) -> None:
    import os
    import subprocess

    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_DATE": "2025-06-10T10:00:00+00:00",
           "GIT_COMMITTER_DATE": "2025-06-10T10:00:00+00:00"}
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.lists(st.one_of(edits, relocation, committing), min_size=1,
                               max_size=3), min_size=1, max_size=4))
def test_incremental_build_equals_cold_build(tmp_path_factory, steps) -> None:
    root = tmp_path_factory.mktemp("inc") / "site"
    write_site(root, {"config.yaml": "title: Eins\nbase_url: https://e.org/sub/\nper_page: 2\n",
                      ".gitignore": "/output/\n/.digest-cache/\n",
                      "content/politik/a0.md": article("Start", DAYS[0], None, False, None, "x"),
                      "content/sport/a1.md": article("Spiel", DAYS[1], None, False, None, "y")})
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Redaktion")
    git(root, "config", "user.email", "redaktion@example.org")
    build_site(root)
    moves = 0
    for batch in steps:
        for edit in batch:
            if edit[0] == "relocate":
                moves += 1
                root = relocate(root, edit[1], moves)
            elif edit[0] == "commit":
                git(root, "add", "-A")
                git(root, "commit", "-q", "--allow-empty", "-m", "Stand")
            else:
                apply(root, edit)
        try:
            build_site(root)
        except Exception as exc:  # two articles may collide on one URL: a real user error
            from digest.errors import DigestError
            assert isinstance(exc, DigestError)
    cold = root.parent / "cold"
    shutil.copytree(root, cold, ignore=shutil.ignore_patterns("output", ".digest-cache"))
    try:
        build_site(cold)
    except Exception:
        return  # the sources are invalid; the incremental build failed the same way
    build_site(root)
    assert tree(root / "output") == tree(cold / "output")


def test_no_op_build_writes_nothing_and_keeps_mtimes(site) -> None:
    root = site({"content/politik/2025-06-03-a.md": "---\ntitle: A\n---\nx\n"})
    _, first = build_site(root)
    assert first.written > 0
    stamps = {p: p.stat().st_mtime_ns for p in (root / "output").rglob("*") if p.is_file()}
    _, second = build_site(root)
    assert second.written == 0 and second.removed == 0
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps


def test_removed_article_and_topic_disappear_but_foreign_files_stay(site) -> None:
    root = site({"content/politik/2025-06-03-a.md": "---\ntitle: A\n---\nx\n",
                 "content/sport/2025-06-03-b.md": "---\ntitle: B\n---\ny\n"})
    build_site(root)
    (root / "output/mine.txt").write_text("not the build's", encoding="utf-8")
    (root / "content/sport/2025-06-03-b.md").unlink()
    _, report = build_site(root)
    assert report.removed > 0
    assert not (root / "output/topics/sport").exists()
    assert not (root / "output/2025/06/03/b").exists()
    assert (root / "output/mine.txt").read_text(encoding="utf-8") == "not the build's"


def test_parallel_output_equals_serial_output(tmp_path: Path) -> None:
    files = {"config.yaml": "title: T\nbase_url: https://e.org/\nper_page: 5\n"}
    for i in range(260):
        files[f"content/t{i % 4}/2025-06-{i % 28 + 1:02d}-artikel-{i}.md"] = (
            f"---\ntitle: Artikel Nummer {i}\ntags: [tag{i % 7}, Straße]\n---\n"
            f"Absatz \"{i}\" mit *Text*.\n\n## Teil\n\nMehr Text {i}.\n")
    serial = write_site(tmp_path / "serial", files)
    parallel = write_site(tmp_path / "parallel", files)
    build_site(serial, jobs=1)
    build_site(parallel, jobs=2)
    assert tree(serial / "output") == tree(parallel / "output")


def test_unchanged_build_still_repairs_output_edited_by_hand(site) -> None:
    root = site({"content/politik/2025-06-03-a.md": "---\ntitle: A\n---\nx\n"})
    build_site(root)
    page = root / "output/2025/06/03/a/index.html"
    original = page.read_bytes()
    page.write_text("kaputt", encoding="utf-8")
    (root / "output/feed.xml").unlink()
    _, report = build_site(root)
    assert report.written == 2
    assert page.read_bytes() == original and (root / "output/feed.xml").is_file()


def test_an_article_falls_due_without_any_file_changing(site) -> None:
    import datetime as dt

    root = site({"content/politik/2025-06-03-a.md": "---\ntitle: A\n---\nx\n",
                 "content/politik/2030-01-01-b.md": "---\ntitle: B\n---\ny\n"})
    _, before = build_site(root, now=dt.datetime(2029, 12, 31, tzinfo=dt.UTC))
    assert before.next_due is not None and not (root / "output/2030").exists()
    _, unchanged = build_site(root, now=dt.datetime(2029, 12, 31, 12, tzinfo=dt.UTC))
    assert unchanged.written == 0
    _, after = build_site(root, now=dt.datetime(2030, 1, 2, tzinfo=dt.UTC))
    assert (root / "output/2030/01/01/b/index.html").is_file() and after.next_due is None


def snapshot(root: Path) -> dict[str, bytes]:
    """Every input file by absolute path, as the watcher of digest serve would see them."""
    return {str(p.absolute()): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
            and not p.is_relative_to(root / "output")
            and not p.is_relative_to(root / ".digest-cache")}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.lists(st.one_of(in_place, in_place, edits, committing), min_size=1,
                               max_size=3),
                      min_size=1, max_size=5))
def test_serve_rebuilds_equal_cold_builds(tmp_path_factory, steps) -> None:
    """The rebuilds of a warm process, told what changed as the watcher tells digest serve,
    equal a cold build after every step."""
    from digest.build import Memo, build
    from digest.config import load_config
    from digest.errors import DigestError

    root = tmp_path_factory.mktemp("warm") / "site"
    write_site(root, {"config.yaml": "title: Eins\nbase_url: https://e.org/sub/\nper_page: 2\n",
                      "content/politik/a0.md": article("Start", DAYS[0], None, False, None, "x"),
                      "content/sport/a1.md": article("Spiel", DAYS[1], None, False, None, "y"),
                      "content/sport/a2.md": article("Lauf", DAYS[1], None, False, "lauf", "z")})
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Redaktion")
    git(root, "config", "user.email", "redaktion@example.org")
    memo = Memo()
    build(load_config(root / "config.yaml"), None, memo)
    before = snapshot(root)
    changed: set[str] = set()
    for number, batch in enumerate(steps):
        for edit in batch:
            if edit[0] == "commit":
                git(root, "add", "-A")
                git(root, "commit", "-q", "--allow-empty", "-m", "Stand")
            else:
                apply(root, edit)
        after = snapshot(root)
        changed |= {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
        before = after
        try:
            build(load_config(root / "config.yaml"), None, memo, changed)
        except DigestError:
            continue  # two articles may collide on one URL: a real user error
        changed = set()
        cold = root.parent / f"cold-{number}"
        shutil.copytree(root, cold, ignore=shutil.ignore_patterns("output", ".digest-cache"))
        build_site(cold)
        assert tree(root / "output") == tree(cold / "output")


agency_edits = st.one_of(
    st.tuples(st.just("agency"), st.integers(0, 3), st.sampled_from([None, *range(len(WIRE))]),
              st.sampled_from(DAYS)),
    st.tuples(st.just("config"), st.integers(1, 3), st.just("Eins"),
              st.sampled_from(["", AGENCY_RULES, AGENCY_RULES.replace("30", "72")])),
    st.tuples(st.just("front"), st.integers(0, 1), st.sampled_from(["date", "title", "slug"]),
              st.integers(0, 2)))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.lists(agency_edits, min_size=1, max_size=3), min_size=1, max_size=4))
def test_folded_agency_stories_rebuild_as_cold_builds(tmp_path_factory, steps) -> None:
    """Agency items that fold into stories, keyword rules and windows changing: the warm
    process's rebuilds equal cold builds."""
    from digest.build import Memo, build
    from digest.config import load_config
    from digest.errors import DigestError

    root = tmp_path_factory.mktemp("wire") / "site"
    write_site(root, {"config.yaml": "title: Eins\nbase_url: https://e.org/sub/\nper_page: 2\n"
                                     + AGENCY_RULES,
                      "content/politik/a0.md": article("Start", DAYS[0], None, False, None, "x"),
                      "content/sport/a1.md": article("Spiel", DAYS[1], None, False, None, "y")})
    for n, text in enumerate((0, 2)):
        apply(root, ("agency", n, text, DAYS[2]))
    memo = Memo()
    build(load_config(root / "config.yaml"), None, memo)
    before = snapshot(root)
    for number, batch in enumerate(steps):
        for edit in batch:
            apply(root, edit)
        after = snapshot(root)
        changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
        try:
            build(load_config(root / "config.yaml"), None, memo, changed)
        except DigestError:
            before = {}  # the next build is told that every file changed
            continue
        before = after
        cold = root.parent / f"cold-{number}"
        shutil.copytree(root, cold, ignore=shutil.ignore_patterns("output", ".digest-cache"))
        build_site(cold)
        assert tree(root / "output") == tree(cold / "output")


def test_serve_keeps_every_parsed_article_for_the_next_process(tmp_path: Path) -> None:
    """After warm rebuilds the saved cache still holds every article, edited ones as edited,
    so the next `digest build` parses nothing."""
    from digest.build import Memo, build
    from digest.cache import ArticleCache
    from digest.config import load_config
    from digest.content import find_content, load_articles
    from digest.errors import DigestError

    root = write_site(tmp_path / "site", {
        "config.yaml": "title: T\nbase_url: https://e.org/\nsearch: false\n",
        **{f"content/politik/a{n}.md": article(f"Titel {n}", DAYS[n % 3], None, False, None,
                                               "x") for n in range(5)}})
    memo = Memo()
    config = load_config(root / "config.yaml")
    build(config, None, memo)
    edited = [root / "content/politik/a3.md", root / "content/politik/a4.md"]
    for path in edited:
        path.write_text(path.read_text(encoding="utf-8") + "\nNachtrag.\n", encoding="utf-8")
    report = build(config, None, memo, {str(path.absolute()) for path in edited})
    # a new last paragraph: the teasers stay, so only the two articles and the two feeds
    # that carry their bodies change
    assert report.written == 2 + 2
    broken = root / "content/politik/a1.md"  # a failed build in between changes nothing
    good = broken.read_text(encoding="utf-8")
    broken.write_text("---\ntitle: [offen\n---\nText\n", encoding="utf-8")
    with pytest.raises(DigestError):
        build(config, None, memo, {str(broken.absolute())})
    broken.write_text(good, encoding="utf-8")
    report = build(config, None, memo, {str(broken.absolute())})
    assert report.written == 0
    cache = ArticleCache(config.cache_path, config)
    loaded = load_articles(config, find_content(config), cache)
    assert len(loaded.jobs) == 5
    assert all(cache.old.get(job.key) for job in loaded.jobs)
