"""Agency copy (§10): topics by keyword, datelines and sources, wire stories folded."""

from __future__ import annotations

import html
import os
import random
import re
import shutil
import unicodedata
from pathlib import Path

import pytest

from digest.agency.keywords import TopicRules, normalize
from digest.agency.stories import Buckets, StoryMemo
from digest.config import load_config
from digest.errors import DigestError
from digest.slugs import slugify

from .agency_fixtures import (
    EXPECTED_DATELINES,
    EXPECTED_TOPICS,
    ITEMS,
    add_wire_stories,
    write_agency_site,
)
from .conftest import build_site, run_digest, write_site
from .test_incremental import tree

DAY = "2025/06/03"
BAHN = f"{DAY}/lokfuehrer-legen-gueterverkehr-lahm"
HITZE = f"{DAY}/hitzewelle-kommunen-oeffnen-kuehlraeume"


def headline(name: str) -> str:
    return ITEMS[name][1].split("\n", 1)[0]


def page_of(output: Path, name: str) -> str:
    return (output / DAY / slugify(headline(name)) / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_agency_site(tmp_path_factory.mktemp("agency") / "site")
    build_site(root)
    return root / "output"


def test_each_item_lands_in_its_topic(built: Path) -> None:
    for name, topic in EXPECTED_TOPICS.items():
        kicker = re.search(r'<p class="kicker">(.*?)</p>', page_of(built, name)).group(1)
        assert f">{topic}</a>" in kicker, (name, kicker)
    listing = (built / "topics/sport/index.html").read_text(encoding="utf-8")
    assert "Tischkicker" not in listing  # 'Tischfußball*' is excluded from sport
    assert "Frauen-Nationalmannschaft" in listing  # 'Fussball' matches '*fußball*'


def test_matching_ignores_case_umlauts_and_normal_forms() -> None:
    rules = TopicRules({"sport": (("*fußball*", "Bundesliga*"), ()),
                        "orte": (("München",), ("Tischfußball",))})
    for text in ("Fussball", "FUSSBALL-WM", "Frauenfußball",
                 unicodedata.normalize("NFD", "Fußball"), "Bundesligaspiel"):
        assert rules.choose(text, "").topic == "sport", text
    assert rules.choose("", "in Muenchen und MÜNCHEN").words == (("München", 2),)
    assert rules.choose("", "in München beim Tischfussball").topic == "sport"  # orte excluded
    assert rules.choose("Liga", "Bundes liga") is None  # a prefix needs the word's start
    assert normalize("Ærø Straße") == "ærø strasse"
    # the headline weighs more than the body
    both = TopicRules({"a": (("Tor",), ()), "b": (("Zoll",), ())})
    assert both.choose("Zoll", "Tor Tor").topic == "b"
    assert both.choose("Nichts", "Tor Tor Zoll").topic == "a"


def test_datelines_of_five_agencies_give_source_and_stay_out_of_summaries(built: Path
                                                                         ) -> None:
    for name, (place, agency) in EXPECTED_DATELINES.items():
        page = page_of(built, name)
        description = html.unescape(re.search(r'<meta name="description" content="([^"]*)"',
                                               page).group(1))
        body = page.split('<div class="article-body"', 1)[1]
        if place is None:
            assert 'class="dateline"' not in page and 'class="source"' not in page, name
            assert "(dpa)" in body  # mid-sentence, left as it is
            continue
        assert f'<p class="dateline">{place} ({agency})</p>' in page, name
        assert f"Quelle: {agency}" in page, name
        assert f"({agency})" not in description and not description.startswith(place), name
        assert f"({agency})" not in body.split("</p>", 1)[1], name
        assert f'"dateline": "{place}"' in page
    front = (built / "index.html").read_text(encoding="utf-8")
    assert "München (dpa) -" not in front and "(Reuters) –" not in front
    assert "Der FC Bayern München hat das Spitzenspiel" in front  # the teaser's summary


def test_front_matter_says_otherwise(site) -> None:
    root = site({"config.yaml": "title: T\nbase_url: https://e.org/\n",
                 "content/2025-06-03-a.txt": "---\ntitle: Eigener Titel\nsource: Redaktion\n"
                                             "dateline: Bonn\n---\nBerlin (dpa) - Der Text.\n"})
    build_site(root)
    page = (root / "output/2025/06/03/eigener-titel/index.html").read_text(encoding="utf-8")
    assert '<p class="dateline">Bonn (Redaktion)</p>' in page
    assert "Quelle: Redaktion" in page and "(dpa)" not in page


def test_three_versions_fold_at_the_first_url_with_working_redirects(built: Path) -> None:
    page = (built / BAHN / "index.html").read_text(encoding="utf-8")
    assert "Zusammenfassung: GDL-Streik legt Bahnverkehr weitgehend lahm" in page
    assert "Pro Bahn forderte" in page  # the newest text
    assert "Aktualisiert" in page and "Frühere Versionen" in page
    versions = re.search(r'<aside class="story-versions".*?</aside>', page, re.S).group(0)
    assert versions.count("<li>") == 2 and "Auch berichtet von" not in versions
    assert '"dateModified": "2025-06-03T12:45:00+02:00"' in page
    assert '"datePublished": "2025-06-03T06:10:00+02:00"' in page
    newest = built / DAY / "zusammenfassung-gdl-streik-legt-bahnverkehr-weitgehend-lahm"
    redirect = (newest / "index.html").read_text(encoding="utf-8")
    target = re.search(r'http-equiv="refresh" content="0; url=([^"]+)"', redirect).group(1)
    assert target == f"/ticker/{BAHN}/"
    assert (built / target.removeprefix("/ticker/") / "index.html").is_file()
    day = (built / DAY / "index.html").read_text(encoding="utf-8")
    assert day.count(f'href="/ticker/{BAHN}/"') >= 1
    assert "zusammenfassung-gdl-streik" not in day  # one story, listed once
    sitemap = (built / "sitemap.xml").read_text(encoding="utf-8")
    assert "zusammenfassung-gdl-streik" not in sitemap


def test_the_same_story_from_two_agencies_shows_also_reported_by(built: Path) -> None:
    page = (built / HITZE / "index.html").read_text(encoding="utf-8")
    assert "Städte in NRW öffnen Kühlräume gegen die Hitze" in page  # AFP's, the newer
    assert "Auch berichtet von: Reuters" in page
    assert '<p class="dateline">Köln (AFP)</p>' in page


def test_different_stories_of_one_topic_and_day_stay_apart(built: Path) -> None:
    sport = (built / "topics/sport/index.html").read_text(encoding="utf-8")
    assert "Bayern gewinnt" in sport and "Dortmund verliert" in sport
    for name in ("bayern-gewinnt.txt", "dortmund-verliert.txt", "inflation.txt"):
        assert "story-versions" not in page_of(built, name)


def test_renamed_and_reordered_files_give_the_same_site(tmp_path: Path, built: Path) -> None:
    names = {name: f"{n:03d}-{random.Random(n).getrandbits(32):08x}.txt"
             for n, name in enumerate(reversed(list(ITEMS)))}
    root = write_agency_site(tmp_path / "renamed", names)
    build_site(root)
    assert tree(root / "output") == tree(built)


def test_grouping_is_a_pure_function_of_the_articles(tmp_path: Path) -> None:
    from digest.commands.explain import read_site

    root = write_agency_site(tmp_path / "site")
    config = load_config(root / "config.yaml")
    import datetime as dt

    articles, site, _ = read_site(config, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    from digest.model import place_of, urls_of

    def groups(order: list[int], memo: StoryMemo) -> set[tuple[str, ...]]:
        chosen = [articles[i] for i in order]
        folded, _ = memo.fold(config.stories, chosen, [place_of(a) for a in chosen],
                              urls_of(config))
        return {tuple(v.title for v in a.story.versions) for a in folded if a.story}

    every = list(range(len(articles)))
    expected = groups(every, StoryMemo())
    assert len(expected) == 2
    warm = StoryMemo()
    rng = random.Random(7)
    for _ in range(12):
        rng.shuffle(every)
        subset = every[:rng.randrange(len(every) // 2, len(every) + 1)]
        assert groups(subset, warm) == groups(subset, StoryMemo())  # warm == cold
        rng.shuffle(subset)
        assert groups(subset, StoryMemo()) == groups(sorted(subset), StoryMemo())
    assert groups(every, warm) == expected


def test_a_warm_fold_after_edits_in_place_is_the_cold_fold(tmp_path: Path) -> None:
    """Serve's usual edit: the same list but for a few positions, each given a new article
    (another text, a copy of a neighbour's text, a moved time); the unchanged positions keep
    their objects, so the warm fold looks only at the new ones."""
    import dataclasses
    import datetime as dt

    from digest.commands.explain import read_site
    from digest.model import place_of, urls_of

    root = write_agency_site(tmp_path / "site")
    config = load_config(root / "config.yaml")
    articles, _, _ = read_site(config, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))

    def folded(chosen: list, places: list, memo: StoryMemo) -> list[tuple]:
        result, wheres = memo.fold(config.stories, chosen, places, urls_of(config))
        return [(a.source, a.slug, a.story.versions if a.story else None, w.source)
                for a, w in zip(result, wheres, strict=True)]

    chosen = list(articles)
    places = [place_of(a) for a in chosen]
    warm = StoryMemo()
    assert folded(chosen, places, warm) == folded(chosen, places, StoryMemo())
    rng = random.Random(11)
    for _ in range(20):
        chosen, places = list(chosen), list(places)
        for i in rng.sample(range(len(chosen)), 2):
            other = chosen[rng.randrange(len(chosen))]
            change = rng.choice(("text", "time", "both"))
            new = dataclasses.replace(
                chosen[i],
                sketch=other.sketch if change != "time" else chosen[i].sketch,
                date=chosen[i].date + dt.timedelta(hours=rng.choice((-30, -1, 1, 30)))
                if change != "text" else chosen[i].date)
            chosen[i], places[i] = new, place_of(new)
        assert folded(chosen, places, warm) == folded(chosen, places, StoryMemo())


def test_a_new_process_starts_from_the_pairs_the_last_one_found(tmp_path: Path) -> None:
    root = write_agency_site(tmp_path / "site")
    third = root / "content/eingang/bahn-streik-3.txt"
    text, when = third.read_text(encoding="utf-8"), third.stat().st_mtime
    third.unlink()
    assert run_digest("build", cwd=root).returncode == 0
    pairs = root / ".digest-cache/story-pairs.pickle"
    assert pairs.is_file()
    third.write_text(text, encoding="utf-8")  # the third version arrives
    os.utime(third, (when, when))
    afp = root / "content/eingang/hitze-afp.txt"
    afp.write_text(afp.read_text(encoding="utf-8") + "\nDie Stadt verlängert die Öffnung.\n",
                   encoding="utf-8")
    os.utime(afp, (afp.stat().st_mtime - 60, afp.stat().st_mtime - 60))
    assert run_digest("build", cwd=root).returncode == 0  # from the saved pairs
    cold = tmp_path / "cold"
    shutil.copytree(root, cold, ignore=shutil.ignore_patterns("output", ".digest-cache"))
    for path in (root / "content/eingang").iterdir():  # copytree keeps times; be sure
        stat = path.stat()
        os.utime(cold / "content/eingang" / path.name, (stat.st_atime, stat.st_mtime))
    assert run_digest("build", cwd=cold).returncode == 0
    assert tree(root / "output") == tree(cold / "output")
    pairs.write_bytes(b"nicht pickle")  # a damaged file is made again, never trusted
    shutil.rmtree(root / "output")
    assert run_digest("build", cwd=root).returncode == 0
    assert tree(root / "output") == tree(cold / "output")


def test_window_and_threshold_are_settings(tmp_path: Path) -> None:
    root = write_agency_site(tmp_path / "site")
    config = (root / "config.yaml").read_text(encoding="utf-8")
    (root / "config.yaml").write_text(config + "stories:\n  window: 3\n", encoding="utf-8")
    build_site(root)  # 06:10 and 08:30 fold; 12:45 is more than three hours later
    alone = (root / "output" / DAY / "zusammenfassung-gdl-streik-legt-bahnverkehr-weitgehend-"
             "lahm" / "index.html").read_text(encoding="utf-8")
    assert "Pro Bahn" in alone and "story-versions" not in alone
    assert "Frühere Versionen" in (root / "output" / BAHN / "index.html").read_text("utf-8")
    (root / "config.yaml").write_text(config + "stories:\n  fold: false\n", encoding="utf-8")
    with pytest.raises(DigestError, match="has the URL"):  # v1 and v2 share a headline
        build_site(root)


def test_check_explains_topics_and_stories(tmp_path: Path) -> None:
    root = write_agency_site(tmp_path / "site")
    result = run_digest("check", "--topics", "--stories", cwd=root, check=True)
    lines = result.stdout.splitlines()
    assert "content/eingang/tischkicker.txt: Wirtschaft ← *umsatz* ×2, Unternehmen* ×1" in lines
    assert "content/eingang/kirchentag.txt: Vermischtes (default_topic: no keyword matched)" \
        in lines
    assert f"/{BAHN}/: 3 versions, shown content/eingang/bahn-streik-3.txt" in lines
    assert any(re.match(r"  2025-06-03 06:10  dpa +similarity 0\.\d\d  content/eingang/"
                        r"bahn-streik-1\.txt", line) for line in lines)
    assert "  also reported by: Reuters" in lines


@pytest.mark.parametrize(("rules", "where", "message"), [
    ('[Tor, ""]', "7:21", "needs letters or digits"),
    ("[Tor, '*']", "7:21", "needs letters or digits"),
    ("[Tor, 'Bundes*liga']", "7:21", "may only start or end"),
    ("{Tor: 1}", "7:5", "expected a list of text"),
])
def test_bad_keyword_rules_are_errors_at_their_place(site, rules: str, where: str,
                                                     message: str) -> None:
    root = site({"config.yaml": f"title: T\nbase_url: https://e.org/\ninbox_dir: eingang\n"
                                f"topics:\n  sport:\n    name: Sport\n    keywords: {rules}\n"})
    result = run_digest("build", cwd=root)
    assert result.returncode == 1
    assert f"config.yaml:{where}: error: 'topics.sport.keywords" in result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_bad_agency_settings_and_dateline_are_errors(site) -> None:
    root = site({"config.yaml": "title: T\nbase_url: https://e.org/\nagencies: [ndh, '(x)']\n"
                                "stories:\n  similarity: 2\n",
                 "content/a.txt": "---\ntitle: A\ndate: 2025-06-03\ndateline: [Bonn]\n---\nx\n"})
    result = run_digest("build", cwd=root)
    assert result.returncode == 1
    assert "config.yaml:3:17: error: 'agencies[1]'" in result.stderr
    assert "config.yaml:5:3: error: 'stories.similarity'" in result.stderr
    (root / "config.yaml").write_text("title: T\nbase_url: https://e.org/\n", encoding="utf-8")
    result = run_digest("build", cwd=root)
    assert result.returncode == 1
    assert "content/a.txt:4:1: error: 'dateline'" in result.stderr


def test_an_english_site_shows_folded_stories_in_english(tmp_path: Path) -> None:
    root = write_site(tmp_path / "en", {"config.yaml": "title: Wire\nlanguage: en\n"
                                                      "base_url: https://e.org/\n"})
    (root / "content").mkdir()
    add_wire_stories(root / "content")
    build_site(root)
    page = (root / "output" / HITZE / "index.html").read_text(encoding="utf-8")
    assert "Also reported by: Reuters" in page
    page = (root / "output" / BAHN / "index.html").read_text(encoding="utf-8")
    assert "Earlier versions" in page and "Updated" in page


def test_the_sample_sites_agency_item(tmp_path: Path) -> None:
    from .conftest import REPO

    root = tmp_path / "sample"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "config.yaml", root / "config.yaml")
    build_site(root)
    page = next((root / "output").rglob("mittelstand-blickt-*/index.html")).read_text(
        encoding="utf-8")
    assert '<p class="dateline">Frankfurt/Main (ndh)</p>' in page
    assert "Quelle: ndh" in page
    assert '<meta name="description" content="Die Stimmung im deutschen Mittelstand' in page


@pytest.mark.parametrize(("opening", "place", "agency"), [
    ("Berlin (dpa) - Der", "Berlin", "dpa"),
    ("Paris (AFP) – Die", "Paris", "AFP"),
    ("WASHINGTON (AP) — The", "WASHINGTON", "AP"),
    ("Kiew/Moskau (Reuters) – Die", "Kiew/Moskau", "Reuters"),
    ("Rio de Janeiro (EFE) -- Der", "Rio de Janeiro", "EFE"),
    ("Bonn (kna) - Die", "Bonn", "kna"),
    ("Hamburg (ndh) - Die", "Hamburg", "ndh"),
    ("Die Regierung hat (dpa) - Die", None, None),
    ("Berlin (Redaktion) - Der", None, None),
    ("Berlin (dpa) Der", None, None),
    ("Laut dpa (dpa) - x", None, None),
])
def test_datelines_need_a_known_agency_at_the_start(opening: str, place: str | None,
                                                     agency: str | None) -> None:
    from digest.agency.dateline import Agencies

    found = Agencies(["ndh"]).dateline(opening)
    assert (found.place, found.agency) == (place, agency) if place else found is None
    if found:
        assert opening[found.end:][0] in "DT"


def test_a_version_due_later_folds_when_it_falls_due(tmp_path: Path) -> None:
    import datetime as dt

    root = write_site(tmp_path / "site", {"config.yaml": "title: T\nbase_url: https://e.org/\n"})
    (root / "content").mkdir()
    add_wire_stories(root / "content")
    update = root / "content" / "bahn-streik-3.txt"
    os.utime(update, (dt.datetime(2025, 6, 4, 9, tzinfo=dt.UTC).timestamp(),) * 2)
    before = dt.datetime(2025, 6, 4, 8, tzinfo=dt.UTC)
    _, report = build_site(root, now=before)
    assert report.next_due == dt.datetime(2025, 6, 4, 11, tzinfo=dt.timezone(
        dt.timedelta(hours=2)))
    page = (root / "output" / BAHN / "index.html").read_text(encoding="utf-8")
    assert "Pro Bahn" not in page
    _, report = build_site(root, now=before + dt.timedelta(hours=2))
    assert report.written > 0
    page = (root / "output" / BAHN / "index.html").read_text(encoding="utf-8")
    assert "Pro Bahn" in page and "Frühere Versionen" in page


def test_the_similarity_estimate_spares_comparisons_but_never_a_pair_at_the_threshold() -> None:
    """Texts at or above the threshold always pass the estimate (2,000 random pairs); texts
    that share little almost never do, which is what spares the exact comparison."""
    from array import array

    from digest.agency.stories import estimate_floor, jaccard, may_reach, smallest

    def sketch_of(hashes: set[int]) -> bytes:
        return array("I", sorted(hashes)).tobytes()

    rng = random.Random(5)
    floor = estimate_floor(0.4)
    assert floor > 0 and estimate_floor(0.05) == 0
    passed = 0
    for n in range(2000):
        size = rng.randrange(80, 700)
        a = set(rng.sample(range(2 ** 32), size))
        similar = n % 2 == 0
        keep = rng.uniform(0.58, 1.0) if similar else rng.uniform(0.0, 0.05)
        b = set(rng.sample(sorted(a), int(size * keep)))
        b |= set(rng.sample(range(2 ** 32), size - len(b)))
        close = jaccard(frozenset(a), frozenset(b)) >= 0.4
        verdict = may_reach(smallest(sketch_of(a)), smallest(sketch_of(b)), floor)
        if close:
            assert verdict, (size, keep)
        elif not similar:
            passed += verdict
    assert passed < 20  # of about 1,000 unrelated pairs


def test_the_buckets_hold_what_a_set_per_bucket_would_hold() -> None:
    """Random adds and discards, single keys and crowded buckets, slots before 1970: what
    the candidates are gathered from stays what a plain mapping of sets would hold."""
    rng = random.Random(7)
    buckets, plain = Buckets(), {}
    hashes = [0, 1, 2**32 - 1, rng.getrandbits(32)]
    slots = [-2, -1, 0, 1, 5]
    keys = [(bytes([i]), float(rng.randrange(-3 * 86400, 6 * 86400))) for i in range(12)]
    for _ in range(3000):
        h, slot, key = rng.choice(hashes), rng.choice(slots), rng.choice(keys)
        members = plain.setdefault((h, slot), set())
        if rng.random() < 0.6 and key not in members:
            buckets.add(Buckets.name(h, slot), key)
            members.add(key)
        else:
            buckets.discard(Buckets.name(h, slot), key)
            members.discard(key)
        probe = rng.choice(keys)
        for window in (3600.0, 86400.0):
            expected = {other for hh in hashes[:3] for near in (slot - 1, slot, slot + 1)
                        for other in plain.get((hh, near), ())
                        if abs(other[1] - probe[1]) <= window}
            assert buckets.gather(probe, hashes[:3], slot, window) == expected
    assert not any(value == [] for value in buckets.held.values())
