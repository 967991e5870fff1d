#!/usr/bin/env python3
"""Time `digest build` as the Pages workflow runs it after a push that edits one article.

    python3 bench/ci_warm.py --articles 10000 [--search] [--repeat 3]

What the runner does, step by step: the site is a git repository (the generated corpus,
committed); a first run clones it and builds cold, and its cache folder and output are put
aside in a folder of their own (what actions/cache saves). Then one article is edited and
committed, and each timed round makes a fresh clone of the repository (all files new on
disk, as actions/checkout leaves them), copies the cache folder and output back into it (what
actions/cache restores) and runs `digest build` in a new process. Printed: the cold build and
the median warm build after the edit. Search indexing is off unless --search.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GENERATOR = HERE.parent.parent / "shared" / "bench" / "gen_corpus.py"
SAVED = (".digest-cache", "output")
"""What the workflow's actions/cache step saves and restores."""
GIT_ENV = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.org",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.org",
           "GIT_CONFIG_NOSYSTEM": "1"}


def git(*args: str | Path, cwd: Path) -> None:
    subprocess.run(["git", *map(str, args)], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, **GIT_ENV})


def site_repository(workdir: Path, articles: int, search: bool) -> Path:
    """The generated corpus as a committed git repository, as a site on GitHub is."""
    repo = workdir / f"site-{articles}{'-search' if search else ''}"
    if (repo / ".git").is_dir():
        return repo
    subprocess.run([sys.executable, str(GENERATOR), "--articles", str(articles), "--out",
                    str(repo)], check=True, capture_output=True)
    (repo / "config.yaml").write_text("title: Bench\nbase_url: https://example.org/news/\n"
                                      f"search: {'true' if search else 'false'}\n",
                                      encoding="utf-8")
    (repo / ".gitignore").write_text("/output/\n/.digest-cache/\n", encoding="utf-8")
    git("init", "--quiet", "--initial-branch=main", cwd=repo)
    git("add", ".", cwd=repo)
    git("commit", "--quiet", "-m", "Corpus", cwd=repo)
    return repo


def fresh_clone(repo: Path, target: Path) -> Path:
    """A full clone into a new folder: every file written now, as on a new runner."""
    if target.exists():
        shutil.rmtree(target)
    git("clone", "--quiet", "--no-hardlinks", repo, target, cwd=repo.parent)
    return target


def digest_build(site: Path) -> tuple[float, str]:
    """Wall seconds and the summary line of one `digest build` in a new process."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "digest", "build"], cwd=site,
                            capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"digest build failed in {site}:\n{result.stderr[-2000:]}")
    return seconds, result.stdout.strip().splitlines()[-1]


def save(site: Path, store: Path) -> None:
    """Put the cache folder and output aside, as actions/cache saves them after a run."""
    if store.exists():
        shutil.rmtree(store)
    for name in SAVED:
        shutil.copytree(site / name, store / name, symlinks=True)


def restore(store: Path, site: Path) -> float:
    """Copy them into a fresh clone, as actions/cache restores them; the seconds it took."""
    started = time.perf_counter()
    for name in SAVED:
        shutil.copytree(store / name, site / name, symlinks=True)
    return time.perf_counter() - started


def edit_and_commit(repo: Path, old: bool = False) -> Path:
    """Edit one article and commit it, as a push brings it: the newest (where a desk's
    edits land; with search, in the small recent bundle), or with `old` the middle one."""
    articles = sorted((repo / "content").rglob("*.md"))
    article = articles[len(articles) // 2] if old else max(articles, key=lambda p: p.name)
    article.write_text(article.read_text(encoding="utf-8") + "\nNachtrag der Redaktion.\n",
                       encoding="utf-8")
    git("commit", "--quiet", "-am", f"Edit {article.name}", cwd=repo)
    return article


def main() -> None:
    # timed processes start as an installed digest does: from cached bytecode
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10000, help="corpus size")
    parser.add_argument("--repeat", type=int, default=3, help="warm rounds (median)")
    parser.add_argument("--search", action="store_true", help="keep search indexing on")
    parser.add_argument("--workdir", type=Path, help="keep the corpus here between runs")
    parser.add_argument("--old", action="store_true",
                        help="edit an old article (the middle one) instead of the newest")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="digest-ci-warm-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        print(f"cores: {os.cpu_count()}, articles: {args.articles}, search: "
              f"{'on' if args.search else 'off'}, workdir: {workdir}", flush=True)
        repo = site_repository(workdir, args.articles, args.search)
        store = workdir / "actions-cache"
        cold, line = digest_build(fresh_clone(repo, workdir / "runner"))
        print(f"cold build in a fresh clone: {cold:.2f} s  ({line})", flush=True)
        save(workdir / "runner", store)
        article = edit_and_commit(repo, args.old)
        print(f"edited and committed {article.relative_to(repo)}", flush=True)
        warm, restored = [], []
        for _ in range(args.repeat):
            clone = fresh_clone(repo, workdir / "runner")
            restored.append(restore(store, clone))
            seconds, line = digest_build(clone)
            warm.append(seconds)
            print(f"  warm build: {seconds:.2f} s  ({line})", flush=True)
        print(f"restore (copy of {' and '.join(SAVED)}): {statistics.median(restored):.2f} s "
              "median, not part of the build figure")
        print(f"warm build after one edit, fresh clone with restored cache: "
              f"{statistics.median(warm):.2f} s median of {args.repeat} "
              f"(cold {cold:.2f} s)")
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
