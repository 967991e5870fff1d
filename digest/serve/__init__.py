"""Preview server: serve the last good build, rebuild on change, reload tabs or show errors."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ..build import BuildOptions, BuildReport
from ..cache import load_record
from ..commit import output_state
from ..config import Config
from ..errors import DigestError, Problem, bug_notice
from .builder import BuildProcess
from .http import BuildState, PortBusy, PreviewHTTPServer, free_port_after, is_loopback
from .watch import Watcher

__all__ = ["PortBusy", "PreviewServer", "is_loopback"]

FOREIGN_BUILD_CHECK = 1.0
"""Seconds between looks at whether another process (a `digest build`) wrote the output."""


class PreviewServer:
    """Builds, watches and serves one site; all state of a `digest serve` run lives here."""

    def __init__(self, config_file: Path, load: Callable[[], Config], options: BuildOptions,
                 host: str = "127.0.0.1", port: int = 8000, reload: bool = True) -> None:
        self.load, self.options, self.reload = load, options, reload
        self.config = load()
        self.state = BuildState()
        self.changed = threading.Condition()
        self.building = self.closing = False
        self.index_pending = False
        # forked now, while this process has one thread: no build forks a threaded process
        self.builds = BuildProcess(load, options)
        self.watcher = Watcher(config_file)
        self.builder = threading.Thread(target=self.rebuild_loop, name="digest-build", daemon=True)
        try:
            self.httpd = PreviewHTTPServer(self, host, port)
        except OSError as exc:
            self.builds.close()
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

    def run_build(self, changes: set[str] | None = None, index: bool = False
                  ) -> BuildReport | None:
        """Reload config.yaml and build; on errors keep serving the last good site.

        `changes`: the paths the watcher saw change, which spare looking at other files.
        `index`: make the search index (pages are built without it first, so a reload
        never waits for it).
        """
        with contextlib.suppress(DigestError):  # the build reports config errors itself
            self.config = self.load()
        self.watcher.update(self.config)
        with self.changed:
            self.building = not index
        report, problems, bug = self.builds.build(changes, index)
        if bug is not None:  # a bug in digest must not end the preview
            self.log(bug.rstrip() + "\n" + bug_notice(), err=True)
            problems = (Problem("digest", 0, 0, "internal error: "
                                + bug.strip().splitlines()[-1]),)
        for item in problems:
            self.log(str(item), err=True)
        problems = tuple(p for p in problems if not p.warning) or problems
        with self.changed:
            self.building = False
            old = self.state
            if not index or report is None:
                self.state = BuildState(old.serial + 1, old.version + (report is not None),
                                        problems)
                self.changed.notify_all()
            self.index_pending = bool(report and report.index_pending)
        for item in report.warnings if report and not index else ():
            self.log(str(item), err=True)
        return report

    def foreign_build(self) -> bool:
        """Whether another process (a `digest build`) made the output's last build."""
        state = output_state(self.config.root, self.config.output_path, self.config.cache_path)
        record = load_record(state.record)
        return record is not None and record.builder != self.builds.pid

    def rebuild_loop(self) -> None:
        """Build once per settled burst of changes: never two at once, none lost."""
        while not self.closing:
            first = self.watcher.wait(timeout=0.3 if self.index_pending else
                                      FOREIGN_BUILD_CHECK)
            if self.closing:
                break
            if first is None:  # quiet for a moment
                if self.index_pending:
                    self.run_build(set(), index=True)
                elif self.foreign_build():
                    self.log("the output folder was built by another process; building "
                             "it again for this preview")
                    self.report(time.perf_counter(), self.run_build(None))
                continue
            self.report(first, self.run_build(self.watcher.take_changes()))

    def report(self, first: float, report: BuildReport | None) -> None:
        took = (time.perf_counter() - first) * 1000
        if report is None:
            count = len(self.state.problems)
            self.log(f"build failed in {took:.0f} ms: {count} error{'s' * (count != 1)}; "
                     "still serving the last good site", err=True)
        else:
            self.log(f"rebuilt in {took:.0f} ms: {report.written} written, "
                     f"{report.unchanged} unchanged, {report.removed} removed")

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
        self.builds.close()
        self.httpd.server_close()
