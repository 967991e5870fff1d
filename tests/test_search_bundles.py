"""The split of the article pages into search bundles: a pure function of their days."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import given
from hypothesis import strategies as st

from digest.pages.bundles import partition

days = st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2026, 12, 31))


def pages(dates: list[dt.date]) -> list[tuple[dt.date, str]]:
    return [(day, f"{day.isoformat()}/{i}/") for i, day in enumerate(dates)]


@given(st.lists(days, max_size=120), st.integers(1, 30), st.integers(1, 10))
def test_every_page_in_one_bundle_of_bounded_size(dates, most, recent) -> None:
    items = pages(dates)
    bundles = partition(items, recent_days=recent, most=most)
    held = [rel for bundle in bundles for rel in bundle.pages]
    assert sorted(held) == sorted(rel for _, rel in items)
    assert all(0 < len(bundle.pages) <= most for bundle in bundles)
    assert len({bundle.name for bundle in bundles}) == len(bundles)
    shuffled = items[:]
    random.Random(len(items)).shuffle(shuffled)
    assert partition(shuffled, recent_days=recent, most=most) == bundles


def test_newest_days_then_years_newest_first() -> None:
    items = pages([dt.date(2023, 3, 1), dt.date(2024, 5, 1), dt.date(2025, 5, 20),
                   dt.date(2025, 5, 28), dt.date(2025, 6, 3)])
    bundles = partition(items, recent_days=7)
    assert [b.name for b in bundles] == ["recent", "2025", "2024", "2023"]
    assert bundles[0].pages == ("2025-05-28/3/", "2025-06-03/4/")


def test_a_growing_year_keeps_its_earlier_parts() -> None:
    year = [dt.date(2024, 1, 1) + dt.timedelta(days=d) for d in range(0, 300, 3)]
    before = partition(pages(year) + pages([dt.date(2025, 6, 1)]), most=20)
    later = year + [dt.date(2024, 12, 1), dt.date(2024, 12, 2)]
    after = partition(pages(later) + pages([dt.date(2025, 6, 1)]), most=20)
    old_parts = {b.name: b.pages for b in before if b.name != "recent"}
    new_parts = {b.name: b.pages for b in after if b.name != "recent"}
    newest = max(old_parts, key=lambda n: old_parts[n][0])
    changed = [name for name in old_parts if new_parts.get(name) != old_parts[name]]
    assert changed in ([], [newest])  # the earlier parts stay as they were
    assert new_parts["2024-12-01"] == ("2024-12-01/100/", "2024-12-02/101/")
    assert max(len(p) for p in new_parts.values()) <= 20
