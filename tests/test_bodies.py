"""Article bodies and sketches in the cache folder's body file (digest/bodies.py), tested as
sites meet it: moved, killed or damaged, edited for hours in one process while other builds
of the same site run."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from digest.build import Memo, build
from digest.cache import ArticleCache
from digest.config import load_config

from .conftest import build_site, run_digest, write_site
from .test_engine import cold_tree, tree

CONFIG = "title: {title}\nbase_url: https://e.org/\nsearch: false\n"
WORD = "Quellwasserschutzgebiet"


def body_site(root: Path, size: int = 3) -> Path:
    files = {"config.yaml": CONFIG.format(title="Eins")}
    for i in range(size):
        files[f"content/politik/2025-06-0{i + 1}-a{i}.md"] = (
            f"---\ntitle: Bericht {i}\n---\nEin Absatz über „Straßen“ und Brücken, {i} Mal.\n\n"
            f"Der {WORD} Nummer {i} wächst.\n")  # not in the summary: the first paragraph
    return write_site(root, files)


def body_files(root: Path) -> list[Path]:
    return sorted((root / ".digest-cache").glob("bodies-*.bin"))


def retitle(root: Path, title: str) -> None:
    """A settings change that makes every page again from the cached articles."""
    write_site(root, {"config.yaml": CONFIG.format(title=title)})


def test_bodies_live_in_the_body_file_and_pages_are_made_from_it(tmp_path: Path) -> None:
    root = body_site(tmp_path / "site")
    build_site(root)
    [bodies] = body_files(root)
    assert bodies.read_bytes().count(WORD.encode()) == 3
    assert WORD.encode() not in (root / ".digest-cache/articles.pickle").read_bytes()
    retitle(root, "Zwei")
    result = run_digest("build", cwd=root)  # a new process: every body from the file
    assert result.returncode == 0, result.stderr
    assert body_files(root) == [bodies]
    assert tree(root / "output") == cold_tree(root, tmp_path)
    assert WORD in (root / "output/2025/06/01/bericht-0/index.html").read_text("utf-8")


def test_a_moved_site_reads_its_bodies_where_they_now_are(tmp_path: Path) -> None:
    first = body_site(tmp_path / "site")
    build_site(first)
    root = tmp_path / "moved"
    first.rename(root)
    retitle(root, "Zwei")
    result = run_digest("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert tree(root / "output") == cold_tree(root, tmp_path)


@pytest.mark.parametrize("damage", ["truncated", "removed", "empty", "foreign"])
def test_a_damaged_body_file_costs_parsing_again_never_a_wrong_page(tmp_path: Path,
                                                                   damage: str) -> None:
    """A build killed before its bodies reached the disk, a cache folder cleaned by hand
    or restored in part: the articles whose bodies are not there are parsed again."""
    root = body_site(tmp_path / "site", size=8)
    build_site(root)
    [bodies] = body_files(root)
    data = bodies.read_bytes()
    if damage == "truncated":
        bodies.write_bytes(data[:len(data) // 2])
    elif damage == "removed":
        bodies.unlink()
    elif damage == "empty":
        bodies.write_bytes(b"")
    else:  # another site's body file under this one's name
        bodies.unlink()
        other = body_site(tmp_path / "other")
        build_site(other)
        body_files(other)[0].rename(bodies)
    retitle(root, "Zwei")
    result = run_digest("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert tree(root / "output") == cold_tree(root, tmp_path)
    config = load_config(root / "config.yaml")  # and the cache is whole again
    articles = [value[0] for value in ArticleCache(config.cache_path, config).old.values()]
    assert len(articles) == 8 and all(WORD.encode() in a.html for a in articles)


READ_CACHE = """
import sys
from pathlib import Path
from digest.cache import ArticleCache
from digest.config import load_config
config = load_config(Path(sys.argv[1]) / "config.yaml")
for value in ArticleCache(config.cache_path, config).old.values():
    sys.stdout.write(value[0].html.decode()[:40] + "\\n")
"""


def cached_bodies(root: Path) -> str:
    """The beginnings of the bodies the article cache holds, read by a new process."""
    return subprocess.run([sys.executable, "-c", READ_CACHE, str(root)], capture_output=True,
                          text=True, check=True).stdout


def big_article(i: int, version: int) -> str:
    words = random.Random(i * 1000 + version).choices(
        ["Haushalt", "Brücke", "Straße", "Gemeinderat", "Wahl", "Bürger", "Schule"], k=60_000)
    return f"---\ntitle: Langer Bericht {i}\n---\nFassung {version}.\n\n" + \
        " ".join(words) + "\n"


def test_a_long_running_process_keeps_the_body_file_small_and_survives_other_builds(
        tmp_path: Path) -> None:
    """Edits append bodies; once most of the file is old, the live bodies move to a new
    one. A build by another process may do that too and remove the file this process
    reads: it then moves its own bodies, and no build of either shows a wrong page."""
    root = write_site(tmp_path / "site", {"config.yaml": CONFIG.format(title="Eins")})
    names = [f"content/politik/2025-06-0{i + 1}-lang{i}.md" for i in range(4)]
    write_site(root, {name: big_article(i, 0) for i, name in enumerate(names)})
    config = load_config(root / "config.yaml")
    memo = Memo()
    build(config, memo=memo)
    [first] = body_files(root)
    live = first.stat().st_size
    for version in range(1, 5):  # as digest serve: one process, edit after edit
        write_site(root, {name: big_article(i, version) for i, name in enumerate(names)})
        build(config, memo=memo)
        assert sum(p.stat().st_size for p in body_files(root)) < 4 * live
    assert first not in body_files(root)  # moved once most of it was old
    assert tree(root / "output") == cold_tree(root, tmp_path / "a")
    # other processes build after edits and move the bodies they found
    ours = body_files(root)
    for version in range(10, 13):
        write_site(root, {name: big_article(i, version) for i, name in enumerate(names)})
        assert run_digest("build", cwd=root).returncode == 0
    assert not set(ours) & set(body_files(root))  # this process's file is gone
    write_site(root, {names[2]: big_article(2, 20)})
    build(config, memo=memo)  # read through its open file, then moved to a new one
    assert tree(root / "output") == cold_tree(root, tmp_path / "b")
    assert "Fassung 20." in cached_bodies(root)  # as a new process finds the cache
    retitle(root, "Zuletzt")
    result = run_digest("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert tree(root / "output") == cold_tree(root, tmp_path / "c")
