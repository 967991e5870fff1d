"""Shared test helpers: real sites in temporary folders, real tools, nothing mocked."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from digest.build import BuildOptions, BuildReport, build
from digest.config import Config, load_config

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]


def write_site(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write a site from a dict of relative paths to contents; text is dedented.

    A new site without config.yaml gets a default one; a site that has one keeps it.
    """
    if "config.yaml" not in files and not (root / "config.yaml").exists():
        files = {"config.yaml": "title: Testseite\nbase_url: https://example.org/\n", **files}
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


def build_site(root: Path, **options) -> tuple[Config, BuildReport]:
    """Build the site in `root` in-process and return its config and report."""
    config = load_config(root / "config.yaml")
    return config, build(config, BuildOptions(**options))


def run_digest(*args: str, cwd: Path, check: bool = False) -> subprocess.CompletedProcess:
    """Run the real command line in a new process."""
    result = subprocess.run([sys.executable, "-m", "digest", *args], cwd=cwd,
                            capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"digest {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


def need_tool(name: str, what: str) -> str:
    """The path of a tool; without it skip, except in CI where a missing tool is a failure."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed; install {what} (scripts/test does this with apt-get)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def site(tmp_path: Path):
    """A factory: site({...files}) writes a site into a fresh temporary folder."""
    def make(files: dict[str, str | bytes]) -> Path:
        return write_site(tmp_path / "site", files)
    return make


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return need_tool("chromium", "Debian's chromium package")


@pytest.fixture(scope="session")
def browser(chromium_path: str):
    """A real headless Chromium driven by Playwright, from Debian's package."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path, headless=True,
                                              args=CHROMIUM_ARGS)
        yield instance
        instance.close()
