"""Search: the Pagefind index as one more output of the build.

Pagefind is handed only what readers search, the article pages, through a folder of hard links
in the commit's workspace (the new page where one was rendered, else the current one), and
writes its bundle there too. The bundle's files then go through the writer like every page,
so they are committed or rolled back with the rest and `--clean` makes them again. The index
is made again only when an article page's bytes changed: its key is a hash of them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from .config import Config
from .errors import DigestError, problem
from .pages import Plan
from .workers import die_with_parent
from .write import OutputWriter

BUNDLE_DIR = "pagefind"
INDEXED_TEMPLATES = ("article.html",)
"""The templates whose pages are searched: the theme marks their text data-pagefind-body."""


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


def run_pagefind(config: Config, binary: Path, site: Path, target: Path) -> None:
    """Index the pages in `site` into `target` with the site language's stemming."""
    command = [str(binary), "--site", str(site), "--output-path", str(target),
               "--force-language", config.lang, "--quiet"]
    result = subprocess.run(command, capture_output=True, text=True, check=False,
                            preexec_fn=die_with_parent)
    if result.returncode != 0 and EMPTY_INDEX in result.stdout + result.stderr:
        return
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise DigestError(problem(config.output_path, "search: Pagefind failed: "
                                  + " / ".join(detail)))


class SearchIndex:
    """The search stage of one build, between rendering and the commit."""

    def __init__(self, config: Config, writer: OutputWriter, later: bool = False) -> None:
        self.config = config
        self.writer = writer
        self.later = later
        """Keep the last bundle as it is: a later build indexes (digest serve)."""

    def pages(self, plan: Plan) -> list[str]:
        return [p.path for p in plan.pages if p.template in INDEXED_TEMPLATES]

    def key(self, binary: Path, pages: list[str]) -> str:
        """A hash of what the index is made of: Pagefind itself, the language, every
        indexed page's bytes (by the hash the writer noted) and its path."""
        digest = hashlib.sha1(f"{binary.name}\0{binary.stat().st_size}\0{self.config.lang}"
                              .encode())
        for rel in pages:
            digest.update(f"{rel}\0{self.writer.new[rel][0]}\n".encode())
        return digest.hexdigest()

    def keep(self, fingerprint: str | None) -> bool:
        """Keep the last bundle's files (those indexed under `fingerprint`, or any) when
        every one is still there as written."""
        old = {rel: entry for rel, entry in self.writer.old.items()
               if rel.startswith(BUNDLE_DIR + "/")}
        if not old or (fingerprint is not None and
                       any(len(e) < 4 or e[3] != fingerprint for e in old.values())):
            return False
        kept = [rel for rel, entry in old.items() if self.writer.unchanged_since(rel, entry[3])]
        if len(kept) == len(old):
            return True
        for rel in kept:  # start over: a bundle is whole or not at all
            self.writer.new.pop(rel)
            self.writer.unchanged -= 1
        return False

    def update(self, plan: Plan, jobs: int = 0) -> int | None:
        """Index when the article pages changed; the number of pages indexed, else None."""
        if not self.config.search:
            return None
        if self.later and self.keep(None):
            return None
        pages = self.pages(plan)
        binary = pagefind_binary(self.config)
        fingerprint = "search:" + self.key(binary, pages)
        if self.keep(fingerprint):
            return None
        work = self.writer.state.work
        site, bundle = work / "search-site", work / "search-bundle"
        shutil.rmtree(site, ignore_errors=True)
        shutil.rmtree(bundle, ignore_errors=True)
        if not pages:
            return 0
        try:
            self.link_pages(pages, site)
            run_pagefind(self.config, binary, site, bundle)
            for path in sorted(bundle.rglob("*")):
                if path.is_file():
                    rel = f"{BUNDLE_DIR}/{path.relative_to(bundle).as_posix()}"
                    self.writer.add(rel, path.read_bytes(), fingerprint)
        finally:
            shutil.rmtree(site, ignore_errors=True)
            shutil.rmtree(bundle, ignore_errors=True)
        return len(pages)

    def link_pages(self, pages: list[str], site: Path) -> None:
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
