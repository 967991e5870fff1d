"""Stage 3: the site model into a plan of pages, each an output path plus its view data."""

from __future__ import annotations

import datetime as dt
import io
import pickle
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .config import Config
from .content import Asset
from .dates import long_date, month_name
from .jsonld import news_article
from .model import Entry, Group, Site, day_url, month_url, related_articles, year_url

ARCHIVE_URL = "/archive/"
TOPICS_URL = "/topics/"
TAGS_URL = "/tags/"
SEARCH_URL = "/search/"
RELATED_COUNT = 4


@dataclass(frozen=True)
class Page:
    """One file to render: `template` with the view `Planner.<maker>(*args)`, at `path`.

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

    def inputs(self) -> bytes:
        """What the page is made of, as bytes: entries stand in by their keys."""
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = ENTRY_AS_KEY
        pickler.fast = True  # no memo: equal arguments give equal bytes, shared or not
        pickler.dump((self.maker, self.args))
        return buffer.getvalue()


@dataclass(frozen=True)
class Whole:
    """An entry whose every field a page shows, not only its teaser: its article page, and
    the feeds, which carry the body and dates."""

    entry: Entry


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
    planner: Planner


class Planner:
    """Turns the model into pages; holds the per-site link helpers and the view makers.

    The `*_pages` methods walk the model and name each page's arguments; the `make_*`
    methods turn those arguments into the view a template sees.
    """

    def __init__(self, config: Config, site: Site):
        self.config = config
        self.site = site
        self.lang = config.lang
        self.base_path = config.base_path
        self.base_url = config.base_url
        self.teasers: dict[int, dict[str, Any]] = {}

    def href(self, url: str) -> str:
        """A link that works under the site's sub-path: '/x/' -> '/newsdigest/x/'."""
        return self.base_path + url.lstrip("/")

    def absolute(self, url: str) -> str:
        return self.base_url + url.lstrip("/")

    @staticmethod
    def output_path(url: str) -> str:
        """Where the page for a URL is written: '/2025/06/' -> '2025/06/index.html'."""
        path = url.strip("/")
        return f"{path}/index.html" if path else "index.html"

    def page(self, url: str, template: str, maker: str, *args: Any,
             lastmod: str | None = None) -> Page:
        return Page(self.output_path(url), template, maker, args,
                    canonical=self.absolute(url), lastmod=lastmod)

    def view(self, page: Page) -> dict[str, Any]:
        """The view of one page, made from its arguments."""
        make: Callable[..., dict[str, Any]] = getattr(self, page.maker)
        return make(*page.args)

    def refs(self, groups: tuple[Any, ...]) -> list[dict[str, str]]:
        return [{"name": g.name, "url": self.href(g.url)} for g in groups]

    def teaser(self, entry: Entry) -> dict[str, Any]:
        """The view of an article in lists; made once per entry and shared.

        Entry.teaser_key hashes exactly the fields read here: a field added here must be
        added there, or pages listing the entry would not be rebuilt when it changes.
        """
        view = self.teasers.get(id(entry))
        if view is None:
            article = entry.article
            view = self.teasers[id(entry)] = {
                "title": article.title, "url": self.href(entry.url), "date": entry.local_date,
                "time_known": article.time_known,
                "summary": article.summary, "topics": self.refs(entry.topics),
                "source": article.source_name, "authors": list(article.authors),
            }
        return view

    def page_view(self, url: str, title: str, description: str = "", **extra: Any
                  ) -> dict[str, Any]:
        view = {
            "title": title, "description": description or self.config.description
            or self.config.title,
            "canonical": self.absolute(url), "lang": self.config.language,
            "og_type": "website", "og_locale": self.og_locale(), "image": None,
            "feed_url": self.href("/feed.xml"), "topic_feed_url": None, "jsonld": None,
            "url": self.href(url),
        }
        view.update(extra)
        return view

    def og_locale(self) -> str:
        lang = self.config.language.replace("-", "_")
        return lang if "_" in lang else {"de": "de_DE", "en": "en_US"}.get(lang, lang)

    def site_view(self) -> dict[str, Any]:
        return {
            "title": self.config.title, "description": self.config.description,
            "language": self.config.language, "base_url": self.base_url,
            "home_url": self.href("/"), "feed_url": self.href("/feed.xml"),
            "topics_url": self.href(TOPICS_URL), "tags_url": self.href(TAGS_URL),
            "archive_url": self.href(ARCHIVE_URL), "search_url": self.href(SEARCH_URL),
            "search": self.config.search, "topics": self.refs(self.site.topics),
            "generator": f"digest {__version__}",
        }

    def by_topic(self, entries: tuple[Entry, ...]) -> list[dict[str, Any]]:
        """Group a day's articles by their first topic, in the site's topic order.

        The order is that of the site's topics, which the site-wide view fixes for every page.
        """
        groups: dict[str, list[Entry]] = defaultdict(list)
        for entry in entries:
            groups[entry.topics[0].slug].append(entry)
        return [{"topic": {"name": t.name, "url": self.href(t.url)},
                 "articles": [self.teaser(e) for e in groups[t.slug]]}
                for t in self.site.topics if t.slug in groups]

    def day_ref(self, day: dt.date) -> dict[str, Any]:
        return {"date": day, "url": self.href(day_url(self.config, day)),
                "title": long_date(day, self.lang)}

    def month_ref(self, year: int, month: int) -> dict[str, Any]:
        return {"url": self.href(month_url(self.config, year, month)),
                "title": month_name(dt.date(year, month, 1), self.lang)}

    # --- the pages -------------------------------------------------------------------------

    def front_page(self) -> Page:
        return self.page("/", "index.html", "make_front",
                         self.site.days[:self.config.front_page_days])

    def make_front(self, days: tuple[tuple[dt.date, tuple[Entry, ...]], ...]) -> dict[str, Any]:
        editions = [{**self.day_ref(day), "groups": self.by_topic(entries)}
                    for day, entries in days]
        return {"page": self.page_view("/", self.config.title), "editions": editions}

    def article_pages(self) -> list[Page]:
        pages = []
        related = related_articles(self.site, RELATED_COUNT)
        tz = self.config.tz
        for _day, entries in self.site.days:
            for i, entry in enumerate(entries):
                newer = entries[i - 1] if i > 0 else None
                older = entries[i + 1] if i + 1 < len(entries) else None
                updated = entry.article.updated
                lastmod = (updated.astimezone(tz) if updated else entry.local_date).isoformat()
                pages.append(self.page(entry.url, "article.html", "make_article",
                                       Whole(entry), older, newer, tuple(related[id(entry)]),
                                       lastmod=lastmod))
        return pages

    def make_article(self, whole: Whole, older: Entry | None, newer: Entry | None,
                     related: tuple[Entry, ...]) -> dict[str, Any]:
        entry = whole.entry
        article = entry.article
        image = None
        if article.image:
            url = article.image if "://" in article.image else self.href(entry.url) + article.image
            image = {"url": url, "alt": article.image_alt}
        view = {
            **self.teaser(entry),
            "updated": article.updated.astimezone(self.config.tz) if article.updated else None,
            "tags": self.refs(entry.tags), "body": article.body, "image": image,
            "source_url": article.source_url, "reading_time": max(1, round(article.words / 200)),
            "lang": article.lang or self.config.language,
            "day_url": self.href(day_url(self.config, entry.day)), "extra": article.extra,
            "lead": article.summary if article.summary_given else None,
        }
        absolute_image = None
        if image:
            absolute_image = image["url"] if "://" in image["url"] else \
                self.absolute(image["url"][len(self.base_path) - 1:])
        page = self.page_view(entry.url, article.title, article.summary, og_type="article",
                              image=absolute_image,
                              jsonld=news_article(self.config, entry, absolute_image))
        return {"page": page, "article": view,
                "prev": self.teaser(older) if older else None,
                "next": self.teaser(newer) if newer else None,
                "related": [self.teaser(e) for e in related]}

    def day_pages(self) -> list[Page]:
        pages = []
        days = self.site.days
        for i, (day, entries) in enumerate(days):
            newer = days[i - 1][0] if i > 0 else None
            older = days[i + 1][0] if i + 1 < len(days) else None
            pages.append(self.page(day_url(self.config, day), "day.html", "make_day", day,
                                   entries, older, newer))
        return pages

    def make_day(self, day: dt.date, entries: tuple[Entry, ...], older: dt.date | None,
                 newer: dt.date | None) -> dict[str, Any]:
        return {"page": self.page_view(day_url(self.config, day), long_date(day, self.lang)),
                "day": self.day_ref(day), "groups": self.by_topic(entries),
                "prev_day": self.day_ref(older) if older else None,
                "next_day": self.day_ref(newer) if newer else None}

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
        pages.append(self.page(ARCHIVE_URL, "archive.html", "make_archive",
                               tuple((year, tuple(m)) for year, m in years.items())))
        return pages

    def month_view(self, year: int, month: int, count: int) -> dict[str, Any]:
        return {"date": dt.date(year, month, 1), **self.month_ref(year, month), "count": count}

    def year_view(self, year: int, month_counts: tuple[tuple[int, int], ...]) -> dict[str, Any]:
        months = [self.month_view(year, month, count) for month, count in month_counts]
        return {"year": year, "url": self.href(year_url(self.config, year)), "title": str(year),
                "count": sum(m["count"] for m in months), "months": months}

    def make_month(self, year: int, month: int,
                   days: tuple[tuple[dt.date, tuple[Entry, ...]], ...],
                   older: tuple[int, int] | None, newer: tuple[int, int] | None
                   ) -> dict[str, Any]:
        ref = self.month_view(year, month, sum(len(e) for _, e in days))
        return {"page": self.page_view(month_url(self.config, year, month), ref["title"]),
                "month": ref,
                "days": [{**self.day_ref(day), "articles": [self.teaser(e) for e in entries]}
                         for day, entries in days],
                "prev_month": self.month_ref(*older) if older else None,
                "next_month": self.month_ref(*newer) if newer else None}

    def make_year(self, year: int, month_counts: tuple[tuple[int, int], ...]
                  ) -> dict[str, Any]:
        view = self.year_view(year, month_counts)
        return {"page": self.page_view(year_url(self.config, year), str(year)), "year": view,
                "months": view["months"]}

    def make_archive(self, years: tuple[tuple[int, tuple[tuple[int, int], ...]], ...]
                     ) -> dict[str, Any]:
        return {"page": self.page_view(ARCHIVE_URL, "", title_key="archive"),
                "years": [self.year_view(year, months) for year, months in years]}

    def listing_pages(self, group: Group, template: str, key: str,
                      feed_url: str | None = None) -> list[Page]:
        """A topic or tag listing, split into pages of `per_page` articles."""
        per_page = self.config.per_page
        chunks = [group.entries[i:i + per_page]
                  for i in range(0, len(group.entries), per_page)] or [()]
        urls = [group.url] + [f"{group.url}page/{n}/" for n in range(2, len(chunks) + 1)]
        about = (key, group.slug, group.name, group.url, group.description, len(group.entries),
                 feed_url)
        return [self.page(urls[n - 1], template, "make_listing", about, chunk, n,
                          len(chunks), urls[n - 2] if n > 1 else None,
                          urls[n] if n < len(chunks) else None)
                for n, chunk in enumerate(chunks, start=1)]

    def make_listing(self, about: tuple[Any, ...], chunk: tuple[Entry, ...], number: int,
                     total: int, prev_url: str | None, next_url: str | None
                     ) -> dict[str, Any]:
        key, slug, name, url, description, count, feed_url = about
        view = {"name": name, "slug": slug, "url": self.href(url), "description": description,
                "count": count}
        if key == "topic":
            view["feed_url"] = feed_url
        own_url = f"{url}page/{number}/" if number > 1 else url
        return {"page": self.page_view(own_url, name, description, topic_feed_url=feed_url),
                key: view, "articles": [self.teaser(e) for e in chunk],
                "pagination": {"page": number, "pages": total,
                               "prev_url": self.href(prev_url) if prev_url else None,
                               "next_url": self.href(next_url) if next_url else None}}

    def topic_pages(self) -> list[Page]:
        pages = []
        for topic in self.site.topics:
            feed = self.href(f"{topic.url}feed.xml") if self.config.feeds.topics else None
            pages += self.listing_pages(topic, "topic.html", "topic", feed)
        index = tuple((t.name, t.url, t.description, len(t.entries), t.entries[:3])
                      for t in self.site.topics)
        pages.append(self.page(TOPICS_URL, "topics.html", "make_topics", index))
        return pages

    def make_topics(self, index: tuple[tuple[Any, ...], ...]) -> dict[str, Any]:
        return {"page": self.page_view(TOPICS_URL, "", title_key="topics"),
                "topics": [{"name": name, "url": self.href(url), "description": description,
                            "count": count, "latest": [self.teaser(e) for e in latest]}
                           for name, url, description, count, latest in index]}

    def tag_pages(self) -> list[Page]:
        pages = []
        for tag in self.site.tags:
            pages += self.listing_pages(tag, "tag.html", "tag")
        index = tuple((t.name, t.url, len(t.entries)) for t in self.site.tags)
        pages.append(self.page(TAGS_URL, "tags.html", "make_tags", index))
        return pages

    def make_tags(self, index: tuple[tuple[str, str, int], ...]) -> dict[str, Any]:
        return {"page": self.page_view(TAGS_URL, "", title_key="tags"),
                "tags": [{"name": name, "url": self.href(url), "count": count}
                         for name, url, count in index]}

    def feed(self, url: str, title: str, entries: tuple[Entry, ...]) -> Page:
        chosen = tuple(Whole(e) for e in entries[:self.config.feeds.entries])
        return Page(url.lstrip("/"), "feed.xml", "make_feed", (url, title, chosen),
                    html=False)

    def make_feed(self, url: str, title: str, chosen: tuple[Whole, ...]) -> dict[str, Any]:
        items = [{**self.teaser(e), "link": self.absolute(e.url), "published": e.article.date,
                  "updated": e.article.updated or e.article.date,
                  "content": e.article.html.decode("utf-8") if self.config.feeds.full_content
                  else None}
                 for e in (whole.entry for whole in chosen)]
        updated = max((i["updated"] for i in items), default=dt.datetime(2000, 1, 1,
                                                                         tzinfo=dt.UTC))
        return {"page": self.page_view(url, title), "feed": {
            "title": title, "id": self.absolute(url), "self_url": self.absolute(url),
            "home_url": self.absolute(url.rsplit("/", 1)[0] + "/" if url != "/feed.xml"
                                      else "/"),
            "updated": updated, "entries": items}}

    def search_pages(self) -> list[Page]:
        """The search page; Pagefind's bundle beside it is made after the build (search.py)."""
        if not self.config.search:
            return []
        return [self.page(SEARCH_URL, "search.html", "make_search")]

    def make_search(self) -> dict[str, Any]:
        return {"page": self.page_view(SEARCH_URL, "", title_key="search"),
                "search": {"base_url": self.base_path, "bundle_url": self.href("/pagefind/")}}

    def feed_pages(self) -> list[Page]:
        pages = [self.feed("/feed.xml", self.config.title, self.site.entries)]
        if self.config.feeds.topics:
            pages += [self.feed(f"{t.url}feed.xml", f"{t.name} – {self.config.title}", t.entries)
                      for t in self.site.topics]
        return pages

    def make_not_found(self) -> dict[str, Any]:
        return {"page": self.page_view("/404.html", "", title_key="not_found_title")}

    def make_sitemap(self, urls: tuple[tuple[str, str | None], ...]) -> dict[str, Any]:
        return {"urls": [{"loc": loc, "lastmod": lastmod} for loc, lastmod in urls]}

    def make_robots(self) -> dict[str, Any]:
        return {"sitemap_url": self.absolute("/sitemap.xml")}


def attachment_copies(config: Config, site: Site, assets: tuple[Asset, ...],
                      planner: Planner) -> list[Copy]:
    """Files beside articles go next to the articles that use them, else to the same path.

    An article uses a file that it names (as image or anywhere in its text); a folder with a
    single article lends it all its files, like a page bundle.
    """
    by_folder: dict[str, list[Entry]] = defaultdict(list)
    for entry in site.entries:
        by_folder[entry.article.rel_path.rsplit("/", 1)[0] if "/" in entry.article.rel_path
                  else ""].append(entry)
    copies = []
    for asset in assets:
        folder, _, name = asset.rel_path.rpartition("/")
        owners = []
        for level in range(folder.count("/") + 1 if folder else 1):
            parent = "/".join(folder.split("/")[:len(folder.split("/")) - level]) if folder else ""
            relative = asset.rel_path[len(parent) + 1:] if parent else asset.rel_path
            users = [e for e in by_folder.get(parent, [])
                     if e.article.image == relative or relative.encode() in e.article.html
                     or len(by_folder[parent]) == 1]
            owners += [(e, relative) for e in users]
            if owners or not folder:
                break
        if owners:
            copies += [Copy(planner.href(e.url)[len(config.base_path):] + relative, asset.path)
                       for e, relative in owners]
        else:
            copies.append(Copy(asset.rel_path, asset.path))
    return copies


def plan_pages(config: Config, site: Site, assets: tuple[Asset, ...],
               theme_static: dict[str, Path]) -> Plan:
    """Every page and file of the site, in a deterministic order."""
    planner = Planner(config, site)
    pages = [planner.front_page(), *planner.article_pages(), *planner.day_pages(),
             *planner.archive_pages(), *planner.topic_pages(), *planner.tag_pages(),
             *planner.feed_pages(), *planner.search_pages(),
             Page("404.html", "404.html", "make_not_found")]
    urls = tuple((p.canonical, p.lastmod) for p in pages if p.html and p.path != "404.html")
    pages += [Page("sitemap.xml", "sitemap.xml", "make_sitemap", (urls,), html=False),
              Page("robots.txt", "robots.txt", "make_robots", html=False)]
    return Plan(tuple(pages), plan_copies(config, site, assets, theme_static, planner),
                ((".nojekyll", b""),), planner.site_view(), planner)


def plan_copies(config: Config, site: Site, assets: tuple[Asset, ...],
                theme_static: dict[str, Path], planner: Planner) -> tuple[Copy, ...]:
    """The theme's static files, the files beside articles and the site's static/ folder."""
    copies = [Copy(rel, path) for rel, path in theme_static.items()]
    copies += attachment_copies(config, site, assets, planner)
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
