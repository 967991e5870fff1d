"""Progress on a terminal for builds that take a while; nothing at all when not a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 30


class TerminalProgress:
    """One line that redraws itself, shown only once a build has taken over a second."""

    def __init__(self, stream: TextIO | None = None, delay: float = 1.0) -> None:
        self.stream = stream or sys.stderr
        self.delay = delay
        self.started = time.monotonic()
        self.drawn = 0.0
        self.shown = False

    @staticmethod
    def wanted(quiet: bool, stream: TextIO | None = None) -> bool:
        return not quiet and (stream or sys.stderr).isatty()

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.started < self.delay or (done < total and now - self.drawn < 0.1):
            return
        self.drawn = now
        filled = BAR_WIDTH * done // max(total, 1)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stream.write(f"\r{stage:<18} [{bar}] {done}/{total}\033[K")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """Clear the line so the summary stands alone."""
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
