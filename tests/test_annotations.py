"""Problems as GitHub Actions annotations and in the job summary (`digest build --format github`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from digest.commands.github import annotation, escape_property, step_summary, wanted
from digest.errors import Problem

GOOD = {
    "config.yaml": "title: Testseite\nbase_url: https://example.org/\nsearch: false\n",
    "content/politik/2025-06-03-gut.md":
        "---\ntitle: Gut\ndate: 2025-06-03T10:00:00+02:00\n---\nText.\n",
}
BROKEN = {**GOOD, "content/politik/kaputt.md": "---\ntitle: [\n---\nx\n"}
ANNOTATION = re.compile(r"^::(error|warning|notice)( [^:]*)?::.*$")


def build(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`digest build` in a new process with the GitHub variables given and no others."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    return subprocess.run([sys.executable, "-m", "digest", "build", *args], cwd=root,
                          env={**clean, **env}, capture_output=True, text=True, timeout=600)


def annotations(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("::")]


def test_an_error_and_a_warning_with_positions() -> None:
    error = Problem("content/politik/kaputt.md", 3, 7, "'date': expected YYYY-MM-DD, got 'x'")
    assert annotation(error, error.path) == \
        "::error file=content/politik/kaputt.md,line=3,col=7::'date': expected YYYY-MM-DD, got 'x'"
    warning = Problem("config.yaml", 12, 1, "unknown key 'titel'", warning=True)
    assert annotation(warning, "site/config.yaml") == \
        "::warning file=site/config.yaml,line=12,col=1::unknown key 'titel'"
    note = Problem("content/a.md", 0, 0, "URL changed", warning=True, note=True)
    assert annotation(note, "content/a.md") == "::notice file=content/a.md::URL changed"


def test_unknown_positions_are_left_out_and_text_is_escaped_as_the_toolkit_does() -> None:
    line_only = Problem("content/a.md", 4, 0, "too long")
    assert annotation(line_only, "content/a.md") == "::error file=content/a.md,line=4::too long"
    assert annotation(Problem("command line", 0, 0, "no"), None) == "::error::no"
    odd = Problem("content/a,b:c%.md", 1, 2, "50% done\r\nnext: line, too", warning=True)
    assert annotation(odd, odd.path) == \
        "::warning file=content/a%2Cb%3Ac%25.md,line=1,col=2::50%25 done%0D%0Anext: line, too"
    assert escape_property("a\nb") == "a%0Ab"


def test_github_format_is_chosen_under_github_actions_only() -> None:
    assert wanted(None, {"GITHUB_ACTIONS": "true"})
    assert not wanted(None, {})
    assert not wanted("text", {"GITHUB_ACTIONS": "true"})
    assert wanted("github", {})


def test_a_strict_build_annotates_its_errors(site) -> None:
    root = site(BROKEN)
    result = build(root, "--format", "github")
    assert result.returncode == 1
    plain = re.search(r"^content/politik/kaputt\.md:(\d+):(\d+): error: (invalid YAML.*)$",
                      result.stderr, re.M)
    assert plain, result.stderr  # the plain form stays, for the log
    line, column, message = plain.groups()
    assert annotations(result) == \
        [f"::error file=content/politik/kaputt.md,line={line},col={column}::{message}"]
    assert not (root / "output").exists()


def test_github_actions_turns_annotations_on_and_format_text_off(site, tmp_path: Path) -> None:
    root = site(BROKEN)
    workspace = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(tmp_path)}
    found = annotations(build(root, **workspace))
    assert len(found) == 1 and found[0].startswith("::error file=site/content/politik/kaputt.md,")
    assert annotations(build(root, "--format", "text", **workspace)) == []
    assert annotations(build(root)) == []


def test_the_scheduled_run_publishes_the_valid_articles_and_reports_the_invalid(
        site, tmp_path: Path) -> None:
    root = site(BROKEN)
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    # as the workflow's hourly step runs it
    result = build(root, "--skip-invalid", "--base-url", "https://redaktion.github.io/site/",
                   GITHUB_ACTIONS="true", GITHUB_WORKSPACE=str(root),
                   GITHUB_STEP_SUMMARY=str(summary))
    assert result.returncode == 0, result.stderr
    assert (root / "output/2025/06/03/gut/index.html").is_file()
    found = annotations(result)
    assert len(found) == 1 and all(ANNOTATION.match(line) for line in found)
    assert re.fullmatch(r"::warning file=content/politik/kaputt\.md,line=\d+,col=\d+::"
                        r"invalid YAML.*", found[0])
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n### digest build: 1 problem in 1 file\n")
    assert "| `content/politik/kaputt.md` |" in text and "error (left out): invalid YAML" in text
    assert "Left out: `content/politik/kaputt.md`" in text
    assert "--skip-invalid" in text

    # a build without problems adds nothing to the summary
    (root / "content/politik/kaputt.md").unlink()
    again = build(root, "--skip-invalid", GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    assert again.returncode == 0 and annotations(again) == []
    assert summary.read_text(encoding="utf-8") == text


def test_the_summary_table_keeps_its_columns() -> None:
    text = step_summary([Problem("content/a|b.md", 2, 0, "bad | worse\nand more", warning=True),
                         Problem("content/c.md", 0, 0, "empty", warning=True),
                         Problem("content/d.md", 0, 0, "URL changed", warning=True, note=True)],
                        pages=5)
    assert "### digest build: 2 problems in 2 files" in text
    assert "| `content/a\\|b.md` | 2:1 | warning: bad \\| worse and more |" in text
    assert "| `content/c.md` |  | warning: empty |" in text
    assert "URL changed" not in text
    assert step_summary([], pages=5) == ""
