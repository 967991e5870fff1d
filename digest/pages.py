"""Stage 3: the site model into a plan of pages, each an output path plus its view data."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
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
    """One file to render: `template` with `context`, written to `path` (inside output/)."""

    path: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    html: bool = True


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


class Planner:
    """Turns the model into pages; holds the per-site link helpers."""

    def __init__(self, config: Config, site: Site):
        self.config = config
        self.site = site
        self.lang = config.lang
        self.base_path = config.base_path
        self.base_url = config.base_url
        self.teasers = {id(e): self.teaser(e) for e in site.entries}

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

    def refs(self, groups: tuple[Any, ...]) -> list[dict[str, str]]:
        return [{"name": g.name, "url": self.href(g.url)} for g in groups]

    def teaser(self, entry: Entry) -> dict[str, Any]:
        article = entry.article
        return {
            "title": article.title, "url": self.href(entry.url), "date": entry.local_date,
            "time_known": article.time_known,
            "summary": article.summary, "topics": self.refs(entry.topics),
            "source": article.source_name, "authors": list(article.authors),
        }

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
        """Group a day's articles by their first topic, in the site's topic order."""
        groups: dict[str, list[Entry]] = defaultdict(list)
        for entry in entries:
            groups[entry.topics[0].slug].append(entry)
        return [{"topic": {"name": t.name, "url": self.href(t.url)},
                 "articles": [self.teasers[id(e)] for e in groups[t.slug]]}
                for t in self.site.topics if t.slug in groups]

    def day_ref(self, day: dt.date) -> dict[str, Any]:
        return {"date": day, "url": self.href(day_url(self.config, day)),
                "title": long_date(day, self.lang)}

    # --- the pages -------------------------------------------------------------------------

    def front_page(self) -> Page:
        editions = [{**self.day_ref(day), "groups": self.by_topic(entries)}
                    for day, entries in self.site.days[:self.config.front_page_days]]
        return Page("index.html", "index.html", {
            "page": self.page_view("/", self.config.title), "editions": editions})

    def article_pages(self) -> list[Page]:
        pages = []
        related = related_articles(self.site, RELATED_COUNT)
        for _day, entries in self.site.days:
            for i, entry in enumerate(entries):
                newer = entries[i - 1] if i > 0 else None
                older = entries[i + 1] if i + 1 < len(entries) else None
                pages.append(self.article_page(entry, older, newer, related[id(entry)]))
        return pages

    def article_page(self, entry: Entry, older: Entry | None, newer: Entry | None,
                     related: list[Entry]) -> Page:
        article = entry.article
        image = None
        if article.image:
            url = article.image if "://" in article.image else self.href(entry.url) + article.image
            image = {"url": url, "alt": article.image_alt}
        view = {
            **self.teasers[id(entry)],
            "updated": article.updated.astimezone(self.config.tz) if article.updated else None,
            "tags": self.refs(entry.tags), "body": article.html, "image": image,
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
        return Page(self.output_path(entry.url), "article.html", {
            "page": page, "article": view,
            "prev": self.teasers[id(older)] if older else None,
            "next": self.teasers[id(newer)] if newer else None,
            "related": [self.teasers[id(e)] for e in related]})

    def day_pages(self) -> list[Page]:
        pages = []
        days = self.site.days
        for i, (day, entries) in enumerate(days):
            newer = self.day_ref(days[i - 1][0]) if i > 0 else None
            older = self.day_ref(days[i + 1][0]) if i + 1 < len(days) else None
            url = day_url(self.config, day)
            title = long_date(day, self.lang)
            pages.append(Page(self.output_path(url), "day.html", {
                "page": self.page_view(url, title), "day": self.day_ref(day),
                "groups": self.by_topic(entries), "prev_day": older, "next_day": newer}))
        return pages

    def archive_pages(self) -> list[Page]:
        months: dict[tuple[int, int], list[tuple[dt.date, tuple[Entry, ...]]]] = {}
        for day, entries in self.site.days:
            months.setdefault((day.year, day.month), []).append((day, entries))
        keys = list(months)
        pages = []
        years: dict[int, list[dict[str, Any]]] = {}
        for i, (year, month) in enumerate(keys):
            first = dt.date(year, month, 1)
            url = month_url(self.config, year, month)
            ref = {"date": first, "url": self.href(url), "title": month_name(first, self.lang),
                   "count": sum(len(e) for _, e in months[(year, month)])}
            years.setdefault(year, []).append(ref)
            neighbour = [None, None]
            for slot, j in ((0, i + 1), (1, i - 1)):
                if 0 <= j < len(keys):
                    y, m = keys[j]
                    neighbour[slot] = {"url": self.href(month_url(self.config, y, m)),
                                       "title": month_name(dt.date(y, m, 1), self.lang)}
            days = [{**self.day_ref(day), "articles": [self.teasers[id(e)] for e in entries]}
                    for day, entries in months[(year, month)]]
            pages.append(Page(self.output_path(url), "month.html", {
                "page": self.page_view(url, ref["title"]), "month": ref, "days": days,
                "prev_month": neighbour[0], "next_month": neighbour[1]}))
        year_views = []
        for year, month_refs in years.items():
            url = year_url(self.config, year)
            view = {"year": year, "url": self.href(url), "title": str(year),
                    "count": sum(m["count"] for m in month_refs), "months": month_refs}
            year_views.append(view)
            pages.append(Page(self.output_path(url), "year.html", {
                "page": self.page_view(url, str(year)), "year": view, "months": month_refs}))
        pages.append(Page(self.output_path(ARCHIVE_URL), "archive.html", {
            "page": self.page_view(ARCHIVE_URL, "", title_key="archive"), "years": year_views}))
        return pages

    def listing_pages(self, group: Group, template: str, key: str,
                      extra: dict[str, Any]) -> list[Page]:
        """A topic or tag listing, split into pages of `per_page` articles."""
        per_page = self.config.per_page
        chunks = [group.entries[i:i + per_page]
                  for i in range(0, len(group.entries), per_page)] or [()]
        urls = [group.url] + [f"{group.url}page/{n}/" for n in range(2, len(chunks) + 1)]
        view = {"name": group.name, "slug": group.slug, "url": self.href(group.url),
                "description": group.description, "count": len(group.entries), **extra}
        pages = []
        for n, chunk in enumerate(chunks, start=1):
            pagination = {"page": n, "pages": len(chunks),
                          "prev_url": self.href(urls[n - 2]) if n > 1 else None,
                          "next_url": self.href(urls[n]) if n < len(chunks) else None}
            page = self.page_view(urls[n - 1], group.name, group.description,
                                  topic_feed_url=extra.get("feed_url"))
            pages.append(Page(self.output_path(urls[n - 1]), template, {
                "page": page, key: view, "articles": [self.teasers[id(e)] for e in chunk],
                "pagination": pagination}))
        return pages

    def topic_pages(self) -> list[Page]:
        pages = []
        for topic in self.site.topics:
            feed = self.href(f"{topic.url}feed.xml") if self.config.feeds.topics else None
            pages += self.listing_pages(topic, "topic.html", "topic", {"feed_url": feed})
        index = [{"name": t.name, "url": self.href(t.url), "description": t.description,
                  "count": len(t.entries), "latest": [self.teasers[id(e)] for e in t.entries[:3]]}
                 for t in self.site.topics]
        pages.append(Page(self.output_path(TOPICS_URL), "topics.html", {
            "page": self.page_view(TOPICS_URL, "", title_key="topics"), "topics": index}))
        return pages

    def tag_pages(self) -> list[Page]:
        pages = []
        for tag in self.site.tags:
            pages += self.listing_pages(tag, "tag.html", "tag", {})
        index = [{"name": t.name, "url": self.href(t.url), "count": len(t.entries)}
                 for t in self.site.tags]
        pages.append(Page(self.output_path(TAGS_URL), "tags.html", {
            "page": self.page_view(TAGS_URL, "", title_key="tags"), "tags": index}))
        return pages

    def feed(self, url: str, title: str, entries: tuple[Entry, ...]) -> Page:
        chosen = entries[:self.config.feeds.entries]
        items = [{**self.teasers[id(e)], "link": self.absolute(e.url), "published": e.article.date,
                  "updated": e.article.updated or e.article.date,
                  "content": str(e.article.html) if self.config.feeds.full_content
                  else None}
                 for e in chosen]
        updated = max((i["updated"] for i in items), default=dt.datetime(2000, 1, 1,
                                                                         tzinfo=dt.UTC))
        return Page(url.lstrip("/"), "feed.xml", {
            "page": self.page_view(url, title), "feed": {
                "title": title, "id": self.absolute(url), "self_url": self.absolute(url),
                "home_url": self.absolute(url.rsplit("/", 1)[0] + "/" if url != "/feed.xml"
                                          else "/"),
                "updated": updated, "entries": items}}, html=False)

    def search_pages(self) -> list[Page]:
        """The search page; Pagefind's bundle beside it is made after the build (search.py)."""
        if not self.config.search:
            return []
        return [Page(self.output_path(SEARCH_URL), "search.html", {
            "page": self.page_view(SEARCH_URL, "", title_key="search"),
            "search": {"base_url": self.base_path, "bundle_url": self.href("/pagefind/")}})]

    def feed_pages(self) -> list[Page]:
        pages = [self.feed("/feed.xml", self.config.title, self.site.entries)]
        if self.config.feeds.topics:
            pages += [self.feed(f"{t.url}feed.xml", f"{t.name} – {self.config.title}", t.entries)
                      for t in self.site.topics]
        return pages


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
                     if e.article.image == relative or relative in e.article.html
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
             Page("404.html", "404.html",
                  {"page": planner.page_view("/404.html", "", title_key="not_found_title")})]
    html_pages = [p for p in pages if p.html and p.path != "404.html"]
    pages += [
        Page("sitemap.xml", "sitemap.xml", {"urls": [
            {"loc": p.context["page"]["canonical"], "lastmod": lastmod(p)} for p in html_pages]},
            html=False),
        Page("robots.txt", "robots.txt", {"sitemap_url": planner.absolute("/sitemap.xml")},
             html=False),
    ]
    copies = [Copy(rel, path) for rel, path in theme_static.items()]
    copies += attachment_copies(config, site, assets, planner)
    static = config.static_path
    if static.is_dir():
        copies += [Copy(p.relative_to(static).as_posix(), p) for p in sorted(static.rglob("*"))
                   if p.is_file() and not any(part.startswith(".") for part in
                                               p.relative_to(static).parts)]
    return Plan(tuple(pages), tuple(copies), ((".nojekyll", b""),), planner.site_view())


def lastmod(page: Page) -> str | None:
    article = page.context.get("article")
    if not article:
        return None
    return (article["updated"] or article["date"]).isoformat()
