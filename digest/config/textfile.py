"""Input text files: UTF-8 (a BOM allowed), any line ends; a bad byte is named by position."""

from __future__ import annotations

from ..errors import Problem, problem


def decode(data: bytes, display: str) -> tuple[str | None, Problem | None]:
    """UTF-8 (a BOM allowed) to text with LF line ends; a bad byte is named by position."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        before = data[:start]
        line = before.count(b"\n") + 1
        line_start = before.rfind(b"\n") + 1
        column = len(data[line_start:start].decode("utf-8", "replace")) + 1  # in characters
        return None, problem(display, f"not UTF-8 text: byte 0x{data[start]:02x} cannot be "
                             "read; save the file as UTF-8", line, column)
    return text.replace("\r\n", "\n").replace("\r", "\n"), None
