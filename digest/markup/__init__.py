"""Article bodies to HTML: Markdown or plain agency text, typographic quotes, sanitizing.

Pure: text in, HTML out. One `Markup` object is reused for many articles because building a
Python-Markdown instance costs more than converting a short article.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import markdown
import nh3

from ..config import MarkdownSettings
from ..slugs import slugify
from .leanmarkdown import LeanMarkdown
from .links import ContentLinksExtension

SAFE_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
    "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s",
    "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "time", "tr", "u", "ul", "var", "wbr", "section", "aside",
}
SAFE_ATTRIBUTES = {
    "*": {"id", "class", "title", "lang", "dir"},
    "a": {"href", "rel", "hreflang"},
    "img": {"src", "alt", "width", "height", "loading"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "time": {"datetime"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "abbr": {"title"},
}
SAFE_SCHEMES = {"http", "https", "mailto", "tel"}

QUOTES = {"de": ("„", "“", "‚", "‘"), "en": ("“", "”", "‘", "’")}
OPENING_CONTEXT = set(" \t\n\r([{-–—/\u00a0„“‚‘«»") | {""}
TAG_OR_TEXT = re.compile(r"(<[^>]*>)")
QUOTE_CHARS = re.compile("[\"']")
BLOCK_START = re.compile(r"</?(?:p|li|br|td|th|h[1-6]|blockquote|dd|dt)\b", re.I)
RAW_TAGS = re.compile(r"<(/?)(code|pre|kbd|samp|script|style)\b", re.I)
FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)
TAGS = re.compile(r"<[^>]+>")
BARE_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'“”‘’]")
ATX_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)
SENTENCE_END = re.compile(r"(?<=[^\s.!?]{3}[.!?…])[“”\"»]?\s+(?=[„\"»«(A-ZÄÖÜ0-9])")


@dataclass(frozen=True)
class Rendered:
    """A body as HTML, with what listings and feeds need from it."""

    html: str
    first_paragraph: str
    words: int
    links: tuple[tuple[str, str], ...] = ()
    """(target inside content/, the link as written) for each link to an article file."""


def smarten(html_text: str, lang: str) -> str:
    """Typographic quotes, dashes and ellipses in text nodes only, in the site's language.

    Done here instead of with the smarty extension: it is a single pass over the HTML that
    only stops at quote characters, and it knows German „…“ and ‚…‘ quotes.
    """
    open_double, close_double, open_single, close_single = QUOTES.get(lang, QUOTES["en"])
    out: list[str] = []
    previous = ""
    raw_depth = 0
    single_open = False

    def quote(match: re.Match[str]) -> str:
        nonlocal single_open
        text, at = match.string, match.start()
        before = text[at - 1] if at else previous
        if match.group() == '"':
            return open_double if before in OPENING_CONTEXT else close_double
        after = text[at + 1:at + 2]
        if before.isalnum() and after.isalnum():
            return "’"
        if before in OPENING_CONTEXT:
            single_open = True
            return open_single
        if single_open:
            single_open = False
            return close_single
        return "’"

    for part in TAG_OR_TEXT.split(html_text):
        if not part:
            continue
        if part[0] == "<":
            match = RAW_TAGS.match(part)
            if match:
                raw_depth = max(0, raw_depth + (-1 if match.group(1) else 1))
            elif BLOCK_START.match(part):
                previous = ""
            out.append(part)
            continue
        if not raw_depth:
            if "--" in part or "..." in part:
                part = part.replace("---", "—").replace("--", "–").replace("...", "…")
            if '"' in part or "'" in part:
                part = QUOTE_CHARS.sub(quote, part)
        out.append(part)
        previous = part[-1]
    return "".join(out)


def sanitize(html_text: str) -> str:
    """Remove scripts, event handlers and unsafe URLs from HTML."""
    return nh3.clean(html_text, tags=SAFE_TAGS, attributes=SAFE_ATTRIBUTES,
                     url_schemes=SAFE_SCHEMES, link_rel=None, strip_comments=True)


def visible_text(html_text: str) -> str:
    """The text of an HTML fragment as a reader sees it, whitespace as it is."""
    return html.unescape(TAGS.sub("", html_text.replace("<br", " <br")))


def plain_text(html_text: str) -> str:
    """The visible text of an HTML fragment, whitespace folded."""
    return " ".join(visible_text(html_text).split())


def shorten(text: str, limit: int = 240) -> str:
    """Cut text at a sentence boundary within `limit` characters, else at a word, with '…'."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in SENTENCE_END.split(text):
        candidate = f"{kept} {sentence}".strip()
        if len(candidate) > limit:
            break
        kept = candidate
    if kept:
        return kept
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:–—-")
    return cut + " …"


def linkify_escaped(text: str) -> str:
    """Escape plain text, turning bare http(s) URLs into links."""
    out, last = [], 0
    for match in BARE_URL.finditer(text):
        url = match.group(0)
        out.append(html.escape(text[last:match.start()], quote=False))
        out.append(f'<a href="{html.escape(url)}">{html.escape(url, quote=False)}</a>')
        last = match.end()
    out.append(html.escape(text[last:], quote=False))
    return "".join(out)


def text_to_html(body: str) -> str:
    """Agency copy: blank lines separate paragraphs; nothing is markup, URLs become links."""
    paragraphs = re.split(r"\n[ \t]*\n", body.strip())
    return "\n".join(f"<p>{linkify_escaped(' '.join(p.split()))}</p>"
                     for p in paragraphs if p.strip())


def title_from_markdown(body: str) -> tuple[str | None, str]:
    """The first heading as the title; a leading level-1 heading is taken out of the body."""
    match = ATX_HEADING.search(body)
    if not match:
        return None, body
    title = match.group(2).strip()
    if match.group(1) == "#" and not body[:match.start()].strip():
        return title, body[match.end():].lstrip("\n")
    return title, body


class Markup:
    """Converts article bodies with one reusable Markdown instance."""

    def __init__(self, settings: MarkdownSettings, lang: str, allow_raw_html: bool,
                 base_path: str = "/"):
        configs = {name: dict(options) for name, options in settings.extension_configs.items()}
        if "toc" in settings.extensions:
            configs.setdefault("toc", {}).setdefault("slugify", lambda text, sep: slugify(text))
        self.links = ContentLinksExtension(base_path)
        self.markdown = LeanMarkdown(markdown.Markdown(
            extensions=[*settings.extensions, self.links], extension_configs=configs,
            output_format="html"))
        self.typographer = settings.typographer
        self.lang = lang
        self.allow_raw_html = allow_raw_html

    def render(self, body: str, kind: str, lang: str | None = None, folder: str = ""
               ) -> Rendered:
        """Convert one body ('md' or 'txt') to safe HTML; quotes follow the article's language.

        `folder`: the article's folder inside content/, where its links by file start.
        """
        found: list[tuple[str, str]] = []
        if kind == "txt":
            body_html = text_to_html(body)
        else:
            processor = self.links.processor
            assert processor is not None
            processor.folder, processor.found = folder, found
            body_html = self.markdown.convert(body)
            if not self.allow_raw_html:
                body_html = sanitize(body_html)
        if self.typographer:
            body_html = smarten(body_html, lang.split("-")[0].lower() if lang else self.lang)
        match = FIRST_PARAGRAPH.search(body_html)
        first = plain_text(match.group(1)) if match else ""
        return Rendered(body_html, first, len(visible_text(body_html).split()), tuple(found))
