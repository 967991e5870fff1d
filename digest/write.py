"""Stage 5: write only changed files, atomically, and remove only what the build owned.

Pages are staged first, in the commit's workspace (commit.py); nothing in the output folder
changes until `commit`, which moves every file in or rolls every move back. When the output
folder is missing or empty there is nothing to keep: the pages are then written as a whole
new tree, which takes its place with one rename. A manifest of owned files, with their hashes,
lets a rebuild skip unchanged files without reading them and remove files the site no longer
has, never a file the build did not write.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .commit import Commit, OutputState
from .errors import DigestError, problem

MANIFEST_VERSION = 3


@dataclass(frozen=True)
class WriteReport:
    written: int
    unchanged: int
    removed: int


def safe_relative(rel: str) -> str:
    """Refuse a path that is absolute or climbs out: the output folder is a hard boundary."""
    parts = [part for part in rel.split("/") if part not in ("", ".")]
    if not parts or rel.startswith("/") or "\\" in rel or ".." in parts or ":" in rel:
        raise DigestError(problem(rel, "refusing to write outside the output folder"))
    return "/".join(parts)


@dataclass(frozen=True)
class Staged:
    """One file of the new site: its manifest entry, and where its bytes wait (None: current)."""

    rel: str
    entry: list
    path: str | None


def load_manifest(path: Path) -> dict[str, list]:
    try:
        data = pickle.loads(path.read_bytes())
        if data.get("version") == MANIFEST_VERSION:
            return data["files"]
    except (OSError, ValueError, KeyError, AttributeError, EOFError, pickle.UnpicklingError):
        pass
    return {}


def output_intact(state: OutputState) -> bool:
    """True when every file the last build wrote is still there, as it was written."""
    files = load_manifest(state.manifest)
    if not files:
        return False
    root = str(state.output)
    for rel, (_, size, mtime_ns, *_) in files.items():
        try:
            stat = os.stat(os.path.join(root, rel))
        except OSError:
            return False
        if stat.st_size != size or stat.st_mtime_ns != mtime_ns:
            return False
    return True


class OutputWriter:
    """Stages the new site beside the old one, then swaps it in file by file."""

    def __init__(self, state: OutputState, clean: bool = False,
                 known: tuple[tuple[int, int], dict[str, list]] | None = None):
        """`known`: the manifest as this process last saved it (its file's time and size)."""
        output = state.output
        self.state = state
        self.output = output
        self.root = output.resolve()
        self.checked_folders: dict[str, bool] = {}
        umask = os.umask(0)
        os.umask(umask)
        self.mode = 0o666 & ~umask
        self.clean = clean
        self.manifest_path = state.manifest
        self.trusted = known is not None and not clean and self.manifest_mark() == known[0]
        """The output is as this process left it: what it wrote need not be looked at."""
        self.old = {} if clean else known[1] if self.trusted and known else \
            load_manifest(self.manifest_path)
        self.fresh = is_empty_folder(output)
        """No output yet: write a whole new tree, then rename it into place."""
        shutil.rmtree(state.work, ignore_errors=True)  # the lock holder's alone
        self.staging = state.work / "new"
        self.staging.mkdir(parents=True)
        if self.fresh:
            os.chmod(self.staging, 0o777 & ~umask)  # it becomes the output folder
        self.made: set[str] = set()
        self.new: dict[str, list] = {}
        self.staged: dict[str, str] = {}
        self.unchanged = 0

    def target(self, rel: str) -> str:
        """The output path for a relative path; its folder, links resolved, must be inside.

        The file itself is replaced by a rename, which never follows a link.
        """
        target = os.path.join(self.output, safe_relative(rel))
        if not self.inside(os.path.dirname(target)):
            raise DigestError(problem(rel, "refusing to write outside the output folder"))
        return target

    def inside(self, folder: str) -> bool:
        """Whether a folder lies inside the output, following any link on the way."""
        known = self.checked_folders.get(folder)
        if known is None:
            if folder == str(self.output):
                known = True
            elif os.path.islink(folder):
                known = Path(folder).resolve().is_relative_to(self.root)
            else:
                known = self.inside(os.path.dirname(folder))
            self.checked_folders[folder] = known
        return known

    def on_disk(self, rel: str, digest: str, size: int) -> list | None:
        """The manifest entry for a file the output already holds with exactly these bytes."""
        if self.clean or self.fresh:
            return None
        try:
            stat = os.stat(self.target(rel))
        except OSError:
            return None
        known = self.old.get(rel)
        if known and known[0] == digest and known[1] == stat.st_size and \
                known[2] == stat.st_mtime_ns:
            return list(known[:3])
        if stat.st_size != size:
            return None
        with open(self.target(rel), "rb") as handle:
            if hashlib.sha1(handle.read()).hexdigest() != digest:
                return None
        return [digest, stat.st_size, stat.st_mtime_ns]

    def tree_path(self, rel: str) -> str:
        """Where a file of a whole new tree waits in the staging area; its folder made."""
        name = os.path.join(self.staging, safe_relative(rel))
        folder = os.path.dirname(name)
        if folder not in self.made:
            os.makedirs(folder, exist_ok=True)
            self.made.add(folder)
        return name

    def stage(self, rel: str, data: bytes) -> Staged:
        """Put one file's bytes into the staging area, unless the output already has them.

        Changes nothing on the writer, so worker processes can stage files in parallel.
        """
        digest = hashlib.sha1(data).hexdigest()
        current = self.on_disk(rel, digest, len(data))
        if current is not None:
            return Staged(rel, current, None)
        if self.fresh:
            name = self.tree_path(rel)
            handle = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        else:
            handle, name = tempfile.mkstemp(dir=self.staging)
            os.fchmod(handle, self.mode)  # mkstemp makes files private; pages are for everyone
        with os.fdopen(handle, "wb") as staged:
            staged.write(data)
            staged.flush()
            mtime_ns = os.fstat(staged.fileno()).st_mtime_ns  # a rename keeps it
        return Staged(rel, [digest, len(data), mtime_ns], name)

    def accept(self, staged: Staged, fingerprint: str = "") -> None:
        """Take a staged file (or the note that it is already current) into this build."""
        self.new[staged.rel] = [*staged.entry, fingerprint]
        if staged.path is None:
            self.unchanged += 1
        else:
            self.staged[staged.rel] = staged.path

    def manifest_mark(self) -> tuple[int, int]:
        try:
            stat = os.stat(self.manifest_path)
        except OSError:
            return (0, -1)
        return (stat.st_mtime_ns, stat.st_size)

    def kept(self, rel: str, fingerprint: str) -> bool:
        """Like unchanged_since, for a trusted output: the file is not looked at."""
        known = self.old.get(rel)
        if not self.trusted or not known or len(known) < 4 or known[3] != fingerprint:
            return False
        self.new[rel] = known
        self.unchanged += 1
        return True

    def keep(self, rels: list[str]) -> bool:
        """Keep many files of a trusted output as the last build wrote them, all or none:
        for the pages this process rendered last time from the inputs they have now."""
        if not self.trusted:
            return False
        try:
            entries = [self.old[rel] for rel in rels]
        except KeyError:
            return False
        self.new.update(zip(rels, entries, strict=True))
        self.unchanged += len(rels)
        return True

    def unchanged_since(self, rel: str, fingerprint: str) -> bool:
        """True when the last build wrote this file from the same inputs and it is untouched.

        Then the page need not even be rendered.
        """
        known = self.current(rel, fingerprint)
        if known is None:
            return False
        self.take(rel, known)
        return True

    def current(self, rel: str, fingerprint: str) -> list | None:
        """The manifest entry of a file the last build wrote from the same inputs, if it is
        untouched since. Changes nothing on the writer, so workers can look in parallel."""
        known = self.old.get(rel)
        if self.clean or not known or len(known) < 4 or known[3] != fingerprint:
            return None
        try:  # only looked at, not written: a path the last build wrote needs no check
            stat = os.stat(os.path.join(self.output, rel))
        except OSError:
            return None
        if known[1] != stat.st_size or known[2] != stat.st_mtime_ns:
            return None
        return known

    def take(self, rel: str, known: list) -> None:
        """Keep a file as the last build wrote it (its manifest entry, from `current`)."""
        self.new[rel] = known
        self.unchanged += 1

    def add(self, rel: str, data: bytes, fingerprint: str = "") -> None:
        """Stage one file's bytes, unless the output already has exactly them."""
        self.accept(self.stage(rel, data), fingerprint)

    def adopt(self, rel: str, path: Path, fingerprint: str = "") -> None:
        """Take a file made in the commit's workspace (the search index) into this build:
        moved into the staging area rather than copied, unless the output already has it."""
        data = path.read_bytes()
        digest = hashlib.sha1(data).hexdigest()
        current = self.on_disk(rel, digest, len(data))
        if current is not None:
            self.accept(Staged(rel, current, None), fingerprint)
            return
        if self.fresh:
            name = self.tree_path(rel)
        else:
            handle, name = tempfile.mkstemp(dir=self.staging)
            os.close(handle)
        os.replace(path, name)
        os.chmod(name, self.mode)
        self.accept(Staged(rel, [digest, len(data), os.stat(name).st_mtime_ns], name),
                    fingerprint)

    def copy(self, rel: str, source: Path) -> None:
        """Stage a copy of a file (theme asset, image), unless the output already has it."""
        stat = source.stat()
        where = os.path.relpath(source, self.output)  # a moved site keeps its fingerprints
        fingerprint = f"copy:{where}:{stat.st_size}:{stat.st_mtime_ns}"
        if not self.unchanged_since(rel, fingerprint):
            self.add(rel, source.read_bytes(), fingerprint)

    def commit(self) -> WriteReport:
        """Move every staged file into place and remove files the site no longer owns, all
        or nothing (commit.py); then save the manifest."""
        if self.fresh:
            return self.commit_tree()
        owned = set(self.old)
        if self.clean and self.output.is_dir():
            owned = {p.relative_to(self.output).as_posix() for p in self.output.rglob("*")
                     if p.is_file() or p.is_symlink()}
        removes = sorted(owned - set(self.new), reverse=True)
        if not self.staged and not removes:
            if self.new != self.old or not self.manifest_path.exists():
                self.save_manifest(None)
            self.discard()
            return WriteReport(0, self.unchanged, 0)
        try:
            Commit.prepare(self.state, self.staged, removes).run(self.save_manifest)
        finally:
            self.discard()
        return WriteReport(len(self.staged), self.unchanged, len(removes))

    def commit_tree(self) -> WriteReport:
        """Put the new tree where the missing or empty output folder was.

        The manifest is saved first: a kill before the rename leaves the output folder
        missing or empty, which the next build fills again as a whole.
        """
        try:
            self.save_manifest(None)
            if os.path.isdir(self.output):
                os.rmdir(self.output)
            os.rename(self.staging, self.output)
        finally:
            self.discard()
        return WriteReport(len(self.staged), self.unchanged, 0)

    def save_manifest(self, commit: str | None) -> None:
        data = pickle.dumps({"version": MANIFEST_VERSION, "commit": commit, "files": self.new},
                            protocol=pickle.HIGHEST_PROTOCOL)
        temporary = self.manifest_path.with_suffix(".tmp")
        temporary.write_bytes(data)
        os.replace(temporary, self.manifest_path)

    def discard(self) -> None:
        """Drop the staged files; a journal left by a failed roll-back stays for recovery."""
        if self.state.journal.exists():
            shutil.rmtree(self.staging, ignore_errors=True)
        else:
            shutil.rmtree(self.state.work, ignore_errors=True)


def is_empty_folder(path: Path) -> bool:
    """True when `path` is missing, or a real (unlinked) folder with nothing in it."""
    if not os.path.lexists(path):
        return True
    if os.path.islink(path) or not os.path.isdir(path):
        return False
    with os.scandir(path) as listing:
        return next(listing, None) is None
