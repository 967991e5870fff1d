"""URL slugs: German transliteration first, then any other script, lowercase ASCII."""

from __future__ import annotations

from functools import lru_cache

from slugify import slugify as _slugify

GERMAN = [("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue"), ("ä", "ae"), ("ö", "oe"), ("ü", "ue"),
          ("ß", "ss"), ("ẞ", "SS")]


@lru_cache(maxsize=65536)
def slugify(text: str, max_length: int = 80) -> str:
    """Make a URL slug: 'Außenminister Über Straße' -> 'aussenminister-ueber-strasse'."""
    return _slugify(str(text), max_length=max_length, word_boundary=True,
                    replacements=GERMAN, save_order=True)
