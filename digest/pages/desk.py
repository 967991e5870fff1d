"""The news desk's pages in the plan: the Google News sitemap and the sitemap index, the
corrections page and its feed, each live blog's feed, and the notices of expired articles."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from .views import Whole

if TYPE_CHECKING:
    from . import Page, Planner


def news_sitemap(planner: Planner) -> list[Page]:
    """The articles of the last 48 hours for Google News: URL, headline, date, language.

    None when no article is that new: a sitemap must list at least one URL, so then there is
    no file, and robots.txt and the sitemap index leave it out until there is one again.
    """
    from . import Page

    recent = tuple(Whole(e) for e in planner.site.recent)
    return [Page("news-sitemap.xml", "news-sitemap.xml", "make_news_sitemap", (recent,),
                 html=False)] if recent else []


def sitemap_index(news: bool) -> Page:
    from . import Page

    return Page("sitemap-index.xml", "sitemap-index.xml", "make_sitemap_index", (news,),
                html=False)


def corrections_pages(planner: Planner) -> list[Page]:
    """/korrekturen/ and its feed: every correction, newest first, linked to its place."""
    from . import Page

    corrected = tuple(Whole(e) for e in planner.site.entries if e.article.corrections)
    url = planner.config.corrections_url
    return [planner.page(url, "corrections.html", "make_corrections", corrected),
            Page(f"{url}feed.xml".lstrip("/"), "feed.xml", "make_corrections_feed",
                 (corrected,), html=False)]


def live_feeds(planner: Planner) -> list[Page]:
    """An Atom feed of each live blog's entries, beside its page."""
    from . import Page

    return [Page(f"{entry.url}feed.xml".lstrip("/"), "feed.xml", "make_live_feed",
                 (Whole(entry),), html=False)
            for entry in planner.site.entries if entry.article.live]


def notice_pages(planner: Planner) -> list[Page]:
    """A small noindex page at each URL of an expired article: a shared link still answers."""
    pages = []
    for url, _source in planner.site.notices:
        page = planner.page(url, "expired.html", "make_notice", url)
        if not url.endswith("/"):
            page = dataclasses.replace(page, path=url.lstrip("/"))
        pages.append(dataclasses.replace(page, listed=False))
    return pages


def desk_pages(planner: Planner) -> list[Page]:
    return [*corrections_pages(planner), *live_feeds(planner), *notice_pages(planner)]
