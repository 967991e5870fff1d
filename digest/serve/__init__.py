"""Preview server: serve the last good build, rebuild on change, reload tabs or show errors."""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from ..build import BuildOptions, BuildReport, build
from ..cache import WarmCache
from ..config import Config
from ..errors import DigestError, Problem
from ..search import index_site
from .http import BuildState, PortBusy, PreviewHTTPServer, free_port_after, is_loopback
from .watch import Watcher

__all__ = ["PortBusy", "PreviewServer", "is_loopback"]


class PreviewServer:
    """Builds, watches and serves one site; all state of a `digest serve` run lives here."""

    def __init__(self, config_file: Path, load: Callable[[], Config], options: BuildOptions,
                 host: str = "127.0.0.1", port: int = 8000, reload: bool = True) -> None:
        self.load, self.options, self.reload = load, options, reload
        self.config = load()
        self.state = BuildState()
        self.changed = threading.Condition()
        self.building = self.closing = False
        self.indexing = self.index_again = False
        self.warm = WarmCache()
        self.watcher = Watcher(config_file)
        self.builder = threading.Thread(target=self.rebuild_loop, name="digest-build", daemon=True)
        try:
            self.httpd = PreviewHTTPServer(self, host, port)
        except OSError as exc:
            if port and exc.errno in (48, 98, 10048):  # EADDRINUSE: macOS, Linux, Windows
                raise PortBusy(port, free_port_after(host, port)) from None
            raise

    def log(self, text: str, err: bool = False) -> None:
        print(text, file=sys.stderr if err else sys.stdout, flush=True)

    @property
    def url(self) -> str:
        """The address to open, under the site's base path."""
        host, port = self.httpd.server_address[:2]
        host = "127.0.0.1" if host in ("0.0.0.0", "::") else str(host)
        return f"http://{f'[{host}]' if ':' in host else host}:{port}{self.config.base_path}"

    def run_build(self, changes: set[str] | None = None) -> BuildReport | None:
        """Reload config.yaml and build; on errors keep serving the last good site.

        `changes`: the paths the watcher saw change, which can make the rebuild quick.
        """
        with self.changed:
            self.building = True
        report, problems = None, ()
        try:
            self.config = self.load()
            self.watcher.update(self.config)
            self.warm.hint(changes)
            report = build(self.config, self.options, self.warm)
        except DigestError as exc:
            problems = tuple(p for p in exc.problems if not p.warning) or tuple(exc.problems)
            for item in exc.problems:
                self.log(str(item), err=True)
        except Exception as exc:  # a bug in digest must not end the preview
            self.log(traceback.format_exc(), err=True)
            problems = (Problem("digest", 0, 0, f"internal error: {exc!r}"),)
        with self.changed:
            self.building = False
            old = self.state
            self.state = BuildState(old.serial + 1, old.version + (report is not None), problems)
            self.changed.notify_all()
        for item in report.warnings if report else ():
            self.log(str(item), err=True)
        return report

    def index_search(self) -> None:
        """Index for search in the background after a good build: a reload never waits."""
        with self.changed:
            if self.indexing:
                self.index_again = True
                return
            self.indexing = True
        threading.Thread(target=self.index_until_current, daemon=True).start()

    def index_until_current(self) -> None:
        while True:
            try:
                index_site(self.config)
            except DigestError as exc:
                for item in exc.problems:
                    self.log(str(item), err=True)
            except Exception:  # a failed index must not end the preview
                self.log(traceback.format_exc(), err=True)
            with self.changed:
                if not self.index_again or self.closing:
                    self.indexing = False
                    return
                self.index_again = False

    def rebuild_loop(self) -> None:
        """Build once per settled burst of changes: never two at once, none lost."""
        while not self.closing:
            # Writes put off by a quick rebuild wait until no edit has come for a moment.
            first = self.watcher.wait(timeout=0.3 if self.warm.pending else None)
            if self.closing:
                break
            if first is None:  # quiet for a moment, or the watcher has stopped
                if not self.warm.pending:
                    break
                self.warm.flush()
                continue
            report = self.run_build(self.watcher.take_changes())
            took = (time.perf_counter() - first) * 1000
            if report is None:
                count = len(self.state.problems)
                self.log(f"build failed in {took:.0f} ms: {count} error{'s' * (count != 1)}; "
                         "still serving the last good site", err=True)
            else:
                self.log(f"rebuilt in {took:.0f} ms: {report.written} written, "
                         f"{report.unchanged} unchanged, {report.removed} removed")
                self.index_search()

    def wait_until_built(self, timeout: float = 60.0) -> None:
        """Hold a page request while a build swaps files in, so no half-built site is seen."""
        with self.changed:
            self.changed.wait_for(lambda: not self.building or self.closing, timeout)

    def wait_for_change(self, serial: int, timeout: float) -> BuildState | None:
        """Block an event stream until a build finishes; None once the server closes."""
        with self.changed:
            self.changed.wait_for(lambda: self.state.serial != serial or self.closing, timeout)
            return None if self.closing else self.state

    def start(self) -> BuildReport | None:
        """Watch first (so no edit is missed), build once, then rebuild in the background."""
        self.watcher.start(self.config)
        report = self.run_build()
        if report is not None:
            self.index_search()
        self.builder.start()
        return report

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.5)

    def close(self) -> None:
        """Stop watching, end event streams, let a running build finish, close the socket."""
        with self.changed:
            self.closing = True
            self.changed.notify_all()
        self.watcher.stop()
        if self.builder.is_alive():
            self.builder.join(timeout=30)
        self.warm.save()
        self.httpd.server_close()
