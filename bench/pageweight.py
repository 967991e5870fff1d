#!/usr/bin/env python3
"""Bytes of HTML, CSS and images a 390 px phone downloads for the sample site's front page.

    python3 bench/pageweight.py [--scale 3] [--site DIR] [--shots DIR]

Builds the site (the repository's sample site by default) in a temporary folder, serves it
over HTTP under its sub-path and opens the front page in headless Chromium with a 390 px
viewport at the given device pixel ratio. Sums the bodies of every response, by type, once
after loading and once after scrolling to the end (lazy images below the fold then load
too). The target is under 500 KB after scrolling.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET = 500 * 1024


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def kind(content_type: str) -> str:
    for name in ("html", "css", "image", "javascript", "json"):
        if name in content_type:
            return name
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=3.0, help="device pixel ratio")
    parser.add_argument("--site", type=Path, default=REPO)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from playwright.sync_api import sync_playwright

    from digest.build import build
    from digest.config import load_config

    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary) / "site"
        root.mkdir()
        shutil.copy(args.site / "config.yaml", root / "config.yaml")
        shutil.copytree(args.site / "content", root / "content")
        config = load_config(root / "config.yaml")
        build(config)
        www = Path(temporary) / "www"
        base = config.base_path.strip("/")
        (www / base).parent.mkdir(parents=True, exist_ok=True)
        (www / base).symlink_to(config.output_path, target_is_directory=True)
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Quiet, directory=str(www)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/{base}/"
        sizes: Counter[str] = Counter()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", headless=True,
                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
                context = browser.new_context(viewport={"width": 390, "height": 844},
                                              device_scale_factor=args.scale,
                                              is_mobile=True, has_touch=True)
                page = context.new_page()

                def count(response) -> None:
                    try:
                        body = response.body()
                    except Exception:  # a redirect or an aborted request has no body
                        return
                    sizes[kind(response.headers.get("content-type", ""))] += len(body)

                page.on("response", count)
                page.goto(url, wait_until="networkidle")
                loaded = sum(sizes.values())
                height = page.evaluate("document.documentElement.scrollHeight")
                for y in range(0, height + 844, 400):
                    page.evaluate(f"window.scrollTo(0, {y})")
                    page.wait_for_timeout(60)
                page.wait_for_load_state("networkidle")
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
    total = sum(sizes.values())
    print(f"front page at 390 px, device pixel ratio {args.scale:g}: {loaded / 1024:.1f} KB "
          f"on load, {total / 1024:.1f} KB after scrolling to the end "
          f"(target < {TARGET // 1024} KB)")
    for name, size in sizes.most_common():
        print(f"  {name:<10} {size / 1024:8.1f} KB")
    raise SystemExit(0 if total < TARGET else 1)


if __name__ == "__main__":
    main()
