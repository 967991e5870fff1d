"""Stage 2: articles into the site model (topics, tags, days, months, URLs). Pure."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from .config import Config
from .errors import Problem, problem
from .slugs import slugify


@dataclass(frozen=True)
class Article:
    """One article as read from its file: front matter fields plus the rendered body."""

    source: str
    """Path for messages, relative to the site folder: content/politik/rubio.md."""
    rel_path: str
    """Path inside content/, with forward slashes."""
    kind: str
    """'md' or 'txt'."""
    title: str
    date: dt.datetime
    """Aware; naive dates were put in the site timezone."""
    slug: str
    topics: tuple[str, ...]
    """As written; the folder name when front matter names none."""
    topics_from_folder: bool = False
    date_from_mtime: bool = False
    time_known: bool = True
    """False when only a day was given: pages then show the date without a time."""
    summary_given: bool = False
    updated: dt.datetime | None = None
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    summary: str = ""
    draft: bool = False
    image: str | None = None
    image_alt: str = ""
    source_name: str | None = None
    source_url: str | None = None
    lang: str | None = None
    html: bytes = b""
    """The body as safe HTML, in UTF-8: a str holding „quotes“ takes two bytes a letter,
    and a site keeps every body in memory while it is built."""
    words: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    fingerprint: str = ""
    """A hash of everything the article was made from; equal fingerprints, equal articles."""


    @property
    def body(self) -> Markup:
        """The body as markup a template shows without escaping."""
        return Markup(self.html.decode("utf-8"))


@dataclass(frozen=True)
class Ref:
    """A topic or tag as articles refer to it."""

    slug: str
    name: str
    url: str


@dataclass(frozen=True)
class Entry:
    """An article placed in the site: its URL, its day in the site timezone, its topics."""

    article: Article
    url: str
    local_date: dt.datetime
    topics: tuple[Ref, ...]
    tags: tuple[Ref, ...]
    key: str = ""
    """A hash of the article and of how the site places it: pages that show the entry
    depend on nothing else of it."""
    teaser_key: str = ""
    """A hash of what lists show of the entry (see views.Views.teaser)."""

    @property
    def day(self) -> dt.date:
        return self.local_date.date()


@dataclass(frozen=True)
class Group:
    """Articles that share a topic, a tag or a day; newest first."""

    slug: str
    name: str
    url: str
    entries: tuple[Entry, ...]
    description: str = ""


@dataclass(frozen=True)
class Site:
    """The whole site as data: every listing a page may need, sorted and deterministic."""

    entries: tuple[Entry, ...]
    topics: tuple[Group, ...]
    tags: tuple[Group, ...]
    days: tuple[tuple[dt.date, tuple[Entry, ...]], ...]
    """Newest day first."""


def fill(pattern: str, **values: str) -> str:
    """Fill a permalink pattern; values are slugs or digits, so no path can escape."""
    return pattern.format(**values)


def article_url(config: Config, article: Article, local: dt.datetime, topic: str) -> str:
    return fill(config.permalinks.article, year=f"{local.year:04d}", month=f"{local.month:02d}",
                day=f"{local.day:02d}", slug=article.slug, topic=topic)


def day_url(config: Config, day: dt.date) -> str:
    return fill(config.permalinks.day, year=f"{day.year:04d}", month=f"{day.month:02d}",
                day=f"{day.day:02d}")


def month_url(config: Config, year: int, month: int) -> str:
    return fill(config.permalinks.month, year=f"{year:04d}", month=f"{month:02d}")


def year_url(config: Config, year: int) -> str:
    return fill(config.permalinks.year, year=f"{year:04d}")


def topic_url(config: Config, slug: str) -> str:
    return fill(config.permalinks.topic, topic=slug)


def tag_url(config: Config, slug: str) -> str:
    return fill(config.permalinks.tag, tag=slug)


def display_names(config: Config, articles: list[Article]) -> dict[str, str]:
    """One display name per topic slug: config first, else the most common spelling."""
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for article in articles:
        for name in article.topics:
            # a folder name counts only where no article spells the topic out
            spellings[slugify(name)][name] += 1 if article.topics_from_folder else 1000
    names = {}
    for slug, counter in spellings.items():
        configured = config.topics.get(slug)
        if configured and configured.name:
            names[slug] = configured.name
        else:
            names[slug] = min(counter.items(), key=lambda item: (-item[1], item[0]))[0]
    return names


def place(article: Article, url: str, local: dt.datetime, topics: tuple[Ref, ...],
          tags: tuple[Ref, ...]) -> Entry:
    """An entry with its two keys: one for everything about it, one for its teaser."""
    placed = "\0".join((url, local.isoformat(), *(f"{r.slug}|{r.name}|{r.url}" for r in topics),
                        "#", *(f"{r.slug}|{r.name}|{r.url}" for r in tags)))
    shown = (article.title, article.time_known, article.summary, article.source_name,
             article.authors)
    return Entry(article, url, local, topics, tags,
                 hashlib.sha1(f"{article.fingerprint}\0{placed}".encode()).hexdigest(),
                 hashlib.sha1(f"{shown!r}\0{placed}".encode()).hexdigest())


def replace_entries(site: Site, swaps: dict[int, Entry]) -> Site:
    """The same site with some entries (by id) replaced by others in the same places."""
    def swap(entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
        return tuple(swaps.get(id(e), e) for e in entries)

    def touched(entries: tuple[Entry, ...]) -> bool:
        return any(id(e) in swaps for e in entries)

    return Site(swap(site.entries),
                tuple(dataclasses.replace(g, entries=swap(g.entries)) if touched(g.entries)
                      else g for g in site.topics),
                tuple(dataclasses.replace(g, entries=swap(g.entries)) if touched(g.entries)
                      else g for g in site.tags),
                tuple((day, swap(entries)) if touched(entries) else (day, entries)
                      for day, entries in site.days))


def newest_first(entry: Entry) -> tuple[float, str, str]:
    return (-entry.article.date.timestamp(), entry.article.slug, entry.article.source)


def build_site(config: Config, articles: list[Article], *, drafts: bool = False,
               future: bool = False, now: dt.datetime) -> tuple[Site, list[Problem]]:
    """Place the published articles and group them; duplicate URLs are problems."""
    tz = config.tz
    shown = [a for a in articles if (drafts or not a.draft) and (future or a.date <= now)]
    topic_names = display_names(config, shown)
    tag_names = display_names_for_tags(shown)
    topic_refs = {s: Ref(s, name, topic_url(config, s)) for s, name in topic_names.items()}
    tag_refs = {s: Ref(s, name, tag_url(config, s)) for s, name in tag_names.items()}
    entries = []
    for article in shown:
        local = article.date.astimezone(tz)
        topics = tuple(dict.fromkeys(slugify(t) for t in article.topics))
        refs = tuple(topic_refs[s] for s in topics)
        tags = tuple(tag_refs[s] for s in dict.fromkeys(slugify(t) for t in article.tags))
        entries.append(place(article, article_url(config, article, local, topics[0]), local,
                             refs, tags))
    entries.sort(key=newest_first)

    problems = []
    owner: dict[str, Entry] = {}
    for entry in entries:
        first = owner.setdefault(entry.url, entry)
        if first is not entry:
            problems.append(problem(entry.article.source, f"this article has the URL {entry.url} "
                                    f"of {first.article.source}; give one of them another "
                                    "'slug' or title"))

    by_topic: dict[str, list[Entry]] = defaultdict(list)
    by_tag: dict[str, list[Entry]] = defaultdict(list)
    by_day: dict[dt.date, list[Entry]] = defaultdict(list)
    for entry in entries:
        for ref in entry.topics:
            by_topic[ref.slug].append(entry)
        for ref in entry.tags:
            by_tag[ref.slug].append(entry)
        by_day[entry.day].append(entry)

    order = {slug: i for i, slug in enumerate(config.topics)}
    topic_slugs = sorted(by_topic, key=lambda s: (order.get(s, len(order)),
                                                  topic_names[s].casefold(), s))
    topics = tuple(
        Group(s, topic_names[s], topic_url(config, s), tuple(by_topic[s]),
              config.topics[s].description if s in config.topics else "")
        for s in topic_slugs)
    tags = tuple(Group(s, tag_names[s], tag_url(config, s), tuple(by_tag[s]))
                 for s in sorted(by_tag, key=lambda s: (tag_names[s].casefold(), s)))
    days = tuple((day, tuple(by_day[day])) for day in sorted(by_day, reverse=True))
    return Site(tuple(entries), topics, tags, days), problems


def display_names_for_tags(articles: list[Article]) -> dict[str, str]:
    """The most common spelling of each tag."""
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for article in articles:
        for name in article.tags:
            spellings[slugify(name)][name] += 1
    return {slug: min(c.items(), key=lambda item: (-item[1], item[0]))[0]
            for slug, c in spellings.items()}


def related_articles(site: Site, count: int, neighbours: int = 6) -> dict[int, list[Entry]]:
    """For each entry (by id), articles sharing its topic or tags, newest first.

    Only near neighbours in each group are considered, which keeps this linear in the number
    of articles. An article sharing more groups ranks higher; ties go to the newer one.
    """
    rank = {id(e): i for i, e in enumerate(site.entries)}  # newest first
    near: list[list[int]] = [[] for _ in site.entries]
    for group in (*site.topics, *site.tags):
        ranks = [rank[id(e)] for e in group.entries]
        for i, own in enumerate(ranks):
            near[own] += ranks[max(0, i - neighbours):i]
            near[own] += ranks[i + 1:i + 1 + neighbours]
    related = {}
    for own, candidates in enumerate(near):
        best = sorted([(-score, other) for other, score in Counter(candidates).items()])
        related[id(site.entries[own])] = [site.entries[r] for r in sorted(r for _, r in
                                                                          best[:count])]
    return related
