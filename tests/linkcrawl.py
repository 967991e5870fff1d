"""An independent link crawler for tests: every href/src of every built page must resolve."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit


class LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def resolve(output: Path, base_path: str, url: str) -> Path | None:
    """The file a site-internal URL points to, or None when it lies outside the site."""
    path = unquote(urlsplit(url).path)
    if not path.startswith(base_path):
        return None
    rel = path[len(base_path):]
    target = output / rel
    return target / "index.html" if rel == "" or rel.endswith("/") else target


def broken_links(output: Path, base_url: str) -> list[tuple[str, str]]:
    """(page, link) pairs whose target file does not exist in the output."""
    base = urlsplit(base_url)
    broken = []
    for page in sorted(output.rglob("*.html")):
        rel = page.relative_to(output).as_posix()
        page_url = base_url + (rel[:-len("index.html")] if rel.endswith("index.html") else rel)
        parser = LinkParser()
        parser.feed(page.read_text(encoding="utf-8"))
        for link in parser.links:
            absolute = urljoin(page_url, link)
            parts = urlsplit(absolute)
            if parts.scheme not in ("http", "https") or parts.netloc != base.netloc:
                continue
            target = resolve(output, base.path, absolute)
            if target is None or not target.is_file():
                broken.append((rel, link))
    return broken
