"""The persistent memo: parsed articles by content hash, kept in the site's cache folder.

Every build still plans the whole site (that is what makes stale pages impossible); the cache
only saves the expensive part, turning Markdown into HTML, for files whose bytes, folder and
parse settings are unchanged. The key includes a hash of digest's own code, so a new version
never reuses an old result.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from functools import lru_cache
from pathlib import Path
from typing import Any

from .config import Config

CACHE_FORMAT = 1


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of digest's own source files: any code change invalidates every cache."""
    digest = hashlib.sha1()
    package = Path(__file__).parent
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def parse_settings(config: Config) -> str:
    """The settings that change how an article file is read."""
    return repr((config.timezone, config.default_topic, config.language, config.markdown,
                 config.allow_raw_html, config.max_file_size, config.content_dir))


class ArticleCache:
    """Parsed articles keyed by a hash of everything that went into parsing them."""

    def __init__(self, folder: Path, config: Config):
        self.path = folder / "articles.pickle"
        self.salt = hashlib.sha1((code_fingerprint() + parse_settings(config)).encode()).digest()
        self.old: dict[str, Any] = self.load()
        self.new: dict[str, Any] = {}

    def load(self) -> dict[str, Any]:
        try:
            with self.path.open("rb") as handle:
                data = pickle.load(handle)
            if data.get("format") == CACHE_FORMAT and data.get("salt") == self.salt:
                return data["entries"]
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError,
                ValueError, KeyError, TypeError):
            pass
        return {}

    def key(self, rel_path: str, data: bytes, context: str) -> str:
        digest = hashlib.sha1(self.salt)
        digest.update(rel_path.encode() + b"\0" + context.encode() + b"\0")
        digest.update(data)
        return digest.hexdigest()

    def get(self, key: str) -> Any:
        value = self.old.get(key)
        if value is not None:
            self.new[key] = value
        return value

    def put(self, key: str, value: Any) -> None:
        self.new[key] = value

    def save(self) -> None:
        """Keep only what this build used, so the cache never grows without bound."""
        if self.new.keys() == self.old.keys():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            pickle.dump({"format": CACHE_FORMAT, "salt": self.salt, "entries": self.new},
                        handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, self.path)


def page_fingerprint(salt: bytes, path: str, template: str, context: dict[str, Any]) -> str:
    """A hash of everything a page's bytes depend on: template set, settings and view data."""
    digest = hashlib.sha1(salt)
    digest.update(f"{path}\0{template}\0".encode())
    digest.update(pickle.dumps(context, protocol=pickle.HIGHEST_PROTOCOL))
    return digest.hexdigest()


def site_salt(config: Config, theme_fingerprint: str, site_view: dict[str, Any]) -> bytes:
    """What every page shares: code, settings, theme and the site-wide view."""
    text = f"{code_fingerprint()}\0{config.fingerprint()}\0{theme_fingerprint}\0{site_view!r}"
    return hashlib.sha1(text.encode()).digest()
