"""Which search bundle each article page belongs to: a pure function of the pages' days.

Edits land almost always on recent stories, so the newest days form a small bundle of their
own, indexed again within seconds; older articles are bundled by year, which is indexed again
only when one of its pages changes (or once a day, when a day leaves the recent bundle). No
bundle holds more than `most` pages: Pagefind's memory grows with the pages it holds (about a
quarter of a megabyte a page), so a busy year is split at day boundaries, oldest days first,
which keeps the earlier parts stable while the year grows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby

from . import Plan

RECENT_DAYS = 7
"""The newest days (counted back from the newest article's) that form the recent bundle."""
MOST_PAGES = 2500
"""At most this many pages in one bundle: about 600 MiB for Pagefind to index it."""


@dataclass(frozen=True)
class Bundle:
    name: str
    """Its folder under pagefind/: 'recent', a year, or the first day of a later part."""
    pages: tuple[str, ...]


def dated_pages(plan: Plan) -> list[tuple[dt.date, str, str]]:
    """Each article page's day, output path and entry key: what the search indexes."""
    return [(page.args[0].entry.day, page.path, page.args[0].entry.key) for page in plan.pages
            if page.maker == "make_article"]


def partition(pages: Iterable[tuple[dt.date, str]], recent_days: int = RECENT_DAYS,
              most: int = MOST_PAGES) -> list[Bundle]:
    """The bundles, newest first; the same pages give the same bundles in any order."""
    ordered = sorted(pages)
    if not ordered:
        return []
    cut = ordered[-1][0] - dt.timedelta(days=recent_days - 1)
    recent = [item for item in ordered if item[0] >= cut]
    older = [item for item in ordered if item[0] < cut]
    bundles = split("recent", recent, most)
    years = [(year, list(items)) for year, items in groupby(older, key=lambda i: i[0].year)]
    for year, items in reversed(years):
        bundles += split(str(year), items, most)
    return bundles


def split(name: str, items: list[tuple[dt.date, str]], most: int) -> list[Bundle]:
    """Days in order into parts of at most `most` pages (a day is never split, unless it
    alone holds more); the first part is `name`, each later one is named by its first day."""
    parts: list[list[tuple[dt.date, str]]] = [[]]
    for _day, day_items in groupby(items, key=lambda i: i[0]):
        day_list = list(day_items)
        for start in range(0, len(day_list), most):
            chunk = day_list[start:start + most]
            if parts[-1] and len(parts[-1]) + len(chunk) > most:
                parts.append([])
            parts[-1].extend(chunk)
    named: list[Bundle] = []
    for part in filter(None, parts):
        first = part[0][0].isoformat()
        label = name if not named else first if name.isdigit() else f"{name}-{first}"
        if any(b.name == label for b in named):  # one day split in several parts
            label += f"-{len(named)}"
        named.append(Bundle(label, tuple(rel for _, rel in part)))
    return list(reversed(named))
