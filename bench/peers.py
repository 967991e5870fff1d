"""Hugo on the same corpus, for bench/run.py's side-by-side ratio.

The fixture in bench/hugo/ makes the pages a news digest needs (an article page, section and
tag pages, a home page with the newest 50, feeds); the corpus's Markdown files are its content
(Hugo skips the .txt agency copy, which it cannot read). Each build is cold: no resources
cache, an empty output folder.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent / "hugo"


def hugo_binary() -> str | None:
    return shutil.which("hugo")


def hugo_version(binary: str) -> tuple[int, int]:
    text = subprocess.run([binary, "version"], capture_output=True, text=True).stdout
    found = re.search(r"v(\d+)\.(\d+)", text)
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


def hugo_site(corpus: Path, binary: str) -> Path:
    """A Hugo site whose content is the corpus's Markdown files (hard links, not copies)."""
    site = Path(tempfile.mkdtemp(prefix="hugo-site-"))
    shutil.copytree(FIXTURE, site, dirs_exist_ok=True)
    paging = "[pagination]\n  pagerSize = 10\n" if hugo_version(binary) >= (0, 128) else \
        "paginate = 10\n"
    with (site / "hugo.toml").open("a", encoding="utf-8") as config:
        config.write(paging)
    for path in (corpus / "content").rglob("*.md"):
        target = site / "content" / path.relative_to(corpus / "content")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            target.hardlink_to(path)
        except OSError:
            shutil.copyfile(path, target)
    return site


def hugo_cold(site: Path, binary: str) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of one cold Hugo build."""
    output = site / "public"
    shutil.rmtree(output, ignore_errors=True)
    shutil.rmtree(site / "resources", ignore_errors=True)
    # run through a process of its own, so that Hugo's peak memory is not taken for digest's
    measure = ("import resource, subprocess, sys, time\n"
               "started = time.perf_counter()\n"
               "code = subprocess.run(sys.argv[1:], capture_output=True).returncode\n"
               "print(code, time.perf_counter() - started,\n"
               "      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    result = subprocess.run([sys.executable, "-c", measure, binary, "--quiet", "--destination",
                             str(output), "--cacheDir", str(site / ".cache")], cwd=site,
                            capture_output=True, text=True, check=True)
    code, seconds, peak = result.stdout.split()
    if code != "0":
        raise SystemExit(f"hugo failed in {site}")
    return float(seconds), int(peak) // 1024
