"""The persistent memo: parsed articles by content hash, kept in the site's cache folder.

Every build still plans the whole site (that is what makes stale pages impossible); the cache
only saves the expensive part, turning Markdown into HTML, for files whose bytes, folder and
parse settings are unchanged. The key includes a hash of digest's own code, so a new version
never reuses an old result.

Article bodies and sketches lie in a body file beside it (BodyFile): a build holds every
article in memory, and those were most of it.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import pickle
import secrets
import weakref
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from .config import Config
from .errors import DigestError, problem

CACHE_FORMAT = 3


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of digest's own source files: any code change invalidates every cache."""
    return source_fingerprint(Path(__file__).parent)


def source_fingerprint(package: Path) -> str:
    """A hash of every module below a package folder, sub-packages included."""
    digest = hashlib.sha1()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def parse_settings(config: Config) -> str:
    """The settings that change how an article file is read."""
    return repr((config.timezone, config.default_topic, config.language, config.markdown,
                 config.allow_raw_html, config.max_file_size, config.content_dir,
                 config.base_path, config.agencies, config.inbox_dir,
                 [(slug, info.name, info.keywords, info.exclude)
                  for slug, info in config.topics.items()]))


PREFIX = "bodies-"
SUFFIX = ".bin"

OPEN: weakref.WeakValueDictionary[str, BodyFile] = weakref.WeakValueDictionary()
"""The body files this process has open, by token: unpickling a place finds its file here."""


class BodyFile:
    """One file of bodies that any build of the site may append to, under a lock.

    The worker that parses an article appends its body and its sketch here, and the article
    keeps their places (Stored): only the pages that show a body, and the story index, read
    them back, one `pread` each. Files are named by a random token, never by a path, so a
    moved site, or one restored from a CI cache, reads its bodies where they now are.

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


class ArticleCache:
    """Parsed articles keyed by a hash of everything that went into parsing them.

    Their bodies lie in a body file beside it (cache.py, BodyFile); the file's header names the
    one that new bodies go to.
    """

    def __init__(self, folder: Path, config: Config):
        self.path = folder / "articles.pickle"
        self.salt = hashlib.sha1((code_fingerprint() + parse_settings(config)).encode()).digest()
        self.loaded: dict[str, Any] | None = None
        self.new: dict[str, Any] = {}
        self.on_disk: set[str] | None = None
        self.body_file: BodyFile | None = None
        self.body_files: list[BodyFile] = []
        """The body files the entries may name, open while this cache is."""

    @property
    def old(self) -> dict[str, Any]:
        """The previous build's entries, read on first use: a no-op build never needs them."""
        if self.loaded is None:
            self.loaded = self.load()
        return self.loaded

    def header(self, handle: BinaryIO) -> dict[str, Any] | None:
        """The file's header when this code and these settings wrote it, with its body file
        open; else None."""
        header = pickle.load(handle)
        if not isinstance(header, dict) or header.get("format") != CACHE_FORMAT or \
                header.get("salt") != self.salt:
            return None
        self.body_files = open_all(self.path.parent)
        token = header.get("bodies")
        current = next((f for f in self.body_files if f.token == token), None)
        if current is None:
            return None  # its bodies are gone: every entry would need them
        if self.body_file is None:
            self.body_file = current
        return header

    def load(self) -> dict[str, Any]:
        """Read the header, then every batch of entries appended since the file was written."""
        entries: dict[str, Any] = {}
        try:
            with self.path.open("rb") as handle:
                if self.header(handle) is None:
                    return {}
                while True:
                    try:
                        entries.update(pickle.load(handle))
                    except EOFError:
                        break
        except FileNotFoundError:
            pass
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError,
                ValueError, KeyError, TypeError):
            return entries  # cut short by a crash: keep what came before; save() rewrites
        self.on_disk = set(entries)
        return entries

    def bodies(self) -> BodyFile:
        """The body file new bodies go to: the one the file's header names, else a new one.
        Called before workers are forked, so that they share it."""
        if self.body_file is None:
            try:
                with self.path.open("rb") as handle:
                    self.header(handle)
            except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError,
                    ValueError, KeyError, TypeError):
                pass
        if self.body_file is None:
            self.body_file = BodyFile(self.path.parent)
            self.body_files.append(self.body_file)
        return self.body_file

    def has_entries(self) -> bool:
        """Whether earlier builds may have left entries (the file is not read to tell)."""
        return bool(self.loaded or self.new) or self.path.exists()

    def key(self, rel_path: str, data: bytes, context: str) -> str:
        digest = hashlib.sha1(self.salt)
        digest.update(rel_path.encode() + b"\0" + context.encode() + b"\0")
        digest.update(data)
        return digest.hexdigest()

    def get(self, key: str) -> Any:
        value = self.new.get(key) or self.old.get(key)
        if value is not None:
            self.new[key] = value
        return value

    def put(self, key: str, value: Any) -> None:
        self.new[key] = value

    def keep(self, entries: dict[str, Any]) -> None:
        """Mark entries as used by this build, as get() does, all at once."""
        self.new.update(entries)

    def advance(self) -> None:
        """Start the next build of the same process from this build's entries."""
        self.loaded, self.new = self.new, {}

    def save(self) -> None:
        """Append what is new; rewrite the file when a quarter of it is no longer used.

        An edit of one article appends one entry instead of rewriting ten thousand, and the
        rewrite keeps only what the last build used, so the file never grows without bound.
        The body file is made anew when most of it is no longer used, or when another build
        removed it (this process still reads it through its open descriptor).
        """
        entries = self.new or self.loaded or {}
        file = self.body_file
        if file is not None and (not file.linked() or mostly_unused(file, entries)):
            self.body_file = move_bodies(entries, self.path.parent)
            self.body_files.append(self.body_file)
            self.rewrite(entries)
            return
        if self.on_disk is None or not self.path.exists():
            self.rewrite(entries)
            return
        added = {key: value for key, value in entries.items() if key not in self.on_disk}
        unused = len(self.on_disk) - (len(entries) - len(added))
        if unused > len(entries) // 4:
            self.rewrite(entries)
        elif added:
            with self.path.open("ab") as handle:
                dump_batches(added, handle)
            self.on_disk.update(added)

    def rewrite(self, entries: dict[str, Any]) -> None:
        """The whole file anew; body files no entry can name any more are removed."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        token = self.bodies().token
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            pickle.dump({"format": CACHE_FORMAT, "salt": self.salt, "bodies": token}, handle,
                        protocol=pickle.HIGHEST_PROTOCOL)
            dump_batches(entries, handle)
        os.replace(temporary, self.path)
        self.on_disk = set(entries)
        named = {body.file.token for body in stored_bodies(entries)} | {token}
        for path in body_paths(self.path.parent):
            if token_of(path) not in named:
                path.unlink(missing_ok=True)


def stored_bodies(entries: dict[str, Any]) -> list[Stored]:
    """The stored bodies and sketches of the entries' articles, each once."""
    found: dict[int, Stored] = {}
    for value in entries.values():
        if value[0] is not None:
            for data in (value[0].body_html, value[0].sketch):
                if isinstance(data, Stored):
                    found[id(data)] = data
    return list(found.values())


def mostly_unused(file: BodyFile, entries: dict[str, Any]) -> bool:
    """Whether most of a body file holds bodies that no entry names any more."""
    used = sum(body.length for body in stored_bodies(entries) if body.file is file)
    return file.size > 2 * used + 2**20


MOVE_CHUNK = 2**22


def move_bodies(entries: dict[str, Any], folder: Path) -> BodyFile:
    """Copy the entries' bodies into a new body file, and point them there."""
    target = BodyFile(folder)
    bodies = stored_bodies(entries)
    chunk: list[bytes] = []
    at = size = 0
    for body in bodies:
        data = body.read()
        body.file, body.offset = target, at + size
        chunk.append(data)
        size += len(data)
        if size >= MOVE_CHUNK:
            target.append(b"".join(chunk))
            at, size, chunk = at + size, 0, []
    if chunk:
        target.append(b"".join(chunk))
    return target


BATCH = 2000
"""Entries pickled in one go: a pickler remembers every object it wrote until it is done,
which for the whole cache of 100,000 articles made the build's peak some 170 MiB higher."""


def dump_batches(entries: dict[str, Any], handle: BinaryIO) -> None:
    """The entries as consecutive pickles of at most BATCH each, as load() reads them."""
    items = list(entries.items())
    for start in range(0, len(items), BATCH):
        pickle.dump(dict(items[start:start + BATCH]), handle, protocol=pickle.HIGHEST_PROTOCOL)


def load_memo(path: Path) -> Any | None:
    """A memo that an earlier process saved, when the same code saved it; else None."""
    try:
        with path.open("rb") as handle:
            code, value = pickle.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError,
            ValueError, TypeError):
        return None  # cut short or from another version: made again
    return value if code == code_fingerprint() else None


def save_memo(path: Path, value: Any) -> None:
    """Save a memo for a later process, whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    with temporary.open("wb") as handle:
        pickle.dump((code_fingerprint(), value), handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(temporary, path)


def page_fingerprint(salt: bytes, path: str, template: str, inputs: bytes) -> str:
    """A hash of everything a page's bytes depend on: template set, settings and the
    page's own inputs (see pages.Page.inputs)."""
    digest = hashlib.sha1(salt)
    digest.update(f"{path}\0{template}\0".encode())
    digest.update(inputs)
    return digest.hexdigest()


def site_salt(config: Config, theme_fingerprint: str, site_view: dict[str, Any]) -> bytes:
    """What every page shares: code, settings, theme and the site-wide view."""
    text = f"{code_fingerprint()}\0{config.fingerprint()}\0{theme_fingerprint}\0{site_view!r}"
    return hashlib.sha1(text.encode()).digest()


@dataclass(frozen=True)
class BuildRecord:
    """What the last successful build saw and said: enough to answer an unchanged build."""

    stamp: str
    pages: int
    articles: int
    files: int
    next_due: str | None
    warnings: list[list[Any]]
    builder: int = 0
    """The process that made the build: digest serve notices builds made by others."""
    next_change: str | None = None
    """When time alone changes the site (an article falls due or expires, a live blog ends,
    an article leaves the news sitemap): no unchanged answer after then."""
    next_expiry: str | None = None


def load_record(path: Path) -> BuildRecord | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return BuildRecord(**data)
    except (OSError, ValueError, TypeError):
        return None


def save_record(path: Path, record: BuildRecord) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(dataclasses.asdict(record)), encoding="utf-8")
    os.replace(temporary, path)


def forget_record(path: Path) -> None:
    """A failed or partial build must not be taken for an up-to-date one."""
    path.unlink(missing_ok=True)


def input_stamp(*parts: Any) -> str:
    """One hash of every input of a build."""
    return hashlib.sha1(pickle.dumps(parts, protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()
