#!/usr/bin/env python3
"""The search page and digest serve's background index, measured in a real Chromium.

    python3 bench/search.py SITE_DIR [--config config-search.yaml] [--rounds 3]

SITE_DIR is a site built with search on (bench/run.py --search leaves its corpora so, with
config-search.yaml beside config.yaml). Prints, as medians:
- typing to first result: a query typed into the search page (served over HTTP from the
  built output) until its first result shows, the first query of a fresh tab (which loads
  every bundle's index) and the later ones;
- save to findable: `digest serve` running, one article saved with a new word, until the
  search page finds it.
Needs Debian's chromium (/usr/bin/chromium) and Playwright.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlparse

import yaml

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
QUERIES = ["Gutachten", "Haushalt", "Verhandlung", "Öffentlichkeit", "Straßburg",
           "Gewerkschaft", "Förderausschuss"]
"""Words of the generated corpus: each has results."""

RESULTS = "document.querySelectorAll('.pagefind-ui__result-link').length"


def type_and_wait(page, word: str) -> float:
    """Milliseconds from the last keystroke of `word`, typed into the search box as a reader
    types (a click into the box, then about 20 keys a second), to its first result."""
    box = ".pagefind-ui__search-input"
    page.click(box)
    page.fill(box, "")
    page.wait_for_function(f"!{RESULTS}")
    page.keyboard.type(word[:-1], delay=50)
    started = time.perf_counter()
    page.keyboard.type(word[-1])
    page.wait_for_function(RESULTS, timeout=10_000, polling=2)
    return (time.perf_counter() - started) * 1000


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def serve_folder(www: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(www)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def typing_to_result(browser, search_url: str, rounds: int) -> tuple[list[float], list[float]]:
    first, later = [], []
    for _ in range(rounds):
        context = browser.new_context()
        page = context.new_page()
        page.goto(search_url)
        page.wait_for_selector(".pagefind-ui__search-input")
        times = [type_and_wait(page, word) for word in QUERIES]
        first.append(times[0])
        later.extend(times[1:])
        context.close()
    return first, later


def findable(browser, root: Path, config: str, rounds: int) -> list[float]:
    """Save to findable through a running digest serve."""
    server = subprocess.Popen([sys.executable, "-m", "digest", "serve", "--port", "0",
                               "--config", config], cwd=root, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    article = max((root / "content").rglob("*.md"), key=lambda p: p.name)
    original = article.read_text(encoding="utf-8")
    seconds = []
    try:
        for line in server.stdout:
            if match := re.search(r"Serving (http://\S+)", line):
                break
        else:
            raise SystemExit("digest serve did not start")
        url = match.group(1)
        threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
        page = browser.new_page()
        time.sleep(3)  # the first build and its index
        for i in range(rounds):
            word = f"Zauberwort{i}x{int(time.time())}"
            temp = article.with_name(article.name + ".tmp")
            temp.write_text(original + f"\n{word}\n", encoding="utf-8")
            saved = time.perf_counter()
            temp.replace(article)
            while True:
                page.goto(f"{url}search/?q={quote(word)}")
                try:
                    page.wait_for_selector(".pagefind-ui__result-link", timeout=1500)
                    break
                except Exception:  # not yet indexed: ask again
                    if time.perf_counter() - saved > 120:
                        raise SystemExit("the edited word never became findable") from None
            seconds.append(time.perf_counter() - saved)
        page.close()
    finally:
        article.write_text(original, encoding="utf-8")
        server.terminate()
        server.wait(timeout=30)
    return seconds


def main() -> None:
    # timed processes start as an installed digest does: from cached bytecode
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--config", default="config-search.yaml")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    root = args.site.resolve()
    settings = yaml.safe_load((root / args.config).read_text(encoding="utf-8"))
    base = urlparse(settings["base_url"]).path.rstrip("/")
    from playwright.sync_api import sync_playwright

    www = Path(root / ".bench-www")
    www.mkdir(exist_ok=True)
    link = www / base.strip("/") if base else www
    if base and not link.exists():
        link.symlink_to(root / "output", target_is_directory=True)
    server, origin = serve_folder(www if base else root / "output")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 headless=True, args=CHROMIUM_ARGS)
            bundles = (root / "output/pagefind/bundles.json").read_text(encoding="utf-8")
            print(f"bundles: {bundles}")
            first, later = typing_to_result(browser, f"{origin}{base}/search/", args.rounds)
            print(f"typing to first result: first query {statistics.median(first):.0f} ms, "
                  f"later queries {statistics.median(later):.0f} ms (median of {len(later)})")
            saves = findable(browser, root, args.config, args.rounds)
            print("digest serve, save to findable: "
                  + ", ".join(f"{s:.1f}" for s in saves)
                  + f" s, median {statistics.median(saves):.1f} s")
            browser.close()
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
