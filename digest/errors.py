"""The one family of errors a user can cause, each with a position in a file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import __version__


def bug_notice() -> str:
    """What follows the traceback of a bug in digest, wherever it is printed."""
    return (f"this is a bug in digest {__version__}, not in your site; please report it "
            "with the traceback above")


@dataclass(frozen=True)
class Problem:
    """One problem in one input file: an error, or a warning when `warning` is set."""

    path: str
    line: int
    column: int
    message: str
    warning: bool = False
    note: bool = False
    """Neither wrong nor doubtful: something the user should know happened."""
    skipped: bool = False
    """An error that --skip-invalid turned into a warning: its file is left out."""

    def __str__(self) -> str:
        kind = "note" if self.note else "warning" if self.warning else "error"
        where = self.path
        if self.line:
            where += f":{self.line}:{self.column or 1}"
        return f"{where}: {kind}: {self.message}"


class DigestError(Exception):
    """A user error: bad content, config or theme. Printed without a traceback."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[type[DigestError], tuple[list[Problem]]]:
        """Keep the problems when the error crosses from a worker process."""
        return (DigestError, (self.problems,))


def problem(path: str | Path, message: str, line: int = 0, column: int = 0) -> Problem:
    """Make an error problem from a path and a 1-based position (0 when unknown)."""
    return Problem(str(path), line, column, message)


def warning(path: str | Path, message: str, line: int = 0, column: int = 0) -> Problem:
    """Make a warning: the build goes on, the user is told."""
    return Problem(str(path), line, column, message, warning=True)


def note(path: str | Path, message: str) -> Problem:
    """Make a note: nothing is wrong, but the user should know (a URL changed)."""
    return Problem(str(path), 0, 0, message, warning=True, note=True)
