"""What the news desk gets told: front matter that lost its '---', YAML errors with the usual
cause and its fix, and `digest new` that understands the desk's topics and German dates."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zoneinfo
from pathlib import Path

import yaml

from .conftest import build_site, run_digest, write_site

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
CONFIG = "title: Testseite\nbase_url: https://example.org/\n"
GOOD = {"config.yaml": CONFIG,
        "content/politik/2025-06-03-gut.md": "---\ntitle: Gut\ndate: 2025-06-03T10:00:00+02:00\n"
                                             "---\nEin guter Artikel.\n"}


def error_lines(stderr: str) -> list[str]:
    """The `path:line:col: error: …` lines of a run, in order."""
    return [line for line in stderr.splitlines() if ": error: " in line]


def front(path: Path) -> dict:
    """The YAML front matter of an article file, parsed."""
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


def test_front_matter_without_opening_dashes_is_an_error(site) -> None:
    root = site({**GOOD,
                 "content/politik/2025-06-03-ohne-anfang.md":
                     "title: Ohne Anfang\ndate: 2025-06-03T11:00:00+02:00\n---\nText.\n",
                 "content/politik/2025-06-03-ohne-striche.md":
                     "topic: Politik\ntitle: Ohne Striche\n\nText.\n",
                 "content/politik/2025-06-03-berlin.md":
                     "Berlin: Der Senat tagt heute.\n\nTitel: bleibt Text.\n"})
    for command in ("check", "build"):
        result = run_digest(command, cwd=root)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        assert error_lines(result.stderr) == [
            "content/politik/2025-06-03-ohne-anfang.md:1:1: error: 'title': the front matter "
            "has no opening '---'; add a line '---' as the first line",
            "content/politik/2025-06-03-ohne-striche.md:1:1: error: 'topic': the front matter "
            "needs '---' lines around it; add a line '---' as the first line, and another after "
            "the last front matter line",
        ], result.stderr
    assert not (root / "output").exists()

    write_site(root, {"content/politik/2025-06-03-ohne-anfang.md": "---\ntitle: Ohne Anfang\n"
                                                                   "---\nText.\n",
                      "content/politik/2025-06-03-ohne-striche.md": "---\ntitle: Striche\n"
                                                                    "---\nText.\n"})
    result = run_digest("build", cwd=root)
    assert result.returncode == 0, result.stderr  # a body with a colon in line 1 is no YAML
    page = root / "output/2025/06/03/berlin-der-senat-tagt-heute/index.html"
    assert "Berlin: Der Senat tagt heute." in page.read_text(encoding="utf-8")


def yaml_error(stderr: str, where: str, hint: str) -> None:
    """One error at `where`, PyYAML's own words first, then our hint, nothing after it."""
    assert "Traceback" not in stderr
    pattern = rf"^{re.escape(where)}: error: invalid YAML: [^\n]*; {re.escape(hint)}$"
    assert re.search(pattern, stderr, re.M), stderr


def test_yaml_errors_name_the_tab_and_the_missing_quotes(site) -> None:
    root = site({**GOOD,
                 "content/politik/tab.md": "---\ntitle: Tab\ntags:\n\t- EU\n---\nText.\n",
                 "content/politik/doppelpunkt.md": "---\ntitle: Eilmeldung: Stadtrat tagt\n"
                                                   "date: 2025-06-03\n---\nText.\n",
                 "content/politik/zitat.md": '---\ntitle: Zitat\nsummary: Sie sagt: "Nein"\n'
                                             "---\nText.\n"})
    result = run_digest("build", cwd=root)
    assert result.returncode == 1
    yaml_error(result.stderr, "content/politik/tab.md:4:1",
               "the line is indented with a tab, but YAML needs spaces: indent with spaces instead")
    yaml_error(result.stderr, "content/politik/doppelpunkt.md:2:18",
               "a ': ' inside a value needs quotes, so put the title in quotes: "
               'title: "Eilmeldung: Stadtrat tagt"')
    yaml_error(result.stderr, "content/politik/zitat.md:3:18",
               "a ': ' inside a value needs quotes, so put the summary in quotes: "
               "summary: 'Sie sagt: \"Nein\"'")
    assert len(error_lines(result.stderr)) == 3, result.stderr

    fixed = 'title: "Eilmeldung: Stadtrat tagt"\ndate: 2025-06-03\n'
    write_site(root, {"content/politik/tab.md": "---\ntitle: Tab\ntags:\n  - EU\n---\nText.\n",
                      "content/politik/doppelpunkt.md": f"---\n{fixed}---\nText.\n",
                      "content/politik/zitat.md": "---\ntitle: Zitat\nsummary: 'Sie sagt: "
                                                  "\"Nein\"'\n---\nText.\n"})
    assert run_digest("build", cwd=root).returncode == 0  # the suggested fix is valid YAML


def test_config_yaml_errors_get_the_same_hints(site) -> None:
    root = site({**GOOD, "config.yaml": CONFIG + "feeds:\n\tentries: 5\n"})
    result = run_digest("check", cwd=root)
    assert result.returncode == 1
    yaml_error(result.stderr, "config.yaml:4:1",
               "the line is indented with a tab, but YAML needs spaces: indent with spaces instead")

    write_site(root, {"config.yaml": "title: Eilmeldung: Testseite\nbase_url: https://e.org/\n"})
    result = run_digest("build", cwd=root)
    assert result.returncode == 1
    yaml_error(result.stderr, "config.yaml:1:18",
               "a ': ' inside a value needs quotes, so put the title in quotes: "
               'title: "Eilmeldung: Testseite"')


def test_new_writes_date_and_slug_so_a_new_headline_keeps_the_url(site) -> None:
    root = site({})
    rel = run_digest("new", "Stadtrat tagt", "--topic", "Politik", "--date", "2025-06-03T14:20",
                     cwd=root, check=True).stdout.strip()
    assert rel == "content/politik/2025-06-03-stadtrat-tagt.md"
    path = root / rel
    assert path.read_text(encoding="utf-8") == (
        '---\ntitle: "Stadtrat tagt"\ndate: 2025-06-03T14:20:00+02:00\ntopic: "Politik"\n'
        'slug: "stadtrat-tagt"\n---\n\nText der Meldung.\n')

    text = path.read_text(encoding="utf-8").replace('"Stadtrat tagt"', '"Stadtrat tagt bis spät"')
    path.write_text(text, encoding="utf-8")
    config, report = build_site(root)
    assert report.articles == 1
    page = config.output_path / "2025/06/03/stadtrat-tagt/index.html"
    assert "Stadtrat tagt bis spät" in page.read_text(encoding="utf-8")
    assert not (config.output_path / "2025/06/03/stadtrat-tagt-bis-spaet").exists()

    now = root / run_digest("new", "Sofort", cwd=root, check=True).stdout.strip()
    meta = front(now)
    assert meta["slug"] == "sofort"
    assert re.search(r"^date: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$",
                     now.read_text(encoding="utf-8"), re.M)
    assert meta["date"].utcoffset() is not None


def test_new_files_a_topic_by_its_display_name(site) -> None:
    root = site({"config.yaml": CONFIG + "topics:\n  wirtschaft:\n    name: Wirtschaft & Finanzen"
                                         "\n  aerzte:\n    name: Ärzte & Kliniken\n"})
    today = dt.datetime.now(BERLIN).date().isoformat()
    rel = run_digest("new", "Börse schließt fester", "--topic", "Wirtschaft & Finanzen",
                     cwd=root, check=True).stdout.strip()
    assert rel == f"content/wirtschaft/{today}-boerse-schliesst-fester.md"
    assert front(root / rel)["topic"] == "wirtschaft"

    other = run_digest("new", "Zinsen steigen", "--topic", "  wirtschaft &  FINANZEN ",
                       cwd=root, check=True).stdout.strip()
    assert other == f"content/wirtschaft/{today}-zinsen-steigen.md"
    nfd = unicodedata.normalize("NFD", "ärzte & kliniken")
    clinic = run_digest("new", "Klinik öffnet", "--topic", nfd, cwd=root, check=True).stdout
    assert clinic.strip() == f"content/aerzte/{today}-klinik-oeffnet.md"
    assert sorted(p.name for p in (root / "content").iterdir()) == ["aerzte", "wirtschaft"]

    config, report = build_site(root)
    assert report.articles == 3
    topic_page = (config.output_path / "topics/wirtschaft/index.html").read_text(encoding="utf-8")
    assert "Wirtschaft &amp; Finanzen" in topic_page and "Börse schließt fester" in topic_page
    assert not (config.output_path / "topics/wirtschaft-finanzen").exists()


def test_new_understands_german_dates(site) -> None:
    root = site({})
    for when, title, expected in [
        ("01.12.2026", "Erster Advent", "date: 2026-12-01\n"),
        ("1.12.2026", "Adventsmarkt", "date: 2026-12-01\n"),
        ("01.12.2026 14:30", "Lichterfest", "date: 2026-12-01T14:30:00+01:00\n"),
        ("03.06.2025 9:05", "Sommerfest", "date: 2025-06-03T09:05:00+02:00\n"),
    ]:
        rel = run_digest("new", title, "--date", when, cwd=root, check=True).stdout.strip()
        assert Path(rel).name.startswith(expected[6:16]), (when, rel)
        assert expected in (root / rel).read_text(encoding="utf-8"), when


def test_new_refuses_a_date_it_cannot_read(site) -> None:
    root = site({})
    for bad in ("gestern", "32.12.2026", "01.12.26", "01.12.2026 25:00", "12/01/2026"):
        result = run_digest("new", "Meldung", "--date", bad, cwd=root)
        assert result.returncode == 2, bad
        assert "Traceback" not in result.stderr
        assert (f"Error: Invalid value for '--date': expected YYYY-MM-DD, ISO 8601 such as "
                f"2025-06-03T14:20, or TT.MM.JJJJ [HH:MM] such as 03.06.2025 14:20, got {bad!r}"
                ) in result.stderr.splitlines(), result.stderr
    assert not (root / "content").exists()
