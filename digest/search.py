"""Search: the Pagefind index as one more output of the build, in bundles.

Pagefind has no incremental mode and its memory grows with the pages it holds, so the article
pages are split into bundles (bundles.py) that the search page merges in the browser. A bundle
is indexed again only when one of its pages changed: its key is a hash of the bytes of its
pages. Stale bundles are indexed in parallel, each by its own Pagefind process, from a folder
of hard links to the article pages in the commit's workspace (the new page where one was
rendered, else the current one). Pagefind writes there too; the files then go through the
writer like every page, so they are committed or rolled back with the rest and `--clean`
makes them again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .config import Config
from .errors import DigestError, problem
from .pages import Plan
from .pages.bundles import Bundle, dated_pages, partition
from .workers import die_with_parent, worker_count
from .write import OutputWriter

BUNDLE_DIR = "pagefind"
BUNDLE_LIST = f"{BUNDLE_DIR}/bundles.json"
"""The names of the bundles, newest first: the search page merges them in this order."""
UI_FILES = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js",
            "pagefind-modular-ui.css", "pagefind-component-ui.js",
            "pagefind-component-ui.css", "pagefind-highlight.js")
"""Pagefind's user interface: the same for every bundle, so written once, beside them."""


def pagefind_binary(config: Config) -> Path:
    """The Pagefind executable from the `pagefind[bin]` package (or PAGEFIND_BINARY_PATH)."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        get_executable = None
    binary = get_executable() if get_executable else None
    if binary is None or not Path(binary).exists():
        raise DigestError(problem(config.root / "config.yaml", "'search': Pagefind is not "
                                  "installed; install it with pip install 'digest[search]' "
                                  "or set 'search: false'"))
    return Path(binary)


EMPTY_INDEX = "not able to build an index"
"""What Pagefind says when the pages hold no text to index: then there is no bundle."""


def run_pagefind(config: Config, binary: Path, site: Path, target: Path) -> str | None:
    """Index the pages in `site` into `target` with the site language's stemming; what went
    wrong, if anything."""
    command = [str(binary), "--site", str(site), "--output-path", str(target),
               "--force-language", config.lang, "--quiet"]
    result = subprocess.run(command, capture_output=True, text=True, check=False,
                            preexec_fn=die_with_parent)
    if result.returncode != 0 and EMPTY_INDEX in result.stdout + result.stderr:
        return None
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()[-5:]
        return " / ".join(lines) or f"Pagefind ended with status {result.returncode}"
    return None


def bundle_key(stamp: str, salt: bytes, bundle: Bundle, keys: dict[str, str]) -> str:
    """A hash of what a bundle indexes: Pagefind itself and the language, what every page
    shares, and each article as its page shows it (its entry key), not the page's bytes,
    which also carry its neighbours' teasers."""
    digest = hashlib.sha1(f"{stamp}\0{bundle.name}\0".encode() + salt)
    for rel in bundle.pages:
        digest.update(f"{rel}\0{keys[rel]}\n".encode())
    return digest.hexdigest()


class SearchIndex:
    """The search stage of one build, between rendering and the commit."""

    def __init__(self, config: Config, writer: OutputWriter, later: bool = False) -> None:
        self.config = config
        self.writer = writer
        self.later = later
        """Keep the last bundles as they are: a later build indexes (digest serve)."""

    def update(self, plan: Plan, salt: bytes, jobs: int = 0) -> int | None:
        """Index the bundles whose pages changed; the number of pages indexed, else None.

        `salt`: what every page shares (code, settings, theme), as the renderer had it.
        """
        if not self.config.search:
            return None
        if self.later:
            self.keep(BUNDLE_DIR + "/", None)
            return None
        binary = pagefind_binary(self.config)
        stamp = f"{binary.name}\0{binary.stat().st_size}\0{self.config.lang}"
        dated = dated_pages(plan)
        keys = {rel: key for _, rel, key in dated}
        bundles = partition((day, rel) for day, rel, _ in dated)
        stale = []
        for bundle in bundles:
            fingerprint = "search:" + bundle_key(stamp, salt, bundle, keys)
            if not self.keep(f"{BUNDLE_DIR}/{bundle.name}/", fingerprint):
                stale.append((bundle, fingerprint))
        made = self.index(binary, [bundle for bundle, _ in stale], jobs)
        try:
            for (bundle, fingerprint), folder in zip(stale, made, strict=True):
                self.take(bundle, folder, fingerprint)
            self.take_ui(stamp, made)
        finally:
            for folder in made:
                shutil.rmtree(folder.parent, ignore_errors=True)
        names = [b.name for b in bundles if f"{BUNDLE_DIR}/{b.name}/pagefind-entry.json"
                 in self.writer.new]
        self.writer.add(BUNDLE_LIST, json.dumps(names).encode())
        return sum(len(bundle.pages) for bundle, _ in stale) if stale else None

    def keep(self, prefix: str, fingerprint: str | None) -> bool:
        """Keep the last build's files under `prefix` (indexed under `fingerprint`, or any)
        when every one is still there as written: a bundle is whole or not at all."""
        old = {rel: entry for rel, entry in self.writer.old.items() if rel.startswith(prefix)
               and (prefix != BUNDLE_DIR + "/" or rel.count("/") > 1)}
        if not old or (fingerprint is not None and
                       any(len(e) < 4 or e[3] != fingerprint for e in old.values())):
            return False
        kept = [rel for rel, entry in old.items() if self.writer.unchanged_since(rel, entry[3])]
        if len(kept) == len(old):
            if fingerprint is None:  # the files beside the bundles go with them
                for rel in (f"{BUNDLE_DIR}/{name}" for name in (*UI_FILES, "bundles.json")):
                    entry = self.writer.old.get(rel)
                    if entry and len(entry) > 3:
                        self.writer.unchanged_since(rel, entry[3])
            return True
        for rel in kept:
            self.writer.new.pop(rel)
            self.writer.unchanged -= 1
        return False

    def index(self, binary: Path, bundles: list[Bundle], jobs: int) -> list[Path]:
        """Index each bundle into a folder of the workspace, in parallel: one Pagefind per
        core at most, so memory stays bounded by the bundle size."""
        work = self.writer.state.work

        def one(bundle: Bundle) -> tuple[Path, str | None]:
            site, target = work / f"search-{bundle.name}" / "site", \
                work / f"search-{bundle.name}" / "bundle"
            shutil.rmtree(site.parent, ignore_errors=True)
            self.link_pages(bundle.pages, site)
            failure = run_pagefind(self.config, binary, site, target)
            shutil.rmtree(site, ignore_errors=True)
            return target, failure

        if not bundles:
            return []
        largest_first = sorted(range(len(bundles)), key=lambda i: -len(bundles[i].pages))
        with ThreadPoolExecutor(max_workers=min(worker_count(jobs), len(bundles))) as pool:
            futures = {i: pool.submit(one, bundles[i]) for i in largest_first}
            done = [futures[i].result() for i in range(len(bundles))]
        failures = [failure for _, failure in done if failure]
        if failures:
            for target, _ in done:
                shutil.rmtree(target.parent, ignore_errors=True)
            raise DigestError(problem(self.config.output_path,
                                      "search: Pagefind failed: " + failures[0]))
        return [target for target, _ in done]

    def take(self, bundle: Bundle, folder: Path, fingerprint: str) -> None:
        """Hand one bundle's files to the writer, without Pagefind's user interface."""
        if not folder.is_dir():
            return  # no text to index
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder).as_posix()
            if path.is_file() and rel not in UI_FILES:
                self.writer.adopt(f"{BUNDLE_DIR}/{bundle.name}/{rel}", path, fingerprint)

    def take_ui(self, stamp: str, made: list[Path]) -> None:
        """Pagefind's user interface, beside the bundles: from a bundle made now, else as the
        last build left it, else from an index of one page made for it."""
        fingerprint = "search-ui:" + hashlib.sha1(stamp.encode()).hexdigest()
        folder = next((f for f in made if (f / UI_FILES[0]).is_file()), None)
        if folder is None:
            if all(self.writer.unchanged_since(f"{BUNDLE_DIR}/{name}", fingerprint)
                   for name in UI_FILES):
                return
            folder = self.ui_only()
        try:
            for name in UI_FILES:
                if (folder / name).is_file():
                    self.writer.adopt(f"{BUNDLE_DIR}/{name}", folder / name, fingerprint)
        finally:
            if folder not in made:
                shutil.rmtree(folder.parent, ignore_errors=True)

    def ui_only(self) -> Path:
        """Pagefind's user interface files, from an index of one small page."""
        base = self.writer.state.work / "search-ui"
        shutil.rmtree(base, ignore_errors=True)
        (base / "site").mkdir(parents=True)
        (base / "site" / "index.html").write_text(
            f'<!doctype html><html lang="{self.config.lang}"><title>-</title>'
            "<body data-pagefind-body><p>digest</p></body></html>", encoding="utf-8")
        failure = run_pagefind(self.config, pagefind_binary(self.config), base / "site",
                               base / "bundle")
        if failure:
            raise DigestError(problem(self.config.output_path,
                                      "search: Pagefind failed: " + failure))
        return base / "bundle"

    def link_pages(self, pages: tuple[str, ...], site: Path) -> None:
        """A folder of the article pages as the new site will have them, made of links."""
        made: set[str] = set()
        for rel in pages:
            source = self.writer.staged.get(rel) or self.writer.output / rel
            target = os.path.join(site, rel)
            folder = os.path.dirname(target)
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            try:
                os.link(source, target)
            except OSError:
                shutil.copyfile(source, target)
