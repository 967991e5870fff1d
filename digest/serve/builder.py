"""digest serve builds in a process of its own, started before the server starts any thread.

The build forks its worker processes, and forking a process that runs threads (the HTTP
server's, the watcher's) can copy a lock some thread held, which then never opens. So serve
forks this one process first, while it has a single thread, and asks it for each build over
a pipe. It keeps the build memo between builds, and it dies with the server, however the
server dies.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import multiprocessing
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from ..build import BuildOptions, BuildReport, Memo, build
from ..config import Config
from ..errors import DigestError, Problem, bug_notice
from ..workers import die_with_parent

Outcome = tuple[BuildReport | None, tuple[Problem, ...], str | None]
"""A build's report; or its user errors; or, for a bug in digest, the traceback."""


def serve_builds(connection: Connection, load: Callable[[], Config],
                 options: BuildOptions) -> None:
    """The build process: one build per request, until the pipe closes."""
    die_with_parent()
    loop = BuildLoop(load, options)
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        connection.send(loop.handle(*request))
        loop.idle()


class BuildLoop:
    """What the build process keeps between builds: the memo, and which paths changed."""

    def __init__(self, load: Callable[[], Config], options: BuildOptions) -> None:
        self.load, self.options = load, options
        self.memo = Memo()
        self.changed: set[str] | None = None
        """The paths changed since the last good build; None: not known."""

    def handle(self, paths: set[str] | None, index: bool) -> Outcome:
        """One build, told the paths the watcher saw change (None: not known)."""
        if paths is None:
            self.changed = None
        elif self.changed is not None:
            self.changed |= paths
        outcome = run_one(self.load, self.options, self.memo, self.changed, index)
        if outcome[0] is not None:
            self.changed = set()
        return outcome

    def idle(self) -> None:
        """While the tab reloads: fill the memo if the build did not and make what the next
        build would make first; then collect, and set what survived aside: the memo holds
        millions of objects that a collection in the middle of the next build would scan."""
        if self.changed is not None and not self.memo.filled:
            fill_memo(self.load, self.options, self.memo)
        self.memo.prepare()
        gc.unfreeze()
        gc.collect()
        gc.freeze()


def run_one(load: Callable[[], Config], options: BuildOptions, memo: Memo,
            changed: set[str] | None, index: bool) -> Outcome:
    """One build; its outcome in a form that crosses the pipe."""
    try:
        report = build(load(), dataclasses.replace(options, index_later=not index), memo,
                       changed)
    except DigestError as exc:
        return None, tuple(exc.problems), None
    except Exception:  # a bug in digest: its traceback goes to the terminal
        return None, (), traceback.format_exc()
    return report, (), None


def fill_memo(load: Callable[[], Config], options: BuildOptions, memo: Memo) -> None:
    """Make the site once more when a build was answered from the last build's record.

    Such an answer reads no article, so the memo stays empty and the first edit would
    parse and model the whole site. Made now, while the preview is idle, the site is
    written as it stands (nothing, unless a file changed meanwhile) and the first edit
    costs what later ones do. Bad input waits for the next build to be reported; a bug
    in digest is printed with its traceback.
    """
    _, _, bug = run_one(load, dataclasses.replace(options, fill_memo=True), memo, None,
                        index=False)
    if bug is not None:
        print(bug.rstrip() + "\n" + bug_notice(), file=sys.stderr, flush=True)


class BuildProcess:
    """The server's handle on its build process."""

    def __init__(self, load: Callable[[], Config], options: BuildOptions) -> None:
        context = multiprocessing.get_context("fork")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=serve_builds, args=(child, load, options),
                                       name="digest-build")
        # not a daemon: a daemonic process may not start the build's worker processes;
        # close() ends it, and it dies with the server however the server dies
        self.process.start()
        child.close()

    @property
    def pid(self) -> int:
        return self.process.pid or 0

    def build(self, changed: set[str] | None, index: bool = False) -> Outcome:
        """Build and wait for the outcome; `index`: make the search index as well."""
        try:
            self.connection.send((changed, index))
            outcome: Any = self.connection.recv()
        except (EOFError, OSError):
            code = self.process.exitcode
            return None, (), f"the build process ended (exit status {code})\n"
        return outcome

    def close(self) -> None:
        """End the build process; a build under way finishes first (its commit stays whole)."""
        with contextlib.suppress(OSError):
            self.connection.send(None)
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.connection.close()
