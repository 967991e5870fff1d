"""`digest new`: a new article file with front matter, in its topic folder, dated by name."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import yaml

from ..config import Config
from ..errors import DigestError, problem
from ..slugs import slugify

BODY = "Text der Meldung.\n"


def parse_when(text: str, tz: zoneinfo.ZoneInfo) -> dt.datetime | dt.date:
    """Read --date: YYYY-MM-DD (a day), or ISO 8601 with or without offset (site timezone)."""
    value = text.strip()
    if len(value) == 10:
        return dt.date.fromisoformat(value)
    moment = dt.datetime.fromisoformat(value)
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


def yaml_string(text: str) -> str:
    """A double-quoted YAML scalar that reads back as exactly `text`, on one line."""
    return yaml.safe_dump(text, default_style='"', allow_unicode=True, width=1 << 30,
                          explicit_end=False).removesuffix("\n...\n").rstrip("\n")


def front_matter(title: str, when: dt.datetime | dt.date, topic: str) -> str:
    return (f"---\ntitle: {yaml_string(title)}\ndate: {when.isoformat()}\n"
            f"topic: {yaml_string(topic)}\n---\n")


def new_article(config: Config, title: str, topic: str | None = None,
                when: dt.datetime | dt.date | None = None, txt: bool = False,
                now: dt.datetime | None = None) -> Path:
    """Write content/<topic-slug>/<YYYY-MM-DD>-<slug>.md (or .txt) and return its path.

    Raise ValueError when the title or topic has nothing to make a name from, DigestError
    when the file exists already (it is never overwritten).
    """
    title = " ".join(title.split())
    topic = " ".join((topic or config.default_topic).split())
    slug, folder = slugify(title), slugify(topic)
    if not slug:
        raise ValueError("the title needs letters or digits to make a file name from")
    if not folder:
        raise ValueError("the topic needs letters or digits to make a folder name from")
    if when is None:
        when = (now or dt.datetime.now(dt.UTC)).astimezone(config.tz).replace(microsecond=0)
    day = when.date() if isinstance(when, dt.datetime) else when
    path = config.content_path / folder / f"{day.isoformat()}-{slug}.{'txt' if txt else 'md'}"
    text = f"{front_matter(title, when, topic)}\n{BODY}"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise DigestError(problem(path, "already exists; choose another title or --date, "
                                  "or edit that file")) from None
    return path
