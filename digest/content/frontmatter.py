"""Front matter values into typed article fields, each problem at its key's line."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ..config.schema import show
from ..model import Notice

LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class FieldError(Exception):
    """A front matter value that does not fit; the reader adds the position."""

    def __init__(self, message: str, keys: tuple[str | int, ...] = ()):
        super().__init__(message)
        self.keys = keys
        """Where inside the key's value, for a list of mappings: (1, 'date')."""


def as_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FieldError(f"expected text, got {show(value)}")
    return str(value).strip()


def as_text_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if not isinstance(value, list):
        raise FieldError(f"expected a list of text such as [EU, Ukraine], got {show(value)}")
    items = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise FieldError(f"expected a list of text, but one item is {show(item)}")
        if str(item).strip():
            items.append(str(item).strip())
    return tuple(items)


def as_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldError(f"expected true or false, got {show(value)}")
    return value


def as_datetime(value: Any, tz: dt.tzinfo) -> dt.datetime:
    """A YAML date, datetime or ISO 8601 text; naive values are in the site timezone."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise FieldError("expected a date as YYYY-MM-DD or ISO 8601 such as "
                             f"2025-06-03T14:20:00+02:00, got {show(value)}") from None
    if isinstance(value, dt.datetime):
        return in_supported_range(value if value.tzinfo else value.replace(tzinfo=tz), tz)
    if isinstance(value, dt.date):
        return in_supported_range(dt.datetime(value.year, value.month, value.day, tzinfo=tz), tz)
    raise FieldError(f"expected a date as YYYY-MM-DD or ISO 8601, got {show(value)}")


FIRST_YEAR, LAST_YEAR = 1900, 9998
"""The years a date may have: before 1900 zones kept local mean time, whose UTC offsets have
seconds (Europe/Berlin until 1893), and near years 1 and 9999 a change of offset leaves the
calendar."""


def in_supported_range(value: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """Refuse a date that feeds and pages could not show with an RFC 3339 offset."""
    expected = f"expected a date in the years {FIRST_YEAR} to {LAST_YEAR}"
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise FieldError(f"{expected}, got {value.date().isoformat()}")
    local = value.astimezone(tz)
    if not FIRST_YEAR <= local.year <= LAST_YEAR:
        raise FieldError(f"{expected}, got {local.date().isoformat()} in the site timezone")
    if (offset := local.utcoffset()) and offset % dt.timedelta(minutes=1):
        raise FieldError(f"the site timezone {tz} kept local mean time then ({local.isoformat()});"
                         f" expected a date with a UTC offset in whole minutes")
    if (offset := value.utcoffset()) and offset % dt.timedelta(minutes=1):
        raise FieldError(f"expected a UTC offset in whole minutes such as +02:00, "
                         f"got {value.isoformat()}")
    return value


def as_url(value: Any) -> str:
    text = as_text(value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FieldError(f"expected an http(s) URL, got {show(value)}")
    return text


def as_lang(value: Any) -> str:
    text = as_text(value)
    if not LANG_TAG.match(text):
        raise FieldError(f"expected a language tag such as de or en-GB, got {show(value)}")
    return text


def as_image(value: Any) -> str:
    text = as_text(value)
    parts = urlsplit(text)
    if parts.scheme and parts.scheme not in ("http", "https"):
        raise FieldError(f"expected a file name next to the article or an http(s) URL, "
                         f"got {show(value)}")
    return text


def as_page_type(value: Any) -> str:
    text = as_text(value)
    if text not in ("article", "page"):
        raise FieldError(f"expected article or page, got {show(value)}")
    return text


def as_aliases(value: Any) -> tuple[str, ...]:
    """Earlier URLs of an article, as paths of the site: /2025/06/03/alter-titel/."""
    paths = []
    for path in as_text_list(value):
        parts = urlsplit(path)
        if parts.scheme or parts.netloc or not path.startswith("/") or \
                ".." in path.split("/") or "\\" in path or parts.query or parts.fragment:
            raise FieldError(f"expected paths of this site such as /2025/06/03/alter-titel/, "
                             f"got {show(path)}")
        last = path.rsplit("/", 1)[1]
        paths.append(path if path.endswith("/") or "." in last else path + "/")
    return tuple(paths)


def as_notices(value: Any, tz: dt.tzinfo) -> tuple[Notice, ...]:
    """`updates:` or `corrections:`: a list of {date, text}, newest first."""
    example = "a list of entries such as '- date: 2025-06-03T14:20' with 'text: …'"
    if not isinstance(value, list):
        raise FieldError(f"expected {example}, got {show(value)}")
    notices = []
    for number, item in enumerate(value):
        if not isinstance(item, dict):
            raise FieldError(f"expected {example}, but entry {number + 1} is {show(item)}",
                             (number,))
        unknown = sorted(str(k) for k in item if k not in ("date", "text"))
        if unknown:
            raise FieldError(f"unknown key '{unknown[0]}' in entry {number + 1}; an entry has "
                             "'date' and 'text'", (number, unknown[0]))
        for key in ("date", "text"):
            if item.get(key) is None or item.get(key) == "":
                raise FieldError(f"entry {number + 1} has no '{key}'; each entry needs a "
                                 "'date' and a 'text'", (number,))
        converted = []
        for key, convert in (("date", lambda v: as_datetime(v, tz)), ("text", as_text)):
            try:
                converted.append(convert(item[key]))
            except FieldError as exc:
                raise FieldError(f"entry {number + 1}: {exc}", (number, key)) from None
        notices.append(Notice(*converted))
    return tuple(sorted(notices, key=lambda n: n.date.timestamp(), reverse=True))


Converter = Callable[[Any], Any]
KNOWN_FIELDS: dict[str, Converter] = {
    "title": as_text,
    "summary": as_text,
    "slug": as_text,
    "topic": as_text,
    "topics": as_text_list,
    "tags": as_text_list,
    "author": as_text_list,
    "authors": as_text_list,
    "draft": as_bool,
    "image": as_image,
    "image_alt": as_text,
    "image_caption": as_text,
    "image_credit": as_text,
    "featured": as_bool,
    "source": as_text,
    "source_url": as_url,
    "lang": as_lang,
    "type": as_page_type,
    "aliases": as_aliases,
    "dateline": as_text,
    "live": as_bool,
}
DATE_FIELDS = ("date", "updated", "live_until", "expires")
NOTICE_FIELDS = ("updates", "corrections")
"""Lists of {date, text}: what changed in an article since it was published."""
