"""Every HTML page of the sample site passes the Nu HTML Checker without errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from .agency_fixtures import add_wire_stories
from .conftest import IN_CI, REPO, build_site, need_tool, write_site

VNU_JAR = REPO / ".tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@pytest.fixture(scope="module")
def vnu() -> list[str]:
    """The command that runs the current Nu HTML Checker (npm's vnu-jar) on Java."""
    java = need_tool("java", "Debian's default-jre-headless")
    if not VNU_JAR.is_file():
        message = "the Nu HTML Checker is missing; scripts/test installs it with npm (vnu-jar)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return [java, "-Xss8m", "-jar", str(VNU_JAR)]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's sample site, built in a temporary folder."""
    root = tmp_path_factory.mktemp("sample")
    shutil.copy(REPO / "config.yaml", root / "config.yaml")
    shutil.copytree(REPO / "content", root / "content")
    add_wire_stories(root / "content")  # a folded story with its versions (§10)
    build_site(root)
    return root / "output"


def test_every_page_is_valid_html(vnu: list[str], sample: Path) -> None:
    pages = sorted(str(p) for p in sample.rglob("*.html"))
    assert len(pages) > 50
    assert_valid(vnu, pages)


def test_news_desk_pages_are_valid_html(vnu: list[str], tmp_path: Path) -> None:
    """A live blog, an article with corrections, the corrections page, an expired notice."""
    from .test_desk import DESK, EXPIRED_URL, NOW, TICKER_PAGE

    root = write_site(tmp_path / "desk", DESK)
    build_site(root, now=NOW)
    output = root / "output"
    pages = [TICKER_PAGE, "2025/06/03/haushalt-beschlossen/index.html", "index.html",
             "korrekturen/index.html", f"{EXPIRED_URL}index.html", "alt/zurueck/index.html"]
    assert_valid(vnu, [str(output / page) for page in pages])


def assert_valid(vnu: list[str], pages: list[str]) -> None:
    result = subprocess.run([*vnu, "--errors-only", "--format", "json", *pages],
                            capture_output=True, text=True, timeout=300)
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    errors = [f"{m.get('url', '').rsplit('/output/', 1)[-1]}:{m.get('lastLine', 0)}: "
              f"{m.get('message')} [{m.get('extract', '').strip()}]"
              for m in messages if m.get("type") in ("error", "non-document-error")]
    assert not errors, f"{len(errors)} Nu errors:\n" + "\n".join(errors)
    assert result.returncode == 0, result.stderr[-2000:]
