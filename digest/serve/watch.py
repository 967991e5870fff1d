"""Watch a site's inputs and report each burst of changes once, after it settles."""

from __future__ import annotations

import fnmatch
import os
import threading
import time
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

from ..config import Config

EDITOR_LITTER = ("*~", ".#*", "*.swp", "*.swx", "*.swo", "4913", "*.tmp", "*.part")
"""Editors' swap, backup and probe files: saving an article must not build twice."""
CHANGES = {"created", "deleted", "modified", "moved", "closed", "attrib"}
"""Event types that mean content changed; reads ("opened") come from our own builds."""
DIRECTORY_CHANGES = {"created", "deleted", "moved"}
SUBSCRIBED = [FileCreatedEvent, FileDeletedEvent, FileModifiedEvent, FileMovedEvent,
              FileClosedEvent, DirCreatedEvent, DirDeletedEvent, DirMovedEvent]
"""Only what changes files: the build's own reads of 10,000 articles are not even delivered."""
"""A folder's "modified" only echoes its entries' own events, swap files' included."""


def is_litter(path: Path) -> bool:
    """Tell hidden files and editor temp files apart from real inputs."""
    name = path.name
    return name.startswith(".") or any(fnmatch.fnmatchcase(name, p) for p in EDITOR_LITTER)


class Watcher(FileSystemEventHandler):
    """Watch config.yaml, content/, themes/ and static/; coalesce bursts of events."""

    def __init__(self, config_file: Path, debounce: float = 0.06) -> None:
        self.config_file = config_file.absolute()
        self.debounce = debounce
        self._observer = Observer()
        self._watches: dict[Path, ObservedWatch] = {}
        self._inputs: tuple[Path, ...] = ()
        self._ignored: tuple[Path, ...] = ()
        self._changed = threading.Condition()
        self._first: float | None = None
        self._last = 0.0
        self._paths: set[str] = set()
        self._closed = False

    def start(self, config: Config) -> None:
        """Begin watching the inputs that `config` names."""
        self.update(config)
        self._observer.start()

    def update(self, config: Config) -> None:
        """Watch what a reloaded config names, including folders created since."""
        root = config.root.absolute()
        inputs = (config.content_path.absolute(), root / "themes", config.static_path.absolute())
        self._inputs = inputs
        self._ignored = (config.output_path.absolute(), config.cache_path.absolute())
        wanted = {self.config_file.parent: False, **{p: True for p in inputs if p.is_dir()}}
        for path in list(self._watches):
            if path not in wanted:
                self._observer.unschedule(self._watches.pop(path))
        for path, recursive in wanted.items():
            if path not in self._watches:
                self._watches[path] = self._observer.schedule(
                    self, str(path), recursive=recursive, event_filter=SUBSCRIBED)

    def is_input(self, path: Path) -> bool:
        """Tell whether a changed path can change the built site."""
        if path == self.config_file:
            return True
        if is_litter(path) or any(path.is_relative_to(p) for p in self._ignored):
            return False
        return any(path == p or path.is_relative_to(p) for p in self._inputs)

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in CHANGES or (event.is_directory and
                                                event.event_type not in DIRECTORY_CHANGES):
            return
        paths = [os.path.abspath(str(p)) for p in (event.src_path,
                                                    getattr(event, "dest_path", "")) if p]
        inputs = {p for p in paths if self.is_input(Path(p))}
        if not inputs:
            return
        now = time.perf_counter()
        with self._changed:
            self._paths |= inputs
            if self._first is None:
                self._first = now
            self._last = now
            self._changed.notify_all()

    def wait(self, timeout: float | None = None) -> float | None:
        """Block until a burst of changes has settled; return when it began, None if none."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while not self._closed:
                if self._first is not None:
                    quiet = self._last + self.debounce - time.perf_counter()
                    if quiet <= 0:
                        first, self._first = self._first, None
                        return first
                    self._changed.wait(quiet)
                    continue
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self._changed.wait(left)
            return None

    def take_changes(self) -> set[str]:
        """The input paths (absolute) that changed since the last call."""
        with self._changed:
            paths, self._paths = self._paths, set()
            return paths

    def stop(self) -> None:
        """Stop the observer thread and wake anyone waiting."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._observer.stop()
        if self._observer.is_alive():
            self._observer.join(timeout=5)
