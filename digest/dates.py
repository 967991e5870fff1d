"""Dates in the site language, through babel (CLDR), so German reads '3. Juni 2025'."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from babel.dates import format_date, format_time


@lru_cache(maxsize=4096)
def long_date(value: dt.date, lang: str) -> str:
    """'3. Juni 2025' / 'June 3, 2025'."""
    return format_date(value, format="long", locale=lang)


@lru_cache(maxsize=1024)
def weekday_date(value: dt.date, lang: str) -> str:
    """'Dienstag, 3. Juni 2025' / 'Tuesday, June 3, 2025': a day page names its weekday."""
    return format_date(value, format="full", locale=lang)


def long_datetime(value: dt.datetime, lang: str) -> str:
    """'3. Juni 2025, 14:20' in the value's own timezone."""
    return f"{long_date(value.date(), lang)}, {short_time(value.time(), lang)}"


@lru_cache(maxsize=4096)
def short_time(value: dt.time, lang: str) -> str:
    return format_time(value, format="short", locale=lang)


@lru_cache(maxsize=1024)
def month_name(value: dt.date, lang: str) -> str:
    """'Juni 2025' / 'June 2025'."""
    return format_date(value, format="LLLL yyyy", locale=lang)


def iso(value: dt.datetime | dt.date) -> str:
    """ISO 8601 with offset, as feeds, sitemaps and `<time datetime>` want; RFC 3339 has no
    seconds in an offset, so a local mean time is given in UTC."""
    if isinstance(value, dt.datetime) and (offset := value.utcoffset()) and \
            offset % dt.timedelta(minutes=1):
        value = value.astimezone(dt.UTC)
    return value.isoformat()
