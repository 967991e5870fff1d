"""Search: index the built site with Pagefind, only when its pages changed.

Pagefind reads the finished HTML, so this runs after a successful build and never inside it.
Only elements marked `data-pagefind-body` are indexed: the theme puts that on the article text
alone, so listing pages (front, day, topic, tag pages) stay out of the results. The bundle is
written beside the site's own files in output/pagefind/; the build's writer only removes files
that it wrote itself, so the bundle survives rebuilds, and `--clean` simply makes it missing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .config import Config
from .errors import DigestError, problem

BUNDLE_DIR = "pagefind"
ENTRY_FILE = "pagefind-entry.json"


@dataclass(frozen=True)
class SearchReport:
    """What indexing did: how long it took, how many pages went in, or that it was skipped."""

    seconds: float
    pages: int
    skipped: bool

    def summary(self) -> str:
        """A quiet one-line note for the command line."""
        if self.skipped:
            return "search index up to date"
        return f"search index: {self.pages} pages in {self.seconds:.2f} s"


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


def html_fingerprint(output: Path, salt: str) -> tuple[str, int]:
    """A hash over the path, size and modification time of every HTML file in the site.

    The writer only touches files whose bytes changed, so this changes exactly when a page did.
    """
    digest = hashlib.sha1(salt.encode())
    count = 0
    for path in sorted(output.rglob("*.html")):
        rel = path.relative_to(output)
        if rel.parts[0] == BUNDLE_DIR or rel.parts[0].startswith("."):
            continue
        stat = path.stat()
        digest.update(f"{rel.as_posix()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        count += 1
    return digest.hexdigest(), count


def stamp_path(config: Config) -> Path:
    """Where the fingerprint of the last index is kept; one per output folder."""
    key = hashlib.sha1(str(config.output_path.resolve()).encode()).hexdigest()[:12]
    return config.cache_path / f"search-{key}.json"


def indexed_pages(bundle: Path) -> int:
    """The number of pages Pagefind indexed, from its entry file."""
    try:
        entry = json.loads((bundle / ENTRY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    return sum(int(lang.get("page_count", 0)) for lang in entry.get("languages", {}).values())


def run_pagefind(config: Config, binary: Path, target: Path) -> None:
    """Index config.output_path into `target` with the site language's stemming."""
    command = [str(binary), "--site", str(config.output_path), "--output-path", str(target),
               "--force-language", config.lang, "--quiet"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise DigestError(problem(config.output_path, "search: Pagefind failed: "
                                  + " / ".join(detail)))


def swap_in(staged: Path, bundle: Path) -> None:
    """Replace the old bundle with the new one; a reader sees at most a brief gap."""
    old = None
    if bundle.exists():
        old = bundle.with_name(f".{BUNDLE_DIR}-old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(bundle, old)
    os.replace(staged, bundle)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def index_site(config: Config, force: bool = False) -> SearchReport:
    """Index the built site with Pagefind into output/pagefind/ when its pages changed."""
    started = time.perf_counter()
    output = config.output_path
    bundle = output / BUNDLE_DIR
    if not config.search or not output.is_dir():
        return SearchReport(0.0, 0, True)
    binary = pagefind_binary(config)
    salt = f"{binary.resolve()}\0{binary.stat().st_size}\0{config.lang}"
    fingerprint, _ = html_fingerprint(output, salt)
    stamp = stamp_path(config)
    fresh = (bundle / ENTRY_FILE).is_file() and stamp.is_file() \
        and stamp.read_text(encoding="utf-8").strip() == fingerprint
    if fresh and not force:
        return SearchReport(time.perf_counter() - started, indexed_pages(bundle), True)
    staged = Path(tempfile.mkdtemp(prefix=f".{BUNDLE_DIR}-new-", dir=output))
    try:
        run_pagefind(config, binary, staged)
        swap_in(staged, bundle)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint + "\n", encoding="utf-8")
    return SearchReport(time.perf_counter() - started, indexed_pages(bundle), False)
