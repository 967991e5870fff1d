"""schema.org NewsArticle data for search engines, safe to put inside a <script> element."""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

from markupsafe import Markup

from ..config import Config
from ..model import Article, Entry

TAG = re.compile(r"<[^>]+>")


def plain(html: bytes | str) -> str:
    """The text of some HTML, for JSON-LD and feed titles."""
    text = html.decode("utf-8") if isinstance(html, bytes) else html
    return " ".join(unescape(TAG.sub(" ", text)).split())


def headline(title: str, limit: int = 110) -> str:
    """A headline of at most `limit` characters, cut at a word and marked with '…'."""
    if len(title) <= limit:
        return title
    cut = title[:limit - 1]
    if not title[limit - 1].isspace() and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:–-") + "…"


def image_objects(image: dict[str, Any], caption: str | None, credit: str | None
                  ) -> list[Any]:
    """The image as Google's Article documentation asks: 16:9, 4:3 and 1:1 versions of
    it at 1200 px wide where the file is that large, with its caption and credit."""
    if image.get("picture") is None:
        return [image["absolute"]]
    crops = image["crops"] or [{"url": image["absolute"], "width": image["absolute_width"],
                                "height": image["absolute_height"]}]
    objects = []
    for crop in crops:
        item: dict[str, Any] = {"@type": "ImageObject", "url": crop["url"],
                                "width": crop["width"], "height": crop["height"]}
        if caption:
            item["caption"] = caption
        if credit:
            item["creditText"] = credit
        objects.append(item)
    return objects


def live_blog(article: Article, url: str) -> dict[str, Any]:
    """What makes a NewsArticle a LiveBlogPosting: its coverage times and its entries."""
    data: dict[str, Any] = {
        "@type": "LiveBlogPosting",
        "coverageStartTime": article.date.isoformat(timespec="seconds"),
        "liveBlogUpdate": [{
            "@type": "BlogPosting", "headline": headline(e.title or plain(e.html) or
                                                         article.title),
            "datePublished": e.date.isoformat(timespec="seconds"),
            "url": f"{url}#{e.anchor}", "articleBody": plain(e.html)}
            for e in article.live_entries]}
    if article.live_until:
        data["coverageEndTime"] = article.live_until.isoformat(timespec="seconds")
    return data


def news_article(config: Config, entry: Entry, image: dict[str, Any] | None) -> Markup:
    """NewsArticle JSON-LD; '<', '>' and '&' are escaped so no text can end the script."""
    article = entry.article
    url = config.base_url + entry.url.lstrip("/")
    publisher = config.author or config.title
    organization = {"@type": "Organization", "name": publisher, "url": config.base_url}
    data: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "NewsArticle",
        "headline": headline(article.title),
        "datePublished": article.date.isoformat(timespec="seconds"),
        "dateModified": article.modified.isoformat(timespec="seconds"),
        "author": [{"@type": "Person", "name": a} for a in article.authors] or [organization],
        "publisher": organization,
        "mainEntityOfPage": url, "url": url,
        "articleSection": entry.topics[0].name,
        "inLanguage": article.lang or config.language,
        "description": article.summary,
    }
    if article.tags:
        data["keywords"] = list(article.tags)
    if image:
        data["image"] = image_objects(image, article.image_caption, article.image_credit)
    if article.dateline:
        data["dateline"] = article.dateline
    if article.corrections:
        data["correction"] = [{"@type": "CorrectionComment", "text": n.text,
                               "datePublished": n.date.isoformat(timespec="seconds")}
                              for n in article.corrections]
    if article.live:
        data.update(live_blog(article, url))
    text = json.dumps(data, ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
