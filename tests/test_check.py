"""`digest check`: every problem at once, broken links at their source line, nothing written."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from digest.commands.check import check_site
from digest.config import load_config

from .conftest import build_site, run_digest

CONFIG = "title: Prüfseite\nbase_url: https://redaktion.example.org/\nsearch: false\n"

GOOD = """\
---
title: Haushalt beschlossen
date: 2025-06-03T14:20:00+02:00
---
Der Bundestag hat den Haushalt beschlossen.

## Die Zahlen

Mehr dazu im [Bericht von gestern](/2025/06/02/bericht-von-gestern/).
Zurück zum [Abschnitt](#die-zahlen) oder zur [Startseite](/).
Extern: [Bundestag](https://www.bundestag.de/) und [Post](mailto:redaktion@example.org).
"""

BAD_DATE = """\
---
title: Kaputtes Datum
date: 2025-13-45
---
Text.
"""


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under root with its size and modification time."""
    return {p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_check_reports_a_broken_link_and_a_bad_date_at_their_lines(site) -> None:
    root = site({"config.yaml": CONFIG,
                 "content/politik/2025-06-03-haushalt.md": GOOD,
                 "content/politik/2025-06-04-kaputt.md": BAD_DATE})
    result = run_digest("check", cwd=root)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert any(line.startswith("content/politik/2025-06-04-kaputt.md:3:")
               and "'date'" in line for line in lines), result.stderr
    assert ("content/politik/2025-06-03-haushalt.md:9:1: error: broken link to "
            "/2025/06/02/bericht-von-gestern/") in lines, result.stderr
    assert not any("bundestag.de" in line or "mailto" in line or "#die-zahlen" in line
                   for line in lines), result.stderr
    assert "2 errors" in result.stdout
    assert not (root / "output").exists()
    assert not (root / ".digest-cache").exists()


def test_check_passes_a_clean_site_and_leaves_output_alone(site) -> None:
    root = site({"config.yaml": CONFIG,
                 "content/politik/2025-06-02-bericht-von-gestern.md":
                     "---\ntitle: Bericht von gestern\ndate: 2025-06-02\n---\nText.\n",
                 "content/politik/2025-06-03-haushalt.md": GOOD})
    build_site(root)
    (root / "output" / "eigene-datei.txt").write_text("von Hand", encoding="utf-8")
    before = snapshot(root)

    result = run_digest("check", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("checked ")
    assert "0 errors" in result.stdout
    assert snapshot(root) == before


def test_check_follows_the_base_path_and_fragments(site) -> None:
    config = CONFIG.replace("https://redaktion.example.org/",
                            "https://redaktion.github.io/nachrichten/")
    article = """\
        ---
        title: Unter dem Pfad
        date: 2025-06-03T10:00:00+02:00
        ---
        Richtig: [Tag](/nachrichten/2025/06/03/) und [relativ](../).
        Falsch: [ohne Pfad](/2025/06/03/) und [Anker](/nachrichten/#gibt-es-nicht).
        """
    root = site({"config.yaml": config, "content/politik/2025-06-03-pfad.md": article})
    report = check_site(load_config(root / "config.yaml"),
                        now=dt.datetime(2025, 7, 1, tzinfo=dt.UTC))
    messages = [str(p) for p in report.problems]
    # a root-relative link gets the base path (SPEC 2.3); one written with it keeps it
    assert report.errors == 1, messages
    assert messages[0].startswith("content/politik/2025-06-03-pfad.md:6:1: error: broken link "
                                  "to /nachrichten/#gibt-es-nicht (no id 'gibt-es-nicht'")
    assert report.pages > 5 and report.links > 20


def test_check_reports_a_broken_theme_link_at_the_built_page(site) -> None:
    template = """\
        {% extends "base.html" %}
        {% block content %}<p><a href="/fehlt/">x</a></p>
        {% endblock %}
        """
    root = site({"config.yaml": CONFIG,
                 "themes/default/templates/404.html": template,
                 "content/politik/2025-06-03-haushalt.md": "---\ntitle: A\ndate: 2025-06-03\n"
                                                           "---\nText.\n"})
    result = run_digest("check", cwd=root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.fullmatch(r"output/404\.html:\d+:1: error: broken link to /fehlt/\n",
                        result.stderr), result.stderr


def test_check_reports_config_errors(site) -> None:
    root = site({"config.yaml": "title: T\nbase_url: nicht-url\n"})
    result = run_digest("check", cwd=root)
    assert result.returncode == 1
    assert "config.yaml:2:" in result.stderr and "base_url" in result.stderr
