"""build(): the stages in order, from config and content to the written site."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from dataclasses import dataclass, field

from .cache import ArticleCache, page_fingerprint, site_salt
from .config import Config
from .content import find_content, read_articles
from .errors import DigestError, Problem
from .model import Article, Site, build_site
from .pages import Page, Plan, plan_pages
from .render import Renderer, Theme, load_theme
from .workers import run_parallel
from .write import OutputWriter, WriteReport


@dataclass(frozen=True)
class BuildOptions:
    """What the command line may change for one build."""

    drafts: bool = False
    future: bool = False
    skip_invalid: bool = False
    clean: bool = False
    jobs: int = 0
    now: dt.datetime | None = None


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
    extra: dict = field(default_factory=dict)


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


def render_job(renderer: Renderer, page: Page) -> bytes:
    return renderer.render(page)


def write_site(config: Config, plan: Plan, theme: Theme, jobs: int, clean: bool) -> WriteReport:
    """Render what changed into the staging area, then swap the new files in.

    A page whose inputs hash to the fingerprint it was last written with is not rendered.
    """
    salt = site_salt(config, theme.fingerprint(), plan.site)
    writer = OutputWriter(config.output_path, config.cache_path, clean=clean)
    try:
        todo: list[tuple[Page, str]] = []
        for page in plan.pages:
            fingerprint = page_fingerprint(salt, page.path, page.template, page.context)
            if not writer.unchanged_since(page.path, fingerprint):
                todo.append((page, fingerprint))
        rendered = run_parallel(render_job, [page for page, _ in todo], jobs,
                                setup=lambda: Renderer(config, theme, plan.site))
        for (page, fingerprint), data in zip(todo, rendered, strict=True):
            writer.add(page.path, data, fingerprint)
        for path, data in plan.files:
            writer.add(path, data)
        for copy in plan.copies:
            writer.copy(copy.path, copy.source)
        return writer.commit()
    finally:
        writer.discard()


def build(config: Config, options: BuildOptions | None = None) -> BuildReport:
    """Build the whole site; raise DigestError (output untouched) when input is bad."""
    options = options or BuildOptions()
    started = time.perf_counter()
    now = options.now or dt.datetime.now(dt.UTC)
    inventory = find_content(config)
    cache = ArticleCache(config.cache_path, config)
    articles, problems = read_articles(config, inventory, cache, options.jobs)
    site, model_problems = model_site(config, articles, options, now)
    warnings = settle(problems + model_problems, options.skip_invalid)
    theme = load_theme(config)
    plan = plan_pages(config, site, inventory.assets, theme.static)
    report = write_site(config, plan, theme, options.jobs, options.clean)
    cache.save()
    return BuildReport(
        pages=sum(1 for p in plan.pages if p.html), written=report.written,
        unchanged=report.unchanged, removed=report.removed,
        seconds=time.perf_counter() - started, warnings=warnings,
        next_due=next_due(articles, options, now), articles=len(site.entries))
