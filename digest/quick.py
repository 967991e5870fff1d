"""The quick rebuild of a warm process (digest serve): articles edited in place.

When the watcher names every file that changed, all of them are known article files, and
none moved its article in the site (date, slug, topics, tags, draft, image are as before),
the site keeps its shape: the same pages with the same arguments, except that some entries
are new objects. Only the pages whose arguments name those entries are made again; every
other file of the last build is kept without being looked at. Anything else (a new or
removed file, a theme or config edit, an error, a changed place) takes the full build,
which plans the whole site again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass
from typing import Any

from .cache import (
    BuildRecord,
    WarmCache,
    code_fingerprint,
    forget_record,
    input_stamp,
    page_fingerprint,
    save_record,
)
from .config import Config
from .content import Inventory, Keys, cached, parse_job
from .content.reader import ArticleReader, SourceFile, read_source
from .errors import Problem
from .model import Article, Entry, Site, place, replace_entries
from .pages import Plan, pages_by_entry, plan_copies, swap_entries
from .pages.views import Views
from .render import Renderer, load_theme
from .write import OutputWriter

PLACE_FIELDS = ("source", "rel_path", "kind", "date", "slug", "topics", "topics_from_folder",
                "date_from_mtime", "tags", "draft", "updated", "image")
"""What decides where an article appears, in which order, and which files go with it."""


def place_of(article: Article) -> tuple[Any, ...]:
    """The place fields; times as text, so a new UTC offset for the same instant counts."""
    return tuple(value.isoformat() if isinstance(value, dt.datetime) else value
                 for value in (getattr(article, name) for name in PLACE_FIELDS))


@dataclass
class LastBuild:
    """What a full build of this process made, for quick rebuilds to start from."""

    inputs: tuple[Any, ...]
    """The parts of the build's input stamp (cache.input_stamp), in order."""
    inventory: Inventory
    keys: Keys
    articles: dict[str, Article]
    """By path inside content/; only articles that parsed without problems are kept."""
    site: Site
    plan: Plan
    manifest: dict[str, list]
    salt: bytes
    pages: int
    files: int
    warnings: tuple[Problem, ...]
    next_due: dt.datetime | None
    sources: dict[str, SourceFile] = dataclasses.field(default_factory=dict)
    entries: dict[str, Entry] = dataclasses.field(default_factory=dict)
    by_entry: dict[int, list[int]] = dataclasses.field(default_factory=dict)
    """For each entry (by id), the pages whose arguments name it."""
    renderer: Renderer | None = None
    linked: bool = False

    def __post_init__(self) -> None:
        self.sources = {os.path.abspath(s.path): s for s in self.inventory.sources}
        # an edit of a linked file is seen at the path it points to, not at the link
        self.linked = any(os.path.islink(path) for path in self.sources)
        self.entries = {e.article.rel_path: e for e in self.site.entries}
        self.by_entry = pages_by_entry(self.plan.pages)

    @property
    def signature(self) -> tuple[Any, ...]:
        """Code, settings, theme and options: a quick rebuild needs all four unchanged."""
        return self.inputs[:4]


@dataclass(frozen=True)
class QuickReport:
    written: int
    unchanged: int


def quick_rebuild(config: Config, options: tuple[Any, ...], warm: WarmCache,
                  now: dt.datetime) -> QuickReport | None:
    """Rebuild after edits of existing articles; None when the full build must run."""
    last: LastBuild | None = warm.last
    changed = warm.changed
    if last is None or last.linked or not changed or \
            (last.next_due is not None and now >= last.next_due):
        return None
    theme = load_theme(config)
    if (code_fingerprint(), config.fingerprint(), theme.fingerprint(), options) != \
            last.signature:
        return None
    reread_result = reread(config, last, changed, warm)
    if reread_result is None:
        return None
    edited, keys = reread_result
    swaps = {id(last.entries[a.rel_path]): place_again(last.entries[a.rel_path], a)
             for a in edited.values() if a.rel_path in last.entries}
    site = replace_entries(last.site, swaps)
    views = Views(config, site)
    copies = plan_copies(config, site, last.inventory.assets, theme.static, views)
    if copies != last.plan.copies:
        return None
    pages = list(last.plan.pages)
    touched = sorted({i for key in swaps for i in last.by_entry.get(key, ())})
    for index in touched:
        pages[index] = dataclasses.replace(pages[index],
                                           args=swap_entries(pages[index].args, swaps))
    plan = dataclasses.replace(last.plan, pages=tuple(pages), views=views)
    forget_record(config.cache_path, config.output_path)
    writer = OutputWriter(config.output_path, config.cache_path, manifest=last.manifest)
    try:
        renderer = last.renderer or Renderer(config, theme, plan.site)
        renderer.fragments.clear()  # teasers of the last build may have changed
        for index in touched:
            page = plan.pages[index]
            fingerprint = page_fingerprint(last.salt, page.path, page.template, page.inputs())
            if not writer.unchanged_since(page.path, fingerprint):
                data = renderer.render(page.template, views.view(page))
                writer.accept(writer.stage(page.path, data), fingerprint)
        writer.keep_rest()
        report = writer.commit(save_manifest=False)
    finally:
        writer.discard()
    for key, entry in swaps.items():
        last.by_entry[id(entry)] = last.by_entry.pop(key, [])
    last.articles.update(edited)
    stamps = last.inputs[4]  # (path, key, time) of each article file, as Loaded.stamp()
    warm.for_config(config).swap({key: keys[rel][0] for rel, key, _ in stamps if rel in keys})
    stamps[:] = [(s[0], *keys[s[0]]) if s[0] in keys else s for s in stamps]
    last.entries.update({e.article.rel_path: e for e in swaps.values()})
    last.site, last.plan, last.manifest, last.renderer = site, plan, writer.new, renderer
    warm.defer(lambda: save_state(config, last, writer))
    return QuickReport(report.written, report.unchanged)


def reread(config: Config, last: LastBuild, changed: set[str], warm: WarmCache
           ) -> tuple[dict[str, Article], dict[str, tuple[str, float]]] | None:
    """The edited articles by path, with their new cache keys and file times; None when a
    change is more than an edit in place."""
    cache = warm.for_config(config)
    reader: ArticleReader | None = None
    edited: dict[str, Article] = {}
    keys: dict[str, tuple[str, float]] = {}
    warned = {p.path for p in last.warnings}
    for path in changed:
        source = last.sources.get(path)
        if source is None or source.display in warned or source.rel_path not in last.articles:
            return None
        data, mtime, problems = read_source(source, config.max_file_size)
        if data is None or problems:
            return None
        job = last.keys.job(source, data, mtime)
        outcome = cached(cache, job)
        if outcome is None:
            reader = reader or ArticleReader(config)
            outcome = parse_job(reader, job)
            cache.put(job.key, (outcome[0], outcome[1], job.mtime))
        article, problems = outcome
        if article is None or problems or \
                place_of(article) != place_of(last.articles[source.rel_path]):
            return None
        edited[source.rel_path] = article
        keys[source.rel_path] = (job.key, mtime)
    return edited, keys


def place_again(entry: Entry, article: Article) -> Entry:
    """The entry of an edited article that kept its place."""
    return place(article, entry.url, entry.local_date, entry.topics, entry.tags)


def save_state(config: Config, last: LastBuild, writer: OutputWriter) -> None:
    """What the next process needs: the manifest of written files, and the build record."""
    writer.save_manifest()
    save_record(config.cache_path, config.output_path, BuildRecord(
        input_stamp(*last.inputs), last.pages, len(last.site.entries), last.files,
        last.next_due.isoformat() if last.next_due else None,
        [[p.path, p.line, p.column, p.message, p.warning] for p in last.warnings]))


