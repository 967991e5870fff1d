"""Site configuration: config.yaml into frozen dataclasses, strictly validated."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from .errors import DigestError, Problem, problem
from .schema import SchemaProblem, build_dataclass, key_label
from .yamltext import YamlSyntaxError, key_position, load_yaml


@dataclass(frozen=True)
class TopicInfo:
    """How one topic is shown: its display name and a one-line description."""

    name: str = ""
    """Display name; by default the most common spelling in the articles."""
    description: str = ""
    """Shown on the topic page and the topic index."""


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
    def lang(self) -> str:
        """The primary language subtag: 'de' for 'de-AT'."""
        return re.split(r"[-_]", self.language)[0].lower()

    def fingerprint(self) -> str:
        """A hash of every setting, for caches that any setting may invalidate."""
        return hashlib.sha1(repr(dataclasses.astuple(self)).encode()).hexdigest()


PLACEHOLDERS = {
    "article": {"year", "month", "day", "slug", "topic"},
    "day": {"year", "month", "day"},
    "month": {"year", "month"},
    "year": {"year"},
    "topic": {"topic"},
    "tag": {"tag"},
}


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
    for name in ("per_page", "front_page_days", "max_file_size"):
        if getattr(config, name) < 1:
            found.append(SchemaProblem((name,), "expected a number of at least 1"))
    if config.feeds.entries < 1:
        found.append(SchemaProblem(("feeds", "entries"), "expected a number of at least 1"))
    for kind, allowed in PLACEHOLDERS.items():
        pattern = getattr(config.permalinks, kind)
        used = set(re.findall(r"\{(\w+)\}", pattern))
        segments = pattern.strip("/").split("/")
        if not pattern.startswith("/") or not pattern.endswith("/"):
            message = f"expected a pattern that starts and ends with '/', got {pattern!r}"
        elif used - allowed:
            message = f"unknown placeholder {{{sorted(used - allowed)[0]}}} in {pattern!r}; " \
                      f"use {', '.join('{' + p + '}' for p in sorted(allowed))}"
        elif any(s in (".", "..") or "\\" in s for s in segments) or "//" in pattern:
            message = f"the pattern {pattern!r} would leave the output folder"
        else:
            continue
        found.append(SchemaProblem(("permalinks", kind), message))
    for name in ("content_dir", "output_dir"):
        if not getattr(config, name).strip():
            found.append(SchemaProblem((name,), "expected a folder name"))
    if config.output_path.resolve() in (config.root.resolve(), config.content_path.resolve()):
        found.append(SchemaProblem(("output_dir",), "the output folder must not be the site "
                                   "folder or the content folder"))
    return found


def load_config(path: Path, overrides: dict[str, Any] | None = None) -> Config:
    """Read and validate config.yaml; raise DigestError listing every problem in it."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DigestError(problem(path, "no config.yaml here; create a site with "
                                  "'digest init' or name one with --config")) from None
    except UnicodeDecodeError as exc:
        raise DigestError(problem(path, f"not UTF-8 text (byte {exc.start})")) from None
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
            line, column = key_position(text, item.keys) if item.keys else (1, 1)
            label = key_label(item.keys)
            problems.append(problem(path, f"'{label}': {item.message}" if label else item.message,
                                    line, column))
        raise DigestError(problems)
    return config
