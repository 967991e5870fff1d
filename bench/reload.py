#!/usr/bin/env python3
"""Median time from saving an article to the reload event reaching a browser's event stream.

    python3 bench/reload.py SITE_DIR [--saves 5] [--wait 0.5]

Starts `digest serve --port 0` in SITE_DIR, listens on the live-reload stream like a browser
tab, appends a line to one article five times and prints each save-to-reload time together
with the server's own "rebuilt in" figure. The article is restored afterwards. `--wait`:
seconds between the server's first build and the first save, as an editor takes them; a
preview whose first build was answered from the record fills its memo meanwhile.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    # timed processes start as an installed digest does: from cached bytecode
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--saves", type=int, default=5)
    parser.add_argument("--wait", type=float, default=0.5)
    args = parser.parse_args()
    root = args.site.resolve()
    server = subprocess.Popen([sys.executable, "-m", "digest", "serve", "--port", "0"],
                              cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True)
    article = sorted((root / "content").rglob("*.md"))[0]
    original = article.read_text(encoding="utf-8")
    try:
        for line in server.stdout:
            if match := re.search(r"Serving http://([\d.]+):(\d+)(\S+)", line):
                break
        else:
            raise SystemExit("digest serve did not start")
        host, port, base = match.groups()
        connection = http.client.HTTPConnection(host, int(port))
        connection.request("GET", base + "__digest/events")
        stream = connection.getresponse()

        def next_event() -> str:
            name = None
            while True:
                line = stream.fp.readline().decode()
                if line.startswith("event:"):
                    name = line.split(":", 1)[1].strip()
                if line == "\n" and name:
                    return name

        assert next_event() == "version"
        client, logged = [], []
        for i in range(args.saves):
            time.sleep(args.wait if i == 0 else 0.5)
            started = time.perf_counter()
            article.write_text(original + f"\nÄnderung {i}.\n", encoding="utf-8")
            assert next_event() == "reload"
            client.append((time.perf_counter() - started) * 1000)
            logged.append(float(re.search(r"rebuilt in (\d+) ms", server.stdout.readline())[1]))
        print("save -> reload event, ms:", [round(x) for x in client],
              "median", round(statistics.median(client)))
        print("server 'rebuilt in', ms:", logged, "median", statistics.median(logged))
    finally:
        article.write_text(original, encoding="utf-8")
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
