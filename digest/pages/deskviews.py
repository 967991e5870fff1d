"""The views of the news desk's pages: corrections, live blogs, expired articles, the Google
News sitemap. A mixin of views.Views: the makers read only their arguments and the site."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from ..config import Config
from ..dates import short_time
from ..model import Article, Entry, LiveEntry, Notice

if TYPE_CHECKING:
    from .views import Whole

def notice_anchor(kind: str, number: int) -> str:
    """The id of an update or correction on its article: correction-1 is the first one ever
    made, so an id stays when later ones are added."""
    return f"{kind}-{number}"


def numbered(notices: tuple[Notice, ...]) -> list[tuple[int, Notice]]:
    """Notices (newest first) with their number counted from the oldest."""
    return [(len(notices) - i, n) for i, n in enumerate(notices)]


def news_language(tag: str) -> str:
    """The language as Google News wants it: ISO 639 (de, en), but zh-cn and zh-tw."""
    parts = tag.replace("_", "-").lower().split("-")
    if parts[0] == "zh" and len(parts) > 1 and parts[1] in ("cn", "tw"):
        return f"zh-{parts[1]}"
    return parts[0]


class DeskViews:
    """View makers for the news desk's pages (mixed into Views)."""

    config: Config
    lang: str

    def href(self, url: str) -> str:  # pragma: no cover - Views defines it
        raise NotImplementedError

    def absolute(self, url: str) -> str:  # pragma: no cover - Views defines it
        raise NotImplementedError

    def page_view(self, url: str, title: str, description: str = "", **extra: Any
                  ) -> dict[str, Any]:  # pragma: no cover - Views defines it
        raise NotImplementedError

    def time_label(self, moment: dt.datetime) -> str:
        """'14:32 Uhr' on a German site, '2:32 PM' on an English one."""
        text = short_time(moment.astimezone(self.config.tz).time(), self.lang)
        return f"{text} Uhr" if self.lang == "de" else text

    def notices_view(self, article: Article) -> list[dict[str, Any]]:
        """Updates and corrections of an article for its box, newest first."""
        tz = self.config.tz
        found = [{"kind": kind, "id": notice_anchor(kind, number),
                  "date": notice.date.astimezone(tz), "text": notice.text}
                 for kind, notices in (("correction", article.corrections),
                                       ("update", article.updates))
                 for number, notice in numbered(notices)]
        return sorted(found, key=lambda n: (n["date"].timestamp(), n["kind"]), reverse=True)

    def live_view(self, entries: tuple[LiveEntry, ...]) -> list[dict[str, Any]]:
        tz = self.config.tz
        return [{"id": e.anchor, "date": e.date.astimezone(tz), "time": self.time_label(e.date),
                 "title": e.title, "body": Markup(e.html.decode("utf-8"))} for e in entries]

    def live_html(self, article: Article) -> bytes:
        """A live blog's text with its entries, newest first, for feeds."""
        parts = [article.html] + [
            f'<h2>{Markup.escape(self.time_label(e.date))}'
            f'{" – " + Markup.escape(e.title) if e.title else ""}</h2>\n'.encode() + e.html
            for e in article.live_entries]
        return b"\n".join(parts)

    def live_feed_url(self, entry: Entry) -> str:
        return f"{entry.url}feed.xml"

    def make_live_feed(self, whole: Whole) -> dict[str, Any]:
        """The Atom feed of a live blog's entries, newest first."""
        entry = whole.entry
        article = entry.article
        url = self.live_feed_url(entry)
        page = self.absolute(entry.url)
        items = [{"title": f"{self.time_label(e.date)}" + (f" – {e.title}" if e.title else ""),
                  "link": f"{page}#{e.anchor}", "published": e.date, "updated": e.date,
                  "authors": list(article.authors), "topics": [],
                  "summary": None, "content": e.html.decode("utf-8")}
                 for e in article.live_entries]
        return {"page": self.page_view(url, article.title), "feed": {
            "title": article.title, "id": self.absolute(url), "self_url": self.absolute(url),
            "home_url": page, "updated": article.modified, "entries": items}}

    def correction_items(self, corrected: tuple[Whole, ...]) -> list[dict[str, Any]]:
        """Every correction of these articles, newest first, with where it is shown."""
        tz = self.config.tz
        found = []
        for whole in corrected:
            entry = whole.entry
            for number, notice in numbered(entry.article.corrections):
                anchor = notice_anchor("correction", number)
                found.append({"date": notice.date.astimezone(tz), "text": notice.text,
                              "title": entry.article.title,
                              "url": self.href(entry.url) + f"#{anchor}",
                              "link": self.absolute(entry.url) + f"#{anchor}"})
        return sorted(found, key=lambda c: (-c["date"].timestamp(), c["link"]))

    def make_corrections(self, corrected: tuple[Whole, ...]) -> dict[str, Any]:
        """The corrections page: every correction of every article, newest first."""
        url = self.config.corrections_url
        return {"page": self.page_view(url, "", title_key="corrections_title",
                                       topic_feed_url=self.href(f"{url}feed.xml")),
                "corrections": self.correction_items(corrected),
                "feed_url": self.href(f"{url}feed.xml")}

    def make_corrections_feed(self, corrected: tuple[Whole, ...]) -> dict[str, Any]:
        url = f"{self.config.corrections_url}feed.xml"
        items = [{"title": item["title"], "title_key": "correction_entry",
                  "link": item["link"], "published": item["date"],
                  "updated": item["date"], "authors": [], "topics": [],
                  "summary": item["text"], "content": None}
                 for item in self.correction_items(corrected)]
        updated = max((i["updated"] for i in items),
                      default=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        return {"page": self.page_view(url, ""), "feed": {
            "title": "", "title_key": "corrections_title", "id": self.absolute(url),
            "self_url": self.absolute(url),
            "home_url": self.absolute(self.config.corrections_url), "updated": updated,
            "entries": items}}

    def make_notice(self, url: str) -> dict[str, Any]:
        """What stays at the URL of an expired article: a notice, kept out of search."""
        return {"page": self.page_view(url, "", title_key="expired_title")}

    def make_news_sitemap(self, recent: tuple[Whole, ...]) -> dict[str, Any]:
        """The Google News sitemap: URL, headline, date with its offset, language."""
        articles = [(w.entry.url, w.entry.article) for w in recent]
        return {"publication": self.config.title,
                "urls": [{"loc": self.absolute(url), "title": article.title,
                          "date": article.date.isoformat(timespec="seconds")
                          if article.time_known else article.date.date().isoformat(),
                          "language": news_language(article.lang or self.config.language)}
                         for url, article in articles]}

    def make_sitemap_index(self, news: bool = True) -> dict[str, Any]:
        return {"sitemaps": [self.absolute("/sitemap.xml")]
                + ([self.absolute("/news-sitemap.xml")] if news else [])}
