"""Reading one article file: front matter or agency copy into a typed Article."""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ..agency.dateline import Agencies
from ..agency.keywords import TopicRules, words_of
from ..agency.stories import sketch
from ..config import Config
from ..config.textfile import decode
from ..config.yamltext import YamlSyntaxError, key_position, load_yaml
from ..errors import Problem, problem, warning
from ..markup import Markup, shorten, title_from_markdown
from ..markup.liveblog import TIME, split_entries
from ..markup.pictures import body_images
from ..model import Article, LiveEntry
from ..slugs import slugify
from .frontmatter import (
    DATE_FIELDS,
    KNOWN_FIELDS,
    NOTICE_FIELDS,
    FieldError,
    as_datetime,
    as_notices,
    in_supported_range,
)
from .gitdates import FirstCommit

DATE_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[-_ ]|$)")
YEAR = re.compile(r"^\d{4}$")
FRONT_MATTER_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)


@dataclass(frozen=True)
class SourceFile:
    """An article file found under content/, not yet read."""

    path: Path
    rel_path: str
    display: str
    kind: str


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """Return (front matter or None, body, line number where the body starts)."""
    if not text.startswith("---") or text[3:4] not in ("\n", " ", "\t", ""):
        return None, text, 1
    first_newline = text.find("\n")
    if first_newline < 0:
        return "", "", 1
    end = FRONT_MATTER_END.search(text, first_newline + 1)
    if not end:
        raise ValueError("the front matter that starts with '---' has no closing '---' line")
    front = text[first_newline + 1:end.start()]
    body = text[end.end() + 1:]
    return front, body, text[:end.end()].count("\n") + 2


FRONT_MATTER_KEYS = frozenset((*KNOWN_FIELDS, *DATE_FIELDS, "featured", "aliases", "type",
                               "updates", "corrections", "live", "live_until", "expires",
                               "dateline", "image_caption", "image_credit"))
"""Keys that open a file which lost its first '---'; a body line such as 'Berlin: Der Senat'
starts with no such key."""
FRONT_MATTER_LINE = re.compile(r"^([a-z_]+):(?: |$)")


def missing_opening(text: str) -> tuple[str, int] | None:
    """The message and line when a Markdown file starts with front matter but no '---'.

    Without this check the YAML would be published as the article's text and pass check.
    """
    lines = text.split("\n")
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    match = FRONT_MATTER_LINE.match(lines[first]) if first is not None else None
    if not match or match.group(1) not in FRONT_MATTER_KEYS:
        return None
    key = match.group(1)
    above = "as the first line" + ("" if first == 0 else
                                   f", in place of the empty lines above '{key}:'")
    block = (ln for ln in lines[first:] if not ln.strip() or FRONT_MATTER_END.match(ln))
    if next(block, "").strip():  # a '---' line ends the block before any blank line does
        return f"'{key}': the front matter has no opening '---'; add a line '---' {above}", \
            first + 1
    return (f"'{key}': the front matter needs '---' lines around it; add a line '---' {above}, "
            "and another after the last front matter line", first + 1)


def is_date_only(value: Any) -> bool:
    """A YAML date or a YYYY-MM-DD string: the day is known, the time is not."""
    if isinstance(value, str):
        return len(value.strip()) == 10
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def read_source(source: SourceFile, max_size: int
                ) -> tuple[bytes | None, float, list[Problem]]:
    """The bytes of an article file, or None with a warning for files that are not articles."""
    try:
        handle = os.open(source.path, os.O_RDONLY)
        try:
            stat = os.fstat(handle)
            if stat.st_size > max_size:
                return None, 0.0, [warning(source.display, f"skipped: {stat.st_size:,} bytes is "
                                           f"more than max_file_size ({max_size:,})")]
            data = os.read(handle, stat.st_size + 1)
            while len(data) > stat.st_size and (more := os.read(handle, 1 << 20)):
                data += more  # the file grew while being read
        finally:
            os.close(handle)
    except OSError as exc:
        return None, 0.0, [problem(source.display, f"cannot be read: {exc.strerror}")]
    if b"\0" in data:
        return None, 0.0, [warning(source.display, "skipped: a binary file, not text")]
    if not data.strip():
        return None, 0.0, [warning(source.display, "skipped: the file is empty")]
    return data, stat.st_mtime, []


def links_in(text: str, found: tuple[tuple[str, str], ...]
             ) -> tuple[tuple[str, int, int], ...]:
    """Each link to an article file as (its file as a source path, line, column): where a
    link to a missing file is reported."""
    lines = text.split("\n")
    links = []
    for target, written in found:
        line, column = next(((n, row.index(written) + 1) for n, row in enumerate(lines, 1)
                             if written in row), (1, 1))
        links.append((target, line, column))
    return tuple(links)


PAGE_DATE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
"""The date of a standalone page that gives none: it is in no listing, feed or edition."""


class ArticleReader:
    """Reads article files into Articles; holds the reusable Markdown converter."""

    def __init__(self, config: Config):
        self.config = config
        self.tz = config.tz
        self.markup = Markup(config.markdown, config.lang, config.allow_raw_html,
                             config.base_path)
        self.agencies = Agencies(config.agencies)
        self.rules = TopicRules({slug: (info.keywords, info.exclude)
                                 for slug, info in config.topics.items()})

    def read(self, source: SourceFile, siblings: frozenset[str] = frozenset()
             ) -> tuple[Article | None, list[Problem]]:
        """Read one file; return the article, or None and the reasons."""
        data, mtime, problems = read_source(source, self.config.max_file_size)
        if data is None:
            return None, problems
        return self.from_bytes(source, data, mtime, siblings)

    def from_bytes(self, source: SourceFile, data: bytes, mtime: float,
                   siblings: frozenset[str] = frozenset(), fingerprint: str = "",
                   first_commit: FirstCommit | None = None
                   ) -> tuple[Article | None, list[Problem]]:
        """Decode and parse the bytes of one article file."""
        text, bad = decode(data, source.display)
        if bad or text is None:
            return None, [bad] if bad else []
        text = unicodedata.normalize("NFC", text)  # macOS editors may write NFD
        return self.parse(source, text, mtime, siblings, fingerprint, first_commit)

    def parse(self, source: SourceFile, text: str, mtime: float,
              siblings: frozenset[str] = frozenset(), fingerprint: str = "",
              first_commit: FirstCommit | None = None
              ) -> tuple[Article | None, list[Problem]]:
        """Turn the text of one article file into an Article (see Article.fingerprint)."""
        display = source.display
        try:
            front, body, body_line = split_front_matter(text)
        except ValueError as exc:
            return None, [problem(display, str(exc), 1, 1)]
        if front is None and source.kind == "md" and (lost := missing_opening(text)):
            return None, [problem(display, lost[0], lost[1], 1)]
        meta: dict[str, Any] = {}
        if front is not None:
            try:
                loaded = load_yaml(front)
            except YamlSyntaxError as exc:
                return None, [problem(display, exc.message, exc.line + 1, exc.column)]
            if loaded is not None and not isinstance(loaded, dict):
                return None, [problem(display, "the front matter must be 'key: value' lines",
                                      2, 1)]
            meta = {str(k): v for k, v in (loaded or {}).items()}

        problems: list[Problem] = []

        def at(key: str, message: str, inside: tuple[str | int, ...] = ()) -> Problem:
            line, column = key_position(front or "", (key, *inside))
            return problem(display, f"'{key}': {message}", line + 1, column)

        fields: dict[str, Any] = {}
        for key, convert in KNOWN_FIELDS.items():
            if key in meta:
                try:
                    fields[key] = convert(meta[key])
                except FieldError as exc:
                    problems.append(at(key, str(exc)))
        for key in DATE_FIELDS:
            if key in meta and meta[key] is not None:
                try:
                    fields[key] = as_datetime(meta[key], self.tz)
                except FieldError as exc:
                    problems.append(at(key, str(exc)))
        for key in NOTICE_FIELDS:
            if key in meta and meta[key] is not None:
                try:
                    fields[key] = as_notices(meta[key], self.tz)
                except FieldError as exc:
                    problems.append(at(key, str(exc), exc.keys))
        if "topic" in meta and "topics" in meta:
            problems.append(at("topics", "give either 'topic' or 'topics', not both"))

        if source.kind == "txt" and front is None:
            lines = body.strip("\n").split("\n", 1)
            heading = lines[0].strip()
            body = lines[1] if len(lines) > 1 else ""
            title = fields.get("title") or heading
        elif source.kind == "txt":
            title = fields.get("title")
        else:
            heading, body = title_from_markdown(body)
            if fields.get("live") and heading and TIME.match(heading):
                heading = None  # the first entry of a live blog, not its headline
            title = fields.get("title") or heading
        if not title:
            first = next((ln.strip() for ln in body.split("\n") if ln.strip()), "")
            title = shorten(first, 120)
        if not title:
            problems.append(problem(display, "no title: add 'title:' to the front matter or a "
                                    "first line", 1, 1))

        date, from_mtime = fields.get("date"), False
        time_known = date is not None and not is_date_only(meta.get("date"))
        reported = "date" in meta and meta["date"] is not None  # a bad date is reported above
        if date is None:
            try:
                date = self.date_from_path(source.rel_path)
            except FieldError as exc:
                problems.append(problem(display, f"'date': {exc}", 1, 1))
                reported = True
        if date is None and reported:
            date = dt.datetime.fromtimestamp(int(mtime), self.tz)
        elif date is None and fields.get("type") == "page":
            date = PAGE_DATE  # a standalone page has no date; nothing shows one
        elif date is None and first_commit is not None:  # the same in every full clone
            date, time_known = dt.datetime.fromtimestamp(first_commit.timestamp, self.tz), True
            if first_commit.shallow:
                problems.append(first_commit.shallow)
            try:
                in_supported_range(date, self.tz)
            except FieldError as exc:
                problems.append(problem(display, f"'date': {exc} from the git commit that "
                                        "added the file; add 'date:'", 1, 1))
        elif date is None:
            date, from_mtime = dt.datetime.fromtimestamp(int(mtime), self.tz), True
            problems.append(warning(display, "no date in the front matter, the file name or the "
                                    "folders; using the file's modification time"))
            try:
                in_supported_range(date, self.tz)
            except FieldError as exc:
                problems.append(problem(display, f"'date': {exc} from the file's modification "
                                        "time; add 'date:'", 1, 1))

        opening = self.agencies.dateline(body)
        if opening:
            body = body[opening.end:]
        dateline = fields.get("dateline") or (opening.place if opening else None)
        source_name = fields.get("source") or (opening.agency if opening else None)

        slug = slugify(fields.get("slug") or title or "")
        if not slug and title:
            problems.append(at("slug", "the slug has no letters or digits") if "slug" in meta
                            else problem(display, "the title has no letters or digits to make "
                                         "a URL from; add 'slug:'", 1, 1))
        topics, from_folder = self.topics_of(source.rel_path, fields)
        topic_words: tuple[tuple[str, int], ...] = ()
        words = words_of(body)
        if from_folder and self.rules and self.in_inbox(source.rel_path):
            choice = self.rules.choose(title or "", words)
            if choice:
                info = self.config.topics[choice.topic]
                topics, topic_words = (info.name or choice.topic,), choice.words
        for key, names in (("topic" if "topic" in meta else "topics", topics),
                           ("tags", fields.get("tags", ()))):
            if any(not slugify(name) for name in names):
                problems.append(at(key, "every name needs letters or digits"))

        image = fields.get("image")
        if image and "://" not in image:
            resolved = (PurePosixPath(source.rel_path).parent / image).as_posix()
            if resolved not in siblings:
                problems.append(at("image", f"no file {image!r} next to the article"))
        if any(not p.warning for p in problems):
            return None, problems

        rendered = self.markup.render(body, source.kind, fields.get("lang"),
                                      PurePosixPath(display).parent.as_posix())
        links = links_in(text, rendered.links)
        summary = fields.get("summary") or shorten(rendered.first_paragraph)
        extra = {k: v for k, v in meta.items()
                 if k not in KNOWN_FIELDS and k not in DATE_FIELDS and k not in NOTICE_FIELDS}
        body_html, entries = rendered.html, ()
        if fields.get("live"):
            body_html, entries = self.live_entries(rendered.html, date)
        return Article(
            source=display, rel_path=source.rel_path, kind=source.kind, title=title or "",
            date=date, slug=slug, topics=topics, topics_from_folder=from_folder,
            date_from_mtime=from_mtime, time_known=time_known or from_mtime,
            summary_given=bool(fields.get("summary")), updated=fields.get("updated"),
            tags=fields.get("tags", ()),
            authors=fields.get("authors", ()) or fields.get("author", ()),
            summary=summary, draft=fields.get("draft", False), image=image,
            image_alt=fields.get("image_alt", ""), image_caption=fields.get("image_caption"),
            image_credit=fields.get("image_credit"), featured=fields.get("featured", False),
            source_name=source_name,
            source_url=fields.get("source_url"), lang=fields.get("lang"),
            body_html=body_html.encode("utf-8"), words=rendered.words, extra=extra,
            body_images=tuple(target for _, target in body_images(
                body_html, source.rel_path.rpartition("/")[0])) if "<img" in body_html else (),
            page=fields.get("type") == "page", aliases=fields.get("aliases", ()),
            links=links, dateline=dateline, topic_words=topic_words,
            sketch=b"" if fields.get("type") == "page" else sketch(words),
            fingerprint=fingerprint, updates=fields.get("updates", ()),
            corrections=fields.get("corrections", ()), live=fields.get("live", False),
            live_until=fields.get("live_until"), live_entries=entries,
            expires=fields.get("expires"),
        ), problems

    def live_entries(self, body: str, start: dt.datetime
                     ) -> tuple[str, tuple[LiveEntry, ...]]:
        """The text above a live blog's entries, and the entries, newest first. An entry's
        time is on the article's day, or the next day when it is earlier than the start."""
        intro, pieces = split_entries(body)
        local = start.astimezone(self.tz)
        entries, anchors = [], set()
        for piece in pieces:
            when = dt.datetime(local.year, local.month, local.day, piece.hour, piece.minute,
                               tzinfo=self.tz)
            if (piece.hour, piece.minute) < (local.hour, local.minute):
                when = dt.datetime.combine(local.date() + dt.timedelta(days=1), when.time(),
                                           self.tz)
            anchor = base = f"live-{piece.hour:02d}{piece.minute:02d}"
            number = 1
            while anchor in anchors:
                number += 1
                anchor = f"{base}-{number}"
            anchors.add(anchor)
            entries.append(LiveEntry(when, anchor, piece.title, piece.html.encode("utf-8")))
        entries.sort(key=lambda e: e.date.timestamp(), reverse=True)
        return intro, tuple(entries)

    def earlier_address(self, source: SourceFile, data: bytes
                        ) -> tuple[str, dt.datetime | None] | None:
        """The slug and date (None: the article's own) an earlier version of a file gave,
        for the redirect from its URL; None when that version cannot tell."""
        try:
            text = unicodedata.normalize("NFC", data.decode("utf-8-sig"))
            front, body, _ = split_front_matter(text.replace("\r\n", "\n"))
            meta = load_yaml(front) if front is not None else {}
            if not isinstance(meta, dict):
                return None
            if source.kind == "txt" and front is None:
                title = body.strip("\n").split("\n", 1)[0].strip()
            else:
                title = str(meta.get("title") or title_from_markdown(body)[0] or "")
            slug = slugify(str(meta.get("slug") or title))
            date = as_datetime(meta["date"], self.tz) if meta.get("date") is not None \
                else self.date_from_path(source.rel_path)
        except (UnicodeDecodeError, YamlSyntaxError, FieldError, ValueError, TypeError):
            return None
        return (slug, date) if slug else None

    def date_from_path(self, rel_path: str) -> dt.datetime | None:
        """A YYYY-MM-DD file name prefix, else content/YYYY/MM/DD/ folders; FieldError when
        that date is outside the supported years."""
        path = PurePosixPath(rel_path)
        candidates = [(DATE_PREFIX.match(path.name), "the file name")]
        parts = path.parts[:-1]
        if len(parts) >= 3:
            candidates.append((re.match(r"^(\d{4})/(\d{2})/(\d{2})$", "/".join(parts[-3:])),
                               "the folders"))
        for match, origin in candidates:
            if match:
                try:
                    year, month, day = (int(g) for g in match.groups())
                    date = dt.datetime(year, month, day, tzinfo=self.tz)
                except ValueError:
                    continue
                try:
                    return in_supported_range(date, self.tz)
                except FieldError as exc:
                    raise FieldError(f"{exc} from {origin}") from None
        return None

    def in_inbox(self, rel_path: str) -> bool:
        """Whether a file sits outside any topic folder, or in the inbox folder."""
        parts = PurePosixPath(rel_path).parts
        return len(parts) == 1 or bool(YEAR.match(parts[0])) or \
            parts[0] == self.config.inbox_dir

    def topics_of(self, rel_path: str, fields: dict[str, Any]) -> tuple[tuple[str, ...], bool]:
        """Topics from front matter, else the first-level folder, else default_topic."""
        if fields.get("topics"):
            return fields["topics"], False
        if fields.get("topic"):
            return (fields["topic"],), False
        parts = PurePosixPath(rel_path).parts
        if len(parts) > 1 and not YEAR.match(parts[0]) and parts[0] != self.config.inbox_dir:
            return (parts[0],), True
        return (self.config.default_topic,), True
