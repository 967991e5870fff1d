"""Leaving out the processors a document cannot set off changes nothing in its HTML."""

from __future__ import annotations

from typing import Any

import markdown
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown.treeprocessors import Treeprocessor

from digest.markup.leanmarkdown import LeanMarkdown

EXTENSIONS = ["extra", "toc", "sane_lists", "abbr", "nl2br", "smarty"]

# Pieces that set off every kind of block and inline processor, and plain words between.
PIECES = ["Wort", "Straße", "„Zitat“", " ", "  ", "\t", "\n", "\n\n", "\r\n", "\r", "# ",
          "## Titel\n", "-", "=", ":", ": ", "1.", "~~~\n", "2. ",
          "> ", "- ", "* ", "1. ", "    code\n", "```\nx = 1\n```\n", "`code`", "\\*", "[", "]",
          "(", ")", "[Link](https://e.org)", "![Bild](b.png)", "[ref]", "[ref]: https://e.org\n",
          "[^1]", "[^1]: Fußnote\n", "*[HTML]: Hyper\n", "HTML", "<b>", "</b>", "<div>\n",
          "</div>\n", "<https://e.org>", "<a@b.de>", "&amp;", "&", "*", "**", "_", "__", "|",
          "a | b\n--- | ---\n1 | 2\n", "Term\n: Definition\n", "---\n", "===\n", "{: .klasse}",
          "<!-- x -->", "'", '"', "--", "...", "<<", ">>"]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40), st.sampled_from([1, 2, 3]))
def test_lean_conversion_equals_python_markdown(pieces: list[str], extensions: int) -> None:
    text = "".join(pieces)
    chosen = EXTENSIONS[:extensions * 2]
    plain = markdown.Markdown(extensions=chosen)
    lean = LeanMarkdown(markdown.Markdown(extensions=chosen))
    assert lean.convert(text) == plain.convert(text)
    assert lean.convert(text + "\n[x](y) | z") == plain.reset().convert(text + "\n[x](y) | z")
    assert lean.convert(text) == plain.reset().convert(text)


class Witness(Treeprocessor):
    """Notes which processors are registered while a document converts."""

    def __init__(self, md: markdown.Markdown, seen: list[set[str]]):
        super().__init__(md)
        self.seen = seen

    def run(self, root: Any) -> None:
        self.seen.append({item.name for item in self.md.inlinePatterns._priority} |
                         {item.name for item in self.md.parser.blockprocessors._priority})


def test_plain_prose_leaves_out_the_link_and_table_processors() -> None:
    """The speed-up is real: prose without '[' or '|' runs without those processors, and
    they are back for the next document that needs them."""
    md = markdown.Markdown(extensions=["extra"])
    seen: list[set[str]] = []
    md.treeprocessors.register(Witness(md, seen), "witness", 1)
    lean = LeanMarkdown(md)
    assert lean.convert("Nur Text.\n\nNoch ein Absatz.") == \
        "<p>Nur Text.</p>\n<p>Noch ein Absatz.</p>"
    assert lean.convert("[Link](https://e.org) | Spalte") == \
        '<p><a href="https://e.org">Link</a> | Spalte</p>'
    assert "link" not in seen[0] and "table" not in seen[0] and "hashheader" not in seen[0]
    assert {"link", "table"} <= seen[1]
