"""Text and names as users write them: dates at the calendar's ends, NFD umlauts from macOS,
file names with characters that mean something in a URL."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from .conftest import run_digest, write_site

CONFIG = "title: Testseite\nbase_url: https://example.org/\n"
SECONDS_OFFSET = re.compile(r"T\d\d:\d\d(?::\d\d(?:\.\d+)?)?[+-]\d\d:\d\d:\d\d")
SVG = "<svg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/>"


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def article(title: str, date: str = "2025-06-03T10:00:00+02:00", extra: str = "") -> str:
    return f"---\ntitle: {title}\ndate: {date}\n{extra}---\nText.\n"


def fails(root: Path, *args: str) -> str:
    """A user error: exit 1, messages on stderr, no traceback."""
    result = run_digest("build", *args, cwd=root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result.stderr


def output_text(root: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((root / "output").rglob("*"))
                     if p.suffix in (".html", ".xml", ".json") and p.is_file())


@pytest.mark.parametrize("key, value", [
    ("date", "0001-06-03"), ("date", "1800-06-03"), ("date", "1899-12-31"),
    ("date", "9999-06-03"), ("date", "9999-12-31T23:30:00-05:00"),
    ("date", "0001-01-01T00:10:00+01:00"), ("updated", "9999-12-31T23:59:59"),
])
def test_a_date_outside_the_supported_years_is_an_error(site, key: str, value: str) -> None:
    """Such dates overflow in timezone conversion or get a local-mean-time offset."""
    extra = f"updated: {value}\n" if key == "updated" else ""
    date = "2025-06-03" if key == "updated" else value
    root = site({"config.yaml": CONFIG,
                 "content/politik/alt.md": article("Alt", date, extra)})
    err = fails(root, "--future")
    line = 4 if key == "updated" else 3
    assert re.search(rf"^content/politik/alt\.md:{line}:1: error: '{key}': expected a date in "
                     r"the years 1900 to 9998, got ", err, re.M), err


def test_dates_from_file_names_and_folders_are_checked_too(site) -> None:
    """A date taken from the path reaches the same pages as one in the front matter."""
    root = site({"config.yaml": CONFIG,
                 "content/1850-01-01-name.md": "---\ntitle: Name\n---\nText.\n",
                 "content/1850/01/01/ordner.md": "---\ntitle: Ordner\n---\nText.\n"})
    err = fails(root)
    assert re.search(r"^content/1850-01-01-name\.md:1:1: error: 'date': expected a date in the "
                     r"years 1900 to 9998, got 1850-01-01 from the file name$", err, re.M), err
    assert re.search(r"^content/1850/01/01/ordner\.md:1:1: error: 'date': expected a date in "
                     r"the years 1900 to 9998, got 1850-01-01 from the folders$", err, re.M), err


def test_no_offset_with_seconds_reaches_a_page(site) -> None:
    """RFC 3339 offsets have whole minutes: a written one with seconds, or a site timezone
    that kept local mean time that day (Amsterdam until 1937), is an error."""
    root = site({"config.yaml": CONFIG + "timezone: Europe/Amsterdam\n",
                 "content/a.md": article("A", "'2025-06-03T10:00:00+00:53:28'"),
                 "content/b.md": article("B", "1920-05-01")})
    err = fails(root)
    assert re.search(r"^content/a\.md:3:1: error: 'date': expected a UTC offset in whole "
                     r"minutes", err, re.M), err
    assert re.search(r"^content/b\.md:3:1: error: 'date': the site timezone Europe/Amsterdam "
                     r"kept local mean time then", err, re.M), err


def test_the_first_and_last_supported_days_build(site) -> None:
    """The range ends where a page could no longer show the date, not before."""
    root = site({"config.yaml": CONFIG,
                 "content/erster.md": article("Erster", "1900-01-01"),
                 "content/letzter.md": article("Letzter", "9998-12-31T23:59:59")})
    result = run_digest("build", "--future", cwd=root)
    assert result.returncode == 0, result.stderr
    assert (root / "output/1900/01/01/erster/index.html").is_file()
    page = (root / "output/9998/12/31/letzter/index.html").read_text(encoding="utf-8")
    assert "9998-12-31T23:59:59+01:00" in page
    assert not SECONDS_OFFSET.search(output_text(root))
    write_site(root, {"content/davor.md": article("Davor", "1899-12-31T23:59:00")})
    assert "'date': expected a date in the years 1900 to 9998" in fails(root, "--future")


def test_nfd_and_nfc_text_give_one_topic_one_tag_and_one_slug(site) -> None:
    """macOS writes decomposed umlauts; readers and URLs must not see two spellings."""
    extra = "topic: {topic}\ntags: [{tag}]\n"
    root = site({
        "config.yaml": CONFIG,
        "content/a.md": article(nfd("Über alles"), "2025-06-03",
                                extra.format(topic=nfd("Außenpolitik Übersee"),
                                             tag=nfd("Überblick"))) + nfd("Grüße aus Köln.\n"),
        "content/b.md": article("Über alles", "2025-06-04",
                                extra.format(topic="Außenpolitik Übersee", tag="Überblick")),
    })
    result = run_digest("build", cwd=root)
    assert result.returncode == 0, result.stderr
    out = root / "output"
    assert sorted(p.name for p in (out / "topics").iterdir() if p.is_dir()) == \
        ["aussenpolitik-uebersee"]
    assert sorted(p.name for p in (out / "tags").iterdir() if p.is_dir()) == ["ueberblick"]
    assert (out / "2025/06/03/ueber-alles/index.html").is_file()
    assert (out / "2025/06/04/ueber-alles/index.html").is_file()
    page = (out / "2025/06/03/ueber-alles/index.html").read_text(encoding="utf-8")
    assert "Grüße aus Köln" in page and "Über alles" in page
    assert "\u0308" not in output_text(root)


def test_an_nfd_folder_names_the_same_topic_and_its_files_keep_nfc_names(site) -> None:
    """A folder copied from a Mac and one typed on Linux are one topic; the files inside
    are found under the names the front matter gives and written under NFC names."""
    root = site({
        "config.yaml": CONFIG,
        nfd("content/Kültur/2025-06-03-oper.md"): article("Oper", extra="image: Grün.svg\n"),
        nfd("content/Kültur/Grün.svg"): SVG,
        "content/Kültur/2025-06-04-ballett.md": article("Ballett", "2025-06-04"),
    })
    result = run_digest("build", cwd=root)
    assert result.returncode == 0, result.stderr
    out = root / "output"
    assert sorted(p.name for p in (out / "topics").iterdir() if p.is_dir()) == ["kueltur"]
    listing = (out / "topics/kueltur/index.html").read_text(encoding="utf-8")
    assert "Oper" in listing and "Ballett" in listing
    assert "Grün.svg" in {p.name for p in (out / "2025/06/03/oper").iterdir()}
    page = (out / "2025/06/03/oper/index.html").read_text(encoding="utf-8")
    assert 'src="/2025/06/03/oper/Gr%C3%BCn.svg"' in page


def test_two_names_that_differ_only_in_unicode_form_are_an_error(site) -> None:
    """They would be written to one output file; which one wins must not be left to chance."""
    root = site({"config.yaml": CONFIG, "content/Grün.svg": SVG, nfd("content/Grün.svg"): SVG})
    err = fails(root)
    assert re.search(r"^content/Grün\.svg: error: two files have this name, spelled with "
                     r"different Unicode forms", err, re.M), err


def test_an_image_name_is_percent_encoded_in_every_url(site) -> None:
    """' ', '#', '?' and '%' in a file name would end or change the URL."""
    root = site({
        "config.yaml": CONFIG,
        "content/politik/2025-06-03-bild.md": article("Bild", "2025-06-03",
                                                      "image: \"bild #1? 100%.svg\"\n"),
        "content/politik/bild #1? 100%.svg": SVG,
    })
    result = run_digest("build", cwd=root)
    assert result.returncode == 0, result.stderr
    folder = root / "output/2025/06/03/bild"
    assert (folder / "bild #1? 100%.svg").read_text(encoding="utf-8") == SVG
    page = (folder / "index.html").read_text(encoding="utf-8")
    encoded = "bild%20%231%3F%20100%25.svg"
    assert f'<img src="/2025/06/03/bild/{encoded}"' in page
    assert f'<meta property="og:image" content="https://example.org/2025/06/03/bild/{encoded}">' \
        in page
    jsonld = json.loads(page.split('<script type="application/ld+json">', 1)[1]
                        .split("</script>", 1)[0])
    assert jsonld["image"] == [f"https://example.org/2025/06/03/bild/{encoded}"]
    assert "bild #1?" not in page
    check = run_digest("check", cwd=root)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "broken link" not in check.stdout + check.stderr
