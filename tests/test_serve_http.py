"""The preview's HTTP side under load and odd requests, over real sockets to a real server."""

from __future__ import annotations

import http.client
import select
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from digest.build import BuildOptions
from digest.config import load_config
from digest.serve import PreviewServer

from .conftest import write_site
from .test_serve import ARTICLE, serving

SITE = {
    "config.yaml": "title: Vorschau\nbase_url: https://example.org/news/\nsearch: false\n",
    "content/politik/2025-06-03-rubio.md": ARTICLE.format(title="Rubio telefoniert mit Barrot"),
}
EVENTS = "/news/__digest/events"
IDLE = 0.5
"""The idle timeout the in-process server gets here, so that waiting it out is quick."""


@dataclass
class Running:
    """A PreviewServer in this process, serving from its own thread on a free port."""

    preview: PreviewServer
    port: int

    def connect(self, timeout: float = 5) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    """In-process, so a test can shorten the idle timeout and finish builds when it likes."""
    root = write_site(tmp_path / "site", SITE)
    config_file = root / "config.yaml"
    preview = PreviewServer(config_file, lambda: load_config(config_file), BuildOptions(),
                            host="127.0.0.1", port=0)
    preview.httpd.idle_timeout = IDLE
    preview.start()
    thread = threading.Thread(target=preview.serve_forever, daemon=True)
    thread.start()
    try:
        yield Running(preview, preview.httpd.server_address[1])
    finally:
        preview.httpd.shutdown()
        preview.close()
        thread.join(timeout=10)


def read_until_closed(sock: socket.socket, within: float) -> tuple[bytes, bool]:
    """Read what the server sends for `within` seconds; tell whether it closed in that time."""
    data, deadline = b"", time.monotonic() + within
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def read_until(sock: socket.socket, marker: bytes, within: float) -> bytes:
    """Read a stream until `marker` has come, failing after `within` seconds."""
    data, deadline = b"", time.monotonic() + within
    while marker not in data:
        left = deadline - time.monotonic()
        assert left > 0, f"no {marker!r} within {within} s; got {data!r}"
        sock.settimeout(left)
        chunk = sock.recv(65536)
        assert chunk, f"the stream ended before {marker!r}; got {data!r}"
        data += chunk
    return data


def exchange(running: Running, request: bytes, within: float = 3) -> bytes:
    """Send raw bytes; return the whole answer, which must end within `within` seconds."""
    with running.connect() as sock:
        sock.sendall(request)
        data, closed = read_until_closed(sock, within)
    assert closed, f"the server still held the connection after {within} s; got {data!r}"
    return data


def test_twenty_parallel_clients_are_answered_without_delay(site) -> None:
    """A listen backlog of 5 made connections past the fifth wait a second for a SYN retry."""
    root = site(SITE)
    clients, rounds = 20, 5
    with serving(root) as served:
        start = threading.Barrier(clients)
        times: list[float] = []
        failures: list[str] = []
        lock = threading.Lock()

        def client() -> None:
            start.wait(timeout=30)
            for _ in range(rounds):
                began = time.perf_counter()
                connection = http.client.HTTPConnection(served.host, int(served.port), timeout=10)
                try:
                    connection.request("GET", "/news/")
                    response = connection.getresponse()
                    ok = response.status == 200 and b"Rubio" in response.read()
                except OSError as exc:
                    ok, response = False, exc
                finally:
                    connection.close()
                with lock:
                    times.append(time.perf_counter() - began)
                    if not ok:
                        failures.append(repr(response))

        threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert not failures
    assert len(times) == clients * rounds
    # a dropped SYN is retried after 1 s; below that is room for a busy machine's scheduling
    assert max(times) < 0.9, f"slowest request took {max(times) * 1000:.0f} ms"


def test_an_idle_connection_is_closed(running: Running) -> None:
    """A client that connects and says nothing must not hold a server thread for ever."""
    with running.connect() as sock:
        data, closed = read_until_closed(sock, IDLE + 3)
    assert closed and data == b""


def test_a_request_head_sent_slowly_is_cut_off(running: Running) -> None:
    """A byte now and then resets a per-read timeout; the whole head has a deadline too."""
    with running.connect() as sock:
        sock.sendall(b"GET /news/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        deadline = time.monotonic() + IDLE + 3
        closed = False
        while not closed and time.monotonic() < deadline:
            try:
                sock.sendall(b"x")
            except OSError:
                closed = True
                break
            readable, _, _ = select.select([sock], [], [], IDLE / 5)
            if readable:
                closed = read_until_closed(sock, 1)[1]
    assert closed, "the server kept reading a trickling request head"


def test_event_stream_outlives_the_idle_timeout(running: Running) -> None:
    """The stream only writes, a ping each 15 s: it must still carry the next build's event."""
    with running.connect() as sock:
        sock.sendall(f"GET {EVENTS} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        head = read_until(sock, b"event: version", within=5)
        assert b"text/event-stream" in head
        time.sleep(IDLE * 4)
        assert running.preview.run_build() is not None
        read_until(sock, b"event: reload", within=10)
    assert running.preview.state.version == 2


@pytest.mark.parametrize(("target", "status", "location"), [
    ("http://127.0.0.1:{port}/news/", 200, None),
    ("HTTP://localhost/news/2025/06/03/rubio/?a=1", 200, None),
    ("http://127.0.0.1:{port}/news/2025/06/03/rubio?a=1&b=2", 301,
     "/news/2025/06/03/rubio/?a=1&b=2"),
    ("http://127.0.0.1:{port}", 302, "/news/"),
    ("http://127.0.0.1:{port}?x=1", 302, "/news/"),
    ("https://example.org/news/gibt/es/nicht/", 404, None),
])
def test_absolute_form_is_routed_like_its_path(running: Running, target: str, status: int,
                                               location: str | None) -> None:
    """RFC 9112 §3.2.2: a server must accept a request target in absolute form."""
    target = target.format(port=running.port)
    answer = exchange(running, f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               "Connection: close\r\n\r\n".encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.0 {status} ".encode()), head
    if location:
        assert f"\r\nLocation: {location}\r\n".encode() in head + b"\r\n"
    if status == 200:
        assert b"Rubio telefoniert mit Barrot" in body


@pytest.mark.parametrize("request_line", [
    b"GET /news/__digest/events\r\n",
    b"GET /news/__digest/events\r\n\r\n",
    b"GET /news/\r\n",
    b"GET /news/\r\n\r\n",
])
def test_http_09_gets_an_error_at_once(running: Running, request_line: bytes) -> None:
    """A line without a version has no headers to wait for, and gets no event stream."""
    answer = exchange(running, request_line, within=2)
    assert answer.startswith(b"HTTP/1.0 400 "), answer
    assert b"event:" not in answer and b"Rubio" not in answer


@pytest.mark.parametrize("version", ["HTTP/1.1", "HTTP/1.0"])
def test_head_on_the_event_stream_ends(running: Running, version: str) -> None:
    """HEAD asks for the headers only; a stream behind them would never end."""
    answer = exchange(running, f"HEAD {EVENTS} {version}\r\nHost: 127.0.0.1\r\n\r\n".encode(),
                      within=2)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200 ")
    assert b"\r\nContent-Type: text/event-stream\r\n" in head + b"\r\n"
    assert body == b""
