"""Stage 1: find the article files under content/ and read each into an Article."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..cache import ArticleCache, BodyFile, bytes_of, load_memo, save_memo
from ..config import Config
from ..errors import Problem, problem, warning
from ..model import Article
from ..workers import Progress, run_parallel, stage_counter
from .gitdates import (
    FirstCommit,
    GitDates,
    GitHistory,
    read_blobs,
    read_versions,
    repository_state,
    shallow_warning,
)
from .reader import ArticleReader, SourceFile, read_source

ARTICLE_SUFFIXES = {".md": "md", ".markdown": "md", ".txt": "txt"}


@dataclass(frozen=True)
class Asset:
    """A file in content/ that is not an article, copied into the output."""

    path: Path
    rel_path: str


@dataclass(frozen=True)
class Inventory:
    """What content/ holds: article files, other files, and what was skipped or wrong."""

    sources: tuple[SourceFile, ...]
    assets: tuple[Asset, ...]
    problems: tuple[Problem, ...]


def is_ignored(name: str) -> bool:
    """Hidden files, editor backups and swap files are not content."""
    return (name.startswith((".", "#", "~")) or name.endswith(("~", ".swp", ".swo", ".swx",
                                                              ".tmp", ".bak")))


def display_path(config: Config, path: Path) -> str:
    """A path as the user knows it: relative to the site folder when inside it."""
    try:
        return path.relative_to(config.root).as_posix()
    except ValueError:
        return str(path)


def find_content(config: Config) -> Inventory:
    """Walk content/ in sorted order; links that loop or leave content/ are skipped."""
    root = config.content_path
    if not root.is_dir():
        return Inventory((), (), (warning(display_path(config, root), "no content folder; "
                                          "the site has no articles"),))
    prefix = display_path(config, root).rstrip("/") + "/"
    real_root = root.resolve()
    sources: list[SourceFile] = []
    assets: list[Asset] = []
    problems: list[Problem] = []
    seen: set[str] = set()

    def walk(folder: str, rel_folder: str) -> None:
        with os.scandir(folder) as listing:  # names as NFC, however the file system spells them
            entries = sorted((unicodedata.normalize("NFC", e.name), e.name, e) for e in listing)
        for name, _, entry in entries:
            rel = rel_folder + name
            if is_ignored(name):
                problems.append(warning(prefix + rel, "skipped: a hidden file or an editor's "
                                        "backup, swap or lock file"))
                continue
            if entry.is_dir(follow_symlinks=False):
                walk(entry.path, rel + "/")
            elif entry.is_symlink():
                problem_text = linked_file_problem(Path(entry.path), real_root)
                if problem_text:
                    problems.append(warning(prefix + rel, f"skipped: {problem_text}"))
                else:
                    add(entry.path, rel)
            elif entry.is_file(follow_symlinks=False):
                add(entry.path, rel)

    def add(path: str, rel: str) -> None:
        if rel in seen:
            problems.append(problem(prefix + rel, "two files have this name, spelled with "
                                    "different Unicode forms (NFC and NFD); rename one"))
            return
        seen.add(rel)
        kind = ARTICLE_SUFFIXES.get(os.path.splitext(rel)[1].lower())
        if kind:
            sources.append(SourceFile(Path(path), rel, prefix + rel, kind))
        else:
            assets.append(Asset(Path(path), rel))

    walk(str(root), "")
    return Inventory(tuple(sources), tuple(assets), tuple(problems))


def linked_file_problem(path: Path, real_root: Path) -> str | None:
    """Why a link inside content/ cannot be read as content, or None when it can."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "a link that loops or points nowhere"
    if target.is_dir():
        return "a linked folder (copy it into content/)"
    if not target.is_relative_to(real_root) or not target.is_file():
        return "a link to a file outside content/"
    return None


@dataclass(frozen=True)
class ReadJob:
    """One article file, keyed by its bytes, not yet parsed.

    `data` is None once the key is known: a big site would otherwise hold every file's bytes
    at once. The worker that parses the file reads it again (see read_job).
    """

    source: SourceFile
    data: bytes | None
    mtime: float
    siblings: frozenset[str]
    key: str
    first_commit: FirstCommit | None = None
    """When git first saw the file: the date of an article that names none."""


def parse_job(reader: ArticleReader, job: ReadJob) -> tuple[Article | None, list[Problem]]:
    """Parse a job whose bytes are at hand."""
    assert job.data is not None
    return reader.from_bytes(job.source, job.data, job.mtime, job.siblings,
                             f"{job.key}:{job.mtime!r}", job.first_commit)


@dataclass(frozen=True)
class Loaded:
    """The article files read from disk, each with its cache key; not yet parsed."""

    jobs: tuple[ReadJob, ...]
    problems: tuple[Problem, ...]
    keys: Keys

    def stamp(self) -> list[tuple[str, str, float]]:
        """What the files were: path, content key and modification time (keyed jobs only)."""
        return [(job.source.rel_path, job.key, job.mtime) for job in self.jobs]


class Keys:
    """Turns an article file's bytes into a job keyed by everything parsing depends on:
    the bytes, the path, the files beside it, the commit that added it and (through the
    cache) settings and code."""

    def __init__(self, inventory: Inventory, cache: ArticleCache,
                 dates: GitDates | None = None, shallow: Problem | None = None):
        self.cache = cache
        self.dates = dates
        self.shallow = shallow if dates is not None and dates.shallow else None
        self.siblings = frozenset(asset.rel_path for asset in inventory.assets)
        folder_files: dict[str, list[str]] = {}
        for asset in inventory.assets:
            folder_files.setdefault(asset.rel_path.rpartition("/")[0], []).append(asset.rel_path)
        self.folder_files = {folder: "\n".join(files) for folder, files in folder_files.items()}

    def job(self, source: SourceFile, data: bytes, mtime: float, keep: bool = True) -> ReadJob:
        """The job for a file's bytes; without `keep` it holds only their key."""
        context, first = self.context(source)
        key = self.cache.key(source.rel_path, data, context)
        return ReadJob(source, data if keep else None, mtime, self.siblings, key, first)

    def context(self, source: SourceFile) -> tuple[str, FirstCommit | None]:
        """What a file's key depends on besides its bytes: the files beside it, the commit
        that added it."""
        folder = source.rel_path.rpartition("/")[0]
        first = self.first_commit(source.rel_path)
        return self.folder_files.get(folder, "") + ("" if first is None else f"\0{first!r}"), \
            first

    def first_commit(self, rel_path: str) -> FirstCommit | None:
        """The commit that added a file, or None when git has not seen it."""
        when = self.dates.added.get(rel_path) if self.dates is not None else None
        return None if when is None else FirstCommit(when, self.shallow)


def load_articles(config: Config, inventory: Inventory, cache: ArticleCache,
                  keyed: bool = True, known: KnownFiles | None = None,
                  changed: set[str] | None = None, git: GitHistory | None = None) -> Loaded:
    """Read every article file's bytes and key them.

    Without `keyed` (nothing is cached, so every file will be parsed) the files are left for
    the workers that parse them to read and key: reading them twice is what a first build
    of a big site would otherwise spend most of its first seconds on.

    `known` (a long-running process) remembers each file's key from the last build; a file
    the watcher did not name in `changed` is not read again. `git` keeps the last pass over
    the repository's history while HEAD stays.
    """
    dates = (git or GitHistory()).dates(config.content_path)
    keys = Keys(inventory, cache, dates,
                shallow_warning(display_path(config, config.content_path)))
    if not keyed:
        return Loaded(tuple(ReadJob(source, None, 0.0, keys.siblings, "")
                            for source in inventory.sources), inventory.problems, keys)
    jobs: list[ReadJob] = []
    problems: list[Problem] = list(inventory.problems)
    usable = known is not None and known.usable(keys, changed)
    stamps = None if usable else FileStamps(config.cache_path / FILE_STAMPS, keys)
    for source in inventory.sources:
        job = known.get(source, changed) if usable else None  # type: ignore[union-attr,arg-type]
        if job is None and stamps is not None:
            job = stamps.job(source)
        if job is None:
            before = stamps.stat_of(source) if stamps is not None else None
            data, mtime, found = read_source(source, config.max_file_size)
            problems += found
            if data is None:
                jobs.append(skipped_job(source, keys, found))
                continue
            job = keys.job(source, data, mtime, keep=False)
            if stamps is not None and before is not None:
                stamps.note(source, job, before)
        jobs.append(job)
    if stamps is not None:
        stamps.save()
    loaded = Loaded(tuple(jobs), tuple(problems), keys)
    if known is not None:
        known.remember(loaded)
    return loaded


FILE_STAMPS = "file-stamps.pickle"
"""Each article file's key with the file's stat as it was keyed, in the cache."""


class FileStamps:
    """The key of each article file as a process last computed it, with the file's size,
    times and inode then: a new process need not read a file that is as it was.

    The change time is part of the stamp. No program can set it: any write or rename of the
    file moves it, so a file edited in place, replaced by an editor's rename, checked out or
    copied (as a restored cache is) is read again; only a file untouched since is trusted.
    """

    def __init__(self, path: Path, keys: Keys) -> None:
        self.path = path
        self.keys = keys
        saved = load_memo(path)
        self.old: dict[str, tuple[Any, ...]] = saved if isinstance(saved, dict) else {}
        self.new: dict[str, tuple[Any, ...]] = {}

    @staticmethod
    def stat_of(source: SourceFile) -> tuple[int, ...] | None:
        try:
            stat = os.stat(source.path)
        except OSError:
            return None
        return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev)

    def job(self, source: SourceFile) -> ReadJob | None:
        """The job for a file that is as it was when keyed, without reading it."""
        known = self.old.get(source.rel_path)
        if known is None:
            return None
        stat, salt, context, key, mtime = known
        context_now, first = self.keys.context(source)
        if stat != self.stat_of(source) or salt != self.keys.cache.salt or \
                context != context_now:
            return None
        self.new[source.rel_path] = known
        return ReadJob(source, None, mtime, self.keys.siblings, key, first)

    def note(self, source: SourceFile, job: ReadJob, stat: tuple[int, ...]) -> None:
        """Remember a file's key with its stat taken before it was read: a write after
        that changes the stat, so the file is read again."""
        if stat[1] <= time.time_ns() - 2_000_000_000:
            # a file written in the last two seconds may be written again within the
            # clock's resolution: it is read again next time
            context, _ = self.keys.context(source)
            self.new[source.rel_path] = (stat, self.keys.cache.salt, context, job.key,
                                         job.mtime)

    def save(self) -> None:
        if self.new != self.old:
            save_memo(self.path, self.new)


def skipped_job(source: SourceFile, keys: Keys, problems: list[Problem]) -> ReadJob:
    """A file that is not read as an article: its key is why, so the build's input stamp
    changes when such a file comes or goes, and its warning is given on every build."""
    reason = "\n".join(p.message for p in problems)
    return ReadJob(source, None, 0.0, keys.siblings, "!" + reason)


class KnownFiles:
    """The jobs of the last build of a long-running process, by file: a file the watcher
    names no change for is not read again."""

    def __init__(self) -> None:
        self.jobs: dict[str, ReadJob] = {}
        self.siblings: frozenset[str] | None = None
        self.dates: GitDates | None = None
        self.salt: bytes | None = None
        """The cache salt the jobs were keyed with: settings that change parsing change it."""
        self.parsed: Parsed | None = None
        """What parsing the last build's jobs gave."""

    def usable(self, keys: Keys, changed: set[str] | None) -> bool:
        return changed is not None and keys.siblings == self.siblings and \
            keys.dates == self.dates and keys.cache.salt == self.salt

    def get(self, source: SourceFile, changed: set[str]) -> ReadJob | None:
        job = self.jobs.get(source.rel_path)
        if job is None or (job.source is not source and job.source != source) or \
                str(source.path) in changed:
            return None
        return job

    def remember(self, loaded: Loaded) -> None:
        self.jobs = {job.source.rel_path: job for job in loaded.jobs}
        self.siblings = loaded.keys.siblings
        self.dates = loaded.keys.dates
        self.salt = loaded.keys.cache.salt


def read_job(state: tuple[ArticleReader, Keys, BodyFile], job: ReadJob
             ) -> tuple[ReadJob | None, Outcome]:
    """Read an article file again and parse it, in a worker; its body and sketch go to the
    body file.

    When the file changed since it was keyed, the new bytes get their own key; when it can
    no longer be read, there is no key to keep the outcome under (None).
    """
    reader, keys, bodies = state
    data, mtime, problems = read_source(job.source, reader.config.max_file_size)
    if data is None:
        return None, (None, problems)
    fresh = keys.job(job.source, data, mtime)
    article, problems = parse_job(reader, fresh)
    if article is not None and (article.body_html or article.sketch):
        body, sketch = bodies.append(article.html, bytes_of(article.sketch))
        article = dataclasses.replace(article, body_html=body if body else b"",
                                      sketch=sketch if sketch else b"")
    return ReadJob(fresh.source, None, fresh.mtime, fresh.siblings, fresh.key), \
        (article, problems)


Outcome = tuple[Article | None, list[Problem]]


def cached(cache: ArticleCache, job: ReadJob) -> Outcome | None:
    """The cached result for a job; a date taken from the file's time needs the same time."""
    hit = cache.get(job.key)
    if hit is not None and (hit[0] is None or not hit[0].date_from_mtime
                            or hit[2] == job.mtime):
        return hit[0], hit[1]
    return None


Stamp = tuple[str, str, float]
"""What an article file was when it was parsed: its path, content key and modification time."""


@dataclass(frozen=True)
class Parsed:
    """What parsing a build's jobs gave, kept by a long-running process (KnownFiles)."""

    jobs: tuple[ReadJob, ...]
    results: list[Outcome | None]
    stamps: list[Stamp]
    used: dict[str, tuple[Any, ...]]
    """The cache entries the build used, by key."""


def parse_articles(config: Config, loaded: Loaded, cache: ArticleCache, jobs: int = 0,
                   progress: Progress | None = None, known: KnownFiles | None = None,
                   reader: ArticleReader | None = None
                   ) -> tuple[list[Article], list[Problem], list[Stamp]]:
    """Parse what the cache has not seen, in parallel when there is much; collect problems.

    Also returns the stamps of the files read, as parsed (see Loaded.stamp). With `known`
    (a long-running process), only the jobs that are not the last build's are looked at.
    """
    every = loaded.jobs
    last = known.parsed if known is not None else None
    fresh: list[int] | None = None
    if last is not None and len(last.jobs) == len(every):
        fresh = [i for i, (job, old) in enumerate(zip(every, last.jobs, strict=True))
                 if job is not old]
    if last is not None and fresh is not None and len(fresh) <= len(every) // 4:
        results, stamps, used = list(last.results), list(last.stamps), dict(last.used)
        for i in fresh:
            used.pop(last.jobs[i].key, None)
        cache.keep(used)
        looked_at: Sequence[int] = fresh
    else:
        results, stamps, used = [None] * len(every), [("", "", 0.0)] * len(every), {}
        looked_at = range(len(every))
    todo: list[tuple[int, ReadJob]] = []
    for index in looked_at:
        job = every[index]
        stamps[index] = (job.source.rel_path, job.key, job.mtime)
        results[index] = None
        if job.key.startswith("!"):
            continue  # skipped, and warned about in loaded.problems
        hit = cached(cache, job) if job.key else None
        if hit is not None:
            results[index] = hit
            used[job.key] = (hit[0], hit[1], job.mtime)
        else:
            todo.append((index, job))
    bodies = cache.bodies() if todo else None  # opened here, shared by the workers
    parsed = run_parallel(read_job, [job for _, job in todo], jobs,
                          setup=lambda: (reader or ArticleReader(config), loaded.keys, bodies),
                          progress=stage_counter(progress, "reading articles", len(todo)))
    for (index, job), (read, outcome) in zip(todo, parsed, strict=True):
        results[index] = outcome
        if read is None:
            stamps[index] = (job.source.rel_path, "!" + "\n".join(p.message for p in
                                                                   outcome[1]), 0.0)
        else:
            stamps[index] = (read.source.rel_path, read.key, read.mtime)
            cache.put(read.key, (outcome[0], outcome[1], read.mtime))
            used[read.key] = (outcome[0], outcome[1], read.mtime)
    if known is not None:
        known.parsed = Parsed(every, results, stamps, used)
    articles = [outcome[0] for outcome in results if outcome is not None and outcome[0]]
    problems = list(loaded.problems)
    for outcome in results:
        if outcome is not None and outcome[1]:
            problems += outcome[1]
    problems = list(dict.fromkeys(problems))  # a shallow clone's warning is given once
    return articles, problems, stamps


Address = tuple[str, "dt.datetime | None"]
"""A slug and a date (None: the article's own date), which give a URL."""


GIT_VERSIONS = "git-versions.pickle"
"""The versions git log named, by repository state, in the cache: a new process need not
walk the whole history again when no commit was made."""


class EarlierAddresses:
    """Where each article stood in its earlier committed versions, from one `git log` and
    one `git cat-file` pass: every earlier URL of an article gets a redirect, with no work
    by anyone. Each version is read once per process; the pass runs again only when the
    history or the files change."""

    def __init__(self) -> None:
        self.key: tuple[object, ...] | None = None
        self.result: dict[str, tuple[Address, ...]] = {}
        self.parsed: dict[tuple[str, str], Address | None] = {}

    @staticmethod
    def versions(folder: Path, state: tuple[str, ...], saved: Path
                 ) -> dict[str, tuple[str, ...]]:
        """The committed versions of each file, as an earlier process read them for the
        same repository state (HEAD, shallow boundary, folder), else from git."""
        known = load_memo(saved)
        if known is not None and known[0] == state:
            return known[1]
        versions = read_versions(folder)
        save_memo(saved, (state, versions))
        return versions

    def of(self, config: Config, inventory: Inventory, reader: ArticleReader
           ) -> dict[str, tuple[Address, ...]]:
        """The addresses of the earlier versions of each article, by its source path."""
        folder = config.content_path
        state = repository_state(folder) if folder.is_dir() else None
        if state is None:
            return {}
        key = (state, inventory.sources)
        if key == self.key:
            return self.result
        versions = self.versions(folder, state, config.cache_path / GIT_VERSIONS)
        sources = {s.rel_path: s for s in inventory.sources}
        several = {rel: blobs for rel, blobs in versions.items()
                   if rel in sources and len(blobs) > 1}
        wanted = [blob for rel, blobs in several.items() for blob in blobs
                  if (rel, blob) not in self.parsed]
        contents = read_blobs(folder, list(dict.fromkeys(wanted)))
        for rel, blobs in several.items():
            for blob in blobs:
                if (rel, blob) not in self.parsed and blob in contents:
                    self.parsed[(rel, blob)] = reader.earlier_address(sources[rel],
                                                                      contents[blob])
        self.result = {
            sources[rel].display: tuple(dict.fromkeys(
                found for blob in blobs if (found := self.parsed.get((rel, blob)))))
            for rel, blobs in several.items()}
        self.key = key
        return self.result
