"""`digest init` makes a site that builds at once; `digest new` writes well-formed articles."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path

import yaml

from digest.commands.init import init_site, scaffold_files, site_path

from .conftest import build_site, run_digest, write_site

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def front(path: Path) -> dict:
    """The YAML front matter of an article file, parsed."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), text
    return yaml.safe_load(text.split("---\n")[1])


def test_init_creates_a_site_that_builds(tmp_path: Path) -> None:
    result = run_digest("init", "zeitung", cwd=tmp_path, check=True)
    root = tmp_path / "zeitung"
    for rel in ("config.yaml", ".gitignore", ".github/workflows/pages.yml"):
        assert (root / rel).is_file(), rel
        assert f"created zeitung/{rel}" in result.stdout
    pages = {"impressum.md", "datenschutz.md"}  # standalone pages, no date in their names
    assert pages <= {p.name for p in (root / "content").iterdir()}
    articles = sorted(p.relative_to(root / "content").as_posix()
                      for p in (root / "content").rglob("*.*")
                      if p.name not in pages and p.suffix != ".jpg")
    today = dt.datetime.now(BERLIN).date().isoformat()
    assert [Path(a).suffix for a in articles] == [".txt", ".md"]
    assert all(Path(a).name.startswith(today) for a in articles), articles
    assert "/output/" in (root / ".gitignore").read_text().splitlines()
    assert "/.digest-cache/" in (root / ".gitignore").read_text().splitlines()
    assert "# " in (root / "config.yaml").read_text()  # commented for the user

    config, report = build_site(root)
    assert report.articles == 2  # neither example is in the future
    front_page = (config.output_path / "index.html").read_text(encoding="utf-8")
    assert "Willkommen im Nachrichtenüberblick" in front_page
    assert "willkommen-480w.webp 480w" in front_page  # the example photo, as a thumbnail
    assert "Agenturmeldungen kommen als reiner Text" in front_page


def test_a_new_site_passes_check(tmp_path: Path) -> None:
    run_digest("init", cwd=tmp_path, check=True)
    result = run_digest("check", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors" in result.stdout
    # the only warnings: the Impressum's and Datenschutz's placeholders, until filled in
    warnings = [line for line in result.stderr.splitlines() if ": warning: " in line]
    assert warnings and all("placeholder left" in line for line in warnings)
    assert not (tmp_path / "output").exists()


def test_init_dates_examples_now_not_in_the_future(tmp_path: Path) -> None:
    just_after_midnight = dt.datetime(2026, 3, 1, 0, 5, 42, tzinfo=BERLIN)
    init_site(tmp_path, now=just_after_midnight)
    markdown = next((tmp_path / "content").rglob("2*.md"))
    assert markdown.name.startswith("2026-03-01-")
    date = front(markdown)["date"]
    assert date == dt.datetime(2026, 3, 1, 0, 5, tzinfo=BERLIN)
    assert next((tmp_path / "content").rglob("*.txt")).name.startswith("2026-03-01-")
    written = "".join(p.read_text() for p in tmp_path.rglob("*")
                      if p.is_file() and p.suffix != ".jpg")
    assert not re.search(r"__[A-Z_]+__", written)  # every placeholder was filled in


def test_init_refuses_an_existing_site_unless_forced(tmp_path: Path) -> None:
    run_digest("init", cwd=tmp_path, check=True)
    (tmp_path / "config.yaml").write_text("title: Meine Seite\n", encoding="utf-8")
    refused = run_digest("init", cwd=tmp_path)
    assert refused.returncode == 1
    assert "config.yaml: error: a site already exists here" in refused.stderr
    assert "--force" in refused.stderr
    assert (tmp_path / "config.yaml").read_text() == "title: Meine Seite\n"

    forced = run_digest("init", "--force", cwd=tmp_path, check=True)
    assert "overwrote config.yaml" in forced.stdout
    assert "base_url" in (tmp_path / "config.yaml").read_text()


def test_init_never_overwrites_other_files_unasked(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.log\n", encoding="utf-8")
    refused = run_digest("init", cwd=tmp_path)
    assert refused.returncode == 1
    assert "would overwrite .gitignore" in refused.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [".gitignore"]


def test_the_scaffold_ships_its_dotfiles() -> None:
    names = {site_path(p) for p in scaffold_files()}
    assert {".gitignore", ".github/workflows/pages.yml", "config.yaml"} <= names


def test_new_writes_a_german_title_into_its_topic_folder(site, tmp_path: Path) -> None:
    root = site({})
    result = run_digest("new", "Außenminister über Straßenbau", "--topic", "Außenpolitik",
                        cwd=root, check=True)
    today = dt.datetime.now(BERLIN).date().isoformat()
    rel = f"content/aussenpolitik/{today}-aussenminister-ueber-strassenbau.md"
    assert result.stdout.strip() == rel
    meta = front(root / rel)
    assert meta["title"] == "Außenminister über Straßenbau"
    assert meta["topic"] == "Außenpolitik"
    assert meta["date"].utcoffset() is not None
    assert meta["date"] <= dt.datetime.now(dt.UTC)

    config, report = build_site(root)
    assert report.articles == 1
    assert "Außenminister über Straßenbau" in (config.output_path / "index.html").read_text()


def test_new_quotes_titles_safely_and_refuses_to_overwrite(site) -> None:
    root = site({})
    title = 'Zitat: "Wir bleiben" – sagt die Ministerin #1'
    path = root / run_digest("new", title, "--date", "2025-06-03T14:20", cwd=root,
                             check=True).stdout.strip()
    assert path.name == "2025-06-03-zitat-wir-bleiben-sagt-die-ministerin-1.md"
    assert path.parent.name == "allgemein"  # default_topic
    meta = front(path)
    assert meta["title"] == title
    assert meta["date"] == dt.datetime(2025, 6, 3, 14, 20, tzinfo=BERLIN)
    path.write_text(path.read_text() + "Eigener Text.\n", encoding="utf-8")
    before = path.read_bytes()

    again = run_digest("new", title, "--date", "2025-06-03T09:00", cwd=root)
    assert again.returncode == 1
    assert f"{path.relative_to(root)}: error: already exists" in again.stderr
    assert path.read_bytes() == before

    config, _ = build_site(root)
    page = config.output_path / "2025/06/03/zitat-wir-bleiben-sagt-die-ministerin-1/index.html"
    assert "Wir bleiben" in page.read_text(encoding="utf-8")


def test_new_txt_with_a_day_only(site) -> None:
    root = site({})
    rel = run_digest("new", "Streik bei der Bahn", "--txt", "--topic", "Wirtschaft",
                     "--date", "2025-06-05", cwd=root, check=True).stdout.strip()
    assert rel == "content/wirtschaft/2025-06-05-streik-bei-der-bahn.txt"
    text = (root / rel).read_text(encoding="utf-8")
    assert "date: 2025-06-05\n" in text
    config, report = build_site(root)
    assert report.articles == 1
    assert (config.output_path / "2025/06/05/streik-bei-der-bahn/index.html").is_file()


def test_new_with_a_bad_date_is_a_usage_error(site) -> None:
    root = site({})
    for bad in ("2025-13-01", "gestern", "2025-06-03T25:00"):
        result = run_digest("new", "Meldung", "--date", bad, cwd=root)
        assert result.returncode == 2, bad
        assert "--date" in result.stderr
    assert not (root / "content").exists()


def test_new_needs_a_title_with_letters(site) -> None:
    root = site({})
    result = run_digest("new", "!!!", cwd=root)
    assert result.returncode == 2
    assert "letters or digits" in result.stderr


def test_new_uses_the_site_timezone(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"config.yaml": "title: T\ntimezone: America/New_York\n"})
    rel = run_digest("new", "Wahlabend", "--date", "2025-11-04T23:30", cwd=root,
                     check=True).stdout.strip()
    date = front(root / rel)["date"]
    assert date.utcoffset() == dt.timedelta(hours=-5)
