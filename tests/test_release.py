"""The release a user installs: `python -m build` gives an sdist and a wheel that carry the theme
and the scaffold, and the wheel, installed with pip from the package index into a fresh
environment that cannot see this source tree, makes and builds a site.

Marked `release`: it needs the package index and takes about half a minute; CI runs it (deselect
it locally with `-m "not release"`).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

from digest import __version__

from .conftest import IN_CI, REPO, need_tool

pytestmark = pytest.mark.release
DATA = ("digest/scaffold", "digest/themes")
"""The folders of non-Python files the package needs at run time."""


def need_module(name: str) -> None:
    """Skip without a build tool, except in CI, where the test extra must have installed it."""
    if importlib.util.find_spec(name) is None:
        message = f"{name} is not installed; pip install -e '.[test]' installs it"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def isolated_env() -> dict[str, str]:
    """The environment without anything that points Python at this source tree."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def run(*args: str | Path, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=isolated_env(),
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
    return result


def data_files() -> set[str]:
    """Every file of the theme and the scaffold in the source tree, hidden ones included."""
    return {p.relative_to(REPO).as_posix() for folder in DATA for p in (REPO / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sdist and the wheel, built from a copy of the files a clone has (tracked, and new
    ones not ignored), so that nothing is written into the source tree."""
    need_tool("git", "Debian's git package")
    need_module("build")
    work = tmp_path_factory.mktemp("release")
    files = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard"], capture_output=True, text=True, check=True)
    source = work / "source"
    for rel in filter(None, files.stdout.split("\0")):
        if (REPO / rel).is_file():
            (source / rel).parent.mkdir(parents=True, exist_ok=True)
            (source / rel).write_bytes((REPO / rel).read_bytes())
    run(sys.executable, "-m", "build", "--outdir", work / "dist", source, cwd=work)
    sdist = work / "dist" / f"newsdigest-{__version__}.tar.gz"
    wheel = work / "dist" / f"newsdigest-{__version__}-py3-none-any.whl"
    assert sdist.is_file() and wheel.is_file(), sorted((work / "dist").iterdir())
    return sdist, wheel


def test_sdist_and_wheel_pass_twine_check_and_carry_theme_and_scaffold(
        dists: tuple[Path, Path]) -> None:
    need_module("twine")
    sdist, wheel = dists
    checked = run(sys.executable, "-m", "twine", "check", "--strict", sdist, wheel,
                  cwd=wheel.parent)
    assert checked.stdout.count("PASSED") == 2, checked.stdout

    expected = data_files()
    assert {"digest/scaffold/dot-gitignore", "digest/scaffold/dot-github/workflows/pages.yml",
            "digest/scaffold/content/impressum.md", "digest/scaffold/config.yaml",
            "digest/themes/default/templates/base.html"} <= expected
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        meta = archive.read(f"newsdigest-{__version__}.dist-info/METADATA").decode()
        scripts = archive.read(f"newsdigest-{__version__}.dist-info/entry_points.txt").decode()
    assert expected <= names, sorted(expected - names)
    assert not [n for n in names if n.endswith(".pyc") or n.startswith("tests/")]
    assert f"Name: newsdigest\nVersion: {__version__}\n" in meta
    assert "Description-Content-Type: text/markdown" in meta
    assert "digest = digest.cli:main" in scripts
    with tarfile.open(sdist) as archive:
        top = f"newsdigest-{__version__}/"
        packed = {n.removeprefix(top) for n in archive.getnames()}
    assert expected | {"pyproject.toml", "README.md"} <= packed, sorted(expected - packed)


def test_the_wheel_from_the_index_makes_and_builds_a_site(dists: tuple[Path, Path],
                                                          tmp_path: Path) -> None:
    _, wheel = dists
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True, clear=True)
    python, digest = env_dir / "bin" / "python", env_dir / "bin" / "digest"
    # not editable and without --no-index: the dependencies come from the index, as for a user
    run(python, "-m", "pip", "install", "--quiet", wheel, cwd=tmp_path, timeout=600)
    where = run(python, "-c", "import digest; print(digest.__file__)", cwd=tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(env_dir), where.stdout
    assert run(digest, "--version", cwd=tmp_path).stdout.strip() == \
        f"digest, version {__version__}"

    made = run(digest, "init", "zeitung", cwd=tmp_path)
    assert "created zeitung/.gitignore" in made.stdout and "note:" not in made.stdout
    site = tmp_path / "zeitung"
    workflow = (site / ".github/workflows/pages.yml").read_text(encoding="utf-8")
    assert f'DIGEST_VERSION: "{__version__}"' in workflow
    assert 'pip install "newsdigest==$DIGEST_VERSION"' in workflow
    built = run(digest, "build", cwd=site)
    assert "2 articles" in built.stdout, built.stdout + built.stderr
    front = (site / "output/index.html").read_text(encoding="utf-8")
    assert "Willkommen im Nachrichtenüberblick" in front
    assert (site / "output/search/index.html").is_file()
