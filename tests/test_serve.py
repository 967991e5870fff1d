"""`digest serve` over real HTTP: safety, content types, sub-paths, ports, signals; the watcher."""

from __future__ import annotations

import http.client
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from digest.config import load_config
from digest.serve.watch import Watcher

from .conftest import run_digest, write_site

SECRET = "GEHEIM-7f3a"
ARTICLE = """\
---
title: {title}
slug: rubio
---
Rubio und Barrot sprechen über die Ukraine.
"""
SITE = {
    # search is off: its background index would replace the stand-in pagefind/ folder
    "config.yaml": "title: Vorschau\nbase_url: https://example.org/news/\nsearch: false\n",
    "content/politik/2025-06-03-rubio.md": ARTICLE.format(title="Rubio telefoniert mit Barrot"),
    "static/icon.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>',
    "static/app.js": "console.log(1);\n",
    "static/data.json": "{}\n",
    "static/pagefind/wasm.unknown.pagefind.wasm": b"\x00asm\x01\x00\x00\x00",
    "secret.txt": SECRET,
}


class Served:
    """A `digest serve` subprocess: its URL, and its output lines as they come."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        for stream in (process.stdout, process.stderr):
            threading.Thread(target=self._pump, args=(stream,), daemon=True).start()
        self.url = self.wait_for(r"^Serving (http://\S+)").group(1)
        self.host, self.port = re.match(r"http://([^/:]+):(\d+)", self.url).groups()

    def _pump(self, stream) -> None:
        for line in stream:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 20, again: bool = False) -> re.Match:
        """Wait for a new output line that matches (or an old one, `again`)."""
        for line in self.seen if again else ():
            if found := re.search(pattern, line):
                return found
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            if found := re.search(pattern, line):
                return found
        raise AssertionError(f"no line matching {pattern!r}; output:\n" + "\n".join(self.seen))

    def get(self, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        """Send `path` exactly as given: no client-side normalisation of dots or slashes."""
        connection = http.client.HTTPConnection(self.host, int(self.port), timeout=10)
        try:
            connection.request(method, path)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()


@contextmanager
def serving(root: Path, *args: str) -> Iterator[Served]:
    """Run `digest serve --port 0` on a site; always end it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "digest", "serve", "--port", "0",
         "--config", str(root / "config.yaml"), *args],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield Served(process)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = write_site(tmp_path_factory.mktemp("serve") / "site", SITE)
    with serving(root) as served:
        output = root / "output"
        (output / "leak.txt").symlink_to(root / "secret.txt")
        (output / "leakdir").symlink_to(root)
        (output / "inside.txt").symlink_to(output / "robots.txt")
        served.root = root
        yield served


TRAVERSALS = [
    "/news/../secret.txt", "/news/./../secret.txt", "/news/2025/../../secret.txt",
    "/news/%2e%2e/secret.txt", "/news/%2E%2E/secret.txt", "/news/..%2fsecret.txt",
    "/news/%2e%2e%2fsecret.txt", "/news/..%2Fsecret.txt", "/news/..%5csecret.txt",
    "/news/..\\secret.txt", "/news/%252e%252e/secret.txt", "//secret.txt", "/news//secret.txt",
    "/news/%2f{root}/secret.txt", "/news/{root}/secret.txt", "/news//{root}/secret.txt",
    "/news/index.html%00", "/news/..%00/secret.txt", "/news/leak.txt", "/news/leakdir/secret.txt",
    "/secret.txt", "http://127.0.0.1/news/../secret.txt",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_nothing_outside_output_is_served(server: Served, path: str) -> None:
    status, _, body = server.get(path.format(root=str(server.root).lstrip("/")))
    assert status == 404
    assert SECRET.encode() not in body


def test_symlink_inside_output_is_served(server: Served) -> None:
    status, _, body = server.get("/news/inside.txt")
    assert status == 200 and b"User-agent" in body


def test_missing_page_gets_404_html_with_status_404(server: Served) -> None:
    status, headers, body = server.get("/news/gibt/es/nicht/")
    assert status == 404
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert body.startswith((server.root / "output" / "404.html").read_bytes()[:200])


@pytest.mark.parametrize(("path", "kind"), [
    ("/news/", "text/html; charset=utf-8"),
    ("/news/css/style.css", "text/css"),
    ("/news/feed.xml", ("application/xml", "application/atom+xml")),
    ("/news/sitemap.xml", "application/xml"),
    ("/news/icon.svg", "image/svg+xml"),
    ("/news/app.js", "application/javascript"),
    ("/news/data.json", "application/json"),
    ("/news/pagefind/wasm.unknown.pagefind.wasm", "application/wasm"),
])
def test_content_types(server: Served, path: str, kind: str | tuple[str, ...]) -> None:
    status, headers, _ = server.get(path)
    assert status == 200
    got = headers["Content-Type"]
    assert (got if ";" in str(kind) else got.split(";")[0]) in ((kind,) if isinstance(kind, str)
                                                                 else kind)
    assert headers["Cache-Control"] == "no-store"


def test_site_is_served_under_its_base_path(server: Served) -> None:
    assert server.url.endswith(":" + server.port + "/news/")
    for path, target in [("/", "/news/"), ("/news", "/news/"),
                         ("/news/2025/06/03/rubio", "/news/2025/06/03/rubio/")]:
        status, headers, _ = server.get(path)
        assert (status, headers["Location"]) in ((301, target), (302, target))
    status, _, body = server.get("/news/2025/06/03/rubio/")
    assert status == 200 and b"Rubio telefoniert mit Barrot" in body
    assert b'href="/news/' in body
    assert server.get("/2025/06/03/rubio/")[0] == 404


def test_reload_script_is_served_but_never_written(server: Served) -> None:
    status, _, body = server.get("/news/2025/06/03/rubio/")
    assert status == 200
    assert body.count(b"/news/__digest/events") == 1
    assert body.index(b"__digest/events") < body.rindex(b"</body>")
    written = (server.root / "output" / "2025/06/03/rubio/index.html").read_bytes()
    assert b"__digest" not in written
    assert b"__digest" not in server.get("/news/app.js")[2]
    for path in (server.root / "output").rglob("*"):
        assert path.is_dir() or b"__digest" not in path.read_bytes(), path


def test_head_sends_headers_only(server: Served) -> None:
    status, headers, body = server.get("/news/", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0


def test_busy_port_is_an_error_naming_a_free_port(site) -> None:
    root = site({"content/a.md": "# A\n"})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_digest("serve", "--port", str(port), cwd=root)
    assert result.returncode == 1
    assert f"port {port} is already in use" in result.stderr
    suggested = int(re.search(r"--port (\d+)", result.stderr).group(1))
    assert suggested != port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", suggested))
    assert not (root / "output").exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signals_end_the_server_cleanly(site, signum: int) -> None:
    root = site({"content/a.md": "# A\n\nText.\n"})
    with serving(root, "--no-reload") as served:
        assert served.get("/")[0] == 200
        assert b"__digest" not in served.get("/")[2]
        served.process.send_signal(signum)
        assert served.process.wait(timeout=10) == 0
        served.wait_for("^stopped$")
        assert all("Traceback" not in line for line in served.seen)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", int(served.port)), timeout=5).close()


def test_warns_when_listening_beyond_this_machine(site) -> None:
    root = site({"content/a.md": "# A\n"})
    with serving(root, "--host", "0.0.0.0") as served:
        served.wait_for(r"warning: listening on 0\.0\.0\.0", again=True)


@pytest.fixture
def watcher(site) -> Iterator[Watcher]:
    root = site({"content/politik/a.md": "# A\n", "themes/mein/templates/x.html": "x",
                 "static/s.css": "", "output/index.html": "", ".digest-cache/m": ""})
    watch = Watcher(root / "config.yaml")
    watch.start(load_config(root / "config.yaml"))
    yield watch
    watch.stop()


def test_watcher_ignores_output_cache_hidden_and_editor_files(watcher: Watcher) -> None:
    root = watcher.config_file.parent
    for rel in ["output/index.html", "output/new/page.html", ".digest-cache/m", "README.md",
                "content/politik/.a.md.swp", "content/politik/a.md~", "content/politik/.#a.md",
                "content/politik/4913", "content/politik/x.tmp", "content/.hidden",
                "content/politik/.a.md.swx"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("edited")
    assert watcher.wait(timeout=0.4) is None
    for rel in ["content/politik/a.md", "themes/mein/templates/x.html", "static/s.css",
                "config.yaml"]:
        (root / rel).write_text("edited\n")
        assert watcher.wait(timeout=5) is not None, rel


def test_watcher_coalesces_a_burst_into_one_change(watcher: Watcher) -> None:
    content = watcher.config_file.parent / "content"
    started = time.perf_counter()
    for number in range(500):
        (content / f"politik/{number:03}.md").write_text(f"# Artikel {number}\n")
    assert watcher.wait(timeout=10) >= started
    assert watcher.wait(timeout=0.3) is None


def test_watcher_sees_a_save_by_rename_once(watcher: Watcher) -> None:
    article = watcher.config_file.parent / "content/politik/a.md"
    (article.parent / "4913").write_text("")
    (article.parent / "4913").unlink()
    article.rename(article.with_name("a.md~"))
    article.write_text("# A, neu\n")
    os.unlink(article.with_name("a.md~"))
    assert watcher.wait(timeout=5) is not None
    assert watcher.wait(timeout=0.3) is None
