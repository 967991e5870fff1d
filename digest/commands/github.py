"""What `digest build --format github` adds: workflow annotations and the job summary.

GitHub reads `::error file=…,line=…,col=…::message` lines from a step's output and marks the
file and line on the commit and in the run, where the author sees them; a job summary is
Markdown appended to the file that $GITHUB_STEP_SUMMARY names. Escaping follows GitHub's
toolkit (@actions/core, command.ts), so a message with a newline or '%' arrives whole.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..errors import Problem


def wanted(choice: str | None, environ: Mapping[str, str] = os.environ) -> bool:
    """Whether to annotate: as asked (--format), else when running under GitHub Actions."""
    if choice is not None:
        return choice == "github"
    return environ.get("GITHUB_ACTIONS") == "true"


def escape_data(text: str) -> str:
    """Escape a message: GitHub ends a command at a line break and decodes '%XX'."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value, which ':' and ',' would also end."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(item: Problem, path: str | None) -> str:
    """One workflow command for a problem; `path` relative to the repository, None for no
    file (a problem with the command line). Line and column only when known."""
    kind = "notice" if item.note else "warning" if item.warning else "error"
    properties = []
    if path is not None:
        properties.append(f"file={escape_property(path)}")
        if item.line:
            properties.append(f"line={item.line}")
            if item.column:
                properties.append(f"col={item.column}")
    head = f"::{kind} {','.join(properties)}" if properties else f"::{kind}"
    return f"{head}::{escape_data(item.message)}"


def repository_path(path: str, workspace: Path, here: Path) -> str | None:
    """A problem's file relative to the checkout GitHub annotates; None when it is not a file
    in it (GitHub would attach the mark to nothing)."""
    absolute = Path(path) if Path(path).is_absolute() else here / path
    if not absolute.exists() or not absolute.is_relative_to(workspace):
        return None
    return absolute.relative_to(workspace).as_posix()


def cell(text: str) -> str:
    """Text for one Markdown table cell: no line breaks, no column separators."""
    return " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|")


def step_summary(problems: Iterable[Problem], pages: int) -> str:
    """The job summary of a build with --skip-invalid: what was reported, by file."""
    found = [p for p in problems if not p.note]
    if not found:
        return ""
    files = len({p.path for p in found})
    lines = [f"### digest build: {len(found)} problem{'s' if len(found) != 1 else ''} in "
             f"{files} file{'s' if files != 1 else ''}", "",
             f"Built with `--skip-invalid`: the valid articles are in the site ({pages} "
             "pages); a file with an error is left out of it until it is fixed.", ""]
    skipped = sorted({p.path for p in found if p.skipped})
    if skipped:
        lines += ["Left out: " + ", ".join(f"`{cell(path)}`" for path in skipped), ""]
    lines += ["| file | line | problem |", "|---|---|---|"]
    for item in found:
        where = f"{item.line}:{item.column or 1}" if item.line else ""
        kind = "error (left out)" if item.skipped else "warning"
        lines.append(f"| `{cell(item.path)}` | {where} | {kind}: {cell(item.message)} |")
    return "\n".join(lines) + "\n\n"


def append_summary(text: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Append to the job summary when GitHub gave one (GITHUB_STEP_SUMMARY); False if not."""
    target = environ.get("GITHUB_STEP_SUMMARY")
    if not target or not text:
        return False
    with open(target, "a", encoding="utf-8") as summary:
        summary.write(text)
    return True
