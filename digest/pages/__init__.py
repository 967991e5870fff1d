"""Stage 3: the site model into a plan of pages, each an output path, a template, and the
view maker (views.py) with the arguments it makes the page's view from."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import pickle
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..config import Config
from ..content import Asset
from ..errors import DigestError, problem
from ..model import Entry, Group, Site, day_url, month_url, related_articles, year_url
from .desk import desk_pages, news_sitemap, sitemap_index
from .views import Views, Whole

RELATED_COUNT = 4


@dataclass(frozen=True, slots=True)
class Page:
    """One file to render: `template` with the view `Views.<maker>(*args)`, at `path`.

    The view is made only when the page is rendered, in the worker that renders it. A maker
    reads nothing but its arguments and the site-wide settings, so a hash of the arguments
    (see `inputs`) tells whether the page can have changed since it was last written.
    """

    path: str
    template: str
    maker: str
    args: tuple[Any, ...] = ()
    html: bool = True
    canonical: str = ""
    lastmod: str | None = None
    listed: bool = True
    """In the sitemap; a redirect from an earlier URL is not."""

    def inputs(self) -> bytes:
        """What the page is made of, as bytes: entries stand in by their keys."""
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = ENTRY_AS_KEY
        pickler.fast = True  # no memo: equal arguments give equal bytes, shared or not
        pickler.dump((self.maker, self.args))
        return buffer.getvalue()


ENTRY_AS_KEY = {Entry: lambda entry: (str, (entry.teaser_key,)),
                Whole: lambda whole: (str, (whole.entry.key,))}
"""Pickles an entry as the key of what a page shows of it: page inputs name entries, they do
not copy them. A bare entry stands for its teaser (see Planner.teaser)."""


@dataclass(frozen=True)
class Copy:
    """One file to copy verbatim into the output."""

    path: str
    source: Path


@dataclass(frozen=True)
class Plan:
    """Everything the build will write, and the view every template shares."""

    pages: tuple[Page, ...]
    copies: tuple[Copy, ...]
    files: tuple[tuple[str, bytes], ...]
    """Fixed files such as .nojekyll, which tells GitHub Pages not to run Jekyll."""
    site: dict[str, Any]
    views: Views
    """Makes each page's view; the render workers call it."""


class Planner:
    """Walks the model and names each page: its path, template, view maker and arguments."""

    def __init__(self, config: Config, site: Site, views: Views):
        self.config = config
        self.site = site
        self.views = views

    @staticmethod
    def output_path(url: str) -> str:
        """Where the page for a URL is written: '/2025/06/' -> '2025/06/index.html'."""
        path = url.strip("/")
        return f"{path}/index.html" if path else "index.html"

    def page(self, url: str, template: str, maker: str, *args: Any,
             lastmod: str | None = None) -> Page:
        return Page(self.output_path(url), template, maker, args,
                    canonical=self.views.absolute(url), lastmod=lastmod)

    def links_of(self, entries: tuple[Entry, ...]) -> tuple[tuple[str, str], ...]:
        """The URLs the bodies of these entries link to by file: part of a page's inputs, so
        a page is made again when an article it links to moves."""
        targets = dict.fromkeys(t for e in entries for t, _, _ in e.article.links)
        return tuple((t, self.site.links[t]) for t in targets if t in self.site.links)

    def front_page(self) -> Page:
        return self.page("/", "index.html", "make_front",
                         self.site.days[:self.config.front_page_days])

    def article_pages(self) -> list[Page]:
        pages = []
        related = related_articles(self.site, RELATED_COUNT)
        tz = self.config.tz
        for _day, entries in self.site.days:
            for i, entry in enumerate(entries):
                newer = entries[i - 1] if i > 0 else None
                older = entries[i + 1] if i + 1 < len(entries) else None
                lastmod = entry.article.modified.astimezone(tz).isoformat()
                pages.append(self.page(entry.url, "article.html", "make_article",
                                       Whole(entry), older, newer, tuple(related[id(entry)]),
                                       self.links_of((entry,)), lastmod=lastmod))
        return pages

    def day_pages(self) -> list[Page]:
        pages = []
        days = self.site.days
        for i, (day, entries) in enumerate(days):
            newer = days[i - 1][0] if i > 0 else None
            older = days[i + 1][0] if i + 1 < len(days) else None
            pages.append(self.page(day_url(self.config, day), "day.html", "make_day", day,
                                   entries, older, newer))
        return pages

    def archive_pages(self) -> list[Page]:
        months: dict[tuple[int, int], list[tuple[dt.date, tuple[Entry, ...]]]] = {}
        for day, entries in self.site.days:
            months.setdefault((day.year, day.month), []).append((day, entries))
        keys = list(months)
        counts = {key: sum(len(e) for _, e in days) for key, days in months.items()}
        pages = []
        for i, (year, month) in enumerate(keys):
            older = keys[i + 1] if i + 1 < len(keys) else None
            newer = keys[i - 1] if i > 0 else None
            pages.append(self.page(month_url(self.config, year, month), "month.html",
                                   "make_month", year, month, tuple(months[(year, month)]),
                                   older, newer))
        years: dict[int, list[tuple[int, int]]] = {}
        for year, month in keys:
            years.setdefault(year, []).append((month, counts[(year, month)]))
        for year, month_counts in years.items():
            pages.append(self.page(year_url(self.config, year), "year.html", "make_year",
                                   year, tuple(month_counts)))
        pages.append(self.page(self.config.permalinks.archive, "archive.html", "make_archive",
                               tuple((year, tuple(m)) for year, m in years.items())))
        return pages

    def listing_pages(self, group: Group, template: str, key: str,
                      feed_url: str | None = None) -> list[Page]:
        """A topic or tag listing, split into pages of `per_page` articles."""
        per_page = self.config.per_page
        chunks = [group.entries[i:i + per_page]
                  for i in range(0, len(group.entries), per_page)] or [()]
        urls = [group.url] + [f"{group.url}page/{n}/" for n in range(2, len(chunks) + 1)]
        about = (key, group.slug, group.name, group.url, group.description, len(group.entries),
                 feed_url)
        return [self.page(urls[n - 1], template, "make_listing", about, chunk, urls[n - 1], n,
                          len(chunks), urls[n - 2] if n > 1 else None,
                          urls[n] if n < len(chunks) else None)
                for n, chunk in enumerate(chunks, start=1)]

    def topic_pages(self) -> list[Page]:
        pages = []
        for topic in self.site.topics:
            feed = self.views.href(f"{topic.url}feed.xml") if self.config.feeds.topics else None
            pages += self.listing_pages(topic, "topic.html", "topic", feed)
        index = tuple((t.name, t.url, t.description, len(t.entries), t.entries[:3])
                      for t in self.site.topics)
        pages.append(self.page(self.config.permalinks.topics_index, "topics.html", "make_topics",
                               index))
        return pages

    def tag_pages(self) -> list[Page]:
        pages = []
        for tag in self.site.tags:
            pages += self.listing_pages(tag, "tag.html", "tag")
        index = tuple((t.name, t.url, len(t.entries)) for t in self.site.tags)
        pages.append(self.page(self.config.permalinks.tags_index, "tags.html", "make_tags", index))
        return pages

    def feed(self, url: str, title: str, entries: tuple[Entry, ...]) -> Page:
        chosen = tuple(Whole(e) for e in entries[:self.config.feeds.entries])
        links = self.links_of(tuple(w.entry for w in chosen))
        return Page(url.lstrip("/"), "feed.xml", "make_feed", (url, title, chosen, links),
                    html=False)

    def standalone_pages(self) -> list[Page]:
        """Pages with `type: page` (Impressum, Datenschutz): in the sitemap, in no listing."""
        return [self.page(entry.url, "page.html", "make_page", Whole(entry),
                          self.links_of((entry,))) for entry in self.site.pages]

    def redirect_pages(self) -> list[Page]:
        """One page at each earlier URL of an article or page, leading to where it is now."""
        pages = []
        for alias, entry in self.site.redirects:
            page = self.page(alias, "redirect.html", "make_redirect", alias, entry.url)
            if not alias.endswith("/"):  # /alt.html is that file, not a folder
                page = dataclasses.replace(page, path=alias.lstrip("/"))
            pages.append(dataclasses.replace(page, listed=False))
        return pages

    def search_pages(self) -> list[Page]:
        """The search page; Pagefind's bundle beside it is made after the build (search.py)."""
        if not self.config.search:
            return []
        return [self.page(self.config.permalinks.search, "search.html", "make_search")]

    def feed_pages(self) -> list[Page]:
        pages = [self.feed("/feed.xml", self.config.title, self.site.entries)]
        if self.config.feeds.topics:
            pages += [self.feed(f"{t.url}feed.xml", f"{t.name} – {self.config.title}", t.entries)
                      for t in self.site.topics]
        return pages


def attachment_copies(config: Config, site: Site, assets: tuple[Asset, ...],
                      views: Views) -> list[Copy]:
    """Files beside articles go next to the articles that use them, else to the same path.

    An article uses a file that it names (as image or anywhere in its text); a folder with a
    single article lends it all its files, like a page bundle.
    """
    by_folder: dict[str, list[Entry]] = defaultdict(list)
    for entry in site.entries:
        by_folder[entry.article.rel_path.rsplit("/", 1)[0] if "/" in entry.article.rel_path
                  else ""].append(entry)
    copies = []
    bodies: dict[int, bytes] = {}  # each body read once from the body file

    def body(entry: Entry) -> bytes:
        found = bodies.get(id(entry))
        if found is None:
            found = bodies[id(entry)] = entry.article.html
        return found

    for asset in assets:
        folder, _, name = asset.rel_path.rpartition("/")
        owners = []
        for level in range(folder.count("/") + 1 if folder else 1):
            parent = "/".join(folder.split("/")[:len(folder.split("/")) - level]) if folder else ""
            relative = asset.rel_path[len(parent) + 1:] if parent else asset.rel_path
            users = [e for e in by_folder.get(parent, [])
                     if e.article.image == relative or relative.encode() in body(e)
                     or quote(relative).encode() in body(e)
                     or len(by_folder[parent]) == 1]
            owners += [(e, relative) for e in users]
            if owners or not folder:
                break
        if owners:
            copies += [Copy(views.href(e.url)[len(config.base_path):] + relative, asset.path)
                       for e, relative in owners]
        else:
            copies.append(Copy(asset.rel_path, asset.path))
    return copies


def plan_pages(config: Config, site: Site, assets: tuple[Asset, ...],
               theme_static: dict[str, Path]) -> Plan:
    """Every page and file of the site, in a deterministic order."""
    views = Views(config, site)
    planner = Planner(config, site, views)
    pages = [planner.front_page(), *planner.article_pages(), *planner.day_pages(),
             *planner.archive_pages(), *planner.topic_pages(), *planner.tag_pages(),
             *planner.feed_pages(), *planner.search_pages(), *planner.standalone_pages(),
             *planner.redirect_pages(), *desk_pages(planner),
             Page("404.html", "404.html", "make_not_found")]
    urls = tuple((p.canonical, p.lastmod) for p in pages
                 if p.html and p.listed and p.path != "404.html")
    news = news_sitemap(planner)
    pages += [Page("sitemap.xml", "sitemap.xml", "make_sitemap", (urls,), html=False),
              *news, sitemap_index(bool(news)),
              Page("robots.txt", "robots.txt", "make_robots", (bool(news),), html=False)]
    refuse_shared_paths(config, pages)
    return Plan(tuple(pages), plan_copies(config, site, assets, theme_static, views),
                ((".nojekyll", b""),), views.site_view(), views)


def page_source(page: Page) -> Whole | None:
    """The article or standalone page a page shows, if it shows one."""
    first = page.args[0] if page.args else None
    return first if isinstance(first, Whole) else None


def page_origin(page: Page) -> str:
    """What made a page, for a message: the article's file, else the kind of page."""
    whole = page_source(page)
    if whole is not None:
        return whole.entry.article.source
    if page.maker == "make_redirect":
        return f"an earlier URL (aliases) of {page.args[1]}"
    if page.maker == "make_notice":
        return f"the notice of an expired article at {page.args[0]}"
    return f"the {page.template.removesuffix('.html')} page"


def refuse_shared_paths(config: Config, pages: list[Page]) -> None:
    """Two pages at one path (an alias or a page slug on an index page's URL, a permalink
    that meets a year's page) is an error naming both, never a silent overwrite."""
    seen: dict[str, Page] = {}
    problems = []
    for page in pages:
        first = seen.setdefault(page.path, page)
        if first is not page:
            whole = page_source(page)
            where = whole.entry.article.source if whole else config.root / "config.yaml"
            problems.append(problem(where, f"{page_origin(page)} and {page_origin(first)} "
                                    f"would both be written to {page.path}; change a slug, "
                                    "an alias or a permalink"))
    if problems:
        raise DigestError(problems)


def plan_copies(config: Config, site: Site, assets: tuple[Asset, ...],
                theme_static: dict[str, Path], views: Views,
                attachments: list[Copy] | None = None) -> tuple[Copy, ...]:
    """The theme's static files, the files beside articles and the site's static/ folder.

    `attachments`: the files beside articles when they are known to be as they were.
    """
    copies = [Copy(rel, path) for rel, path in theme_static.items()]
    copies += attachment_copies(config, site, assets, views) if attachments is None \
        else attachments
    static = config.static_path
    if static.is_dir():
        copies += [Copy(p.relative_to(static).as_posix(), p) for p in sorted(static.rglob("*"))
                   if p.is_file() and not any(part.startswith(".") for part in
                                               p.relative_to(static).parts)]
    return tuple(copies)


def pages_by_entry(pages: tuple[Page, ...]) -> dict[int, list[int]]:
    """For each entry (by id), the indices of the pages whose arguments name it."""
    found: dict[int, list[int]] = defaultdict(list)

    def visit(value: Any, index: int) -> None:
        if isinstance(value, Entry):
            found[id(value)].append(index)
        elif isinstance(value, Whole):
            found[id(value.entry)].append(index)
        elif isinstance(value, tuple):
            for item in value:
                visit(item, index)

    for index, page in enumerate(pages):
        visit(page.args, index)
    return {key: sorted(set(indices)) for key, indices in found.items()}


def swap_entries(value: Any, swaps: dict[int, Entry]) -> Any:
    """Page arguments with some entries (by id) replaced by others."""
    if isinstance(value, Entry):
        return swaps.get(id(value), value)
    if isinstance(value, Whole):
        return Whole(swaps.get(id(value.entry), value.entry))
    if isinstance(value, tuple):
        return tuple(swap_entries(item, swaps) for item in value)
    return value


class PlanMemo:
    """The last plan of a long-running process: while the site keeps its shape, a build
    names the edited articles' new entries in the pages that named the old ones, and plans
    nothing else again. A new shape, settings or theme plans the whole site."""

    def __init__(self) -> None:
        self.key: tuple[Any, ...] | None = None
        self.shape: object = None
        self.site: Site | None = None
        self.plan: Plan | None = None
        self.by_entry: dict[int, list[int]] | None = None
        self.assets: tuple[Asset, ...] | None = None
        self.attachments: list[Copy] = []
        """The files beside articles, as the last plan copies them."""

    def prepare(self) -> None:
        """Index the last plan's pages by entry now, while a long-running process is idle:
        the first edit would otherwise wait for it (a walk over every page's arguments)."""
        if self.plan is not None and self.by_entry is None:
            self.by_entry = pages_by_entry(self.plan.pages)

    def plan_pages(self, config: Config, site: Site, shape: object,
                   assets: tuple[Asset, ...], theme_static: dict[str, Path]) -> Plan:
        key = (config.fingerprint(), tuple(theme_static.items()))
        last, before = self.plan, self.site
        if shape is not self.shape or key != self.key or last is None or before is None or \
                len(before.entries) != len(site.entries):
            plan = plan_pages(config, site, assets, theme_static)
            self.key, self.shape, self.by_entry = key, shape, None
            self.attachments = attachment_copies(config, site, assets, plan.views)
        else:
            swaps = {id(old): new for old, new in zip(before.entries, site.entries, strict=True)
                     if old is not new}
            if self.by_entry is None:
                self.by_entry = pages_by_entry(last.pages)
            pages = list(last.pages)
            for index in sorted({i for old in swaps for i in self.by_entry.get(old, ())}):
                pages[index] = dataclasses.replace(pages[index],
                                                   args=swap_entries(pages[index].args, swaps))
            for old, new in swaps.items():
                self.by_entry[id(new)] = self.by_entry.pop(old, [])
            views = Views(config, site)
            same = assets is self.assets and not near_assets(assets, swaps.values())
            if not same:
                self.attachments = attachment_copies(config, site, assets, views)
            plan = Plan(tuple(pages), plan_copies(config, site, assets, theme_static, views,
                                                  self.attachments),
                        last.files, views.site_view(), views)
        self.site, self.plan, self.assets = site, plan, assets
        return plan


def near_assets(assets: tuple[Asset, ...], entries: Iterable[Entry]) -> bool:
    """Whether any of these entries stands in or below a folder that holds files it may
    use (see attachment_copies): only then can an edit change which files are copied."""
    folders = {asset.rel_path.rpartition("/")[0] for asset in assets}
    for entry in entries:
        folder = entry.article.rel_path.rpartition("/")[0]
        while True:
            if folder in folders:
                return True
            if not folder:
                break
            folder = folder.rpartition("/")[0]
    return False
