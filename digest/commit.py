"""Stage 5's guarantees: one build at a time per output folder, and a commit that finishes or
rolls back.

A commit first writes a journal of what it will move, keeps a hard link to every file it
replaces and moves every file it removes aside, then moves the new files in. Only when the
new manifest is saved is the commit done. A commit cut short (a write error, a kill) is rolled
back from the journal, by the same build or by the next digest command on the site, so the
output folder is always one build or the other, never a mix. The journal and the staged files
live in the site's cache folder: neither git nor a web server sees them.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import pickle
import shutil
import stat
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import DigestError, problem

JOURNAL_VERSION = 1


def output_key(root: Path, output: Path) -> str:
    """A name for an output folder that stays the same when the site is moved or copied:
    the output's path relative to the site folder, never an absolute path."""
    rel = os.path.relpath(os.path.abspath(output), os.path.abspath(root))
    return hashlib.sha1(Path(rel).as_posix().encode()).hexdigest()[:12]


def nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


@dataclass(frozen=True)
class OutputState:
    """Where the build state of one output folder lives."""

    output: Path
    cache: Path
    key: str

    @property
    def manifest(self) -> Path:
        return self.cache / f"manifest-{self.key}.pickle"

    @property
    def record(self) -> Path:
        return self.cache / f"last-build-{self.key}.json"

    @property
    def urls(self) -> Path:
        """Each article's URL in the last build, to note when one changes."""
        return self.cache / f"urls-{self.key}.pickle"

    @property
    def lock_file(self) -> Path:
        return self.cache / f"build-{self.key}.lock"

    @property
    def work(self) -> Path:
        """The commit's workspace: on the output's file system, so that moves are renames.

        In the cache folder when that is on the same file system, else a hidden folder beside
        the output folder.
        """
        beside = nearest_existing(self.output.absolute().parent)
        if os.stat(nearest_existing(self.cache)).st_dev == os.stat(beside).st_dev:
            return self.cache / f"commit-{self.key}"
        return self.output.absolute().parent / f".digest-commit-{self.output.name}"

    @property
    def journal(self) -> Path:
        return self.work / "journal.json"


def output_state(root: Path, output: Path, cache: Path) -> OutputState:
    return OutputState(output, cache, output_key(root, output))


class OutputLock:
    """An exclusive lock on one output folder, held for a whole build.

    The kernel releases it when the holder dies, however it dies, so a killed build never
    leaves the site locked.
    """

    def __init__(self, state: OutputState) -> None:
        self.state = state
        self.handle: int | None = None

    def acquire(self, waiting: Callable[[str], None] | None = None, block: bool = True) -> bool:
        """Take the lock; tell `waiting` once when another process holds it and we wait."""
        self.state.cache.mkdir(parents=True, exist_ok=True)
        handle = os.open(self.state.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not block:
                os.close(handle)
                return False
            if waiting is not None:
                holder = os.pread(handle, 64, 0).decode(errors="replace").strip()
                waiting(f"waiting for another digest build of {self.state.output} "
                        f"(process {holder or 'unknown'}) to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        os.ftruncate(handle, 0)
        os.pwrite(handle, str(os.getpid()).encode(), 0)
        self.handle = handle
        return True

    def release(self) -> None:
        if self.handle is not None:
            os.close(self.handle)  # closing the last descriptor releases the lock
            self.handle = None


@contextlib.contextmanager
def locked(state: OutputState, waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the output folder's lock; finish or roll back a commit a killed build left."""
    lock = OutputLock(state)
    lock.acquire(waiting)
    try:
        recover_locked(state)
        yield
    finally:
        lock.release()


def recover(state: OutputState) -> bool:
    """Before any command reads the site: settle a commit cut short by a kill.

    Returns True when one was found. When another build holds the lock, its commit is its own.
    """
    if not state.work.exists():
        return False  # the usual case: nothing is looked at or written
    lock = OutputLock(state)
    if not lock.acquire(block=False):
        return False
    try:
        return recover_locked(state)
    finally:
        lock.release()


def recover_locked(state: OutputState) -> bool:
    """Roll back (or, when its manifest was saved, finish) a journaled commit; clear leftovers."""
    found = False
    work = state.work
    if state.journal.is_file():
        found = True
        try:
            journal = json.loads(state.journal.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            journal = None  # cut short while being written: nothing was moved yet
        if journal and journal.get("version") == JOURNAL_VERSION:
            Commit.from_journal(state, journal).settle()
    shutil.rmtree(work, ignore_errors=True)
    return found


def manifest_commit(path: Path) -> str | None:
    """The commit id a manifest was saved by."""
    try:
        return pickle.loads(path.read_bytes()).get("commit")
    except (OSError, ValueError, AttributeError, EOFError, pickle.UnpicklingError):
        return None


class Commit:
    """Move staged files into the output folder and others out of it, all or nothing."""

    def __init__(self, state: OutputState, moves: list[tuple[str, str, bool]],
                 removes: list[str], commit_id: str | None = None) -> None:
        """`moves`: (path in the output, staged file, whether a file stood there before)."""
        self.state = state
        self.output = state.output
        self.moves = moves
        self.removes = removes
        self.id = commit_id or uuid.uuid4().hex
        self.old = state.work / "old"

    @classmethod
    def prepare(cls, state: OutputState, staged: dict[str, str], removes: list[str]
                ) -> Commit:
        """Look at every target first: a folder where a file must go stops the build here,
        before anything in the output has changed."""
        moves = []
        for rel, path in staged.items():
            target = os.path.join(state.output, rel)
            try:
                mode = os.lstat(target).st_mode
            except FileNotFoundError:
                moves.append((rel, str(path), False))
                continue
            except NotADirectoryError:
                moves.append((rel, str(path), False))  # fails on moving: rolled back then
                continue
            if stat.S_ISDIR(mode) and not os.path.isdir(path):
                raise DigestError(problem(rel, "a folder stands where the site needs a file; "
                                          "remove it from the output folder"))
            moves.append((rel, str(path), True))
        return cls(state, moves, removes)

    @classmethod
    def from_journal(cls, state: OutputState, journal: dict) -> Commit:
        return cls(state, [tuple(m) for m in journal["moves"]], journal["removes"],
                   journal["commit"])

    def write_journal(self) -> None:
        self.old.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"version": JOURNAL_VERSION, "commit": self.id,
                           "moves": self.moves, "removes": self.removes})
        temporary = self.state.journal.with_suffix(".tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, self.state.journal)

    def run(self, save_manifest: Callable[[str], None]) -> None:
        """Journal, move, save the manifest (the commit point), end; roll back on error."""
        self.write_journal()
        try:
            self.apply()
            save_manifest(self.id)
        except BaseException:
            self.roll_back()
            raise
        self.state.journal.unlink()
        self.finish()

    def apply(self) -> None:
        made: set[str] = set()
        for number, (rel, staged, existed) in enumerate(self.moves):
            target = os.path.join(self.output, rel)
            folder = os.path.dirname(target)
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            if existed:
                keep_old(target, str(self.old / str(number)))
            os.replace(staged, target)
        for number, rel in enumerate(self.removes):
            with contextlib.suppress(FileNotFoundError):
                os.replace(os.path.join(self.output, rel), self.old / f"r{number}")

    def finish(self) -> None:
        """The commit is done: drop the old files and the folders left empty."""
        for rel in sorted(self.removes, reverse=True):
            prune_empty(Path(self.output, rel).parent, self.output)

    def roll_back(self) -> None:
        """Put back every file as it was before the commit began."""
        for number, (rel, _, existed) in reversed(list(enumerate(self.moves))):
            target = os.path.join(self.output, rel)
            kept = self.old / str(number)
            if os.path.lexists(kept):
                os.replace(kept, target)
            elif not existed and os.path.lexists(target):
                if os.path.isdir(target) and not os.path.islink(target):
                    shutil.rmtree(target)
                else:
                    os.unlink(target)
                prune_empty(Path(target).parent, self.output)
        for number, rel in enumerate(self.removes):
            kept = self.old / f"r{number}"
            if os.path.lexists(kept):
                target = os.path.join(self.output, rel)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.replace(kept, target)
        self.state.journal.unlink(missing_ok=True)

    def settle(self) -> None:
        """A journal found by the next command: finish when its manifest was saved, else
        roll back."""
        if manifest_commit(self.state.manifest) == self.id:
            self.finish()
        else:
            self.roll_back()


def keep_old(target: str, kept: str) -> None:
    """Keep the file that is about to be replaced, without a moment in which it is missing."""
    if os.path.isdir(target) and not os.path.islink(target):
        os.replace(target, kept)  # a bundle folder moves aside as a whole
        return
    try:
        os.link(target, kept, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EMLINK, errno.EXDEV, errno.ENOTSUP):
            raise
        shutil.copy2(target, kept, follow_symlinks=False)


def prune_empty(folder: Path, stop: Path) -> None:
    """Remove folders left empty by removed files, up to the output folder itself."""
    while folder != stop and folder.is_relative_to(stop):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
