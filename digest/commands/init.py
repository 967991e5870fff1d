"""`digest init`: a new site from the scaffold that ships in the package, ready to build."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..config.yamltext import load_yaml
from ..errors import DigestError, problem

SCAFFOLD = Path(__file__).resolve().parent.parent / "scaffold"
DISTRIBUTION = "newsdigest"
"""digest's name on PyPI; PyPI's "digest" is another project."""
RELEASE = re.compile(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?")
"""A version PyPI can have: final, pre- and post-releases; not .devN or +local."""


@dataclass(frozen=True)
class InitReport:
    """What `init` wrote, for the message the command prints."""

    root: Path
    created: tuple[str, ...]
    """Paths relative to root, in the order they were written."""
    overwritten: tuple[str, ...]
    package: str
    """The pip requirement the Pages workflow installs digest with."""
    released: bool
    """False for a development version, which PyPI does not have: the workflow needs a
    released version then."""


def scaffold_files() -> list[Path]:
    """Every file of the scaffold, in a stable order."""
    return sorted(p for p in SCAFFOLD.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def site_path(source: Path) -> str:
    """Where a scaffold file goes in the new site: 'dot-github/x' -> '.github/x'.

    The scaffold stores dotfiles as 'dot-…' because package-data globs skip hidden folders.
    """
    parts = source.relative_to(SCAFFOLD).parts
    return "/".join("." + p[4:] if p.startswith("dot-") else p for p in parts)


def install_requirement(version: str = __version__) -> tuple[str, bool]:
    """The requirement CI installs the digest that runs now with: its release on PyPI.

    Also whether `version` looks like a release (1.2.3, 1.2.3rc1); a development or local
    version (1.2.3.dev1, 1.2.3+local) was never uploaded, so CI could not install it.
    """
    return f"{DISTRIBUTION}=={version}", RELEASE.fullmatch(version) is not None


def site_timezone(config_text: str) -> zoneinfo.ZoneInfo:
    """The timezone the scaffold's config.yaml names, to date the example articles."""
    data = load_yaml(config_text) or {}
    return zoneinfo.ZoneInfo(str(data.get("timezone", "Europe/Berlin")))


def fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(key, value)
    return text


BINARY_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif"}


def init_site(target: Path, force: bool = False, now: dt.datetime | None = None) -> InitReport:
    """Copy the scaffold into `target`; refuse to overwrite anything unless `force`."""
    if target.exists() and not target.is_dir():
        raise DigestError(problem(target, "exists and is not a folder"))
    tz = site_timezone((SCAFFOLD / "config.yaml").read_text(encoding="utf-8"))
    # Today in the site's timezone, never in the future, so the front page is not empty.
    local = (now or dt.datetime.now(dt.UTC)).astimezone(tz).replace(second=0, microsecond=0)
    package, released = install_requirement()
    values = {"__DATETIME__": local.isoformat(), "__DATE__": local.date().isoformat(),
              "__DIGEST_VERSION__": __version__}
    plan = [(source, fill(site_path(source), values))
            for source in scaffold_files()]
    existing = [rel for _, rel in plan if (target / rel).exists()]
    if existing and not force:
        if "config.yaml" in existing:
            message = "a site already exists here (config.yaml); use --force to overwrite " \
                      "its config and examples"
        else:
            message = f"would overwrite {', '.join(existing)}; use --force to overwrite"
        first = "config.yaml" if "config.yaml" in existing else existing[0]
        raise DigestError(problem(target / first, message))
    for source, rel in plan:
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix.lower() in BINARY_SUFFIXES:  # the example photos
            path.write_bytes(source.read_bytes())
        else:
            path.write_text(fill(source.read_text(encoding="utf-8"), values), encoding="utf-8")
    return InitReport(root=target, created=tuple(rel for _, rel in plan),
                      overwritten=tuple(existing), package=package, released=released)
