"""Datelines of agency copy: 'Berlin (dpa) - ', 'WASHINGTON (AP) — ', 'Kiew/Moskau (Reuters) – '."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_AGENCIES = ("dpa", "dpa-AFX", "AFP", "AP", "Reuters", "KNA", "epd", "SID", "dts",
                    "APA", "SDA", "Keystone-SDA", "ANSA", "EFE", "Xinhua", "Bloomberg",
                    "idea", "KAP", "ddp", "AFX", "Belga", "ANP", "TASS", "Ukrinform")
"""Agencies whose dateline gives an article its source; `agencies:` in config adds more."""

PLACE = r"[^\W\d_][\w.'’]*(?:[ -][\w.'’]+){0,3}"
"""A place: up to four words, starting with a letter (Frankfurt am Main, St. Gallen)."""
DATELINE = re.compile(
    rf"\s*(?P<place>{PLACE}(?:\s?/\s?{PLACE}){{0,3}})\s+\((?P<agency>[^()\n]{{1,40}})\)"
    r"\s*(?:[-–—]{1,2}|:)\s+")
"""At the very start of the body only: '(dpa)' in the middle of a sentence is no dateline."""


@dataclass(frozen=True)
class Dateline:
    """A dateline found at the start of a body."""

    place: str
    agency: str
    """As the text spells it: 'dpa', 'AFP/dpa'."""
    end: int
    """Where the text after the dateline starts."""


def named(place: str) -> bool:
    """A place name starts and ends with a capital (Rio de Janeiro; not 'Die Regierung hat')."""
    words = place.split()
    return bool(words) and words[0][0].isupper() and words[-1][0].isupper()


class Agencies:
    """The known agencies, matched without regard to case."""

    def __init__(self, extra: Iterable[str] = ()):
        self.known = {name.casefold() for name in (*DEFAULT_AGENCIES, *extra)}

    def knows(self, written: str) -> bool:
        """Whether each of 'dpa', 'AFP/dpa', 'dpa, Reuters' is a known agency."""
        parts = [p.strip() for p in re.split(r"[/,]", written)]
        return all(p.casefold() in self.known for p in parts)

    def dateline(self, body: str) -> Dateline | None:
        """The dateline the body opens with, when its agency is known."""
        match = DATELINE.match(body)
        if not match or not self.knows(match.group("agency")) or \
                not all(named(place) for place in match.group("place").split("/")):
            return None
        return Dateline(" ".join(match.group("place").split()),
                        " ".join(match.group("agency").split()), match.end())
