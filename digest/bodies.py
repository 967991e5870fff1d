"""Article bodies on disk, beside the article cache: an article holds where its body lies.

A build keeps every article in memory from parsing to the commit, and its body and the
sketch of its text (agency/stories.py) were most of that: some 6 KB an article, 600 MiB at
100,000 articles. Only the pages that show a body need it (an article's page, a feed), made
in the worker processes, and only the story index reads sketches. So the worker that parses
an article writes both to the cache folder's body file, and the article keeps their places
in it (Stored); reading one back is one `pread`. The article cache pickles the places, not
the bytes, which also makes a new process load faster.

A body file only grows while builds append to it, so a place once written stays valid; the
article cache copies the live bodies into a new file when most of one is garbage
(ArticleCache.save). Files are named by a random token, never by a path, so a site that is
moved or restored from a CI cache reads its bodies where they now are.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import weakref
from pathlib import Path

from .errors import DigestError, problem

PREFIX = "bodies-"
SUFFIX = ".bin"

OPEN: weakref.WeakValueDictionary[str, BodyFile] = weakref.WeakValueDictionary()
"""The body files this process has open, by token: unpickling a place finds its file here."""


class BodyFile:
    """One file of bodies that any build of the site may append to, under a lock.

    The file stays open while anything refers to it: a file another process replaced or
    removed is still read through the open descriptor, so a preview never loses a body.
    Forked workers share the descriptor; `pread`/`pwrite` do not move a shared offset.
    """

    def __init__(self, folder: Path, token: str | None = None) -> None:
        self.token = token or secrets.token_hex(8)
        self.path = folder / f"{PREFIX}{self.token}{SUFFIX}"
        if token is None:
            folder.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        else:
            self.fd = os.open(self.path, os.O_RDWR)  # FileNotFoundError: the caller's to say
        self.size = os.fstat(self.fd).st_size
        """The file's size when opened: a place beyond it was never written (a build was
        killed before its bodies reached the disk)."""
        OPEN[self.token] = self

    def __del__(self) -> None:
        fd = getattr(self, "fd", None)
        if fd is not None:
            os.close(fd)

    def append(self, *parts: bytes) -> list[Stored]:
        """Write the parts at the end of the file, one after the other; where each lies."""
        data = b"".join(parts)
        fcntl.lockf(self.fd, fcntl.LOCK_EX)  # a process's lock: forked workers share the fd
        try:
            offset = os.fstat(self.fd).st_size
            written = os.pwrite(self.fd, data, offset)
            while written < len(data):  # a short write: the rest goes after it
                written += os.pwrite(self.fd, data[written:], offset + written)
        except OSError as exc:  # a full disk, a size limit: nothing names the bytes written
            raise DigestError(problem(self.path, f"cannot write the cache: {exc.strerror}")
                              ) from None
        finally:
            fcntl.lockf(self.fd, fcntl.LOCK_UN)
        self.size = max(self.size, offset + len(data))
        places = []
        for part in parts:
            places.append(Stored(self, offset, len(part)))
            offset += len(part)
        return places

    def read(self, offset: int, length: int) -> bytes:
        data = os.pread(self.fd, length, offset)
        if len(data) != length:
            raise OSError(f"{self.path}: a body ends early at {offset + len(data)}")
        return data

    def linked(self) -> bool:
        """Whether the file is still in the cache folder (not removed by another build)."""
        return os.fstat(self.fd).st_nlink > 0


class Stored:
    """Where a body (or a sketch) lies in a body file. Mutable, so that moving the live
    bodies into a new file updates every article that holds one, without new articles."""

    __slots__ = ("file", "offset", "length")

    def __init__(self, file: BodyFile, offset: int, length: int) -> None:
        self.file = file
        self.offset = offset
        self.length = length

    def read(self, limit: int | None = None) -> bytes:
        """The bytes, or their first `limit`."""
        length = self.length if limit is None else min(limit, self.length)
        return self.file.read(self.offset, length)

    def __len__(self) -> int:
        return self.length

    def __reduce__(self) -> tuple[object, tuple[str, int, int]]:
        return stored_body, (self.file.token, self.offset, self.length)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Stored) and other.file is self.file and \
            other.offset == self.offset and other.length == self.length

    def __hash__(self) -> int:
        return hash((self.file.token, self.offset, self.length))

    def __repr__(self) -> str:
        return f"Stored({self.file.token}, {self.offset}, {self.length})"


def stored_body(token: str, offset: int, length: int) -> Stored:
    """A place as unpickled: its file must be open here and long enough (else the cache
    entry that holds it is not used: ArticleCache.load stops at the error)."""
    file = OPEN.get(token)
    if file is None:
        raise KeyError(f"body file {token} is not open")
    if offset + length > file.size:  # a worker may have appended since
        file.size = os.fstat(file.fd).st_size
        if offset + length > file.size:
            raise ValueError(f"body file {token} ends before {offset + length}")
    return Stored(file, offset, length)


def body_paths(folder: Path) -> list[Path]:
    """The body files in a cache folder."""
    return sorted(folder.glob(f"{PREFIX}*{SUFFIX}"))


def token_of(path: Path) -> str:
    return path.name[len(PREFIX):-len(SUFFIX)]


def open_all(folder: Path) -> list[BodyFile]:
    """Every body file in the cache folder, open (a cache names one; an entry appended by
    another process may name its own)."""
    files = []
    for path in body_paths(folder):
        token = token_of(path)
        known = OPEN.get(token)
        if known is not None and known.path.parent == folder:
            known.size = os.fstat(known.fd).st_size
            files.append(known)
            continue
        try:
            files.append(BodyFile(folder, token))
        except OSError:
            continue  # removed meanwhile: its entries are not used
    return files


def bytes_of(data: bytes | Stored, limit: int | None = None) -> bytes:
    """The bytes themselves, or their first `limit`, wherever they are kept."""
    if isinstance(data, bytes):
        return data if limit is None else data[:limit]
    return data.read(limit)
