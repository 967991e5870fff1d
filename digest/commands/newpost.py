"""`digest new`: a new article file with front matter, in its topic folder, dated by name."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zoneinfo
from pathlib import Path

import yaml

from ..config import Config
from ..errors import DigestError, problem
from ..slugs import slugify

BODY = "Text der Meldung.\n"
GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?:\s*Uhr)?)?$")
"""TT.MM.JJJJ [HH:MM], as a German desk writes dates: 01.12.2026, 1.12.2026 14:30."""


def parse_when(text: str, tz: zoneinfo.ZoneInfo) -> dt.datetime | dt.date:
    """Read --date: YYYY-MM-DD (a day), ISO 8601 with or without offset, or TT.MM.JJJJ [HH:MM]
    (site timezone unless an offset is given); ValueError for anything else."""
    value = text.strip()
    if german := GERMAN_DATE.match(value):
        day, month, year, hour, minute = german.groups()
        date = dt.date(int(year), int(month), int(day))
        if hour is None:
            return date
        return dt.datetime(date.year, date.month, date.day, int(hour), int(minute), tzinfo=tz)
    if len(value) == 10:
        return dt.date.fromisoformat(value)
    moment = dt.datetime.fromisoformat(value)
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


def yaml_string(text: str) -> str:
    """A double-quoted YAML scalar that reads back as exactly `text`, on one line."""
    return yaml.safe_dump(text, default_style='"', allow_unicode=True, width=1 << 30,
                          explicit_end=False).removesuffix("\n...\n").rstrip("\n")


def front_matter(title: str, when: dt.datetime | dt.date, topic: str, slug: str) -> str:
    """The date and slug are written out so that a later headline edit keeps the URL."""
    return (f"---\ntitle: {yaml_string(title)}\ndate: {when.isoformat()}\n"
            f"topic: {yaml_string(topic)}\nslug: {yaml_string(slug)}\n---\n")


def same_name(a: str, b: str) -> bool:
    """Compare topic names as an editor would: any case, any Unicode form, any spacing."""
    def fold(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).casefold().split())
    return fold(a) == fold(b)


def configured_topic(config: Config, topic: str) -> tuple[str, str] | None:
    """(folder, front matter value) of the config.yaml topic whose display name is `topic`.

    "Wirtschaft & Finanzen" would make its own slug (wirtschaft-finanzen), a second topic beside
    the configured `wirtschaft`; the slug is written when the name does not lead back to it.
    """
    for slug, info in config.topics.items():
        if info.name and same_name(info.name, topic):
            return slug, info.name if slugify(info.name) == slug else slug
    return None


def new_article(config: Config, title: str, topic: str | None = None,
                when: dt.datetime | dt.date | None = None, txt: bool = False,
                now: dt.datetime | None = None) -> Path:
    """Write content/<topic-slug>/<YYYY-MM-DD>-<slug>.md (or .txt) and return its path.

    Raise ValueError when the title or topic has nothing to make a name from, DigestError
    when the file exists already (it is never overwritten).
    """
    title = unicodedata.normalize("NFC", " ".join(title.split()))
    topic = unicodedata.normalize("NFC", " ".join((topic or config.default_topic).split()))
    slug, folder = slugify(title), slugify(topic)
    if found := configured_topic(config, topic):
        folder, topic = found
    if not slug:
        raise ValueError("the title needs letters or digits to make a file name from")
    if not folder:
        raise ValueError("the topic needs letters or digits to make a folder name from")
    if when is None:
        when = (now or dt.datetime.now(dt.UTC)).astimezone(config.tz).replace(microsecond=0)
    day = when.date() if isinstance(when, dt.datetime) else when
    path = config.content_path / folder / f"{day.isoformat()}-{slug}.{'txt' if txt else 'md'}"
    text = f"{front_matter(title, when, topic, slug)}\n{BODY}"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise DigestError(problem(path, "already exists; choose another title or --date, "
                                  "or edit that file")) from None
    return path
