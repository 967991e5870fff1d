"""Python-Markdown without the processors a document cannot set off.

Most of Python-Markdown's time goes into trying every inline pattern on every piece of text,
every block processor's test on every block, and the preprocessors' searches of the whole
document. A pattern for links cannot match in a
document without '[', one for code spans not without '`'. Every text and block the
processors see is cut from the document itself (placeholders for stashed HTML and code use
none of these characters), so leaving out, for one document, the processors whose
characters it lacks changes nothing in the HTML, and news copy, mostly plain prose, converts
in about half the time.

Only processors that are still the built-in class under their built-in name are left out: an
extension that replaces one keeps its own running.
"""

from __future__ import annotations

from typing import Any

import markdown

IP = "markdown.inlinepatterns."
INLINE = {
    ("backtick", IP + "BacktickInlineProcessor"): "`",
    ("escape", IP + "EscapeInlineProcessor"): "\\",
    ("reference", IP + "ReferenceInlineProcessor"): "[",
    ("link", IP + "LinkInlineProcessor"): "[",
    ("image_link", IP + "ImageInlineProcessor"): "[",
    ("image_reference", IP + "ImageReferenceInlineProcessor"): "[",
    ("short_reference", IP + "ShortReferenceInlineProcessor"): "[",
    ("short_image_ref", IP + "ShortImageReferenceInlineProcessor"): "[",
    ("autolink", IP + "AutolinkInlineProcessor"): "<",
    ("automail", IP + "AutomailInlineProcessor"): "<",
    ("html", IP + "HtmlInlineProcessor"): "<",
    ("entity", IP + "HtmlInlineProcessor"): "&",
    ("not_strong", IP + "SimpleTextInlineProcessor"): "*_",
    ("em_strong", IP + "DelimiterProcessor"): "*_",
    ("em_strong", IP + "AsteriskProcessor"): "*",
    ("em_strong2", IP + "UnderscoreProcessor"): "_",
    ("footnote", "markdown.extensions.footnotes.FootnoteInlineProcessor"): "[",
    # two spaces before a newline; tabs become spaces first; raw HTML blocks, taken out
    # before parsing, can leave spaces before a newline behind
    ("linebreak", IP + "SubstituteTagInlineProcessor"): (" \n", "\t\n", " \r", "\t\r", "<"),
}
"""(Inline pattern name, its built-in class): a string of characters of which every match has
one, or a tuple of strings of which the document has one if the pattern can match."""

BP = "markdown.blockprocessors."
BLOCK = {
    ("hashheader", BP + "HashHeaderProcessor"): "#",
    ("table", "markdown.extensions.tables.TableProcessor"): "|",
    ("quote", BP + "BlockQuoteProcessor"): ">",
    ("reference", BP + "ReferenceProcessor"): "[",
    ("footnote", "markdown.extensions.footnotes.FootnoteBlockProcessor"): "[",
    ("abbr", "markdown.extensions.abbr.AbbrBlockprocessor"): "[",
    ("markdown_block", "markdown.extensions.md_in_html.MarkdownInHtmlProcessor"): "<",
}
"""(Block processor name, its built-in class): as INLINE, for the blocks it takes."""

PRE = {
    ("fenced_code_block", "markdown.extensions.fenced_code.FencedBlockPreprocessor"): "`~",
    ("html_block", "markdown.preprocessors.HtmlBlockPreprocessor"): "<",
    ("html_block", "markdown.extensions.md_in_html.HtmlBlockPreprocessor"): "<",
}
"""(Preprocessor name, its built-in class): as INLINE, for the whole document."""

Trigger = str | tuple[str, ...]


class Optional:
    """The processors of one registry that a document may do without, with their places.

    The registry stays as the last document left it: consecutive documents mostly need the
    same processors, so only the difference is registered or taken out.
    """

    def __init__(self, registry: Any, table: dict[tuple[str, str], Trigger]):
        self.registry = registry
        priorities = {entry.name: entry.priority for entry in getattr(registry, "_priority", [])}
        self.items = {name: (registry[name], priority, table[(name, class_name(registry[name]))])
                      for name, priority in priorities.items()
                      if (name, class_name(registry[name])) in table}
        self.out: set[str] = set()

    def triggers(self) -> set[str]:
        return {part for _, _, trigger in self.items.values() for part in trigger}

    def fit(self, found: set[str]) -> None:
        """Register exactly what a document with the trigger strings `found` can set off."""
        unused = {name for name, (_, _, trigger) in self.items.items()
                  if found.isdisjoint(trigger)}
        for name in unused - self.out:
            self.registry.deregister(name)
        for name in self.out - unused:
            item, priority, _ = self.items[name]
            self.registry.register(item, name, priority)
        self.out = unused


def class_name(item: Any) -> str:
    return f"{type(item).__module__}.{type(item).__qualname__}"


class LeanMarkdown:
    """One Python-Markdown instance that converts each document with only the processors
    that document can set off. Same output as `markdown.Markdown.convert`; convert only
    through this class once it wraps an instance."""

    def __init__(self, md: markdown.Markdown):
        self.md = md
        self.inline = Optional(md.inlinePatterns, INLINE)
        self.block = Optional(md.parser.blockprocessors, BLOCK)
        self.pre = Optional(md.preprocessors, PRE)
        self.triggers = self.inline.triggers() | self.block.triggers() | self.pre.triggers()

    def convert(self, text: str) -> str:
        found = {part for part in self.triggers if part in text}
        for optional in (self.pre, self.block, self.inline):
            optional.fit(found)
        return self.md.reset().convert(text)
