"""`digest publish` against a real bare repository as origin: nothing mocked."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import need_tool, run_digest, write_site

SITE = {
    "config.yaml": "title: Nachrichten\nbase_url: https://nachrichten.zeitung.de/\n",
    "content/politik/2025-06-03-haushalt.md":
        "---\ntitle: Haushalt beschlossen\ndate: 2025-06-03T14:20:00+02:00\n---\nText.\n",
    "content/politik/2025-06-04-entwurf.md":
        "---\ntitle: Geheimer Entwurf\ndate: 2025-06-04\ndraft: true\n---\nText.\n",
    "content/politik/2099-01-01-zukunft.md":
        "---\ntitle: Meldung aus der Zukunft\ndate: 2099-01-01T08:00:00+01:00\n---\nText.\n",
}


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commits need a name; no GIT_DIR or similar from the caller may leak into test repos."""
    need_tool("git", "Debian's git package")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"):
        monkeypatch.delenv(name, raising=False)
    for kind in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{kind}_NAME", "Redaktion")
        monkeypatch.setenv(f"GIT_{kind}_EMAIL", "redaktion@zeitung.de")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout


def state(repo: Path) -> tuple[str, str, str, str]:
    """HEAD, the current branch, `git status --porcelain` and the index."""
    return (git(repo, "rev-parse", "HEAD"), git(repo, "symbolic-ref", "HEAD"),
            git(repo, "status", "--porcelain", "--untracked-files=all"),
            git(repo, "ls-files", "--stage"))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A site in a git repository with one commit on main and a bare repository as origin."""
    root = write_site(tmp_path / "site", SITE)
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "Erste Ausgabe")
    subprocess.run(["git", "init", "--quiet", "--bare", str(tmp_path / "origin.git")],
                   check=True)
    git(root, "remote", "add", "origin", str(tmp_path / "origin.git"))
    git(root, "push", "--quiet", "origin", "main")
    # Work in progress outside the site's sources that publishing must leave as it is.
    (root / "notizen.txt").write_text("noch nicht fertig\n", encoding="utf-8")
    (root / "entwurf.txt").write_text("nicht vorgemerkt\n", encoding="utf-8")
    git(root, "add", "notizen.txt")
    return root


def test_publish_pushes_the_built_site_to_gh_pages(repo: Path) -> None:
    origin = repo.parent / "origin.git"
    before = state(repo)
    result = run_digest("publish", "--cname", "nachrichten.zeitung.de", cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert state(repo) == before
    assert not (repo / "output").exists() and not (repo / ".digest-cache").exists()

    files = git(origin, "ls-tree", "-r", "--name-only", "gh-pages").split()
    assert {"index.html", ".nojekyll", "CNAME", "feed.xml",
            "2025/06/03/haushalt-beschlossen/index.html"} <= set(files)
    assert git(origin, "show", "gh-pages:CNAME").strip() == "nachrichten.zeitung.de"
    published = "\n".join(files)
    assert "entwurf" not in published and "zukunft" not in published  # never drafts or future
    assert "Geheimer Entwurf" not in git(origin, "show", "gh-pages:index.html")

    commit = git(origin, "rev-parse", "--short=12", "gh-pages").strip()
    assert f"commit {commit} on branch 'gh-pages'" in result.stdout
    assert f"pushed to origin ({origin})" in result.stdout
    assert "https://nachrichten.zeitung.de/" in result.stdout
    assert git(repo, "rev-parse", "--short", "HEAD").strip() in \
        git(origin, "log", "-1", "--format=%s", "gh-pages")

    again = run_digest("publish", "--message", "Zweite Ausgabe", cwd=repo)
    assert again.returncode == 0, again.stdout + again.stderr
    assert git(origin, "log", "--format=%s", "gh-pages").splitlines()[0] == "Zweite Ausgabe"
    assert len(git(origin, "rev-list", "gh-pages").split()) == 2  # a fast-forward, history kept
    # base_url's own custom domain stays the CNAME without --cname
    assert git(origin, "show", "gh-pages:CNAME").strip() == "nachrichten.zeitung.de"
    assert state(repo) == before


def test_publish_uses_cname_from_config(repo: Path) -> None:
    config = repo / "config.yaml"
    config.write_text(config.read_text() + "cname: nachrichten.zeitung.de\n", encoding="utf-8")
    git(repo, "commit", "--quiet", "-m", "Eigene Domain", "config.yaml")
    result = run_digest("publish", "--branch", "pages", cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    origin = repo.parent / "origin.git"
    assert git(origin, "show", "pages:CNAME").strip() == "nachrichten.zeitung.de"


def test_publish_no_push_commits_locally_only(repo: Path) -> None:
    before = state(repo)
    result = run_digest("publish", "--no-push", cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "not pushed" in result.stdout
    assert "index.html" in git(repo, "ls-tree", "--name-only", "gh-pages").split()
    assert git(repo.parent / "origin.git", "branch", "--list", "gh-pages") == ""
    assert state(repo) == before


def refused(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == ""  # nothing was built
    for word in words:
        assert word in result.stderr, result.stderr


def test_publish_refuses_outside_a_git_repository(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SITE)
    refused(run_digest("publish", cwd=root), "config.yaml: error:", "not in a git repository",
            "git init")
    assert not (root / ".git").exists() and not (root / "output").exists()


@pytest.mark.parametrize("base_url", ["http://localhost:8000/", "https://example.github.io/news/",
                                      "https://www.example.org/", "http://127.0.0.1:8000/"])
def test_publish_refuses_a_placeholder_base_url(repo: Path, base_url: str) -> None:
    (repo / "config.yaml").write_text(f"title: Nachrichten\nbase_url: {base_url}\n",
                                      encoding="utf-8")
    refused(run_digest("publish", cwd=repo), "base_url is still", base_url, "placeholder")
    assert git(repo, "branch", "--list", "gh-pages") == ""


def test_publish_refuses_a_base_url_without_it(repo: Path) -> None:
    (repo / "config.yaml").write_text("title: Nachrichten\n", encoding="utf-8")
    refused(run_digest("publish", cwd=repo), "base_url is still 'http://localhost:8000/'")


def test_publish_refuses_a_cname_that_is_not_the_base_url(repo: Path) -> None:
    refused(run_digest("publish", "--cname", "www.andere-zeitung.de", cwd=repo),
            "custom domain", "base_url: https://www.andere-zeitung.de/")


def test_publish_refuses_a_missing_remote(repo: Path) -> None:
    refused(run_digest("publish", "--remote", "upstream", cwd=repo), "no remote 'upstream'",
            "--no-push")
    assert git(repo, "branch", "--list", "gh-pages") == ""


def test_publish_refuses_to_write_the_current_branch(repo: Path) -> None:
    refused(run_digest("publish", "--branch", "main", cwd=repo), "current branch is 'main'")


@pytest.mark.parametrize("flag", ["--drafts", "--future"])
def test_publish_refuses_drafts_and_future_articles(repo: Path, flag: str) -> None:
    before = state(repo)
    result = run_digest("publish", flag, cwd=repo)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "never includes drafts or future articles" in result.stderr
    assert state(repo) == before
    assert subprocess.run(["git", "-C", str(repo.parent / "origin.git"), "rev-parse",
                           "--verify", "--quiet", "gh-pages"]).returncode != 0


def test_publish_refuses_uncommitted_sources_and_names_them(repo: Path) -> None:
    (repo / "content/politik/2025-06-03-haushalt.md").write_text(
        SITE["content/politik/2025-06-03-haushalt.md"] + "Noch ein Satz.\n", encoding="utf-8")
    write_site(repo, {"config.yaml": SITE["config.yaml"],
                      "content/sport/2025-06-05-neu.md": "---\ntitle: Neu\n---\nText.\n",
                      "static/logo.svg": "<svg/>\n",
                      "themes/default/templates/base.html": "{{ content }}\n"})
    git(repo, "mv", "content/politik/2025-06-04-entwurf.md", "content/politik/entwurf.md")
    before = state(repo)
    refused(run_digest("publish", cwd=repo), "config.yaml: error: uncommitted changes",
            "content/politik/2025-06-03-haushalt.md, content/politik/entwurf.md, "
            "content/sport/2025-06-05-neu.md, static/logo.svg, "
            "themes/default/templates/base.html;", "--allow-dirty")
    assert state(repo) == before
    assert git(repo.parent / "origin.git", "branch", "--list", "gh-pages") == ""

    config = repo / "config.yaml"
    git(repo, "stash", "--quiet", "--include-untracked")
    config.write_text(config.read_text() + "description: Neu\n", encoding="utf-8")
    refused(run_digest("publish", cwd=repo), "uncommitted changes in the site's sources: "
            "config.yaml;")
    other = repo / "andere.yaml"
    other.write_text(config.read_text(), encoding="utf-8")
    git(repo, "add", "andere.yaml")
    git(repo, "commit", "--quiet", "-m", "Zweite Konfiguration", "andere.yaml")
    # the config file publish reads counts, whatever its name
    assert run_digest("publish", "--config", "andere.yaml", "--no-push",
                      cwd=repo).returncode == 0
    other.write_text(other.read_text() + "author: Redaktion\n", encoding="utf-8")
    refused(run_digest("publish", "--config", "andere.yaml", cwd=repo), "andere.yaml;")


def test_publish_allow_dirty_says_so_in_the_commit(repo: Path) -> None:
    origin = repo.parent / "origin.git"
    article = repo / "content/politik/2025-06-03-haushalt.md"
    article.write_text(SITE["content/politik/2025-06-03-haushalt.md"] + "Noch ein Satz.\n",
                       encoding="utf-8")
    before = state(repo)
    result = run_digest("publish", "--allow-dirty", cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning: publishing uncommitted changes to 1 file (--allow-dirty)" in result.stderr
    assert state(repo) == before
    head = git(repo, "rev-parse", "--short", "HEAD").strip()
    subject, _, body = git(origin, "log", "-1", "--format=%B", "gh-pages").partition("\n\n")
    assert f"built from {head} with uncommitted changes" in subject
    assert "Uncommitted: content/politik/2025-06-03-haushalt.md" in body
    page = git(origin, "show", "gh-pages:2025/06/03/haushalt-beschlossen/index.html")
    assert "Noch ein Satz." in page  # what was published is the working tree

    again = run_digest("publish", "--allow-dirty", "-m", "Ausgabe vom 3. Juni", cwd=repo)
    assert again.returncode == 0, again.stdout + again.stderr
    message = git(origin, "log", "-1", "--format=%B", "gh-pages")
    assert message.startswith("Ausgabe vom 3. Juni\n\n"
                              f"Built from {head} with uncommitted changes.\n")

    git(repo, "commit", "--quiet", "-am", "Noch ein Satz")
    clean = run_digest("publish", "--allow-dirty", cwd=repo)
    assert clean.returncode == 0 and "uncommitted" not in clean.stderr
    subject = git(origin, "log", "-1", "--format=%s", "gh-pages").strip()
    assert subject.startswith("Publish the site built from ") and "uncommitted" not in subject
