"""When git first saw each article file: the date of agency copy that names none.

An undated file would otherwise take its modification time, which every fresh checkout sets
anew: each build in CI would give the article another date, and so another URL. The author
date of the commit that first added the file is the same in every clone of the full history.
"""

from __future__ import annotations

import os
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem, warning

FIRST_ADDED = ("log", "--format=%at", "--name-status", "--diff-filter=A", "--no-renames",
               "--root", "--relative", "--no-color", "--no-show-signature", "-z", "--", ".")
"""Every commit that added a file below the current folder, newest first: its author time,
then 'A' and the path for each file it added. Paths are relative to the folder and, with -z,
verbatim whatever core.quotepath says; a renamed file counts as added by the rename."""

REPOSITORY_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX",
                        "GIT_COMMON_DIR")
"""Set by git for a hook that runs digest: the repository is found from content/ instead."""


@dataclass(frozen=True)
class FirstCommit:
    """When the commit that first added one file was written, for its article's date."""

    timestamp: int
    """The commit's author date, in seconds since the epoch."""
    shallow: Problem | None = None
    """The warning to give when this date is used: a shallow clone lacks the older commits."""


@dataclass(frozen=True)
class GitDates:
    """The author time of the commit that first added each file, by its path in content/."""

    added: dict[str, int]
    shallow: bool
    """A shallow clone: every file older than its oldest commit seems added by that one."""


def shallow_warning(folder: str) -> Problem:
    """The one warning of a build whose undated articles are dated by a shallow clone."""
    return warning(folder, "a shallow git clone: an undated article takes the date of the "
                   "oldest commit the clone has, not of the commit that added it, so its URL "
                   "differs from a full clone's; fetch the full history ('fetch-depth: 0' for "
                   "actions/checkout, or 'git fetch --unshallow')")


def run_git(folder: Path, *args: str) -> bytes | None:
    """What git prints when run in `folder`; None when git is missing or fails there."""
    env = {k: v for k, v in os.environ.items() if k not in REPOSITORY_VARIABLES}
    try:
        done = subprocess.run(["git", *args], cwd=folder, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, check=False)
    except OSError:  # git is not installed, or the folder went away
        return None
    return done.stdout if done.returncode == 0 else None


def repository_state(folder: Path) -> tuple[str, ...] | None:
    """What the history below `folder` depends on: HEAD, whether the clone is shallow (and
    where its boundary lies) and the folder's place in the repository; None outside a git
    repository with commits."""
    out = run_git(folder, "rev-parse", "HEAD", "--is-shallow-repository", "--git-path",
                  "shallow", "--show-prefix")
    if out is None:
        return None
    head, shallow, shallow_file, prefix = (out.decode("utf-8", "surrogateescape") + "\n\n\n"
                                           ).split("\n", 3)
    boundary = ""
    if shallow == "true":  # `git fetch --deepen` moves the boundary and leaves HEAD alone
        try:
            boundary = (folder / shallow_file).read_text(encoding="utf-8")
        except OSError:
            boundary = "?"
    return head, shallow, boundary, prefix


def read_dates(folder: Path, shallow: bool) -> GitDates | None:
    """One pass over the history below `folder`; None when git cannot read it."""
    out = run_git(folder, *FIRST_ADDED)
    if out is None:
        return None
    added: dict[str, int] = {}
    when, is_path = 0, False
    try:
        for token in out.split(b"\0"):
            if is_path:  # named as find_content names it: NFC, relative to content/
                added[unicodedata.normalize("NFC", os.fsdecode(token))] = when
                is_path = False  # newest first: the commit that added a file first comes last
            elif token.strip() == b"A":
                is_path = True
            elif token.strip():
                when = int(token)
    except ValueError:
        return None  # not what FIRST_ADDED asks for: no git date is better than a wrong one
    return GitDates(added, shallow)


class GitHistory:
    """The git dates of content/, read once per build; a long-running process (digest serve)
    reads the history again only when HEAD, the shallow boundary or the folder changed."""

    def __init__(self) -> None:
        self.last: tuple[tuple[str, ...], GitDates | None] | None = None
        self.state: tuple[str, ...] | None = None
        """The repository's state at the last look (HEAD, shallow boundary, folder): every
        git-derived input of a build (dates, earlier URLs) changes only with it."""

    def dates(self, folder: Path) -> GitDates | None:
        """The dates of the files committed below `folder`; None outside a git repository."""
        self.state = None
        if not folder.is_dir():
            return None
        state = self.state = repository_state(folder)
        if state is None:
            return None
        if self.last is None or self.last[0] != state:
            self.last = (state, read_dates(folder, state[1] == "true"))
        return self.last[1]


VERSIONS = ("log", "--format=%x01", "--raw", "--no-abbrev", "--no-renames", "--relative",
            "--no-color", "-z", "--", ".")
"""Every commit that added or changed a file below the current folder, with the blob of the
file as that commit left it."""


def read_versions(folder: Path) -> dict[str, tuple[str, ...]]:
    """The blobs of every committed version of each file below `folder`, newest first, by its
    path as find_content names it; empty when git cannot tell."""
    out = run_git(folder, *VERSIONS)
    if out is None:
        return {}
    versions: dict[str, list[str]] = {}
    blob = None
    for token in out.split(b"\0"):
        text = token.strip()
        if text.startswith(b":"):
            fields = text.decode("ascii", "replace").split()
            blob = fields[3] if len(fields) >= 5 and fields[4] in ("A", "M") \
                and set(fields[3]) != {"0"} else None
        elif blob is not None and text:
            path = unicodedata.normalize("NFC", os.fsdecode(token))
            versions.setdefault(path, []).append(blob)
            blob = None
    return {path: tuple(dict.fromkeys(blobs)) for path, blobs in versions.items()}


def read_blobs(folder: Path, blobs: list[str]) -> dict[str, bytes]:
    """The contents of some blobs, from one `git cat-file --batch`."""
    if not blobs:
        return {}
    env = {k: v for k, v in os.environ.items() if k not in REPOSITORY_VARIABLES}
    try:
        done = subprocess.run(["git", "cat-file", "--batch"], cwd=folder, env=env,
                              input="\n".join(blobs).encode() + b"\n", capture_output=True,
                              check=False)
    except OSError:
        return {}
    if done.returncode != 0:
        return {}
    found: dict[str, bytes] = {}
    data, at = done.stdout, 0
    while at < len(data):
        end = data.index(b"\n", at)
        header = data[at:end].split()
        at = end + 1
        if len(header) < 3 or header[1] != b"blob":
            continue
        size = int(header[2])
        found[header[0].decode()] = data[at:at + size]
        at += size + 1
    return found
