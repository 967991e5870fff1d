"""A live blog's body into its timed entries: each `## 14:32 Uhr` heading starts one. Pure."""

from __future__ import annotations

import html
import re
from typing import NamedTuple

HEADING = re.compile(r"<h2\b[^>]*>(.*?)</h2>\s*", re.S)
TIME = re.compile(r"^\s*([01]?\d|2[0-3])[:.]([0-5]\d)(?:\s*Uhr)?\b\s*[-–—:|]?\s*(.*)$", re.S)
TAG = re.compile(r"<[^>]+>")


class Piece(NamedTuple):
    """One entry as written: the time of day, the rest of its heading, its HTML."""

    hour: int
    minute: int
    title: str
    html: str


def split_entries(body: str) -> tuple[str, list[Piece]]:
    """The HTML above the first timed heading, and the entries in the order written.

    A level-2 heading whose text starts with a time (14:32, 14.32, 14:32 Uhr) opens an
    entry; any other heading stays inside the entry it stands in.
    """
    intro_end = None
    pieces: list[Piece] = []
    starts: list[tuple[int, int, Piece]] = []
    for match in HEADING.finditer(body):
        text = html.unescape(TAG.sub("", match.group(1)))
        timed = TIME.match(text)
        if timed:
            starts.append((match.start(), match.end(),
                           Piece(int(timed.group(1)), int(timed.group(2)),
                                 timed.group(3).strip(), "")))
    if not starts:
        return body, []
    intro_end = starts[0][0]
    for number, (_, end, piece) in enumerate(starts):
        stop = starts[number + 1][0] if number + 1 < len(starts) else len(body)
        pieces.append(piece._replace(html=body[end:stop].strip()))
    return body[:intro_end].strip(), pieces
