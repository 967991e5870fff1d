"""Site configuration: config.yaml into frozen dataclasses, strictly validated."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import markdown
from babel import Locale, UnknownLocaleError

from ..errors import DigestError, Problem, problem
from .schema import SchemaProblem, build_dataclass, key_label
from .textfile import decode
from .yamltext import YamlSyntaxError, key_position, load_yaml


@dataclass(frozen=True)
class TopicInfo:
    """How one topic is shown: its display name and a one-line description."""

    name: str = ""
    """Display name; by default the most common spelling in the articles."""
    description: str = ""
    """Shown on the topic page and the topic index."""
    keywords: tuple[str, ...] = ()
    """Words that give this topic to an article without one (§10): 'Bundesliga*' and
    '*fußball*' match compounds; case and umlauts do not matter."""
    exclude: tuple[str, ...] = ()
    """Words that keep an article out of this topic whatever else it matches."""


@dataclass(frozen=True)
class Permalinks:
    """URL patterns; each must start and end with a slash."""

    article: str = "/{year}/{month}/{day}/{slug}/"
    """Placeholders: {year} {month} {day} {slug} {topic}."""
    day: str = "/{year}/{month}/{day}/"
    month: str = "/{year}/{month}/"
    year: str = "/{year}/"
    topic: str = "/topics/{topic}/"
    tag: str = "/tags/{tag}/"
    page: str = "/{slug}/"
    """A standalone page (Impressum, Datenschutz)."""
    topics_index: str = "/topics/"
    """The list of all topics; a German site may prefer /themen/."""
    tags_index: str = "/tags/"
    archive: str = "/archive/"
    search: str = "/search/"
    corrections: str = ""
    """Every correction, newest first; by default /korrekturen/ (German) or /corrections/."""


@dataclass(frozen=True)
class Newsletter:
    """The daily edition as an e-mail (`digest newsletter`): who sends it, who gets it."""

    from_: str = ""
    """The sender, as `from:`: Redaktion <redaktion@example.org>."""
    to: tuple[str, ...] = ()
    """The recipients: a list of addresses, such as a mailing list's."""
    subject: str = "{title} – {date}"
    """Placeholders: {title} (the site's) and {date} (the edition's)."""


@dataclass(frozen=True)
class Smtp:
    """The mail server `digest newsletter --send` delivers through."""

    host: str = ""
    port: int = 0
    """By default 587 with starttls, 465 with ssl, 25 without."""
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str = ""
    password_env: str = ""
    """The name of the environment variable that holds the password: never the password."""


@dataclass(frozen=True)
class MenuItem:
    """One link of the header or footer menu: to a standalone page by its slug, or a URL."""

    name: str
    page: str = ""
    """The slug of a file with `type: page` (impressum)."""
    url: str = ""
    """Any URL; a root-relative one (/themen/) gets the site's base path."""


@dataclass(frozen=True)
class Menu:
    """Links beside the topics in the header, and in the footer (Impressum, Datenschutz)."""

    header: tuple[MenuItem, ...] = ()
    footer: tuple[MenuItem, ...] = ()


@dataclass(frozen=True)
class MarkdownSettings:
    """Python-Markdown extensions and their options."""

    extensions: tuple[str, ...] = ("extra", "toc", "sane_lists")
    """Typographic quotes are added by digest itself in the site language."""
    extension_configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    typographer: bool = True
    """Turn straight quotes, dashes and ellipses into typographic ones."""


@dataclass(frozen=True)
class Feeds:
    """Atom feeds for the whole site and for each topic."""

    entries: int = 20
    """How many of the newest articles a feed lists."""
    topics: bool = True
    """Write a feed for every topic too."""
    full_content: bool = True
    """Put the whole article into the feed, not only its summary."""


@dataclass(frozen=True)
class Stories:
    """Wire updates and duplicates folded into one story (§10)."""

    fold: bool = True
    window: int = 72
    """Hours between two versions of one story, at most."""
    similarity: float = 0.4
    """Jaccard similarity of two texts' word shingles from which they are one story: versions
    of one wire story score 0.45 to 0.85 in the tests' agency copy, different stories of the
    same day and topic below 0.05."""


@dataclass(frozen=True)
class Config:
    """Everything config.yaml can say, with the defaults a new site gets."""

    root: Path
    """The folder config.yaml is in; relative paths start there."""
    title: str = "Digest"
    description: str = ""
    base_url: str = "http://localhost:8000/"
    """Where the site is published; a sub-path (https://user.github.io/news/) works too."""
    language: str = "de"
    timezone: str = "Europe/Berlin"
    """IANA name; days and editions are taken in this timezone."""
    theme: str = "default"
    per_page: int = 20
    front_page_days: int = 3
    default_topic: str = "Allgemein"
    topics: dict[str, TopicInfo] = field(default_factory=dict)
    """By topic slug; the order here is the order of the navigation."""
    permalinks: Permalinks = field(default_factory=Permalinks)
    markdown: MarkdownSettings = field(default_factory=MarkdownSettings)
    allow_raw_html: bool = False
    """Keep raw HTML in Markdown as it is; by default it is sanitized."""
    feeds: Feeds = field(default_factory=Feeds)
    menu: Menu = field(default_factory=Menu)
    agencies: tuple[str, ...] = ()
    """Agencies whose dateline gives an article its source, beside dpa, AFP, AP, Reuters, …"""
    inbox_dir: str = ""
    """A folder in content/ for agency copy: its articles take their topic by keyword."""
    stories: Stories = field(default_factory=Stories)
    newsletter: Newsletter = field(default_factory=Newsletter)
    smtp: Smtp = field(default_factory=Smtp)
    search: bool = True
    author: str = ""
    """Publisher name for feeds and structured data; defaults to the title."""
    cname: str | None = None
    """Custom domain for GitHub Pages, written as CNAME by `digest publish`."""
    on_error: Literal["strict", "skip"] = "strict"
    """skip: build the valid articles, report the invalid ones as warnings."""
    max_file_size: int = 2_000_000
    """Article files larger than this many bytes are skipped with a warning."""
    content_dir: str = "content"
    output_dir: str = "output"
    static_dir: str = "static"
    cache_dir: str = ".digest-cache"

    @property
    def content_path(self) -> Path:
        return self.root / self.content_dir

    @property
    def output_path(self) -> Path:
        return self.root / self.output_dir

    @property
    def static_path(self) -> Path:
        return self.root / self.static_dir

    @property
    def cache_path(self) -> Path:
        return self.root / self.cache_dir

    @property
    def base_path(self) -> str:
        """The URL path the site lives under: '/' or '/newsdigest/'."""
        return urlsplit(self.base_url).path or "/"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def corrections_url(self) -> str:
        """Where the corrections page is: permalinks.corrections, else by the language."""
        return self.permalinks.corrections or ("/korrekturen/" if self.lang == "de"
                                               else "/corrections/")

    @property
    def lang(self) -> str:
        """The primary language subtag: 'de' for 'de-AT'."""
        return re.split(r"[-_]", self.language)[0].lower()

    def fingerprint(self) -> str:
        """A hash of every setting, for caches that any setting may invalidate."""
        return hashlib.sha1(repr(dataclasses.astuple(self)).encode()).hexdigest()


COMMAND_LINE = {"output_dir": "--output", "base_url": "--base-url"}
"""Settings the command line can override; their errors name the option, not config.yaml."""

PLACEHOLDERS = {
    "article": {"year", "month", "day", "slug", "topic"},
    "day": {"year", "month", "day"},
    "month": {"year", "month"},
    "year": {"year"},
    "topic": {"topic"},
    "tag": {"tag"},
    "page": {"slug"},
    "topics_index": set(),
    "tags_index": set(),
    "archive": set(),
    "search": set(),
    "corrections": set(),
}
"""The placeholders each permalink pattern may use; an index page has one fixed URL."""


def check_values(config: Config) -> list[SchemaProblem]:
    """Check what types alone cannot: URLs, timezones, patterns, positive numbers."""
    found: list[SchemaProblem] = []
    parts = urlsplit(config.base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        found.append(SchemaProblem(("base_url",), "expected an http(s) URL such as "
                                   f"'https://user.github.io/news/', got {config.base_url!r}"))
    try:
        zoneinfo.ZoneInfo(config.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        found.append(SchemaProblem(("timezone",), "expected an IANA timezone such as "
                                   f"'Europe/Berlin', got {config.timezone!r}"))
    for place in ("header", "footer"):
        for number, item in enumerate(getattr(config.menu, place)):
            if bool(item.page) == bool(item.url):
                found.append(SchemaProblem(("menu", place, number), "give either 'page' (the "
                                           "slug of a page) or 'url', not both or neither"))
    for name in ("per_page", "front_page_days", "max_file_size"):
        if getattr(config, name) < 1:
            found.append(SchemaProblem((name,), "expected a number of at least 1"))
    if config.feeds.entries < 1:
        found.append(SchemaProblem(("feeds", "entries"), "expected a number of at least 1"))
    for kind, allowed in PLACEHOLDERS.items():
        pattern = getattr(resolved(config), kind)
        used = set(re.findall(r"\{(\w+)\}", pattern))
        segments = pattern.strip("/").split("/")
        if not pattern.startswith("/") or not pattern.endswith("/"):
            message = f"expected a pattern that starts and ends with '/', got {pattern!r}"
        elif used - allowed and not allowed:
            message = f"placeholder {{{sorted(used)[0]}}} in {pattern!r}: this page has one " \
                      "URL, so its pattern takes no placeholders"
        elif used - allowed:
            message = f"unknown placeholder {{{sorted(used - allowed)[0]}}} in {pattern!r}; " \
                      f"use {', '.join('{' + p + '}' for p in sorted(allowed))}"
        elif any(s in (".", "..") or "\\" in s for s in segments) or "//" in pattern:
            message = f"the pattern {pattern!r} would leave the output folder"
        else:
            continue
        found.append(SchemaProblem(("permalinks", kind), message))
    found += permalink_clashes(resolved(config))
    if config.smtp.port and not 0 < config.smtp.port < 65536:
        found.append(SchemaProblem(("smtp", "port"), "expected a port from 1 to 65535"))
    env_name = config.smtp.password_env
    if env_name and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", env_name):
        found.append(SchemaProblem(("smtp", "password_env"), "expected the name of an "
                                   f"environment variable such as SMTP_PASSWORD, got "
                                   f"{env_name!r}; the password itself never goes into "
                                   "config.yaml"))
    for number, address in enumerate(config.newsletter.to):
        if "@" not in address:
            found.append(SchemaProblem(("newsletter", "to", number), "expected an e-mail "
                                       f"address, got {address!r}"))
    if config.newsletter.from_ and "@" not in config.newsletter.from_:
        found.append(SchemaProblem(("newsletter", "from"), "expected an e-mail address such "
                                   f"as 'Redaktion <redaktion@example.org>', got "
                                   f"{config.newsletter.from_!r}"))
    for name in ("content_dir", "output_dir"):
        if not getattr(config, name).strip():
            found.append(SchemaProblem((name,), "expected a folder name"))
    found += check_output_folder(config)
    try:
        Locale.parse(config.language.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        found.append(SchemaProblem(("language",), "expected a language tag such as 'de' or "
                                   f"'en-GB', got {config.language!r}"))
    if config.theme != "default" and not (config.root / "themes" / config.theme).is_dir():
        found.append(SchemaProblem(("theme",), f"no folder themes/{config.theme}/ in the site"))
    found += agency_problems(config)
    markdown_problem = check_markdown(config.markdown)
    if markdown_problem:
        found.append(markdown_problem)
    return found


def rule_problem(rule: str) -> str | None:
    """Why a keyword or exclude rule cannot be used, or None."""
    core = rule.strip().strip("*")
    if not re.search(r"\w", core):
        return f"a rule needs letters or digits: {rule!r} matches nothing or everything"
    if "*" in core:
        return f"'*' may only start or end a rule ('Bundesliga*', '*fußball*'), got {rule!r}"
    return None


def agency_problems(config: Config) -> list[SchemaProblem]:
    """Keyword rules that match nothing or everything, empty agencies, odd story settings."""
    found = []
    for slug, info in config.topics.items():
        for kind in ("keywords", "exclude"):
            for number, rule in enumerate(getattr(info, kind)):
                message = rule_problem(rule)
                if message:
                    found.append(SchemaProblem(("topics", slug, kind, number), message))
    for number, name in enumerate(config.agencies):
        if not name.strip() or any(c in name for c in "()/,"):
            found.append(SchemaProblem(("agencies", number), "expected an agency's name as "
                                       f"its datelines write it ('dpa', 'AFP'), got {name!r}"))
    if config.stories.window < 1:
        found.append(SchemaProblem(("stories", "window"), "expected a number of hours of at "
                                   "least 1"))
    if not 0 < config.stories.similarity <= 1:
        found.append(SchemaProblem(("stories", "similarity"), "expected a number above 0 and "
                                   f"at most 1, got {config.stories.similarity}"))
    if config.inbox_dir.strip("/") != config.inbox_dir or "/" in config.inbox_dir or \
            config.inbox_dir in (".", ".."):
        found.append(SchemaProblem(("inbox_dir",), "expected the name of a folder directly in "
                                   f"the content folder, got {config.inbox_dir!r}"))
    return found


def resolved(config: Config) -> Permalinks:
    """The permalinks with the corrections page's default filled in."""
    return dataclasses.replace(config.permalinks, corrections=config.corrections_url)


def config_problem(config: Config, keys: tuple[str | int, ...], message: str) -> Problem:
    """A problem at a key of config.yaml, found again in the file for its line."""
    path = config.root / "config.yaml"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError:
        text = ""
    line, column = key_position(text, keys) if text else (1, 1)
    return problem(path, f"'{key_label(keys)}': {message}", line, column)


def permalink_clashes(permalinks: Permalinks) -> list[SchemaProblem]:
    """Two patterns alike would write two pages to one file: name both keys."""
    defaults = Permalinks()
    owners: dict[str, str] = {}
    found = []
    for kind in PLACEHOLDERS:
        pattern = getattr(permalinks, kind)
        if pattern == "/":
            found.append(SchemaProblem(("permalinks", kind), "'/' is the URL of the front "
                                       "page; give this page a URL of its own"))
            continue
        first = owners.setdefault(pattern, kind)
        if first == kind:
            continue
        # the problem sits at the key set in config.yaml: a default one is not in the file
        blamed, other = (first, kind) if pattern == getattr(defaults, kind) else (kind, first)
        found.append(SchemaProblem(("permalinks", blamed), f"{pattern!r} is also the URL of "
                                   f"'permalinks.{other}'; give each page a URL of its own"))
    return found


def check_output_folder(config: Config) -> list[SchemaProblem]:
    """The output folder is emptied and rewritten: it must hold none of the site's sources."""
    output = config.output_path.resolve()
    root = config.root.resolve()
    sources = {"the site folder": root, "the content folder": config.content_path.resolve(),
               "the static folder": config.static_path.resolve(),
               "the themes folder": (root / "themes").resolve(),
               "the cache folder": config.cache_path.resolve()}
    for name, folder in sources.items():
        if output == folder or folder.is_relative_to(output) or (
                name != "the site folder" and output.is_relative_to(folder)):
            return [SchemaProblem(("output_dir",), f"the output folder {str(output)!r} must "
                                  f"neither be nor hold nor lie inside {name}")]
    return []


def check_markdown(settings: MarkdownSettings) -> SchemaProblem | None:
    """Load the Markdown extensions once, so a typo is a message, not a crash mid-build."""
    return markdown_problem(Settings(settings))


class Settings:
    """Markdown settings compared by their text, so that checking them can be memoized."""

    def __init__(self, settings: MarkdownSettings) -> None:
        self.settings, self.key = settings, repr(settings)

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Settings) and other.key == self.key


@functools.lru_cache(maxsize=8)
def markdown_problem(held: Settings) -> SchemaProblem | None:
    """check_markdown, once per process for the same settings: digest serve loads
    config.yaml before every build."""
    settings = held.settings
    try:
        markdown.Markdown(extensions=list(settings.extensions),
                          extension_configs={k: dict(v) for k, v in
                                             settings.extension_configs.items()})
    except ImportError as exc:
        name = getattr(exc, "name", None) or str(exc)
        return SchemaProblem(("markdown", "extensions"), f"unknown Markdown extension {name!r}")
    except KeyError as exc:
        return SchemaProblem(("markdown", "extension_configs"),
                             f"unknown option {exc} for a Markdown extension")
    except (TypeError, ValueError, AttributeError) as exc:
        return SchemaProblem(("markdown",), f"the Markdown settings do not work: {exc}")
    return None


def load_config(path: Path, overrides: dict[str, Any] | None = None) -> Config:
    """Read and validate config.yaml; raise DigestError listing every problem in it."""
    try:
        text, bad = decode(path.read_bytes(), str(path))
    except FileNotFoundError:
        raise DigestError(problem(path, "no config.yaml here; create a site with "
                                  "'digest init' or name one with --config")) from None
    except OSError as exc:
        raise DigestError(problem(path, f"cannot be read: {exc.strerror}")) from None
    if bad or text is None:
        raise DigestError(bad or problem(path, "cannot be read"))
    try:
        data = load_yaml(text)
    except YamlSyntaxError as exc:
        raise DigestError(problem(path, exc.message, exc.line, exc.column)) from None
    return config_from_data(path, text, data, overrides)


def config_from_data(path: Path, text: str, data: Any,
                     overrides: dict[str, Any] | None = None) -> Config:
    """Validate parsed config data; every problem carries the line of its key."""
    found: list[SchemaProblem] = []
    config = build_dataclass(Config, data, (), found, fixed={"root": path.parent})
    if not found:
        if overrides:
            config = dataclasses.replace(config, **overrides)
        if not config.base_url.endswith("/"):
            config = dataclasses.replace(config, base_url=config.base_url + "/")
        found = check_values(config)
    if found:
        problems: list[Problem] = []
        for item in found:
            label = key_label(item.keys)
            flag = COMMAND_LINE.get(str(item.keys[0])) if item.keys and overrides and \
                str(item.keys[0]) in overrides else None
            if flag:
                problems.append(Problem("command line", 0, 0, f"'{flag}': {item.message}"))
                continue
            line, column = key_position(text, item.keys) if item.keys else (1, 1)
            problems.append(problem(path, f"'{label}': {item.message}" if label else item.message,
                                    line, column))
        raise DigestError(sorted(problems, key=lambda p: (p.line, p.column)))
    return config
