#!/usr/bin/env python3
"""Benchmark agency copy (§10): 2,000 items, their topics by keyword and their stories folded.

    PYTHONPATH=. python3 bench/agency.py [--items 2000] [--jobs 1]

Generates raw agency .txt files (headline, blank line, dateline and body) in an inbox folder:
stories of one to three versions, some from a second agency, over a week. Builds the site
cold with `digest build` in a process of its own (as bench/run.py does; search off), then
times the agency work on the same items: keyword topics, datelines and text sketches (what
the reader does per item) and folding the stories, cold and after one changed item (what a
rebuild does). Prints those times and their share of the cold build, and of a build in a
process that has built before (templates compiled: the share is larger there).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digest.agency.dateline import Agencies  # noqa: E402
from digest.agency.keywords import TopicRules, words_of  # noqa: E402
from digest.agency.stories import StoryMemo, sketch  # noqa: E402
from digest.build import BuildOptions, build  # noqa: E402
from digest.config import load_config  # noqa: E402

CONFIG = """\
title: Agenturbench
base_url: https://example.org/ticker/
search: false
inbox_dir: eingang
topics:
  sport:
    keywords: [Bundesliga*, "*fußball*", Tor, Trainer, Olympia*, Spieltag, Stürmer, Meister*]
    exclude: [Tischfußball*]
  politik:
    keywords: [Bundestag*, Bundesregierung, Koalition*, Minister*, Kanzler*, Wahl*, Präsident*]
  wirtschaft:
    keywords: [Inflation*, Unternehmen*, "*umsatz*", Dax, Börse*, Zentralbank*, Konjunktur*]
  klima:
    keywords: [Klima*, Hitze*, Dürre, Hochwasser, Emission*, "*energie*"]
"""
AGENCIES = [("dpa", " - "), ("AFP", " – "), ("Reuters", " – "), ("AP", " — "), ("KNA", " – "),
            ("epd", " - "), ("SID", " – "), ("dts", " - ")]
PLACES = ["Berlin", "München", "Hamburg", "Köln", "Frankfurt/Main", "Kiew/Moskau", "WASHINGTON",
          "Brüssel", "Paris", "Wien"]
TOPIC_WORDS = ["Bundesliga", "Fußballspiel", "Trainer", "Bundestag", "Koalition", "Minister",
               "Inflation", "Unternehmen", "Jahresumsatz", "Klimaschutz", "Hitzewelle",
               "Windenergie", "Präsident", "Börse", "Olympia"]
FILLER = ["der", "die", "das", "und", "mit", "von", "für", "auf", "nach", "bei", "über",
          "unter", "sagte", "teilte", "erklärte", "hieß", "Mittwoch", "Dienstag", "Sprecher",
          "Angaben", "zufolge", "Prozent", "Millionen", "Euro", "Jahr", "Woche", "Stadt",
          "Land", "Bund", "Regierung", "Verband", "Zahlen", "Bericht", "Ergebnis", "Plan",
          "Streit", "Frage"]


def words(rng: random.Random, vocabulary: list[str], count: int) -> list[str]:
    return [rng.choice(vocabulary) for _ in range(count)]


def generate(content: Path, items: int, seed: int = 16) -> int:
    """Write the items; return how many stories fold two or more of them."""
    rng = random.Random(seed)
    start = dt.datetime(2025, 6, 1, 6, tzinfo=dt.UTC).timestamp()
    lexicon = [f"{a}{b}" for a in ("Land", "Stadt", "Bahn", "Netz", "Amt", "Werk", "Hafen",
                                   "Markt", "Feld", "Haus", "Rat", "Bund")
               for b in ("plan", "streit", "gesetz", "bericht", "gipfel", "vertrag", "fonds",
                         "reform", "wahl", "preis", "zoll", "kredit")] + FILLER
    inbox = content / "eingang"
    inbox.mkdir(parents=True)
    written = folded = story = 0
    while written < items:
        story += 1
        base = words(rng, lexicon, rng.randint(70, 140))
        base[rng.randrange(len(base))] = rng.choice(TOPIC_WORDS)
        headline = " ".join(words(rng, lexicon, 5)).capitalize() + f" {story}"
        when = start + rng.uniform(0, 7 * 86400)
        versions = min(rng.choice((1, 1, 1, 2, 3)), items - written)
        folded += versions > 1
        agency, dash = rng.choice(AGENCIES)
        text = list(base)
        for version in range(versions):
            if version:  # an update adds a paragraph; now and then another agency's rewrite
                text += words(rng, lexicon, rng.randint(15, 40))
                when += rng.uniform(600, 20 * 3600)
                if rng.random() < 0.3:
                    agency, dash = rng.choice(AGENCIES)
            body = " ".join(text)
            path = inbox / f"{story:05d}-{version}.txt"
            path.write_text(f"{headline}{' (Zusammenfassung)' * (version > 1)}\n\n"
                            f"{rng.choice(PLACES)} ({agency}){dash}{body}.\n", encoding="utf-8")
            os.utime(path, (when, when))
            written += 1
    return folded


def per_item(config, texts: list[list[str]]) -> tuple[float, int]:
    """Seconds for what the reader does per item for §10, and how many got a topic."""
    started = time.perf_counter()
    agencies = Agencies(config.agencies)
    rules = TopicRules({slug: (info.keywords, info.exclude)
                        for slug, info in config.topics.items()})
    chosen = 0
    for headline, body in texts:
        opening = agencies.dateline(body)
        body = body[opening.end:] if opening else body
        found = words_of(body)
        chosen += rules.choose(headline, found) is not None
        sketch(found)
    return time.perf_counter() - started, chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="take the best of this many")
    args = parser.parse_args()
    from digest.commands.explain import read_site
    from digest.model import place_of, published, urls_of

    with tempfile.TemporaryDirectory(prefix="digest-agency-bench-") as tmp:
        root = Path(tmp)
        (root / "config.yaml").write_text(CONFIG, encoding="utf-8")
        stories = generate(root / "content", args.items)
        config = load_config(root / "config.yaml")
        builds = []
        for _ in range(args.repeat):  # `digest build` in a process of its own, cold each time
            shutil.rmtree(root / "output", ignore_errors=True)
            shutil.rmtree(root / ".digest-cache", ignore_errors=True)
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "digest", "build", "--quiet",
                            "--jobs", str(args.jobs)], cwd=root, check=True,
                           capture_output=True)
            builds.append(time.perf_counter() - started)
        build_seconds = min(builds)
        pages = sum(1 for _ in (root / "output").rglob("*.html"))
        in_process = min(build(dataclasses.replace(  # cold: an output and cache of its own
            config, output_dir=f"output-{n}", cache_dir=f".cache-{n}"),
            BuildOptions(jobs=args.jobs)).seconds for n in range(args.repeat))
        texts = [p.read_text(encoding="utf-8").split("\n", 1)
                 for p in sorted((root / "content/eingang").glob("*.txt"))]
        gc.disable()  # as during a build (build.gc_paused)
        item_seconds, chosen = min(per_item(config, texts) for _ in range(args.repeat))

        articles, _, _ = read_site(config, dt.datetime.now(dt.UTC))
        places = [place_of(a) for a in articles]
        shown = published(places, False, False, dt.datetime.now(dt.UTC))
        chosen_articles = [articles[i] for i in shown]
        chosen_places = [places[i] for i in shown]
        colds, warms = [], []
        for _ in range(args.repeat):
            memo = StoryMemo()
            started = time.perf_counter()
            folded, _ = memo.fold(config.stories, chosen_articles, chosen_places,
                                  urls_of(config))
            colds.append(time.perf_counter() - started)
            started = time.perf_counter()  # a rebuild with one item left out and put back
            memo.fold(config.stories, chosen_articles[1:], chosen_places[1:], urls_of(config))
            memo.fold(config.stories, chosen_articles, chosen_places, urls_of(config))
            warms.append((time.perf_counter() - started) / 2)

    groups = sum(1 for a in folded if a.story)
    agency = item_seconds + min(colds)
    print(f"{args.items} agency items, {stories} stories of several versions generated; "
          f"{groups} folded, {chosen} given a topic by keyword")
    print(f"cold `digest build` (jobs={args.jobs}, best of {args.repeat}): {build_seconds:.2f} s "
          f"for {pages} pages; in a warm process {in_process:.2f} s")
    print(f"topics, datelines, sketches: {item_seconds:.3f} s; folding: {min(colds):.3f} s "
          f"cold, {min(warms) * 1000:.1f} ms after one changed item")
    print(f"agency share of the build: {100 * agency / build_seconds:.1f} % "
          f"(in a warm process {100 * agency / in_process:.1f} %; target ≤ 10 %)")


if __name__ == "__main__":
    main()
