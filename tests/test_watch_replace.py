"""The watcher after an input folder is replaced: inotify follows a folder, not its path, so
a `git checkout` or a copy back must not leave `digest serve` deaf to later edits."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.config import Config, load_config
from digest.serve.watch import Watcher

from .conftest import write_site

QUIET = 0.8
"""Longer than watchdog holds a move out of a folder (0.5 s) before it reports a deletion."""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_site(tmp_path / "site", {"content/politik/a.md": "# A\n",
                                          "themes/mein/templates/x.html": "x",
                                          "output/index.html": "", ".digest-cache/m": ""})


@pytest.fixture
def config(site: Path) -> Config:
    return load_config(site / "config.yaml")


@pytest.fixture
def watcher(site: Path, config: Config) -> Iterator[Watcher]:
    watch = Watcher(site / "config.yaml")
    watch.start(config)
    yield watch
    watch.stop()


def sees(watcher: Watcher, path: Path, timeout: float = 5) -> bool:
    """Whether `path` is reported changed within `timeout`; other changes may come first."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        if watcher.wait(timeout=left) is None:
            return False
        if str(path) in watcher.take_changes():
            return True
    return False


def rebuild(watcher: Watcher, config: Config) -> None:
    """What serve does before each build; then let the replacement's late events pass."""
    watcher.update(config)
    deadline = time.monotonic() + 10
    while watcher.wait(timeout=QUIET) is not None and time.monotonic() < deadline:
        pass
    watcher.take_changes()


def test_folder_moved_away_and_copied_back_is_watched_again(
        site: Path, config: Config, watcher: Watcher, tmp_path: Path) -> None:
    """The watch went with the moved folder; the copy at content/ needs one of its own."""
    content, elsewhere = site / "content", tmp_path / "elsewhere"
    shutil.move(content, elsewhere)
    shutil.copytree(elsewhere, content)
    assert sees(watcher, content), "the replacement itself must rebuild"
    rebuild(watcher, config)
    article = content / "politik/a.md"
    article.write_text("# A, neu\n")
    assert sees(watcher, article)
    # still ignored in the new folder and beside it
    for path in [content / "politik/.a.md.swp", content / "politik/a.md~",
                 site / "output/index.html", site / ".digest-cache/m"]:
        path.write_text("edited")
    assert watcher.wait(timeout=0.4) is None


def test_folder_deleted_and_made_anew_is_watched_again(
        site: Path, config: Config, watcher: Watcher) -> None:
    """A deleted folder's watch ends with it, even if the new one gets its inode number."""
    content = site / "content"
    shutil.rmtree(content)
    (content / "politik").mkdir(parents=True)
    article = content / "politik/b.md"
    article.write_text("# B\n")
    assert sees(watcher, content), "the replacement itself must rebuild"
    rebuild(watcher, config)
    article.write_text("# B, neu\n")
    assert sees(watcher, article)
    (content / "c.md").write_text("# C\n")
    assert sees(watcher, content / "c.md")


def test_moved_away_folder_is_no_longer_watched(
        site: Path, config: Config, watcher: Watcher, tmp_path: Path) -> None:
    """Edits of the old copy would be reported as edits of content/ and rebuild for nothing."""
    content, elsewhere = site / "content", tmp_path / "elsewhere"
    shutil.move(content, elsewhere)
    shutil.copytree(elsewhere, content)
    assert sees(watcher, content)
    rebuild(watcher, config)
    (elsewhere / "politik/a.md").write_text("# A, alt\n")
    (elsewhere / "politik/z.md").write_text("# Z\n")
    assert watcher.wait(timeout=QUIET) is None, watcher.take_changes()


def test_folder_created_after_start_then_replaced_is_watched(
        site: Path, config: Config, watcher: Watcher) -> None:
    """static/ did not exist when serve began; creating it, and then replacing it, both count."""
    static = site / "static"
    static.mkdir()
    assert sees(watcher, static)
    rebuild(watcher, config)
    (static / "s.css").write_text("body {}\n")
    assert sees(watcher, static / "s.css")
    static.rename(site / "static.alt")
    static.mkdir()
    assert sees(watcher, static)
    rebuild(watcher, config)
    (static / "t.css").write_text("p {}\n")
    assert sees(watcher, static / "t.css")
    (site / "static.alt/s.css").write_text("old\n")
    assert watcher.wait(timeout=QUIET) is None, watcher.take_changes()
