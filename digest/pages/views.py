"""Stage 3, second half: the view each template sees, made from a page's arguments.

The planner (pages.py) names, for every page, a maker below and its arguments; the view is
made when the page is rendered, in the worker that renders it. A maker reads nothing but its
arguments and the site-wide settings, so a hash of the arguments tells whether the page can
have changed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from .. import __version__
from ..config import Config
from ..dates import long_date, month_name, weekday_date
from ..markup.links import placeholder
from ..model import Article, Entry, Site, day_url, month_url, year_url
from .deskviews import DeskViews
from .images import ARTICLE_SIZES, LEAD_SIZES, TEASER_SIZES, image_view, picture_markup
from .jsonld import news_article

if TYPE_CHECKING:
    from ..pages import Page

@dataclass(frozen=True)
class Whole:
    """An entry whose every field a page shows, not only its teaser: its article page, and
    the feeds, which carry the body and dates."""

    entry: Entry


def story_view(article: Article, config: Config) -> dict[str, Any] | None:
    """The earlier versions of a folded story and the other agencies that reported it."""
    story = article.story
    if story is None:
        return None
    return {"earlier": [{"title": v.title, "date": v.date.astimezone(config.tz),
                         "source": v.source} for v in reversed(story.earlier)],
            "also": list(story.also)}


class Views(DeskViews):
    """The link helpers of a site and one view maker (`make_*`) per kind of page."""

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

    def view(self, page: Page) -> dict[str, Any]:
        """The view of one page, made from its arguments."""
        make: Callable[..., dict[str, Any]] = getattr(self, page.maker)
        return make(*page.args)

    def refs(self, groups: tuple[Any, ...]) -> list[dict[str, str]]:
        return [{"name": g.name, "url": self.href(g.url)} for g in groups]

    def teaser(self, entry: Entry) -> dict[str, Any]:
        """The view of an article in lists; made once per entry and shared.

        It is the entry's teaser projection (model.teaser_of) with links made absolute to
        the site, so pages listing the entry are keyed by exactly what they show of it.
        """
        view = self.teasers.get(id(entry))
        if view is None:
            view = self.teasers[id(entry)] = {
                **entry.teaser, "url": self.href(entry.teaser["url"]),
                "topics": self.refs(entry.teaser["topics"]),
                "authors": list(entry.teaser["authors"]),
                "image": self.thumbnail(entry)}
        return view

    def image_of(self, entry: Entry) -> dict[str, Any] | None:
        """The view of an entry's image (see pages.images), or None."""
        image = entry.teaser.get("image")
        if image is None:
            return None
        return image_view(self.href(entry.url), self.absolute(entry.url), *image)

    def thumbnail(self, entry: Entry) -> dict[str, Any] | None:
        view = self.image_of(entry)
        if view is not None:
            view["thumb"] = picture_markup(view, TEASER_SIZES)
        return view

    def lead(self, entries: tuple[Entry, ...]) -> Entry | None:
        """The lead story of a day: the newest marked featured, else the newest with an
        image, else the newest."""
        return next((e for e in entries if e.teaser.get("featured")), None) or \
            next((e for e in entries if e.teaser.get("image")), None) or \
            (entries[0] if entries else None)

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
        fixed = self.config.permalinks
        return {
            "title": self.config.title, "description": self.config.description,
            "language": self.config.language, "base_url": self.base_url,
            "home_url": self.href("/"), "feed_url": self.href("/feed.xml"),
            "topics_url": self.href(fixed.topics_index), "tags_url": self.href(fixed.tags_index),
            "archive_url": self.href(fixed.archive), "search_url": self.href(fixed.search),
            "search": self.config.search, "topics": self.refs(self.site.topics),
            "nav_urls": [self.href(t.url) for t in self.site.topics] +
                        [self.href(fixed.topics_index), self.href(fixed.archive)],
            "generator": f"digest {__version__}",
            "corrections_url": self.href(self.config.corrections_url),
            "menu": {place: [{"name": name, "url": self.href(url) if url.startswith("/")
                              else url} for name, url in links]
                     for place, links in self.site.menu.items()},
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

    def month_view(self, year: int, month: int, count: int) -> dict[str, Any]:
        return {"date": dt.date(year, month, 1), **self.month_ref(year, month), "count": count}

    def year_view(self, year: int, month_counts: tuple[tuple[int, int], ...]) -> dict[str, Any]:
        months = [self.month_view(year, month, count) for month, count in month_counts]
        return {"year": year, "url": self.href(year_url(self.config, year)), "title": str(year),
                "count": sum(m["count"] for m in months), "months": months}

    def make_front(self, days: tuple[tuple[dt.date, tuple[Entry, ...]], ...]) -> dict[str, Any]:
        editions = []
        for number, (day, entries) in enumerate(days):
            lead = self.lead(entries) if number == 0 else None
            edition = {**self.day_ref(day), "lead": None,
                       "groups": self.by_topic(tuple(e for e in entries if e is not lead))}
            if lead is not None:
                image = self.image_of(lead)
                edition["lead"] = {**self.teaser(lead), "picture": picture_markup(
                    image, LEAD_SIZES, lazy=False) if image else None}
            editions.append(edition)
        return {"page": self.page_view("/", self.config.title), "editions": editions}

    def linked(self, html: bytes, links: tuple[tuple[str, str], ...], absolute: bool = False
               ) -> str:
        """A body with its links by file pointing at the files' pages (see markup.links)."""
        text = html.decode("utf-8")
        for target, url in links:
            text = text.replace(f'"{placeholder(target)}',
                                f'"{self.absolute(url) if absolute else self.href(url)}')
        return text

    def make_article(self, whole: Whole, older: Entry | None, newer: Entry | None,
                     related: tuple[Entry, ...], links: tuple[tuple[str, str], ...] = ()
                     ) -> dict[str, Any]:
        entry = whole.entry
        article = entry.article
        image = self.image_of(entry)
        if image is not None:
            image.update(markup=picture_markup(image, ARTICLE_SIZES, lazy=False),
                         caption=article.image_caption, credit=article.image_credit)
        view = {
            **self.teaser(entry),
            "updated": article.updated.astimezone(self.config.tz) if article.updated else None,
            "tags": self.refs(entry.tags), "body": Markup(self.linked(article.html, links)),
            "image": image,
            "source_url": article.source_url, "reading_time": max(1, round(article.words / 200)),
            "lang": article.lang or self.config.language,
            "day_url": self.href(day_url(self.config, entry.day)), "extra": article.extra,
            "lead": article.summary if article.summary_given else None,
            "dateline": article.dateline, "story": story_view(article, self.config),
            "notices": self.notices_view(article), "live": entry.teaser["live"],
            "live_entries": self.live_view(article.live_entries) if article.live else None,
            "modified": article.modified.astimezone(self.config.tz),
        }
        page = self.page_view(entry.url, article.title, article.summary, og_type="article",
                              image=image["absolute"] if image else None,
                              image_alt=image["alt"] if image else "",
                              jsonld=news_article(self.config, entry, image),
                              topic_feed_url=self.href(self.live_feed_url(entry))
                              if article.live else None)
        return {"page": page, "article": view,
                "prev": self.teaser(older) if older else None,
                "next": self.teaser(newer) if newer else None,
                "related": [self.teaser(e) for e in related]}

    def make_day(self, day: dt.date, entries: tuple[Entry, ...], older: dt.date | None,
                 newer: dt.date | None) -> dict[str, Any]:
        title = weekday_date(day, self.lang)
        return {"page": self.page_view(day_url(self.config, day), title),
                "day": {**self.day_ref(day), "title": title}, "groups": self.by_topic(entries),
                "prev_day": self.day_ref(older) if older else None,
                "next_day": self.day_ref(newer) if newer else None}

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
        return {"page": self.page_view(self.config.permalinks.archive, "",
                                        title_key="archive"),
                "years": [self.year_view(year, months) for year, months in years]}

    def make_listing(self, about: tuple[Any, ...], chunk: tuple[Entry, ...], own_url: str,
                     number: int, total: int, prev_url: str | None, next_url: str | None
                     ) -> dict[str, Any]:
        key, slug, name, url, description, count, feed_url = about
        view = {"name": name, "slug": slug, "url": self.href(url), "description": description,
                "count": count}
        if key == "topic":
            view["feed_url"] = feed_url
        return {"page": self.page_view(own_url, name, description, topic_feed_url=feed_url),
                key: view, "articles": [self.teaser(e) for e in chunk],
                "pagination": {"page": number, "pages": total,
                               "prev_url": self.href(prev_url) if prev_url else None,
                               "next_url": self.href(next_url) if next_url else None}}

    def make_topics(self, index: tuple[tuple[Any, ...], ...]) -> dict[str, Any]:
        return {"page": self.page_view(self.config.permalinks.topics_index, "",
                                        title_key="topics"),
                "topics": [{"name": name, "url": self.href(url), "description": description,
                            "count": count, "latest": [self.teaser(e) for e in latest]}
                           for name, url, description, count, latest in index]}

    def make_tags(self, index: tuple[tuple[str, str, int], ...]) -> dict[str, Any]:
        return {"page": self.page_view(self.config.permalinks.tags_index, "",
                                        title_key="tags"),
                "tags": [{"name": name, "url": self.href(url), "count": count}
                         for name, url, count in index]}

    def make_feed(self, url: str, title: str, chosen: tuple[Whole, ...],
                  links: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
        items = [{**self.teaser(e), "link": self.absolute(e.url), "published": e.article.date,
                  "updated": e.article.modified,
                  "content": self.linked(self.live_html(e.article) if e.article.live
                                         else e.article.html, links, absolute=True)
                  if self.config.feeds.full_content else None}
                 for e in (whole.entry for whole in chosen)]
        updated = max((i["updated"] for i in items), default=dt.datetime(2000, 1, 1,
                                                                         tzinfo=dt.UTC))
        return {"page": self.page_view(url, title), "feed": {
            "title": title, "id": self.absolute(url), "self_url": self.absolute(url),
            "home_url": self.absolute(url.rsplit("/", 1)[0] + "/" if url != "/feed.xml"
                                      else "/"),
            "updated": updated, "entries": items}}

    def make_page(self, whole: Whole, links: tuple[tuple[str, str], ...] = ()
                  ) -> dict[str, Any]:
        """A standalone page: its text, and when it was last changed if it says so."""
        entry = whole.entry
        article = entry.article
        return {"page": self.page_view(entry.url, article.title, article.summary),
                "article": {"title": article.title,
                            "body": Markup(self.linked(article.html, links)),
                            "updated": article.updated.astimezone(self.config.tz)
                            if article.updated else None,
                            "lang": article.lang or self.config.language,
                            "extra": article.extra}}

    def make_redirect(self, alias: str, target: str) -> dict[str, Any]:
        """A page at an earlier URL that sends readers and search engines to the new one."""
        return {"page": self.page_view(alias, "", canonical=self.absolute(target),
                                       title_key="moved_title"),
                "target": self.href(target), "target_absolute": self.absolute(target)}

    def make_search(self) -> dict[str, Any]:
        return {"page": self.page_view(self.config.permalinks.search, "",
                                        title_key="search"),
                "search": {"base_url": self.base_path, "bundle_url": self.href("/pagefind/")}}

    def make_not_found(self) -> dict[str, Any]:
        return {"page": self.page_view("/404.html", "", title_key="not_found_title")}

    def make_sitemap(self, urls: tuple[tuple[str, str | None], ...]) -> dict[str, Any]:
        return {"urls": [{"loc": loc, "lastmod": lastmod} for loc, lastmod in urls]}

    def make_robots(self, news: bool = True) -> dict[str, Any]:
        return {"sitemap_url": self.absolute("/sitemap.xml"),
                "sitemap_urls": [self.absolute("/sitemap.xml")]
                + ([self.absolute("/news-sitemap.xml")] if news else [])}
