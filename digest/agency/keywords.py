"""Topics by keyword: one Aho-Corasick automaton over every topic's rules, one pass a text."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import ahocorasick

HEADLINE_WEIGHT = 3
"""A word in the headline counts as much as three in the body."""

WORD = re.compile(r"\w+")


MARKS = re.compile("[\u0300-\u036f]+")
"""Combining accents, dropped once the umlaut's dots became 'e' (ü → ue, as German writes it
without umlauts)."""
ACCENTED = re.compile("[\u00c0-\u024f\u0300-\u036f\u1e00-\u1eff]")
"""Latin letters with accents, precomposed or not."""


def normalize(text: str) -> str:
    """Lower case without umlauts or accents: 'Fußball', 'FUSSBALL' and NFD 'Fußball' alike;
    'München' and 'Muenchen' alike, 'Café' and 'Cafe'."""
    if not unicodedata.is_normalized("NFC", text):  # NFD from a macOS editor
        text = unicodedata.normalize("NFC", text)
    text = text.casefold().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")  # ß → ss
    if ACCENTED.search(text):  # rare in German copy once the umlauts are gone
        text = MARKS.sub("", unicodedata.normalize("NFD", text))
    return text


def words_of(text: str) -> list[str]:
    """The normalized words of a text: what keywords and story sketches are matched on."""
    return WORD.findall(normalize(text))


def pattern_of(rule: str) -> str:
    """The text the automaton looks for: a space marks a word boundary, '*' drops it."""
    rule = rule.strip()
    core = " ".join(WORD.findall(normalize(rule.strip("*"))))
    return ("" if rule.startswith("*") else " ") + core + ("" if rule.endswith("*") else " ")


@dataclass(frozen=True)
class Choice:
    """The topic a text was given, and the rules that gave it, each with its count."""

    topic: str
    """A topic slug."""
    score: int
    words: tuple[tuple[str, int], ...]


class TopicRules:
    """Every topic's keyword and exclude rules in one automaton."""

    def __init__(self, rules: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]):
        """`rules`: (keywords, exclude) by topic slug, in the site's topic order."""
        self.order = {slug: i for i, slug in enumerate(rules)}
        found: dict[str, list[tuple[str, str, bool]]] = {}
        for slug, (keywords, exclude) in rules.items():
            for rule in keywords:
                found.setdefault(pattern_of(rule), []).append((slug, rule, False))
            for rule in exclude:
                found.setdefault(pattern_of(rule), []).append((slug, rule, True))
        self.automaton: ahocorasick.Automaton | None = None
        if found:
            self.automaton = ahocorasick.Automaton()
            for pattern, owners in found.items():
                self.automaton.add_word(pattern, tuple(owners))
            self.automaton.make_automaton()

    def __bool__(self) -> bool:
        return self.automaton is not None

    def hits(self, words: list[str]) -> list[tuple[str, str, bool]]:
        """(topic, rule, excluding) for each match in a text's words (words_of)."""
        if self.automaton is None:
            return []
        line = " " + " ".join(words) + " "  # a space marks each word's start and end
        return [owner for _, owners in self.automaton.iter(line) for owner in owners]

    def choose(self, headline: str | list[str], body: str | list[str]) -> Choice | None:
        """The topic whose rules the text matches best (ties: the earlier topic), or None;
        headline and body as text or as their words."""
        scores: Counter[str] = Counter()
        counts: dict[str, Counter[str]] = {}
        excluded: set[str] = set()
        for weight, text in ((HEADLINE_WEIGHT, headline), (1, body)):
            for slug, rule, excluding in self.hits(words_of(text) if isinstance(text, str)
                                                   else text):
                if excluding:
                    excluded.add(slug)
                    continue
                scores[slug] += weight
                counts.setdefault(slug, Counter())[rule] += 1
        ranked = sorted((slug for slug in scores if slug not in excluded),
                        key=lambda s: (-scores[s], self.order[s]))
        if not ranked:
            return None
        best = ranked[0]
        words = tuple(sorted(counts[best].items(), key=lambda item: (-item[1], item[0])))
        return Choice(best, scores[best], words)
