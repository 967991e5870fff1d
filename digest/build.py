"""build(): the stages in order, from config and content to the written site.

`digest build`, `check`, `publish` and `serve` all call this one function. A long-running
process (serve) passes a Memo, which keeps what the stages made last time, and the paths the
watcher saw change, which spare looking at the files it did not name; every build still plans
the whole site, so an output can never be stale.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import os
import pickle
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import compress
from operator import is_not
from pathlib import Path
from typing import Any

from .cache import (
    ArticleCache,
    BuildRecord,
    code_fingerprint,
    forget_record,
    input_stamp,
    load_memo,
    load_record,
    page_fingerprint,
    save_memo,
    save_record,
    site_salt,
)
from .commit import OutputState, locked, output_state
from .config import Config
from .content import (
    EarlierAddresses,
    Inventory,
    KnownFiles,
    Loaded,
    Stamp,
    display_path,
    find_content,
    load_articles,
    parse_articles,
)
from .content.gitdates import GitHistory
from .content.images import SiteImages
from .content.reader import ArticleReader
from .errors import DigestError, Problem, note, problem
from .model import (
    Article,
    Site,
    SiteMemo,
    build_site,
    next_change,
    next_due,
    next_expiry,
    withheld_urls,
)
from .pages import Page, Plan, PlanMemo
from .pages.images import with_images
from .pages.views import Views
from .render import Renderer, Theme, load_theme
from .search import SearchIndex
from .workers import Progress, run_parallel, stage_counter
from .write import OutputWriter, Staged, WriteReport, output_intact


@dataclass(frozen=True)
class BuildOptions:
    """What the command line may change for one build."""

    drafts: bool = False
    future: bool = False
    skip_invalid: bool = False
    clean: bool = False
    jobs: int = 0
    now: dt.datetime | None = None
    progress: Progress | None = None
    """Told what a build is doing: (stage, items done, items in the stage)."""
    notify: Callable[[str], None] | None = None
    """Told when the build must wait for another build of the same output folder."""
    index_later: bool = False
    """Keep the last search index as it is; a later build indexes (digest serve)."""
    sources: bool = False
    """Report the file of each article page (BuildReport.sources), for digest check."""
    fill_memo: bool = False
    """Make the site even when the last build's answer stands, to fill the memo (serve)."""


@dataclass(frozen=True)
class BuildReport:
    """What a build did, for the summary line and for callers such as serve."""

    pages: int
    written: int
    unchanged: int
    removed: int
    seconds: float
    warnings: tuple[Problem, ...] = ()
    next_due: dt.datetime | None = None
    articles: int = 0
    stages: dict[str, float] = field(default_factory=dict)
    """Seconds per stage, for --verbose."""
    indexed: int | None = None
    """Pages the search index was made of, when this build made it."""
    index_pending: bool = False
    """The search index is older than the pages (index_later)."""
    sources: dict[str, str] = field(default_factory=dict)
    """The file of each article page, by output path: where `digest check` reports a link."""
    next_expiry: dt.datetime | None = None
    """When the next published article is taken down (`expires`)."""
    withheld: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Each URL of a draft, future or expired article: its file and which (for check)."""
    notices: frozenset[str] = frozenset()
    """The output paths of the notices at expired articles' URLs (for check)."""


STORY_PAIRS = "story-pairs.pickle"
"""The near-duplicate pairs the story index found (agency/stories.py), for a new process:
it compares only the texts that changed since."""


class Memo:
    """What a long-running process keeps between its builds (digest serve).

    Parsed articles in memory (saved to the cache folder after each build) and the key of
    every article file, so that a file the watcher names no change for is not read again.
    """

    def __init__(self) -> None:
        self.cache: ArticleCache | None = None
        self.files = KnownFiles()
        self.inventory: Inventory | None = None
        self.inventory_of: tuple[Any, ...] | None = None
        self.known_paths: set[str] = set()
        self.readers: tuple[str, ArticleReader] | None = None
        self.git = GitHistory()
        self.history = EarlierAddresses()
        """Where each article stood in its earlier committed versions."""
        """When git first saw each article file, while HEAD stays."""
        self.urls: dict[str, str] | None = None
        self.urls_shape: object = None
        """Each article's URL in the last build, by its file."""
        self.images = SiteImages()
        self.sites = SiteMemo()
        self.story_saves = 0
        """Builds since the story pairs were last saved for a later process."""
        self.plans = PlanMemo()
        self.fingerprints: dict[str, tuple[Page, bytes, str]] = {}
        """Each page's fingerprint by path, with the page and the salt it was made for."""
        self.rendered: tuple[tuple[Page, ...], list[str], bytes] | None = None
        """The pages of the last plan, their paths and salt, as render_pages took them."""
        self.manifest: tuple[tuple[int, int], dict[str, list]] | None = None
        """The manifest file as this process last wrote it: its (time, size), its files."""

    @property
    def filled(self) -> bool:
        """Whether a build made the site with this memo (not only answered from the record)."""
        return self.rendered is not None

    def prepare(self) -> None:
        """Make now what the next build would make first (serve, while the tab reloads)."""
        self.plans.prepare()

    def reader(self, config: Config) -> ArticleReader:
        """One article reader (and its Markdown converter) while the settings stay."""
        key = config.fingerprint()
        if self.readers is None or self.readers[0] != key:
            self.readers = (key, ArticleReader(config))
        return self.readers[1]

    def articles(self, config: Config) -> ArticleCache:
        fresh = ArticleCache(config.cache_path, config)
        if self.cache is None or self.cache.salt != fresh.salt or \
                self.cache.path != fresh.path:
            self.cache = fresh
        return self.cache

    def content(self, config: Config, changed: set[str] | None) -> Inventory:
        """What content/ holds; walked again unless every change is an edit of a known file."""
        where = (str(config.content_path.absolute()), config.max_file_size)
        last = self.inventory
        if last is None or changed is None or where != self.inventory_of or \
                not edits_only(config, self.known_paths, changed):
            last = self.inventory = find_content(config)
            self.inventory_of = where
            self.known_paths = {str(s.path.absolute()) for s in last.sources} | \
                {str(a.path.absolute()) for a in last.assets}
        return last


def edits_only(config: Config, known: set[str], changed: set[str]) -> bool:
    """Whether every changed path is a file content/ already had, still there, or lies
    outside content/."""
    content = str(config.content_path.absolute()) + os.sep
    for path in changed:
        inside = path.startswith(content) or path == content[:-1]
        if inside and (path not in known or not os.path.isfile(path) or os.path.islink(path)):
            return False
    return True


class Laps:
    """Seconds spent in each stage of a build."""

    def __init__(self, started: float) -> None:
        self.started = self.last = started
        self.seconds: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = now - self.last
        self.last = now


def settle(problems: list[Problem], skip_invalid: bool) -> tuple[Problem, ...]:
    """Raise on errors (strict), or turn them into warnings (--skip-invalid)."""
    problems = sorted(problems, key=lambda p: (p.path, p.line, p.column))
    if not skip_invalid and any(not p.warning for p in problems):
        raise DigestError(problems)
    return tuple(p if p.warning else dataclasses.replace(p, warning=True, skipped=True)
                 for p in problems)


def restore_story_pairs(config: Config, memo: Memo) -> None:
    """A new process starts from the story pairs the last one found."""
    stories = memo.sites.stories.index
    fresh = stories.settings is None and stories.pending is None
    if fresh and (snapshot := load_memo(config.cache_path / STORY_PAIRS)):
        stories.restore(snapshot)


def save_story_pairs(config: Config, memo: Memo) -> None:
    """Save the pairs after a process's first build and then now and again: a later process
    compares only what changed since, and a long-running one need not save after each edit."""
    stories = memo.sites.stories.index
    due = memo.story_saves % 50 == 0
    memo.story_saves += 1
    if stories.dirty and due:
        save_memo(config.cache_path / STORY_PAIRS, stories.snapshot())


def model_site(config: Config, articles: list[Article], inventory: Inventory,
               options: BuildOptions, now: dt.datetime, memo: Memo
               ) -> tuple[Site, object, list[Problem]]:
    """Build the model, and the shape it has; with --skip-invalid, articles whose URL is
    taken are left out."""
    earlier = memo.history.of(config, inventory, memo.reader(config))
    site, problems = memo.sites.build(config, articles, drafts=options.drafts,
                                      future=options.future, now=now, earlier=earlier)
    shape = memo.sites.shape
    if problems and options.skip_invalid:
        losers = {p.path for p in problems}
        site, _ = build_site(config, [a for a in articles if a.source not in losers],
                             drafts=options.drafts, future=options.future, now=now,
                             earlier=earlier)
        shape = object()  # a shape of its own: nothing planned for another is used
    return site, shape, problems


def check_job(state: tuple[bytes, OutputWriter], page: Page) -> tuple[str, list | None]:
    """A page's fingerprint, and its manifest entry when its file is current (workers)."""
    salt, writer = state
    fingerprint = page_fingerprint(salt, page.path, page.template, page.inputs())
    return fingerprint, writer.current(page.path, fingerprint)


def render_job(state: tuple[Renderer, OutputWriter, Views], page: Page) -> Staged:
    """Make one page's view, render and stage it: all three run in the worker processes."""
    renderer, writer, views = state
    return writer.stage(page.path, renderer.render(page.template, views.view(page)))


def render_pages(config: Config, plan: Plan, theme: Theme, writer: OutputWriter,
                 options: BuildOptions, memo: Memo) -> None:
    """Render what changed into the staging area.

    A page whose inputs hash to the fingerprint it was last written with is not rendered.
    A long-running process keeps each page's fingerprint: a page the plan did not make
    again has the one it had, and while the output is as this process left it, the file
    of such a page is not even looked at.
    """
    salt = site_salt(config, theme.fingerprint(), plan.site)
    trusted = writer.trusted
    known = memo.fingerprints
    pages: Iterable[Page] = plan.pages
    fingerprints: dict[str, tuple[Page, bytes, str]] = {}
    last = memo.rendered
    if trusted and last is not None and last[2] == salt and len(last[0]) == len(plan.pages):
        # the usual edit: the plan's tuple as last time but for a few new pages
        changed = list(compress(range(len(plan.pages)), map(is_not, plan.pages, last[0])))
        paths = list(last[1])
        for i in reversed(changed):
            del paths[i]
        if writer.keep(paths):
            fingerprints = {path: known[path] for path in paths}
            pages = [plan.pages[i] for i in changed]
    todo: list[tuple[Page, str]] = []
    unknown: list[Page] = []
    for page in pages:
        last_made = known.get(page.path)
        if last_made is None or last_made[0] is not page or last_made[1] != salt:
            unknown.append(page)
            continue
        fingerprints[page.path] = last_made
        fingerprint = last_made[2]
        if trusted and writer.kept(page.path, fingerprint):
            continue
        if not writer.unchanged_since(page.path, fingerprint):
            todo.append((page, fingerprint))
    # a new process: every page's inputs hashed and its file looked at, in the workers
    checked = run_parallel(check_job, unknown, options.jobs, setup=lambda: (salt, writer),
                           minimum=2000)
    for page, (fingerprint, entry) in zip(unknown, checked, strict=True):
        fingerprints[page.path] = (page, salt, fingerprint)
        if entry is None:
            todo.append((page, fingerprint))
        else:
            writer.take(page.path, entry)
    memo.fingerprints = fingerprints
    memo.rendered = (plan.pages, [page.path for page in plan.pages], salt)
    rendered = run_parallel(render_job, [page for page, _ in todo], options.jobs,
                            setup=lambda: (Renderer(config, theme, plan.site), writer,
                                           plan.views),
                            progress=stage_counter(options.progress, "rendering pages",
                                                   len(todo)))
    for (_, fingerprint), staged in zip(todo, rendered, strict=True):
        writer.accept(staged, fingerprint)
    for path, data in plan.files:
        writer.add(path, data)
    for copy in plan.copies:
        writer.copy(copy.path, copy.source)


@contextlib.contextmanager
def writing(config: Config, state: OutputState, options: BuildOptions, memo: Memo
            ) -> Iterator[OutputWriter]:
    """An output writer; a write error becomes a user error once the output is as it was."""
    writer = OutputWriter(state, clean=options.clean, known=memo.manifest)
    memo.manifest = None  # until this build's manifest is saved
    try:
        yield writer
    except OSError as exc:  # a full disk, a file too large, a folder without permission
        where = exc.filename if exc.filename else config.output_path
        raise DigestError(problem(where, f"cannot write the site: {exc.strerror}; the output "
                                  "folder keeps the files it had")) from None
    finally:
        writer.discard()


def url_changes(state: OutputState, site: Site, shape: object, memo: Memo) -> list[Problem]:
    """A note for each article whose URL differs from the one it had in the last build:
    the editor learns it when it happens (a retitled story without a fixed slug)."""
    if memo.urls_shape is not None and memo.urls_shape is shape:
        return []  # the same shape: every URL as it was
    memo.urls_shape = shape
    urls = {e.article.source: e.url for e in (*site.entries, *site.pages)}
    last = memo.urls
    if last is None:
        try:
            last = pickle.loads(state.urls.read_bytes())
        except (OSError, ValueError, EOFError, pickle.UnpicklingError):
            last = {}
    notes = [note(source, f"URL changed from {last[source]} to {url}")
             for source, url in urls.items() if source in last and last[source] != url]
    if urls != last:
        state.cache.mkdir(parents=True, exist_ok=True)
        state.urls.write_bytes(pickle.dumps(urls, protocol=pickle.HIGHEST_PROTOCOL))
    memo.urls = urls
    return notes


def file_stamps(root: Path, paths: list[Path]) -> list[tuple[str, int, int]]:
    """Path (relative to the site, so a moved site matches), size and time of each file."""
    stamps = []
    for path in paths:
        stat = os.stat(path)
        stamps.append((os.path.relpath(path, root), stat.st_size, stat.st_mtime_ns))
    return stamps


def option_key(options: BuildOptions) -> tuple[bool, ...]:
    """The options that change what a build makes."""
    return (options.drafts, options.future, options.skip_invalid, options.index_later)


def build_inputs(config: Config, options: BuildOptions, theme: Theme, inventory: Inventory,
                 stamps: list[Stamp], history: object = None) -> tuple[Any, ...]:
    """Everything a build reads: code, settings, theme, options, articles, other files, the
    files skipped with a warning (so that a new one is warned about), and the state of the
    git history (earlier URLs come from it)."""
    static = config.static_path
    static_files = sorted(p for p in static.rglob("*") if p.is_file()) if static.is_dir() else []
    root = config.root
    return (code_fingerprint(), config.fingerprint(), theme.fingerprint(), option_key(options),
            stamps, file_stamps(root, [a.path for a in inventory.assets]),
            file_stamps(root, static_files), [p.message for p in inventory.problems], history)


def unchanged_report(state: OutputState, stamp: str, now: dt.datetime, started: float
                     ) -> BuildReport | None:
    """The last build's result when nothing it read has changed and its output is intact.

    This memoizes the whole build as a function of its inputs; the clock counts as an input
    only through the next scheduled article.
    """
    record = load_record(state.record)
    if record is None or record.stamp != stamp:
        return None
    due = dt.datetime.fromisoformat(record.next_due) if record.next_due else None
    change = dt.datetime.fromisoformat(record.next_change) if record.next_change else None
    if change is not None and now >= change:
        return None
    if not output_intact(state):
        return None
    if record.builder != os.getpid():  # this process answers for the output now
        save_record(state.record, dataclasses.replace(record, builder=os.getpid()))
    return BuildReport(pages=record.pages, written=0, unchanged=record.files, removed=0,
                       seconds=time.perf_counter() - started,
                       warnings=tuple(Problem(*w) for w in record.warnings), next_due=due,
                       articles=record.articles,
                       next_expiry=dt.datetime.fromisoformat(record.next_expiry)
                       if record.next_expiry else None)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for one build.

    A build makes millions of objects that all live until it ends; scanning them again and
    again cost a fifth of the build's time. Little of it is cyclic garbage.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build(config: Config, options: BuildOptions | None = None, memo: Memo | None = None,
          changed: set[str] | None = None) -> BuildReport:
    """Build the whole site; raise DigestError (output untouched) when input is bad.

    `memo`: what a long-running process keeps between builds. `changed`: the absolute paths
    the watcher saw change since the last good build with this memo (None: not known).
    One build at a time writes an output folder: a second one waits for the first.
    """
    options = options or BuildOptions()
    state = output_state(config.root, config.output_path, config.cache_path)
    with gc_paused(), locked(state, options.notify):
        return run_stages(config, options, state, memo or Memo(), changed)


@dataclass(frozen=True)
class Inputs:
    """What the first stage read: the theme, what content/ holds, the article files keyed."""

    theme: Theme
    inventory: Inventory
    loaded: Loaded
    cache: ArticleCache


def run_stages(config: Config, options: BuildOptions, state: OutputState, memo: Memo,
               changed: set[str] | None) -> BuildReport:
    """The stages in order; see build()."""
    laps = Laps(time.perf_counter())
    now = options.now or dt.datetime.now(dt.UTC)
    cache = memo.articles(config)
    keyed = cache.has_entries()  # else nothing is cached: the workers read the files
    inventory = memo.content(config, changed)
    inputs = Inputs(load_theme(config), inventory, load_articles(
        config, inventory, cache, keyed, memo.files, changed, memo.git), cache)
    laps.lap("inputs")
    report = None
    read: tuple[list[Stamp], str] | None = None
    if keyed and not options.clean:
        stamps = inputs.loaded.stamp()
        read = (stamps, input_stamp(*build_inputs(config, options, inputs.theme, inventory,
                                                   stamps, memo.git.state)))
        if not options.fill_memo:
            report = unchanged_report(state, read[1], now, laps.started)
    if report is None:
        report = make_site(config, options, state, memo, inputs, now, laps, read)
    return report


def make_site(config: Config, options: BuildOptions, state: OutputState, memo: Memo,
              inputs: Inputs, now: dt.datetime, laps: Laps,
              read: tuple[list[Stamp], str] | None = None) -> BuildReport:
    """Parse, model, plan, render, index and commit; then note what the build saw.

    `read`: the stamps of the files as read and the input stamp made of them, which stands
    for this build unless parsing found the files otherwise."""
    theme, cache = inputs.theme, inputs.cache
    forget_record(state.record)
    articles, problems, stamps = parse_articles(config, inputs.loaded, cache, options.jobs,
                                                options.progress, memo.files,
                                                memo.reader(config))
    if read is not None and read[0] == stamps:
        stamp = read[1]
    else:
        stamp = input_stamp(*build_inputs(config, options, theme, inputs.inventory, stamps,
                                          memo.git.state))
    laps.lap("parse")
    articles, pictures, image_problems = memo.images.prepare(
        config, inputs.inventory.assets, articles, options.jobs, options.progress)
    problems += image_problems
    laps.lap("images")
    restore_story_pairs(config, memo)
    site, shape, model_problems = model_site(config, articles, inputs.inventory, options, now,
                                                 memo)
    warnings = settle(problems + model_problems, options.skip_invalid)
    warnings += tuple(url_changes(state, site, shape, memo))
    laps.lap("model")
    plan = with_images(memo.plans.plan_pages(config, site, shape, inputs.inventory.assets,
                                             theme.static),
                       inputs.inventory.assets, pictures, memo.images.folder(config),
                       display_path(config, config.content_path).rstrip("/") + "/")
    laps.lap("plan")
    with writing(config, state, options, memo) as writer:
        render_pages(config, plan, theme, writer, options, memo)
        laps.lap("render")
        index = SearchIndex(config, writer, later=options.index_later)
        indexed = index.update(plan, site_salt(config, theme.fingerprint(), plan.site),
                               options.jobs)
        laps.lap("search")
        written: WriteReport = writer.commit()
        memo.manifest = (writer.manifest_mark(), writer.new)
        laps.lap("commit")
    cache.save()
    cache.advance()
    save_story_pairs(config, memo)
    places, shown = memo.sites.last_places, memo.sites.schedule.published
    due = next_due(places, options.drafts, options.future, now)
    change = next_change(places, shown, due, now)
    expiry = next_expiry(places, shown, now)
    expiry = expiry.astimezone(config.tz) if expiry else None
    pages = sum(1 for p in plan.pages if p.html)
    files = written.written + written.unchanged
    save_record(state.record, BuildRecord(
        stamp, pages, len(site.entries), files, due.isoformat() if due else None,
        [[p.path, p.line, p.column, p.message, p.warning, False, p.skipped]
         for p in warnings
         if not p.note], os.getpid(), change.isoformat() if change else None,
        expiry.isoformat() if expiry else None))
    return BuildReport(
        pages=pages, written=written.written, unchanged=written.unchanged,
        removed=written.removed, seconds=time.perf_counter() - laps.started,
        warnings=warnings,
        next_due=due, articles=len(site.entries), stages=laps.seconds, indexed=indexed,
        index_pending=options.index_later and config.search,
        sources={page.path: page.args[0].entry.article.source for page in plan.pages
                 if page.maker == "make_article"} if options.sources else {},
        next_expiry=expiry,
        withheld=withheld_urls(config, places, site, options.drafts, options.future, now)
        if options.sources else {},
        notices=frozenset(p.path for p in plan.pages if p.maker == "make_notice"))


def load_site(config: Config, options: BuildOptions | None = None) -> tuple[Site, Theme]:
    """The site model and theme as a build makes them, writing nothing (digest newsletter).

    Bad input raises DigestError as in a build; with --skip-invalid it is left out."""
    options = options or BuildOptions()
    now = options.now or dt.datetime.now(dt.UTC)
    memo = Memo()
    cache = memo.articles(config)
    inventory = memo.content(config, None)
    loaded = load_articles(config, inventory, cache, cache.has_entries(), memo.files, None,
                           memo.git)
    articles, problems, _ = parse_articles(config, loaded, cache, options.jobs, None,
                                           memo.files, memo.reader(config))
    site, _, model_problems = model_site(config, articles, inventory, options, now, memo)
    settle(problems + model_problems, options.skip_invalid)
    return site, load_theme(config)
