"""The preview's HTTP side: pages from output/, the live-reload event stream, nothing else."""

from __future__ import annotations

import io
import ipaddress
import json
import mimetypes
import re
import socket
import sys
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from ..errors import Problem

if TYPE_CHECKING:
    from . import PreviewServer

EVENTS = "__digest/events"
"""Server-sent events under the base path; a reserved name no page of a site can have."""
ABSOLUTE = re.compile(r"https?://[^/?#]*", re.IGNORECASE)
"""Scheme and authority of an absolute-form request target (RFC 9112 §3.2.2)."""
UNSAFE = re.compile(r"%(2f|5c|00)|[\\\x00]", re.IGNORECASE)
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".js": "application/javascript; charset=utf-8", ".mjs": "application/javascript",
         ".json": "application/json", ".xml": "application/xml; charset=utf-8",
         ".atom": "application/atom+xml; charset=utf-8", ".svg": "image/svg+xml",
         ".wasm": "application/wasm", ".txt": "text/plain; charset=utf-8",
         ".ico": "image/x-icon", ".webp": "image/webp", ".woff2": "font/woff2"}
NOT_FOUND = b"<!doctype html><title>Not found</title><body><h1>Not found</h1></body>"
CLIENT = """<script>/* digest serve: live reload; never written to output/ */
(function(){var V=%d,O=null,S=new EventSource(%s);
function hide(){if(O){O.remove();O=null}}
function check(e){if(+e.data!==V)location.reload();else hide()}
S.addEventListener("version",check);S.addEventListener("reload",check);
S.addEventListener("errors",function(e){hide();O=document.createElement("div");
O.id="digest-overlay";O.setAttribute("role","alert");O.style.cssText="position:fixed;"+
"top:0;left:0;right:0;z-index:2147483647;max-height:100vh;overflow:auto;margin:0;"+
"padding:1em 1.5em;background:#fff0f0;color:#600;border-bottom:4px solid #c00;"+
"font:15px/1.5 ui-monospace,monospace;white-space:pre-wrap;text-align:left";
var h=document.createElement("strong");h.textContent="Build failed; this is the last good page.";
O.appendChild(h);JSON.parse(e.data).forEach(function(p){var d=document.createElement("div"),
b=document.createElement("b");b.textContent=p.where;d.appendChild(b);
d.appendChild(document.createTextNode(": "+p.message));O.appendChild(d)});
document.body.appendChild(O)})})();
</script>"""


class PortBusy(Exception):
    """The requested port is taken; `free` is the next port that is not."""

    def __init__(self, port: int, free: int | None) -> None:
        self.port, self.free = port, free
        super().__init__(f"port {port} is in use")


@dataclass(frozen=True)
class BuildState:
    """What open tabs must know: which good build they may show, and the last errors."""

    serial: int = 0
    """Counts finished builds, good or bad, so that event streams notice each one."""
    version: int = 0
    """Counts good builds; a tab loaded at another version reloads."""
    problems: tuple[Problem, ...] = ()
    """Errors of the last build; empty when it succeeded."""


def is_loopback(host: str) -> bool:
    """Tell whether only this machine can reach `host`, to warn before exposing drafts."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_port_after(host: str, port: int, tries: int = 100) -> int | None:
    """Find the next port after `port` that can be bound, to suggest it to the user."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for candidate in range(port + 1, min(port + 1 + tries, 65536)):
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, candidate))
            except OSError:
                continue
            return candidate
    return None


def resolve(output: Path, rel: str) -> Path | None:
    """Map a URL path below the base path to a file or folder inside output/, else None."""
    if UNSAFE.search(rel):
        return None
    root = output.resolve()
    try:
        parts = unquote(rel, errors="strict").split("/")
        if any(p in (".", "..") or "\\" in p or "\x00" in p for p in parts) or "" in parts[:-1]:
            return None
        real = root.joinpath(*parts).resolve(strict=True)
        if parts[-1] == "":
            real = (real / "index.html").resolve(strict=True)
    except (OSError, RuntimeError, UnicodeError, ValueError):
        return None
    return real if real.is_relative_to(root) and real.exists() else None


def origin_form(target: str) -> str:
    """Drop the scheme and authority of an absolute-form target, so it routes like its path."""
    if (found := ABSOLUTE.match(target)) is None:
        return target
    path = target[found.end():]
    path = path if path.startswith("/") else "/" + path
    # the same guard as http.server's for origin form: "//x" must not become a redirect to x
    return "/" + path.lstrip("/") if path.startswith("//") else path


class HeadClock(io.RawIOBase):
    """The socket as a handler reads it: each request head must arrive within `limit` seconds.

    A per-read timeout alone lets a client that sends a byte now and then hold a thread for
    ever; here every read waits only for what is left of the head's time.
    """

    def __init__(self, sock: socket.socket, limit: float) -> None:
        super().__init__()
        self.sock, self.limit = sock, limit
        self.until = time.monotonic() + limit

    def restart(self) -> None:
        self.until = time.monotonic() + self.limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        left = self.until - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request head took too long")
        self.sock.settimeout(min(left, self.limit))
        try:
            return self.sock.recv_into(buffer)
        finally:
            self.sock.settimeout(self.limit)  # what writes get: each must end within the limit


def inject(html: bytes, script: str) -> bytes:
    """Put the live-reload script before the last </body>, or at the end."""
    at = html.lower().rfind(b"</body>")
    data = script.encode()
    return html + data if at < 0 else html[:at] + data + html[at:]


def event(state: BuildState, first: bool) -> bytes:
    """Encode a build outcome as one server-sent event."""
    if state.problems:
        errors = [{"where": p.path + (f":{p.line}:{p.column or 1}" if p.line else ""),
                   "message": p.message} for p in state.problems]
        return f"event: errors\ndata: {json.dumps(errors)}\n\n".encode()
    return f"event: {'version' if first else 'reload'}\ndata: {state.version}\n\n".encode()


class PreviewHandler(BaseHTTPRequestHandler):
    """Answer page requests from output/ and hold the live-reload event streams."""

    server: PreviewHTTPServer
    server_version = "digest-serve"
    default_request_version = "HTTP/1.0"
    """Errors about a request line without a version still get a status line."""

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: rebuilds and errors are what the terminal is for."""

    def setup(self) -> None:
        """Time out idle and slow connections: each holds a thread while it is open."""
        self.timeout = self.server.idle_timeout
        super().setup()
        self.rfile.close()  # while its file is open, closing the socket keeps the connection
        self.clock = HeadClock(self.connection, self.timeout)
        self.rfile = io.BufferedReader(self.clock)

    def handle_one_request(self) -> None:
        self.clock.restart()
        super().handle_one_request()

    def parse_request(self) -> bool:
        """Refuse HTTP/0.9 at once, and route absolute-form targets by their path."""
        line = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        if len(line.split()) == 2:  # split as http.server does
            # HTTP/0.9 has no headers, yet http.server would wait for them, and send none.
            self.command, self.close_connection, self.requestline = None, True, line
            self.request_version = self.default_request_version
            self.send_error(400, "HTTP/0.9 is not supported")
            return False
        if not super().parse_request():
            return False
        self.path = origin_form(self.path)
        return True

    def do_HEAD(self) -> None:
        self.respond(head=True)

    def do_GET(self) -> None:
        self.respond(head=False)

    def respond(self, head: bool) -> None:
        preview = self.server.preview
        base, output = preview.config.base_path, preview.config.output_path
        raw, _, query = self.path.partition("?")
        if (raw == "/" and base != "/") or raw == base.rstrip("/"):
            return self.send(302, b"", "text/plain", head, location=base)
        if raw == base + EVENTS and preview.reload:
            return self.stream_events(head)
        preview.wait_until_built()
        target = resolve(output, raw[len(base):]) if raw.startswith(base) else None
        if target is not None and target.is_dir():
            return self.send(301, b"", "text/plain", head,
                             location=raw + "/" + ("?" + query if query else ""))
        status = 200
        if target is None:
            status, target = 404, resolve(output, "404.html")
        body = target.read_bytes() if target is not None else NOT_FOUND
        suffix = target.suffix.lower() if target is not None else ".html"
        kind = TYPES.get(suffix) or mimetypes.guess_type(f"x{suffix}")[0]
        kind = kind or "application/octet-stream"
        if preview.reload and kind.startswith("text/html"):
            body = inject(body, CLIENT % (preview.state.version,
                                          json.dumps(base + EVENTS).replace("<", "\\u003c")))
        self.send(status, body, kind, head)

    def send(self, status: int, body: bytes, kind: str, head: bool, location: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if location:
            self.send_header("Location", location)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def stream_events(self, head: bool) -> None:
        """Send the current build state, then one event per finished build (HEAD: no events).

        The stream never reads, so the idle timeout does not apply to it; a write still
        times out, which ends a stream only to a client that stopped reading long ago.
        """
        preview = self.server.preview
        self.close_connection = True  # the stream has no length: only closing ends it
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if head:
            return
        state = preview.state
        try:
            self.wfile.write(b"retry: 1000\n\n" + event(state, first=True))
            while (new := preview.wait_for_change(state.serial, timeout=15)) is not None:
                self.wfile.write(b": ping\n\n" if new == state else event(new, first=False))
                state = new
        except OSError:
            return  # the tab was closed


class PreviewHTTPServer(ThreadingHTTPServer):
    """The HTTP side; handlers reach the preview state through `preview`."""

    daemon_threads = True
    request_queue_size = 128
    """The listen backlog: the default of 5 made a burst of tabs wait a second for a retry."""
    idle_timeout = 10.0
    """Seconds a connection may take to send its request head, and each write may take."""

    def __init__(self, preview: PreviewServer, host: str, port: int) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.preview = preview
        super().__init__((host, port), PreviewHandler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Ignore tabs that went away mid-response; report real bugs."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


