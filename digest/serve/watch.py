"""Watch a site's inputs and report each burst of changes once, after it settles."""

from __future__ import annotations

import fnmatch
import os
import threading
import time
from pathlib import Path
from stat import S_ISDIR
from typing import NamedTuple

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


class Armed(NamedTuple):
    """A scheduled watch and the folder it was put on: inotify follows that folder, not its
    path, so a folder moved away or deleted and made anew needs a new watch."""

    watch: ObservedWatch
    recursive: bool
    identity: tuple[int, int]


def folder_identity(path: Path) -> tuple[int, int] | None:
    """(st_dev, st_ino) of the folder at `path` now; None when there is none."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino) if S_ISDIR(stat.st_mode) else None


def normal(path: Path) -> Path:
    """Absolute and without "..", as the paths in events are: links are not followed."""
    return Path(os.path.abspath(path))


def is_litter(path: Path) -> bool:
    """Tell hidden files and editor temp files apart from real inputs."""
    name = path.name
    return name.startswith(".") or any(fnmatch.fnmatchcase(name, p) for p in EDITOR_LITTER)


class Watcher(FileSystemEventHandler):
    """Watch config.yaml, content/, themes/ and static/; coalesce bursts of events."""

    def __init__(self, config_file: Path, debounce: float = 0.03) -> None:
        self.config_file = normal(config_file)
        self.debounce = debounce
        self._observer = Observer()
        self._watches: dict[Path, Armed] = {}
        self._folders: frozenset[str] = frozenset()
        """The watched folders' paths, for the observer thread to compare events against."""
        self._stale: set[str] = set()
        """Watched folders that an event showed created, deleted or moved since update()."""
        self._inputs: tuple[Path, ...] = ()
        self._ignored: tuple[Path, ...] = ()
        self._changed = threading.Condition()
        self._first: float | None = None
        self._last = 0.0
        self._paths: set[str] = set()
        self._closed = False

    def start(self, config: Config) -> None:
        """Begin watching the inputs that `config` names."""
        self._observer.start()  # running first, a folder gone before its watch is skipped
        self.update(config)

    def update(self, config: Config) -> None:
        """Watch what a reloaded config names: folders created since, and folders replaced
        since (moved away, or deleted and made anew), whose old watch sees nothing now."""
        root = normal(config.root)
        inputs = (normal(config.content_path), root / "themes", normal(config.static_path))
        self._inputs = inputs
        self._ignored = (normal(config.output_path), normal(config.cache_path))
        # Each input's parent, the site folder for most, sees the input replaced or created.
        parents = {self.config_file.parent, *(p.parent for p in inputs)}
        wanted = {p: False for p in parents if not any(p.is_relative_to(i) for i in inputs)}
        wanted.update({p: True for p in inputs})
        with self._changed:
            stale, self._stale = self._stale, set()
        for path, armed in list(self._watches.items()):
            if path not in wanted or armed.recursive != wanted[path] or str(path) in stale or \
                    folder_identity(path) != armed.identity:
                self._observer.unschedule(self._watches.pop(path).watch)
        for path, recursive in wanted.items():
            identity = folder_identity(path)  # before the watch: a later swap shows as stale
            if path in self._watches or identity is None:
                continue
            try:
                watch = self._observer.schedule(self, str(path), recursive=recursive,
                                                event_filter=SUBSCRIBED)
            except OSError:  # gone again since: its parent's watch reports it coming back
                continue
            self._watches[path] = Armed(watch, recursive, identity)
        self._folders = frozenset(str(p) for p in self._watches)

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
        stale = {p for p in paths if p in self._folders} if event.is_directory else set()
        inputs = {p for p in paths if self.is_input(Path(p))}
        if not inputs and not stale:
            return
        now = time.perf_counter()
        with self._changed:
            self._stale |= stale
            if not inputs:
                return
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
