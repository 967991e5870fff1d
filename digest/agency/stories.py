"""Wire updates and duplicates: near-duplicate articles close in time are one story.

Each article carries a sketch of its text: the hashes of its word shingles. Two articles
are versions of one story when they lie within the window and the Jaccard similarity of
their shingle sets reaches the threshold; a story is a connected group of such pairs. That
relation depends on the two texts and times alone, so the grouping is a pure function of
the content, whatever the files are called or the order they were read in.

Finding the pairs is incremental: an inverted index over each sketch's smallest hashes
(bottom-k: two sets with Jaccard J share their smallest hash with probability J) names the
candidates, and a new article is compared only with the candidates in its window.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import heapq
import zlib
from array import array
from bisect import insort
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import compress
from operator import is_not, or_
from typing import TYPE_CHECKING, Any

from ..cache import Stored, bytes_of

if TYPE_CHECKING:
    from ..model import Article, Place

SHINGLE = 3
"""Words per shingle."""
MIN_SHINGLES = 12
"""A text with fewer shingles (a few lines) is too short to call a duplicate."""
BOTTOM = 16
"""How many of a sketch's smallest hashes the index keeps: a pair at the default threshold
(0.4) shares none of them with a chance of about 0.6 ** 16 (three in ten thousand), a pair
at 0.6 with one in two million."""


ESTIMATE = 64
"""How many of the smallest hashes of two texts' union estimate their similarity before it
is computed: a candidate pair whose estimate lies far below the threshold is not compared."""


def sketch(words: list[str]) -> bytes:
    """The sorted, distinct 32-bit hashes of a text's word shingles (its normalized words,
    keywords.words_of); empty when too short."""
    encoded = [word.encode() for word in words]  # a shingle's bytes: its words', joined
    runs = zip(*(encoded[i:] for i in range(SHINGLE)), strict=False)  # the last fall short
    hashes = set(map(zlib.crc32, map(b" ".join, runs)))
    if len(hashes) < MIN_SHINGLES:
        return b""
    return array("I", sorted(hashes)).tobytes()


Sketch = bytes | Stored
"""A sketch, or where the body file keeps it (cache.py, BodyFile)."""


def hashes_of(data: Sketch, count: int | None = None) -> array:
    """A sketch's hashes, or its `count` smallest (the sketch is sorted)."""
    found = array("I")
    found.frombytes(bytes_of(data, None if count is None else 4 * count))
    return found


def smallest(data: Sketch) -> frozenset[int]:
    """A sketch's ESTIMATE smallest hashes."""
    return frozenset(hashes_of(data, ESTIMATE))


def estimate_floor(threshold: float) -> int:
    """The fewest shared hashes among the ESTIMATE smallest of a union that a pair at the
    threshold falls short of with a chance of about one in a million (4.5 standard deviations
    of the binomial count); 0 where the threshold is too low to spare any comparison."""
    mean = ESTIMATE * threshold
    return max(0, int(mean - 4.5 * (mean * (1 - threshold)) ** 0.5))


def may_reach(a: frozenset[int], b: frozenset[int], floor: int) -> bool:
    """Whether two texts (their `smallest` hashes) may be similar enough to compare.

    The ESTIMATE smallest hashes of the union lie in a | b; each of them lies in both texts
    with a chance equal to their Jaccard similarity, so their count in a & b is
    hypergeometric, which varies less than the binomial count estimate_floor assumes. A
    union with fewer hashes than that is always compared."""
    if floor == 0:
        return True
    shared = a & b
    if len(a) + len(b) - len(shared) < ESTIMATE:  # the size of the union
        return True
    if len(shared) < floor:
        return False
    cut = sorted(a | b)[ESTIMATE - 1]
    return sum(1 for h in shared if h <= cut) >= floor


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared) if a or b else 0.0


@dataclass(frozen=True)
class Version:
    """One version of a story, as the story's page lists it."""

    title: str
    date: dt.datetime
    source: str | None
    """The agency, when known."""
    file: str
    similarity: float
    """Jaccard similarity of its text with the version shown."""


@dataclass(frozen=True)
class Story:
    """The versions of a story, oldest first: the last is the one shown."""

    versions: tuple[Version, ...]
    also: tuple[str, ...]
    """Agencies other than the shown version's that reported the story."""

    @property
    def earlier(self) -> tuple[Version, ...]:
        return self.versions[:-1]


Key = tuple[bytes, float]
"""An article's text (a hash of its sketch) and time: all the grouping looks at."""


class Buckets:
    """Keys by one of their smallest hashes and the slot of their time.

    Sixteen entries a text, and nearly every bucket holds a single key: that key is held as
    itself, a list only once a second one comes, and the bucket is named by one integer.
    A set and a tuple per entry cost some 300 bytes, over 400 MiB at 100,000 texts.
    """

    def __init__(self) -> None:
        self.held: dict[int, Key | list[Key]] = {}

    @staticmethod
    def name(h: int, slot: int) -> int:
        """One integer for a 32-bit hash and a slot (negative before 1970)."""
        return slot << 32 | h

    def add(self, name: int, key: Key) -> None:
        held = self.held.get(name)
        if held is None:
            self.held[name] = key
        elif type(held) is list:
            held.append(key)
        else:
            self.held[name] = [held, key]  # type: ignore[list-item]

    def discard(self, name: int, key: Key) -> None:
        held = self.held.get(name)
        if type(held) is list:
            if key in held:
                held.remove(key)
            if len(held) == 1:
                self.held[name] = held[0]
        elif held is not None and held == key:
            del self.held[name]

    def gather(self, key: Key, bottom: Iterable[int], slot: int, window: float) -> set[Key]:
        """The keys in the buckets of `bottom` in `slot` and its neighbours that lie within
        the window of `key`."""
        found: set[Key] = set()
        held, at = self.held.get, key[1]
        for h in bottom:
            for near in (slot - 1, slot, slot + 1):
                keys = held(near << 32 | h)  # name(h, near), without a call per bucket
                if keys is None:
                    continue
                if type(keys) is not list:
                    keys = (keys,)  # type: ignore[assignment]
                for other in keys:  # type: ignore[union-attr]
                    if abs(other[1] - at) <= window:
                        found.add(other)
        return found


class PairIndex:
    """The near-duplicate pairs among a changing set of texts, kept up to date."""

    def __init__(self) -> None:
        self.settings: tuple[float, float] | None = None
        self.sketches: dict[Key, Sketch] = {}
        self.sets: dict[Key, frozenset[int]] = {}
        """Shingle sets, made when a text is first compared with another."""
        self.buckets = Buckets()
        """Keys by one of their smallest hashes and the window-long slot of their time: a
        text meets only candidates of its own and the neighbouring slots, so the work per
        text stays bounded however long the archive grows."""
        self.waiting: dict[int, list[Key]] = {}
        """Restored keys by slot, not yet in the buckets: a slot is put in when a new text
        near it needs its candidates, so a restore costs only what an edit touches."""
        self.pairs: dict[Key, dict[Key, float]] = {}
        self.pending: dict[Key, dict[Key, float]] | None = None
        """Pairs restored from an earlier process, taken in by the next update."""
        self.dirty = False
        """Changed since the last snapshot."""
        self.found: list[set[Key]] | None = None
        """The groups, while no key came or went."""

    def snapshot(self) -> tuple[Any, dict[Key, dict[Key, float]]]:
        """What the index found, to restore in a later process: the settings and the pairs
        of every text it holds (sketches come again with the articles)."""
        self.dirty = False
        return self.settings, self.pairs

    def restore(self, snapshot: tuple[Any, dict[Key, dict[Key, float]]]) -> None:
        """Start from an earlier process's pairs: the next update compares only the texts
        that the snapshot does not hold. The pairs among the texts it holds are complete,
        whatever order they came in, so the result is the one a fresh index gives."""
        self.__init__()  # type: ignore[misc]
        self.settings, self.pending = snapshot

    def adopt(self, items: dict[Key, Sketch]) -> None:
        """Take in the restored pairs of the texts that are still there."""
        pending, self.pending = self.pending or {}, None
        self.found = None
        for key in pending.keys() & items.keys():
            self.sketches[key] = items[key]
            self.waiting.setdefault(self.slot(key), []).append(key)
        self.pairs = {key: {other: similarity for other, similarity in pending[key].items()
                            if other in self.sketches} for key in self.sketches}
        self.dirty = len(self.sketches) != len(pending)

    def near(self, slot: int) -> None:
        """Put the restored keys of a slot and its neighbours into the buckets."""
        for near in (slot - 1, slot, slot + 1):
            for key in self.waiting.pop(near, ()):
                if key in self.sketches:
                    for h in hashes_of(self.sketches[key], BOTTOM):
                        self.buckets.add(Buckets.name(h, near), key)

    def shingles(self, key: Key, data: bytes | None = None) -> frozenset[int]:
        """A text's shingle set; `data`: its sketch's bytes, when they were read already."""
        found = self.sets.get(key)
        if found is None:
            found = self.sets[key] = frozenset(hashes_of(data or self.sketches[key]))
        return found

    def update(self, items: dict[Key, Sketch], window: float, threshold: float) -> None:
        """Make the index hold exactly `items` (sketches by key); compare only what is new.

        New texts are compared oldest first, so a text's shingle set is dropped as soon as
        no later text lies within the window of it: a cold build of a big site holds the
        sets of one window's texts at a time, not of every text (they cost some 40 KB each).
        The pairs found do not depend on that order. A sketch is read from the body file
        once while its text lies within the window of the texts being compared.
        """
        if self.settings != (window, threshold):
            self.__init__()  # type: ignore[misc]
            self.settings = (window, threshold)
        if self.pending is not None:
            self.adopt(items)
        gone = self.sketches.keys() - items.keys()
        new = items.keys() - self.sketches.keys()
        self.dirty = self.dirty or bool(gone or new)
        if gone or new:
            self.found = None
        for key in gone:
            for other in self.pairs.pop(key, {}):
                self.pairs[other].pop(key, None)
            slot = self.slot(key)
            sketch = self.sketches.pop(key)
            if slot not in self.waiting:  # else it never went into the buckets
                for h in hashes_of(sketch, BOTTOM):
                    self.buckets.discard(Buckets.name(h, slot), key)
            self.sets.pop(key, None)
        made: list[tuple[float, Key]] = []  # a heap of the keys whose sets are made here
        tops: dict[Key, frozenset[int]] = {}  # their `smallest` hashes
        read: dict[Key, bytes] = {}  # their sketches' bytes

        def top(key: Key) -> frozenset[int]:
            found = tops.get(key)
            if found is None:
                data = read[key] = bytes_of(self.sketches[key])
                found = tops[key] = smallest(data)
                heapq.heappush(made, (key[1], key))
            return found

        floor = estimate_floor(threshold)
        for key in sorted(new, key=lambda k: (k[1], k[0])):
            while made and made[0][0] < key[1] - window:  # no later text is near it
                done = heapq.heappop(made)[1]
                self.sets.pop(done, None)
                tops.pop(done, None)
                read.pop(done, None)
            self.sketches[key] = items[key]
            mine = top(key)
            bottom = hashes_of(read[key], BOTTOM)
            slot = self.slot(key)
            self.near(slot)
            candidates = self.buckets.gather(key, bottom, slot, window)
            links = self.pairs.setdefault(key, {})
            for other in candidates:
                if not may_reach(mine, top(other), floor):
                    continue
                similarity = jaccard(self.shingles(key, read[key]),
                                     self.shingles(other, read[other]))
                if similarity >= threshold:
                    links[other] = similarity
                    self.pairs[other][key] = similarity
            for h in bottom:
                self.buckets.add(Buckets.name(h, slot), key)
        self.sets.clear()  # made again for the few texts a story shows (fold_one)

    def slot(self, key: Key) -> int:
        """The window-long stretch of time a key's time falls in."""
        return int(key[1] // self.settings[0]) if self.settings and self.settings[0] > 0 else 0

    def groups(self) -> list[set[Key]]:
        """The connected groups of two or more keys (made again only after a change)."""
        if self.found is None:
            self.found = self.connected()
        return self.found

    def connected(self) -> list[set[Key]]:
        seen: set[Key] = set()
        found = []
        for start in self.pairs:
            if start in seen or not self.pairs[start]:
                continue
            group, todo = {start}, [start]
            while todo:
                for other in self.pairs[todo.pop()]:
                    if other not in group:
                        group.add(other)
                        todo.append(other)
            seen |= group
            found.append(group)
        return found


class TextKeys:
    """The key of each article that has a text to compare, by its position in the list the
    last fold was given: an edit changes a few positions, and only those are looked at."""

    def __init__(self) -> None:
        self.articles: list[Article] = []
        self.places: list[Place] = []
        self.keys: dict[int, Key] = {}
        self.by_key: dict[Key, list[int]] = {}
        """The positions of each text, in order."""
        self.sketches: dict[Key, Sketch] = {}
        self.repeated: set[Key] = set()
        """The keys of texts that stand at two or more positions."""

    def update(self, articles: list[Article], places: list[Place],
               digest_of: Callable[[Sketch], bytes]) -> None:
        """Hold the keys of these articles; a list as long as the last is compared with it
        by identity, position by position, and only the positions that differ change."""
        if len(articles) == len(self.articles):
            changed: Iterable[int] = list(compress(range(len(articles)), map(
                or_, map(is_not, articles, self.articles), map(is_not, places, self.places))))
            for i in changed:
                self.drop(i)
        else:
            self.__init__()  # type: ignore[misc]
            changed = range(len(articles))
        for i in changed:
            self.add(i, articles[i], places[i], digest_of)
        self.articles, self.places = articles, places

    def add(self, i: int, article: Article, where: Place,
            digest_of: Callable[[Sketch], bytes]) -> None:
        if not article.sketch or where.page:
            return
        key = self.keys[i] = (digest_of(article.sketch), where.at)
        members = self.by_key.get(key)
        if members is None:
            self.by_key[key] = [i]
            self.sketches[key] = article.sketch
        else:
            insort(members, i)
            self.repeated.add(key)

    def drop(self, i: int) -> None:
        key = self.keys.pop(i, None)
        if key is None:
            return
        members = self.by_key[key]
        members.remove(i)
        if not members:
            del self.by_key[key], self.sketches[key]
        if len(members) < 2:
            self.repeated.discard(key)


def order_key(article: Article, key: Key) -> tuple[Any, ...]:
    """Oldest first; equal times by text, then slug: never by file name."""
    return (key[1], key[0], article.slug, article.source)


class StoryMemo:
    """Folds the versions of each story into one article; keeps its work between builds."""

    def __init__(self) -> None:
        self.index = PairIndex()
        self.made: dict[tuple[int, ...], tuple[tuple[Article, ...], Any, Article, Place]] = {}
        """Each story's article and place, by the ids of its versions."""
        self.digests: dict[int, tuple[Sketch, bytes]] = {}
        """Each sketch's hash, by the sketch (an unchanged article keeps its sketch)."""
        self.texts = TextKeys()

    def digest_of(self, sketch: Sketch) -> bytes:
        known = self.digests.get(id(sketch))
        if known is None or known[0] is not sketch:
            known = self.digests[id(sketch)] = (sketch,
                                                hashlib.sha1(bytes_of(sketch)).digest()[:12])
        return known[1]

    def fold(self, settings: Any, articles: list[Article], places: list[Place],
             urls_of: Callable[[Place], tuple[str, ...]]
             ) -> tuple[list[Article], list[Place]]:
        """The articles and places with each story's versions folded into its first place:
        the newest text, the first version's date and slug, the others' URLs as aliases."""
        if not settings.fold:
            return articles, places
        texts = self.texts
        texts.update(articles, places, self.digest_of)
        keys, by_key = texts.keys, texts.by_key
        if len(self.digests) > 2 * len(keys) + 1000:  # forget the sketches of old texts
            live = {id(article.sketch) for article in articles}
            self.digests = {k: v for k, v in self.digests.items() if k in live}
        self.index.update(texts.sketches, settings.window * 3600.0, settings.similarity)
        groups = [sorted((i for k in g for i in by_key[k]),
                         key=lambda i: order_key(articles[i], keys[i]))
                  for g in self.index.groups()]
        groups += [by_key[key] for key in texts.repeated
                   if not self.index.pairs.get(key)]  # the same text twice
        if not groups:
            self.made = {}
            return articles, places
        folded_articles, folded_places = list(articles), list(places)
        gone: set[int] = set()
        made = {}
        for members in groups:
            chosen = [articles[i] for i in members]
            wheres = [places[i] for i in members]
            urls = tuple(urls_of(where) for where in wheres[1:])
            ids = tuple(id(a) for a in chosen)
            last = self.made.get(ids)
            if last is not None and last[1] == (wheres, urls) and \
                    all(a is b for a, b in zip(last[0], chosen, strict=True)):
                rep, where = last[2], last[3]
            else:
                rep, where = self.fold_one(chosen, wheres, urls,
                                           [self.index.shingles(keys[i]) for i in members])
            made[ids] = (tuple(chosen), (wheres, urls), rep, where)
            first = members[0]
            folded_articles[first], folded_places[first] = rep, where
            gone.update(members[1:])
        self.made = made
        keep = bytearray(b"\1") * len(articles)
        for i in gone:
            keep[i] = 0
        return list(compress(folded_articles, keep)), list(compress(folded_places, keep))

    @staticmethod
    def fold_one(members: list[Article], places: list[Place],
                 urls: tuple[tuple[str, ...], ...], sets: list[frozenset[int]]
                 ) -> tuple[Article, Place]:
        """One story's article and place: see fold. `sets`: each version's shingles."""
        first, newest = members[0], members[-1]
        versions = tuple(Version(a.title, a.date, a.source_name, a.source,
                                 round(jaccard(shingles, sets[-1]), 3))
                         for a, shingles in zip(members, sets, strict=True))
        also = tuple(sorted({a.source_name for a in members if a.source_name and
                             a.source_name.casefold() != (newest.source_name or "").casefold()},
                            key=str.casefold))
        story = Story(versions, also)
        aliases = dict.fromkeys((*first.aliases, *newest.aliases))
        for found in urls:
            aliases.update(dict.fromkeys(found))
        updated = max(newest.date, newest.updated or newest.date)
        fingerprint = hashlib.sha1("\0".join((
            newest.fingerprint, first.slug, first.date.isoformat(), *first.topics, "",
            *aliases, "", *(f"{v.title}\1{v.date.isoformat()}\1{v.source}\1{v.file}\1"
                            f"{v.similarity}" for v in versions), "", *also)).encode())
        rep = dataclasses.replace(
            newest, slug=first.slug, date=first.date, time_known=first.time_known,
            topics=first.topics, topics_from_folder=first.topics_from_folder,
            updated=updated if updated > first.date else newest.updated,
            aliases=tuple(aliases), story=story, fingerprint=fingerprint.hexdigest())
        last = places[-1]  # the newest version's live blog, expiry and corrections
        where = places[0]._replace(source=newest.source, updated=rep.updated,
                                   aliases=rep.aliases, tags=newest.tags, draft=newest.draft,
                                   links=newest.links, live=last.live,
                                   live_until=last.live_until, expires=last.expires,
                                   corrected=last.corrected)
        return rep, where
