"""Stage 2: articles into the site model (topics, tags, days, months, URLs). Pure."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from markupsafe import Markup

from .agency.stories import Story, StoryMemo
from .config import Config
from .errors import Problem, problem
from .markup.pictures import Picture
from .slugs import slugify

if TYPE_CHECKING:
    from .cache import Stored


class Notice(NamedTuple):
    """One entry of `updates:` or `corrections:`: when, and what was changed."""

    date: dt.datetime
    text: str


class LiveEntry(NamedTuple):
    """One entry of a live blog: a heading with a time (`## 14:32 Uhr`) and what follows."""

    date: dt.datetime
    anchor: str
    """The id of the entry on the page: live-1432."""
    title: str
    """What the heading says after the time, as text; often empty."""
    html: bytes


NEWS_WINDOW = dt.timedelta(hours=48)
"""How far back the Google News sitemap reaches: Google News ignores older articles."""


@dataclass(frozen=True, slots=True)
class Article:
    """One article as read from its file: front matter fields plus the rendered body.

    With slots: a site holds every article while it is built, and an instance dict of some
    forty fields cost 1.6 KB an article, more than its fields' values but the sketch."""

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
    image_caption: str | None = None
    image_credit: str | None = None
    """As given, else (once the image is read, content/images.py) from the image file."""
    picture: Picture | None = None
    """The image beside the article as the build writes it; set once images are read."""
    featured: bool = False
    """The day's lead story on the front page."""
    source_name: str | None = None
    source_url: str | None = None
    lang: str | None = None
    body_html: bytes | Stored = b""
    """The body as safe HTML in UTF-8 (`html`), or where the body file holds it: a site keeps
    every article in memory while it is built, but only the pages that show a body read it
    (cache.py, BodyFile)."""
    body_images: tuple[str, ...] = ()
    """The local images the body shows, by their paths inside content/: what gets a picture
    (content/images.py), known without reading the body."""
    words: int = 0
    page: bool = False
    """`type: page`: a standalone page (Impressum), in no listing, feed or search."""
    aliases: tuple[str, ...] = ()
    """Earlier URLs, each of which redirects here."""
    links: tuple[tuple[str, int, int], ...] = ()
    """Links to other content files in the body: (source path, line, column)."""
    extra: dict[str, Any] = field(default_factory=dict)
    dateline: str | None = None
    """The place of the body's dateline (Berlin), or as the front matter gives it."""
    topic_words: tuple[tuple[str, int], ...] = ()
    """The keyword rules that chose the topic, with their counts (§10)."""
    sketch: bytes | Stored = b""
    """The hashes of the body's word shingles, to find other versions of the story (kept in
    the body file, as `body_html` is)."""
    story: Story | None = None
    """The versions of the story this article shows, when it folds several."""
    fingerprint: str = ""
    """A hash of everything the article was made from; equal fingerprints, equal articles."""
    updates: tuple[Notice, ...] = ()
    """Newest first, like `corrections`."""
    corrections: tuple[Notice, ...] = ()
    live: bool = False
    """A live blog: `live_entries` hold its timed entries, `html` what stands above them."""
    live_until: dt.datetime | None = None
    live_entries: tuple[LiveEntry, ...] = ()
    """Newest first."""
    expires: dt.datetime | None = None
    """When the article is taken down: then only a notice stays at its URL."""

    @property
    def modified(self) -> dt.datetime:
        """When the article last changed: `updated`, an update, a correction or a live entry."""
        return max((self.date, *(d for d in (self.updated,) if d),
                    *(n.date for n in self.updates), *(n.date for n in self.corrections),
                    *(e.date for e in self.live_entries)), key=lambda d: d.timestamp())

    @property
    def html(self) -> bytes:
        """The body as safe HTML, in UTF-8."""
        body = self.body_html
        return body if isinstance(body, bytes) else body.read()

    @property
    def body(self) -> Markup:
        """The body as markup a template shows without escaping."""
        return Markup(self.html.decode("utf-8"))


@dataclass(frozen=True, slots=True)
class Ref:
    """A topic or tag as articles refer to it."""

    slug: str
    name: str
    url: str


@dataclass(frozen=True, slots=True)
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
    teaser: dict[str, Any] = field(default_factory=dict)
    """What lists show of the entry: the one source of views.Views.teaser and teaser_key."""
    teaser_key: str = ""
    """A hash of `teaser`: pages that list the entry depend on nothing else of it."""

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
    pages: tuple[Entry, ...] = ()
    """Standalone pages (type: page), by slug."""
    redirects: tuple[tuple[str, Entry], ...] = ()
    """Each earlier URL of an article or page, with the entry it now leads to."""
    menu: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    """Header and footer links as (name, URL): a page's URL, or the URL as configured."""
    links: dict[str, str] = field(default_factory=dict)
    """The URL of each content file an article links to, by its source path."""
    recent: tuple[Entry, ...] = ()
    """The articles of the last 48 hours (NEWS_WINDOW), newest first."""
    notices: tuple[tuple[str, str], ...] = ()
    """Each URL of an expired article, with its source: a notice page stays there."""


def fill(pattern: str, **values: str) -> str:
    """Fill a permalink pattern; values are slugs or digits, so no path can escape."""
    return pattern.format(**values)


def article_url(config: Config, article: Place, local: dt.datetime, topic: str) -> str:
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


def display_names(config: Config, articles: list[Place]) -> dict[str, str]:
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


def teaser_of(article: Article, url: str, local: dt.datetime, topics: tuple[Ref, ...],
              live: bool = False) -> dict[str, Any]:
    """What a list shows of an article. Its hash is the key of every page that lists the
    article, so a field added here is covered without being named anywhere else.
    `live`: a live blog still running at the build's time (its LIVE badge)."""
    return {"title": article.title, "url": url, "date": local,
            "time_known": article.time_known, "summary": article.summary, "topics": topics,
            "source": article.source_name, "authors": article.authors,
            "image": (article.image, article.image_alt, article.picture) if article.image
            else None, "featured": article.featured, "live": live}


def place(article: Article, url: str, local: dt.datetime, topics: tuple[Ref, ...],
          tags: tuple[Ref, ...], live: bool = False) -> Entry:
    """An entry with its two keys: one for everything about it, one for its teaser."""
    placed = "\0".join((url, local.isoformat(), *(f"{r.slug}|{r.name}|{r.url}" for r in topics),
                        "#", *(f"{r.slug}|{r.name}|{r.url}" for r in tags), f"live={live}"))
    teaser = teaser_of(article, url, local, topics, live)
    return Entry(article, url, local, topics, tags,
                 hashlib.sha1(f"{article.fingerprint}\0{placed}".encode()).hexdigest(),
                 teaser, hashlib.sha1(repr(teaser).encode()).hexdigest())


class Place(NamedTuple):
    """What decides where an article appears and in which order: all that build_site and
    the planner read of an article. Two article lists with equal places have one shape."""

    source: str
    date: dt.datetime
    offset: dt.timedelta | None
    slug: str
    topics: tuple[str, ...]
    topics_from_folder: bool
    tags: tuple[str, ...]
    draft: bool
    updated: dt.datetime | None
    at: float
    """The date as a timestamp: tens of thousands of comparisons with aware datetimes
    are slow."""
    page: bool
    aliases: tuple[str, ...]
    links: tuple[tuple[str, int, int], ...]
    earlier: tuple[tuple[str, dt.datetime | None], ...] = ()
    """Slug and date (None: today's) of each earlier committed version of the file."""
    live: bool = False
    live_until: float | None = None
    expires: float | None = None
    """Timestamps: when the LIVE badge goes, and when the article is taken down."""
    corrected: bool = False
    """Listed on the corrections page."""


def place_of(article: Article, earlier: tuple[tuple[str, dt.datetime | None], ...] = ()
             ) -> Place:
    return Place(article.source, article.date, article.date.utcoffset(), article.slug,
                 article.topics, article.topics_from_folder, article.tags, article.draft,
                 article.updated, article.date.timestamp(), article.page, article.aliases,
                 article.links, earlier, article.live,
                 article.live_until.timestamp() if article.live_until else None,
                 article.expires.timestamp() if article.expires else None,
                 bool(article.corrections))


def earlier_urls(config: Config, where: Place, url: str) -> tuple[str, ...]:
    """Every earlier URL of an article: its aliases, and where its committed versions were."""
    found = dict.fromkeys(where.aliases)
    for slug, date in where.earlier:
        then = address(config, where._replace(slug=slug, date=date or where.date))
        found.setdefault(then)
    return tuple(u for u in found if u != url)


@dataclass(frozen=True)
class Shape:
    """Where each published article goes, decided from places alone (see Place): articles
    by position in the published list, newest first, and the groups as lists of positions."""

    order: tuple[int, ...]
    urls: tuple[str, ...]
    local_dates: tuple[dt.datetime, ...]
    topics: tuple[tuple[Ref, ...], ...]
    tags: tuple[tuple[Ref, ...], ...]
    topic_groups: tuple[tuple[Ref, str, tuple[int, ...]], ...]
    tag_groups: tuple[tuple[Ref, tuple[int, ...]], ...]
    days: tuple[tuple[dt.date, tuple[int, ...]], ...]
    problems: tuple[Problem, ...]
    pages: tuple[int, ...] = ()
    redirects: tuple[tuple[str, int], ...] = ()
    menu: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    """The URL of each content file an article links to, by its source path."""
    live: frozenset[int] = frozenset()
    """The articles whose live blog runs at the build's time."""
    recent: tuple[int, ...] = ()
    """The articles of the last 48 hours, newest first."""
    notices: tuple[tuple[str, str], ...] = ()


class Schedule(NamedTuple):
    """Which articles a build shows at its time: worked out in one pass, for the model and
    for the build record's next dates."""

    published: list[int]
    """The positions of the articles a build shows."""
    expired: list[int]
    """The positions of the articles taken down by `expires`: a notice stays at their URLs."""


def schedule(places: list[Place], drafts: bool, future: bool, now: dt.datetime) -> Schedule:
    """Sort the places into shown and expired; drafts and future ones are neither."""
    moment = now.timestamp()
    shown: list[int] = []
    gone: list[int] = []
    for i, p in enumerate(places):
        if (drafts or not p.draft) and (future or p.page or p.at <= moment):
            (shown if p.expires is None or p.expires > moment else gone).append(i)
    return Schedule(shown, gone)


def published(places: list[Place], drafts: bool, future: bool, now: dt.datetime) -> list[int]:
    """The positions of the articles a build shows."""
    return schedule(places, drafts, future, now).published


class Timing(NamedTuple):
    """What the build's time decides besides which articles are out (see `timing`)."""

    live: tuple[int, ...]
    recent: tuple[int, ...]
    """Positions in the published list."""


def timing(places: list[Place], now: dt.datetime) -> Timing:
    """Which of the published places run a live blog now, and which are of the last 48 hours."""
    moment = now.timestamp()
    window = moment - NEWS_WINDOW.total_seconds()
    live = tuple(i for i, p in enumerate(places) if p.live and not p.page
                 and (p.live_until is None or p.live_until > moment))
    recent = tuple(i for i, p in enumerate(places) if not p.page and window < p.at <= moment)
    return Timing(live, recent)


def next_expiry(places: list[Place], shown: list[int], now: dt.datetime) -> dt.datetime | None:
    """When the next published article (`shown`: their positions) is taken down."""
    moment = now.timestamp()
    times = [places[i].expires for i in shown
             if places[i].expires is not None and places[i].expires > moment]
    return dt.datetime.fromtimestamp(min(times), dt.UTC) if times else None


def next_change(places: list[Place], published: list[int], due: dt.datetime | None,
                now: dt.datetime) -> dt.datetime | None:
    """The next time at which the site changes with no file changing: an article falls
    due (`due`, from next_due) or expires, a live blog ends, an article leaves the news
    sitemap's 48 hours. `published`: the positions of the articles shown."""
    moment = now.timestamp()
    window = NEWS_WINDOW.total_seconds()
    times = [due.timestamp()] if due else []
    for i in published:
        p = places[i]
        if p.expires is not None and p.expires > moment:
            times.append(p.expires)
        if p.live and p.live_until and p.live_until > moment:
            times.append(p.live_until)
        if not p.page and p.at <= moment < p.at + window:
            times.append(p.at + window)
    return dt.datetime.fromtimestamp(min(times), dt.UTC) if times else None


def next_due(places: list[Place], drafts: bool, future: bool, now: dt.datetime
             ) -> dt.datetime | None:
    """When the next article dated in the future goes live (a scheduled build publishes it)."""
    if future:
        return None
    moment = now.timestamp()
    due = [p for p in places if p.at > moment and not p.page and (drafts or not p.draft)]
    return min(due, key=lambda p: p.at).date if due else None


def withheld_urls(config: Config, places: list[Place], site: Site, drafts: bool,
                  future: bool, now: dt.datetime) -> dict[str, tuple[str, str]]:
    """The URLs of the articles a build must not show, each with its file and why (draft,
    future, expired); a URL that a shown article or page has is not one of them."""
    shown = set(published(places, drafts, future, now))
    moment = now.timestamp()
    live = {e.url for e in (*site.entries, *site.pages)}
    found: dict[str, tuple[str, str]] = {}
    for i, where in enumerate(places):
        if i not in shown:
            url = address(config, where)
            why = "draft" if where.draft and not drafts else \
                "future" if where.at > moment and not future else "expired"
            if url not in live:
                found.setdefault(url, (where.source, why))
    return found


def address(config: Config, where: Place) -> str:
    """The URL of an article or page, published or not."""
    if where.page:
        return fill(config.permalinks.page, slug=where.slug)
    topic = next((slugify(t) for t in where.topics), "")
    return article_url(config, where, where.date.astimezone(config.tz), topic)


def link_targets(config: Config, linking: list[Place], every: list[Place]
                 ) -> tuple[dict[str, str], list[Problem]]:
    """The URL of each content file the given places link to; a missing file is a problem
    at the link."""
    sources = {p.source: p for p in every}
    urls: dict[str, str] = {}
    problems = []
    for where in linking:
        for target, line, column in where.links:
            found = sources.get(target)
            if found is None:
                problems.append(problem(where.source, f"link to {target}: there is no such "
                                        "article file in the content folder", line, column))
            elif target not in urls:
                urls[target] = address(config, found)
    return urls, problems


def arrange(config: Config, places: list[Place], every: list[Place] | None = None,
            when: Timing | None = None, withdrawn: tuple[Place, ...] = ()) -> Shape:
    """Place published articles and pages, and group the articles; an URL that two files
    claim, as their address or as an earlier one (aliases), is a problem naming both.
    `withdrawn`: expired articles, whose URLs keep a notice unless a live page has one."""
    tz = config.tz
    articles = [i for i, p in enumerate(places) if not p.page]
    topic_names = display_names(config, [places[i] for i in articles])
    tag_names = display_names_for_tags([places[i] for i in articles])
    topic_refs = {s: Ref(s, name, topic_url(config, s)) for s, name in topic_names.items()}
    tag_refs = {s: Ref(s, name, tag_url(config, s)) for s, name in tag_names.items()}
    urls, local_dates, topics, tags = [], [], [], []
    for where in places:
        local = where.date.astimezone(tz)
        local_dates.append(local)
        if where.page:
            urls.append(fill(config.permalinks.page, slug=where.slug))
            topics.append(())
            tags.append(())
            continue
        slugs = tuple(dict.fromkeys(slugify(t) for t in where.topics))
        urls.append(article_url(config, where, local, slugs[0]))
        topics.append(tuple(topic_refs[s] for s in slugs))
        tags.append(tuple(tag_refs[s] for s in dict.fromkeys(slugify(t) for t in where.tags)))
    order = sorted(articles, key=lambda i: (-places[i].at, places[i].slug, places[i].source))
    pages = sorted((i for i, p in enumerate(places) if p.page), key=lambda i: places[i].slug)
    problems = []
    owner: dict[str, int] = {}
    for i in (*order, *pages):
        first = owner.setdefault(urls[i], i)
        if first != i:
            problems.append(problem(places[i].source, f"this article has the URL {urls[i]} of "
                                    f"{places[first].source}; give one of them another 'slug' "
                                    "or title"))
    redirects = []
    for i in (*order, *pages):
        for alias in earlier_urls(config, places[i], urls[i]):
            first = owner.setdefault(alias, i)
            if first != i:
                problems.append(problem(places[i].source, f"an earlier URL of this article, "
                                        f"{alias} ('aliases' or its git history), is the URL "
                                        f"of {places[first].source}; an earlier URL must not "
                                        "be a page's URL"))
            else:
                redirects.append((alias, i))
    by_topic: dict[str, list[int]] = defaultdict(list)
    by_tag: dict[str, list[int]] = defaultdict(list)
    by_day: dict[dt.date, list[int]] = defaultdict(list)
    for i in order:
        for ref in topics[i]:
            by_topic[ref.slug].append(i)
        for ref in tags[i]:
            by_tag[ref.slug].append(i)
        by_day[local_dates[i].date()].append(i)
    when = when or Timing((), ())
    notices = []
    for where in withdrawn:
        url = address(config, where)
        for gone in (url, *earlier_urls(config, where, url)):
            if owner.setdefault(gone, -1) == -1:
                notices.append((gone, where.source))
    rank = {i: n for n, i in enumerate(order)}
    configured = {slug: i for i, slug in enumerate(config.topics)}
    topic_slugs = sorted(by_topic, key=lambda s: (configured.get(s, len(configured)),
                                                  topic_names[s].casefold(), s))
    menu, menu_problems = menu_links(config, {places[i].slug: urls[i] for i in pages})
    links, link_problems = link_targets(config, places, places if every is None else every)
    return Shape(
        tuple(order), tuple(urls), tuple(local_dates), tuple(topics), tuple(tags),
        tuple((topic_refs[s], config.topics[s].description if s in config.topics else "",
               tuple(by_topic[s])) for s in topic_slugs),
        tuple((tag_refs[s], tuple(by_tag[s]))
              for s in sorted(by_tag, key=lambda s: (tag_names[s].casefold(), s))),
        tuple((day, tuple(by_day[day])) for day in sorted(by_day, reverse=True)),
        tuple(problems + menu_problems + link_problems), tuple(pages), tuple(redirects), menu,
        links, frozenset(when.live), tuple(sorted(when.recent, key=lambda i: rank[i])),
        tuple(notices))


def menu_links(config: Config, pages: dict[str, str]
               ) -> tuple[dict[str, tuple[tuple[str, str], ...]], list[Problem]]:
    """The menu's links as (name, URL); a page slug no page has is a problem."""
    links: dict[str, tuple[tuple[str, str], ...]] = {}
    problems = []
    for place in ("header", "footer"):
        found = []
        for item in getattr(config.menu, place):
            if item.page and item.page not in pages:
                problems.append(problem(config.root / "config.yaml", f"'menu': no page has the "
                                        f"slug {item.page!r}; give a file 'type: page' and "
                                        f"'slug: {item.page}'"))
                continue
            found.append((item.name, pages[item.page] if item.page else item.url))
        links[place] = tuple(found)
    return links, problems


def furnish(shape: Shape, articles: list[Article], known: dict[int, Entry] | None = None
            ) -> Site:
    """The site of a shape with these articles in it; `known` entries (by the id of their
    article) are used again where the same article stands in the same place."""
    known = known or {}
    entries: list[Entry] = []
    for i, article in enumerate(articles):
        entry = known.get(id(article))
        if entry is None or entry.article is not article or entry.url != shape.urls[i] or \
                entry.local_date != shape.local_dates[i] or entry.topics != shape.topics[i] \
                or entry.tags != shape.tags[i] or entry.teaser["live"] != (i in shape.live):
            entry = place(article, shape.urls[i], shape.local_dates[i], shape.topics[i],
                          shape.tags[i], i in shape.live)
        entries.append(entry)

    def pick(positions: tuple[int, ...]) -> tuple[Entry, ...]:
        return tuple(entries[i] for i in positions)

    return Site(pick(shape.order),
                tuple(Group(ref.slug, ref.name, ref.url, pick(positions), description)
                      for ref, description, positions in shape.topic_groups),
                tuple(Group(ref.slug, ref.name, ref.url, pick(positions))
                      for ref, positions in shape.tag_groups),
                tuple((day, pick(positions)) for day, positions in shape.days),
                pick(shape.pages), tuple((alias, entries[i]) for alias, i in shape.redirects),
                shape.menu, shape.links, pick(shape.recent), shape.notices)


def build_site(config: Config, articles: list[Article], *, drafts: bool = False,
               future: bool = False, now: dt.datetime,
               earlier: dict[str, tuple[tuple[str, dt.datetime | None], ...]] | None = None
               ) -> tuple[Site, list[Problem]]:
    """Place the published articles and group them; duplicate URLs are problems."""
    earlier = earlier or {}
    places = [place_of(a, earlier.get(a.source, ())) for a in articles]
    shown, expired = schedule(places, drafts, future, now)
    chosen, where = StoryMemo().fold(config.stories, [articles[i] for i in shown],
                                     [places[i] for i in shown], urls_of(config))
    gone = tuple(places[i] for i in expired)
    shape = arrange(config, where, places, timing(where, now), gone)
    return furnish(shape, chosen), list(shape.problems)


def urls_of(config: Config) -> Callable[[Place], tuple[str, ...]]:
    """A place's URL and its earlier ones: what a folded version leaves to redirect."""
    def urls(where: Place) -> tuple[str, ...]:
        url = address(config, where)
        return (url, *earlier_urls(config, where, url))
    return urls


NO_EARLIER: dict[str, tuple[tuple[str, dt.datetime | None], ...]] = {}
"""No article has earlier versions (never changed)."""


class SiteMemo:
    """The last shape of a long-running process: while no article's place changes, a build
    only puts the edited articles into it, and remakes only the groups they stand in."""

    def __init__(self) -> None:
        self.key: tuple[Any, ...] | None = None
        self.shape: Shape | None = None
        self.places: dict[int, tuple[Article, Place]] = {}
        self.articles: list[Article] = []
        self.site: Site | None = None
        self.last_places: list[Place] = []
        """The places of every article of the last build, published or not."""
        self.all_articles: list[Article] = []
        self.earlier: dict[str, tuple[tuple[str, dt.datetime | None], ...]] | None = None
        self.schedule = Schedule([], [])
        """Which of `last_places` the last build showed and took down."""
        self.stories = StoryMemo()

    def place_of(self, article: Article, earlier: tuple[tuple[str, dt.datetime | None], ...]
                 ) -> Place:
        known = self.places.get(id(article))
        if known is not None and known[0] is article and known[1].earlier == earlier:
            return known[1]
        return place_of(article, earlier)

    def build(self, config: Config, articles: list[Article], *, drafts: bool = False,
              future: bool = False, now: dt.datetime,
              earlier: dict[str, tuple[tuple[str, dt.datetime | None], ...]] | None = None
              ) -> tuple[Site, list[Problem]]:
        earlier = earlier or NO_EARLIER  # one object: a site without history keeps its places
        last = self.all_articles
        if earlier is self.earlier and len(last) == len(articles):
            # the usual edit: the same articles, one or two of them new objects
            places = [p if a is old else self.place_of(a, earlier.get(a.source, ()))
                      for a, old, p in zip(articles, last, self.last_places, strict=True)]
        else:
            places = [self.place_of(a, earlier.get(a.source, ())) for a in articles]
            self.places = {id(a): (a, p) for a, p in zip(articles, places, strict=True)}
        self.last_places, self.all_articles, self.earlier = places, articles, earlier
        self.schedule = schedule(places, drafts, future, now)
        shown, expired = self.schedule
        chosen, where = self.stories.fold(config.stories, [articles[i] for i in shown],
                                          [places[i] for i in shown], urls_of(config))
        when = timing(where, now)
        gone = tuple(expired)
        key = (config.fingerprint(), tuple(places), tuple(shown), tuple(where), when, gone)
        if key == self.key and self.shape is not None and self.site is not None:
            site = self.refurnish(self.shape, self.site, chosen)
        else:
            self.shape = arrange(config, where, places, when, tuple(places[i] for i in gone))
            self.key = key
            site = furnish(self.shape, chosen)
        self.articles, self.site = chosen, site
        return site, list(self.shape.problems)

    def refurnish(self, shape: Shape, site: Site, articles: list[Article]) -> Site:
        """The last site with the articles that changed put in their places."""
        changed = [i for i, (new, old) in enumerate(zip(articles, self.articles, strict=True))
                   if new is not old]
        if not changed:
            return site
        rank = {i: n for n, i in enumerate(shape.order)}
        standalone = {i: n for n, i in enumerate(shape.pages)}
        entries = list(site.entries)
        swaps: dict[int, Entry] = {}
        for i in changed:
            old = entries[rank[i]] if i in rank else site.pages[standalone[i]]
            swaps[id(old)] = place(articles[i], shape.urls[i], shape.local_dates[i],
                                   shape.topics[i], shape.tags[i], i in shape.live)
            if i in rank:
                entries[rank[i]] = swaps[id(old)]
        topics = {ref.slug for i in changed for ref in shape.topics[i]}
        tags = {ref.slug for i in changed for ref in shape.tags[i]}
        days = {shape.local_dates[i].date() for i in changed}

        def swap(group: tuple[Entry, ...]) -> tuple[Entry, ...]:
            return tuple(swaps.get(id(e), e) for e in group)

        return Site(tuple(entries),
                    tuple(dataclasses.replace(g, entries=swap(g.entries)) if g.slug in topics
                          else g for g in site.topics),
                    tuple(dataclasses.replace(g, entries=swap(g.entries)) if g.slug in tags
                          else g for g in site.tags),
                    tuple((day, swap(group)) if day in days else (day, group)
                          for day, group in site.days),
                    swap(site.pages),
                    tuple((alias, swaps.get(id(e), e)) for alias, e in site.redirects),
                    site.menu, site.links, swap(site.recent), site.notices)


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
