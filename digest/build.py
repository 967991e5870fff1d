"""build(): the stages in order, from config and content to the written site."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache import (
    ArticleCache,
    BuildRecord,
    WarmCache,
    code_fingerprint,
    forget_record,
    input_stamp,
    load_record,
    page_fingerprint,
    save_record,
    site_salt,
)
from .config import Config
from .content import Inventory, Stamp, find_content, load_articles, parse_articles
from .errors import DigestError, Problem, problem
from .model import Article, Site, build_site
from .pages import Page, Plan, plan_pages
from .pages.views import Views
from .quick import LastBuild, quick_rebuild
from .render import Renderer, Theme, load_theme
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


class Laps:
    """Seconds spent in each stage of a build."""

    def __init__(self, started: float) -> None:
        self.last = started
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
    return tuple(p if p.warning else dataclasses.replace(p, warning=True) for p in problems)


def model_site(config: Config, articles: list[Article], options: BuildOptions,
               now: dt.datetime) -> tuple[Site, list[Problem]]:
    """Build the model; with --skip-invalid, articles whose URL is taken are left out."""
    site, problems = build_site(config, articles, drafts=options.drafts, future=options.future,
                                now=now)
    if problems and options.skip_invalid:
        losers = {p.path for p in problems}
        site, _ = build_site(config, [a for a in articles if a.source not in losers],
                             drafts=options.drafts, future=options.future, now=now)
    return site, problems


def next_due(articles: list[Article], options: BuildOptions, now: dt.datetime
             ) -> dt.datetime | None:
    """When the next article dated in the future goes live (a scheduled build publishes it)."""
    if options.future:
        return None
    due = [a.date for a in articles if a.date > now and (options.drafts or not a.draft)]
    return min(due, default=None)


def render_job(state: tuple[Renderer, OutputWriter, Views], page: Page) -> Staged:
    """Make one page's view, render and stage it: all three run in the worker processes."""
    renderer, writer, views = state
    return writer.stage(page.path, renderer.render(page.template, views.view(page)))


def write_site(config: Config, plan: Plan, theme: Theme, options: BuildOptions
               ) -> tuple[WriteReport, dict[str, list]]:
    """Render what changed into the staging area, then swap the new files in.

    A page whose inputs hash to the fingerprint it was last written with is not rendered.
    """
    salt = site_salt(config, theme.fingerprint(), plan.site)
    writer = OutputWriter(config.output_path, config.cache_path, clean=options.clean)
    try:
        todo: list[tuple[Page, str]] = []
        for page in plan.pages:
            fingerprint = page_fingerprint(salt, page.path, page.template, page.inputs())
            if not writer.unchanged_since(page.path, fingerprint):
                todo.append((page, fingerprint))
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
        return writer.commit(), writer.new
    except OSError as exc:  # a full disk, a file too large, a folder without permission
        where = exc.filename if exc.filename else config.output_path
        raise DigestError(problem(where, f"cannot write the site: {exc.strerror}; the output "
                                  "folder keeps the files it had")) from None
    finally:
        writer.discard()


def file_stamps(paths: list[Path]) -> list[tuple[str, int, int]]:
    stamps = []
    for path in paths:
        stat = os.stat(path)
        stamps.append((str(path), stat.st_size, stat.st_mtime_ns))
    return stamps


def option_key(options: BuildOptions) -> tuple[bool, ...]:
    """The options that change what a build makes."""
    return (options.drafts, options.future, options.skip_invalid)


def build_inputs(config: Config, options: BuildOptions, theme: Theme, inventory: Inventory,
                 stamps: list[Stamp]) -> tuple[Any, ...]:
    """Everything a build reads: code, settings, theme, options, articles, other files.

    Hashed into one stamp by cache.input_stamp; a quick rebuild compares the first four.
    """
    static = config.static_path
    static_files = sorted(p for p in static.rglob("*") if p.is_file()) if static.is_dir() else []
    return (code_fingerprint(), config.fingerprint(), theme.fingerprint(), option_key(options),
            stamps, file_stamps([a.path for a in inventory.assets]),
            file_stamps(static_files))


def unchanged_report(config: Config, stamp: str, now: dt.datetime, started: float
                     ) -> BuildReport | None:
    """The last build's result when nothing it read has changed and its output is intact.

    This memoizes the whole build as a function of its inputs; the clock counts as an input
    only through the next scheduled article.
    """
    record = load_record(config.cache_path, config.output_path)
    if record is None or record.stamp != stamp:
        return None
    due = dt.datetime.fromisoformat(record.next_due) if record.next_due else None
    if due is not None and now >= due:
        return None
    if not output_intact(config.output_path, config.cache_path):
        return None
    return BuildReport(pages=record.pages, written=0, unchanged=record.files, removed=0,
                       seconds=time.perf_counter() - started,
                       warnings=tuple(Problem(*w) for w in record.warnings), next_due=due,
                       articles=record.articles)


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


def build(config: Config, options: BuildOptions | None = None,
          warm: WarmCache | None = None) -> BuildReport:
    """Build the whole site; raise DigestError (output untouched) when input is bad.

    `warm` keeps parsed articles and the last build in memory between builds of a
    long-running process; with it, edits of articles in place take the quick rebuild.
    """
    options = options or BuildOptions()
    with gc_paused():
        if warm is None:
            return build_site_files(config, options, None)
        warm.flush()
        report = quick_report(config, options, warm) if not options.clean else None
        if report is None:
            report = build_site_files(config, options, warm)
        warm.built()
        return report


def quick_report(config: Config, options: BuildOptions, warm: WarmCache) -> BuildReport | None:
    """The quick rebuild's report, or None when the full build must run (see quick.py)."""
    started = time.perf_counter()
    quick = quick_rebuild(config, option_key(options), warm, options.now or dt.datetime.now(dt.UTC))
    if quick is None:
        return None
    last: LastBuild = warm.last
    seconds = time.perf_counter() - started
    return BuildReport(pages=last.pages, written=quick.written, unchanged=quick.unchanged,
                       removed=0, seconds=seconds, warnings=last.warnings,
                       next_due=last.next_due, articles=len(last.site.entries),
                       stages={"quick rebuild": seconds})


def build_site_files(config: Config, options: BuildOptions, warm: WarmCache | None
                     ) -> BuildReport:
    """The stages in order; see build()."""
    started = time.perf_counter()
    laps = Laps(started)
    now = options.now or dt.datetime.now(dt.UTC)
    inventory = find_content(config)
    cache = warm.for_config(config) if warm else ArticleCache(config.cache_path, config)
    first = not cache.has_entries()
    loaded = load_articles(config, inventory, cache, keyed=not first)
    theme = load_theme(config)
    laps.lap("inputs")
    # A warm process plans every page once, so that its later rebuilds can be quick. After
    # a first build there is nothing to compare with.
    if not options.clean and not warm and not first:
        stamp = input_stamp(*build_inputs(config, options, theme, inventory, loaded.stamp()))
        if same := unchanged_report(config, stamp, now, started):
            return same
    forget_record(config.cache_path, config.output_path)
    articles, problems, stamps = parse_articles(config, loaded, cache, options.jobs,
                                                options.progress)
    keys = loaded.keys
    del loaded
    inputs = build_inputs(config, options, theme, inventory, stamps)
    stamp = input_stamp(*inputs)
    laps.lap("parse")
    site, model_problems = model_site(config, articles, options, now)
    warnings = settle(problems + model_problems, options.skip_invalid)
    laps.lap("model")
    plan = plan_pages(config, site, inventory.assets, theme.static)
    laps.lap("plan")
    report, manifest = write_site(config, plan, theme, options)
    laps.lap("render and write")
    if warm:
        cache.advance()
    else:
        cache.save()
    due = next_due(articles, options, now)
    pages = sum(1 for p in plan.pages if p.html)
    save_record(config.cache_path, config.output_path, BuildRecord(
        stamp, pages, len(site.entries), report.written + report.unchanged,
        due.isoformat() if due else None,
        [[p.path, p.line, p.column, p.message, p.warning] for p in warnings]))
    if warm:
        warm.last = LastBuild(
            inputs, inventory, keys, {a.rel_path: a for a in articles}, site, plan, manifest,
            site_salt(config, theme.fingerprint(), plan.site), pages,
            report.written + report.unchanged, warnings, due)
    return BuildReport(
        pages=pages, written=report.written, unchanged=report.unchanged, removed=report.removed,
        seconds=time.perf_counter() - started, warnings=warnings, next_due=due,
        articles=len(site.entries), stages=laps.seconds)
