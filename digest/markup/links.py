"""Links between articles, resolved inside Python-Markdown where the links are elements.

An author links another article by its file (`[Bericht](../sport/2025-06-03-aufstieg.md)`):
such a link becomes a placeholder here, named by the target file, and the page that shows the
body puts the target's URL in (views.py), so a retitled target never leaves a stale link. A
root-relative link (`/topics/sport/`) gets the site's base path, so it works under a sub-path
and on a custom domain alike.
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as etree
from urllib.parse import quote, unquote, urlsplit

from markdown import Markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

LINK_PREFIX = "/__digest__/file/"
"""The placeholder path of a link to a content file: no page of a site can have it."""
ARTICLE_SUFFIXES = (".md", ".markdown", ".txt")
LINKED = {"a": "href", "img": "src"}


def placeholder(target: str) -> str:
    """The placeholder for a link to `target`, a path inside content/."""
    return LINK_PREFIX + quote(target)


class ContentLinks(Treeprocessor):
    """Rewrite links by file path and root-relative links; note the files linked."""

    def __init__(self, md: Markdown, base_path: str) -> None:
        super().__init__(md)
        self.base_path = base_path
        self.folder = ""
        """The folder of the article being converted, inside content/."""
        self.found: list[tuple[str, str]] = []
        """(target inside content/, the link as written) for each link to an article file."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            attribute = LINKED.get(element.tag)
            value = element.get(attribute) if attribute else None
            if attribute and value:
                new = self.resolve(value)
                if new is not None:
                    element.set(attribute, new)

    def resolve(self, value: str) -> str | None:
        """The rewritten link, or None to keep it as it is."""
        parts = urlsplit(value)
        if parts.scheme or parts.netloc or not parts.path:
            return None  # another site, mailto:, #fragment, ?query
        tail = ("?" + parts.query if parts.query else "") + \
            ("#" + parts.fragment if parts.fragment else "")
        if parts.path.startswith("/"):
            if parts.path.startswith((LINK_PREFIX, self.base_path)):
                return None  # written with the base path already, as older sites had to
            return self.base_path + parts.path[1:] + tail
        if not parts.path.lower().endswith(ARTICLE_SUFFIXES):
            return None  # an image or file beside the article: copied next to it
        target = posixpath.normpath(posixpath.join(self.folder, unquote(parts.path)))
        self.found.append((target, value))
        return placeholder(target) + tail


class ContentLinksExtension(Extension):
    """Registers ContentLinks after every built-in tree processor."""

    def __init__(self, base_path: str) -> None:
        super().__init__()
        self.base_path = base_path
        self.processor: ContentLinks | None = None

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 - Python-Markdown's name
        self.processor = ContentLinks(md, self.base_path)
        md.treeprocessors.register(self.processor, "digest_links", 1)
