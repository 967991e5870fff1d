"""Undated agency copy takes the date of the git commit that added it: one URL in every clone."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
import yaml

from digest.build import BuildReport, Memo, build
from digest.commands.init import init_site
from digest.config import load_config

from .conftest import build_site, write_site

CONFIG = "title: Testseite\nbase_url: https://example.org/\nsearch: false\n"
IGNORE = "/output/\n/.digest-cache/\n"
AGENCY = "Bahnstreik legt Fernverkehr lahm\n\nBerlin (dpa) - Die GDL hat zum Streik aufgerufen.\n"
SLUG = "bahnstreik-legt-fernverkehr-lahm"
FILE = "content/wirtschaft/bahnstreik.txt"
# 23:30 UTC is already the next day in Berlin: the URL takes the day in the site's timezone
FIRST = "2025-03-14T23:30:00+00:00"
FIRST_DAY = "2025/03/15"
LATER = "2025-05-02T10:00:00+00:00"
LATER_DAY = "2025/05/02"


def git(cwd: Path, *args: str, date: str | None = None) -> str:
    """Run git as a user would, without the machine's own git configuration."""
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    if date:  # the committer date differs: the author date is the one that counts
        env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": "2025-06-30T12:00:00+00:00"}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def new_repo(root: Path, files: dict[str, str | bytes]) -> Path:
    """A git repository holding `files`, not yet committed."""
    write_site(root, {".gitignore": IGNORE, **files})
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Redaktion")
    git(root, "config", "user.email", "redaktion@example.org")
    return root


def commit(repo: Path, date: str, message: str = "Meldungen") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, date=date)


def clone(repo: Path, target: Path, *options: str) -> Path:
    git(repo.parent, "clone", "-q", *options, repo.resolve().as_uri(), str(target))
    return target


def touch(path: Path, day: str) -> None:
    """Give a file a modification time, as a checkout on that day would."""
    stamp = dt.datetime.fromisoformat(day + "T09:00:00+00:00").timestamp()
    os.utime(path, (stamp, stamp))


def urls(site: Path, slug: str = SLUG) -> list[str]:
    """The output paths of the article pages with this slug (redirects left out)."""
    output = site / "output"
    return sorted(p.relative_to(output).as_posix()
                  for p in output.glob(f"*/*/*/{slug}/index.html")
                  if 'http-equiv="refresh"' not in p.read_text(encoding="utf-8"))


def warned(report: BuildReport, text: str) -> list[str]:
    return [str(p) for p in report.warnings if text in p.message]


def test_every_fresh_clone_dates_undated_copy_by_the_commit_that_added_it(
        tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo", {"config.yaml": CONFIG, FILE: AGENCY})
    commit(repo, FIRST)
    found = []
    for number, checkout_day in enumerate(["2025-07-01", "2025-08-20"]):
        site = clone(repo, tmp_path / f"clone-{number}")
        touch(site / FILE, checkout_day)
        _, report = build_site(site)
        assert not warned(report, "modification time")
        found.append(urls(site))
    assert found == [[f"{FIRST_DAY}/{SLUG}/index.html"]] * 2
    page = (tmp_path / "clone-0/output" / found[0][0]).read_text(encoding="utf-8")
    assert "2025-03-15T00:30:00+01:00" in page  # shown in the site's timezone


def test_a_shallow_clone_is_reported_once_with_the_fix(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo", {"config.yaml": CONFIG, FILE: AGENCY,
                                         "content/politik/gipfel.txt": "Gipfel in Rom\n\nText.\n"})
    commit(repo, FIRST)
    write_site(repo, {"content/sport/2025-05-02-pokal.md": "# Pokalfinale\n\nText.\n"})
    commit(repo, LATER)
    site = clone(repo, tmp_path / "shallow", "--depth", "1")
    _, report = build_site(site)
    shallow = warned(report, "fetch-depth: 0")
    assert len(shallow) == 1, report.warnings  # once for the build, not once per file
    assert shallow[0].startswith("content: warning: a shallow git clone")
    # the clone knows only the last commit: the undated files seem added by it
    assert urls(site) == [f"{LATER_DAY}/{SLUG}/index.html"]
    assert not warned(report, "modification time")
    # a shallow clone whose undated files all got a date is not worth a warning
    for rel in (FILE, "content/politik/gipfel.txt"):
        path = site / rel
        path.write_text("---\ndate: 2025-03-01\n---\n" + path.read_text(encoding="utf-8"),
                        encoding="utf-8")
    _, report = build_site(site)
    assert not warned(report, "fetch-depth: 0")
    assert urls(site) == [f"2025/03/01/{SLUG}/index.html"]


def test_a_file_not_yet_committed_takes_its_modification_time(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    repo = new_repo(tmp_path / "repo", {"config.yaml": CONFIG, FILE: AGENCY})
    commit(repo, FIRST)
    fresh = "content/wirtschaft/eilmeldung.txt"
    write_site(repo, {fresh: "Eilmeldung aus Brüssel\n\nText.\n"})
    touch(repo / fresh, "2025-06-10")
    _, report = build_site(repo)
    assert urls(repo) == [f"{FIRST_DAY}/{SLUG}/index.html"]
    assert urls(repo, "eilmeldung-aus-bruessel") == [
        "2025/06/10/eilmeldung-aus-bruessel/index.html"]
    assert [p.path for p in report.warnings if "modification time" in p.message] == [fresh]
    # outside a repository, and where git is not installed, every undated file does so
    plain = tmp_path / "plain"
    shutil.copytree(repo, plain, ignore=shutil.ignore_patterns(".git", "output",
                                                               ".digest-cache"))
    touch(plain / FILE, "2025-06-11")
    _, report = build_site(plain)
    assert urls(plain) == [f"2025/06/11/{SLUG}/index.html"]
    assert sorted(p.path for p in report.warnings if "modification time" in p.message) == \
        sorted([FILE, fresh])
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    touch(repo / FILE, "2025-06-12")
    _, report = build_site(repo)
    assert urls(repo) == [f"2025/06/12/{SLUG}/index.html"]
    assert len(warned(report, "modification time")) == 2


def test_a_site_in_a_sub_folder_of_the_repository(tmp_path: Path) -> None:
    # a name git would quote (core.quotepath), written decomposed as macOS writes it
    name = unicodedata.normalize("NFD", "content/wirtschaft/Zölle treffen Exporteure.txt")
    repo = new_repo(tmp_path / "repo", {
        "README.md": "# Redaktion\n",
        # the same path below the repository's top, added earlier: not the site's file
        FILE: AGENCY,
    })
    git(repo, "config", "core.quotepath", "true")
    commit(repo, "2024-11-05T08:00:00+00:00", "Archiv")
    write_site(repo / "sites/nachrichten", {"config.yaml": CONFIG, FILE: AGENCY,
                                             name: "Zölle treffen Exporteure\n\nText.\n"})
    commit(repo, FIRST)
    site = clone(repo, tmp_path / "clone") / "sites/nachrichten"
    touch(site / FILE, "2025-07-01")
    touch(site / name, "2025-07-01")
    _, report = build_site(site)
    assert urls(site) == [f"{FIRST_DAY}/{SLUG}/index.html"]
    assert urls(site, "zoelle-treffen-exporteure") == [
        f"{FIRST_DAY}/zoelle-treffen-exporteure/index.html"]
    assert not warned(report, "modification time")


def test_a_later_commit_of_the_file_keeps_the_first_date(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo", {"config.yaml": CONFIG, FILE: AGENCY})
    commit(repo, FIRST)
    build_site(repo)  # cached with the first commit's date
    assert urls(repo) == [f"{FIRST_DAY}/{SLUG}/index.html"]
    path = repo / FILE
    path.write_text(path.read_text(encoding="utf-8") + "\nDer Streik dauert an.\n",
                    encoding="utf-8")
    commit(repo, LATER, "Nachtrag")
    build_site(repo)
    assert urls(repo) == [f"{FIRST_DAY}/{SLUG}/index.html"]
    site = clone(repo, tmp_path / "clone")
    touch(site / FILE, "2025-07-01")
    build_site(site)
    assert urls(site) == [f"{FIRST_DAY}/{SLUG}/index.html"]
    assert "Der Streik dauert an." in (site / "output" / urls(site)[0]).read_text(
        encoding="utf-8")


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_committing_a_file_gives_a_cached_article_its_git_date(tmp_path: Path) -> None:
    """The commit is an input of parsing: neither the persistent cache nor a serve process
    keeps the modification time's date once the file is committed."""
    repo = new_repo(tmp_path / "repo", {"config.yaml": CONFIG, "content/politik/alt.md":
                                        "---\ndate: 2025-01-02\n---\n# Alt\n\nText.\n"})
    commit(repo, "2025-01-02T08:00:00+00:00")
    write_site(repo, {FILE: AGENCY})
    touch(repo / FILE, "2025-06-10")
    config = load_config(repo / "config.yaml")
    memo = Memo()
    build(config, None, memo)
    assert urls(repo) == [f"2025/06/10/{SLUG}/index.html"]
    _, report = build_site(repo)  # a second process: nothing changed
    assert report.written == 0 and warned(report, "modification time")
    commit(repo, FIRST)  # the bytes and the modification time stay as they were
    report = build(config, None, memo, set())  # serve: the watcher saw no file change
    assert urls(repo) == [f"{FIRST_DAY}/{SLUG}/index.html"]
    assert not warned(report, "modification time")
    shutil.rmtree(repo / "output")
    git(repo, "reset", "-q", "--soft", "HEAD~1")  # undone: the modification time again
    build_site(repo)  # a new process, the old cache
    assert urls(repo) == [f"2025/06/10/{SLUG}/index.html"]
    commit(repo, FIRST)
    build_site(repo)
    assert urls(repo) == [f"{FIRST_DAY}/{SLUG}/index.html"]
    cold = clone(repo, tmp_path / "cold")
    build_site(cold)
    assert tree(repo / "output") == tree(cold / "output")


def test_the_pages_workflow_of_a_new_site_checks_out_the_full_history(tmp_path: Path) -> None:
    init_site(tmp_path / "site")
    workflow = yaml.safe_load((tmp_path / "site/.github/workflows/pages.yml").read_text(
        encoding="utf-8"))
    checkout = [step for step in workflow["jobs"]["build"]["steps"]
                if step.get("uses", "").startswith("actions/checkout@")]
    assert [step.get("with", {}).get("fetch-depth") for step in checkout] == [0]


def test_serve_reads_the_history_again_only_when_head_moves(tmp_path: Path) -> None:
    from digest.content.gitdates import GitHistory

    repo = new_repo(tmp_path / "repo", {"config.yaml": CONFIG, FILE: AGENCY})
    commit(repo, FIRST)
    history = GitHistory()
    first = history.dates(repo / "content")
    assert first is not None and not first.shallow
    assert first.added == {"wirtschaft/bahnstreik.txt": int(dt.datetime.fromisoformat(
        FIRST).timestamp())}
    assert history.dates(repo / "content") is first
    write_site(repo, {"content/politik/gipfel.txt": "Gipfel in Rom\n\nText.\n"})
    assert history.dates(repo / "content") is first  # not committed: the history is the same
    commit(repo, LATER)
    later = history.dates(repo / "content")
    assert later is not first and set(later.added) == {"wirtschaft/bahnstreik.txt",
                                                       "politik/gipfel.txt"}


def test_a_retitled_article_redirects_from_every_url_its_history_gave_it(tmp_path: Path
                                                                         ) -> None:
    """No alias written by anyone: each committed version's URL leads to the article, in
    every fresh clone, and stays out of the sitemap and the feed."""
    from .linkcrawl import broken_links

    article = "content/politik/2025-06-03-stadtrat.md"
    repo = new_repo(tmp_path / "repo", {
        "config.yaml": CONFIG, article: "---\ntitle: Stadtrat tagt\n---\nText.\n"})
    commit(repo, FIRST)
    write_site(repo, {"config.yaml": CONFIG,
                      article: "---\ntitle: Stadtrat tagt erneut\n---\nText.\n"})
    commit(repo, LATER)
    write_site(repo, {"config.yaml": CONFIG,
                      article: "---\ntitle: Stadtrat beschließt Haushalt\n---\nText.\n"})
    commit(repo, LATER)
    site = clone(repo, tmp_path / "clone")
    build_site(site)
    out = site / "output"
    new = "/2025/06/03/stadtrat-beschliesst-haushalt/"
    for old in ("stadtrat-tagt", "stadtrat-tagt-erneut"):
        html = (out / f"2025/06/03/{old}/index.html").read_text(encoding="utf-8")
        assert f'<meta http-equiv="refresh" content="0; url={new}">' in html
        assert '<meta name="robots" content="noindex">' in html
    for listing in ("sitemap.xml", "feed.xml"):
        assert "stadtrat-tagt" not in (out / listing).read_text(encoding="utf-8")
    assert broken_links(out, "https://example.org/") == []
    again = clone(repo, tmp_path / "again")
    build_site(again)
    assert tree(again / "output") == tree(out)


def test_a_new_process_reuses_the_history_it_read_until_a_commit(tmp_path: Path) -> None:
    article = "---\ntitle: {title}\ndate: 2025-06-03\n---\nText.\n"
    repo = new_repo(tmp_path / "site", {"config.yaml": CONFIG,
                                        "content/politik/a.md": article.format(title="Erst")})
    commit(repo, FIRST)
    build_site(repo)
    saved = repo / ".digest-cache/git-versions.pickle"
    assert saved.is_file()
    write_site(repo, {"content/politik/a.md": article.format(title="Dann")})
    commit(repo, LATER)  # a new HEAD: the saved history is not the repository's any more
    build_site(repo)
    old = repo / "output/2025/06/03/erst/index.html"
    assert "noindex" in old.read_text(encoding="utf-8")  # the earlier URL redirects
    saved.write_bytes(b"\x80kaputt")  # a damaged file is read again from git
    shutil.rmtree(repo / "output")
    build_site(repo)
    assert "noindex" in old.read_text(encoding="utf-8")
