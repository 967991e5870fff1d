"""`digest init`: a new site from the scaffold that ships in the package, ready to build."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .. import __version__
from ..config.yamltext import load_yaml
from ..errors import DigestError, problem

SCAFFOLD = Path(__file__).resolve().parent.parent / "scaffold"
PLACEHOLDER_PACKAGE = "digest[search] @ git+https://github.com/OWNER/digest@v" + __version__


@dataclass(frozen=True)
class InitReport:
    """What `init` wrote, for the message the command prints."""

    root: Path
    created: tuple[str, ...]
    """Paths relative to root, in the order they were written."""
    overwritten: tuple[str, ...]
    package: str
    """The pip requirement the Pages workflow installs digest with."""
    package_known: bool
    """False when digest came from a local folder and the workflow needs editing."""


def scaffold_files() -> list[Path]:
    """Every file of the scaffold, in a stable order."""
    return sorted(p for p in SCAFFOLD.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def site_path(source: Path) -> str:
    """Where a scaffold file goes in the new site: 'dot-github/x' -> '.github/x'.

    The scaffold stores dotfiles as 'dot-…' because package-data globs skip hidden folders.
    """
    parts = source.relative_to(SCAFFOLD).parts
    return "/".join("." + p[4:] if p.startswith("dot-") else p for p in parts)


def install_requirement() -> tuple[str, bool]:
    """How CI can install the digest that runs now: from where pip got it (PEP 610)."""
    try:
        dist = metadata.distribution("digest")
    except metadata.PackageNotFoundError:
        return PLACEHOLDER_PACKAGE, False
    # Without direct_url.json pip got digest from an index; PyPI's "digest" is another project.
    raw = dist.read_text("direct_url.json")
    if raw is None:
        return PLACEHOLDER_PACKAGE, False
    try:
        origin = json.loads(raw)
    except ValueError:
        return PLACEHOLDER_PACKAGE, False
    url = str(origin.get("url", ""))
    if not url.startswith(("https://", "http://")):
        return PLACEHOLDER_PACKAGE, False
    vcs = origin.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git":
        revision = vcs.get("commit_id") or vcs.get("requested_revision")
        return f"digest[search] @ git+{url}@{revision}", True
    return f"digest[search] @ {url}", True


def site_timezone(config_text: str) -> zoneinfo.ZoneInfo:
    """The timezone the scaffold's config.yaml names, to date the example articles."""
    data = load_yaml(config_text) or {}
    return zoneinfo.ZoneInfo(str(data.get("timezone", "Europe/Berlin")))


def fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def init_site(target: Path, force: bool = False, now: dt.datetime | None = None) -> InitReport:
    """Copy the scaffold into `target`; refuse to overwrite anything unless `force`."""
    if target.exists() and not target.is_dir():
        raise DigestError(problem(target, "exists and is not a folder"))
    tz = site_timezone((SCAFFOLD / "config.yaml").read_text(encoding="utf-8"))
    # Today in the site's timezone, never in the future, so the front page is not empty.
    local = (now or dt.datetime.now(dt.UTC)).astimezone(tz).replace(second=0, microsecond=0)
    package, known = install_requirement()
    values = {"__DATETIME__": local.isoformat(), "__DATE__": local.date().isoformat(),
              "__DIGEST_PACKAGE__": package}
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
        path.write_text(fill(source.read_text(encoding="utf-8"), values), encoding="utf-8")
    return InitReport(root=target, created=tuple(rel for _, rel in plan),
                      overwritten=tuple(existing), package=package, package_known=known)
