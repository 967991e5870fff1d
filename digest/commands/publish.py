"""`digest publish`: commit a built site to the gh-pages branch with ghp-import, and push it.

This module never builds: the command line builds into a temporary folder (never with drafts
or future articles) and hands the folder over. Every precondition is checked before anything
is built or committed, and a failed one stops the command (mkdocs only logs a warning).
ghp-import writes the branch with `git fast-import`, so the working tree, the index and the
current branch are never touched.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import ghp_import

from .. import __version__
from ..config import Config
from ..errors import DigestError, problem

PLACEHOLDER_TLDS = {"example", "test", "invalid", "localhost", "local"}


@dataclass(frozen=True)
class Target:
    """Where a publish goes, found out before anything is built."""

    repo: Path
    """The top of the git work tree the site is in."""
    branch: str
    remote: str
    remote_url: str | None
    """None with --no-push: the remote need not exist then."""
    push: bool
    cname: str | None
    url: str
    source_commit: str
    """Short hash of HEAD, for the commit message; 'no commit yet' in a new repository."""
    dirty: tuple[str, ...] = ()
    """Source files that differ from HEAD, published with --allow-dirty."""


@dataclass(frozen=True)
class Published:
    """What `publish_site` did."""

    target: Target
    commit: str
    files: int


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=False)


def placeholder_host(host: str) -> bool:
    """True for hosts no real site has: localhost, loopback IPs, example.* and reserved TLDs."""
    host = host.lower().strip("[]").rstrip(".")
    with contextlib.suppress(ValueError):
        address = ipaddress.ip_address(host)
        return address.is_loopback or address.is_unspecified or address.is_private
    labels = host.split(".")
    return "example" in labels or labels[-1] in PLACEHOLDER_TLDS


def refuse(config: Config, message: str) -> DigestError:
    return DigestError(problem(config.root / "config.yaml", message))


def uncommitted(config: Config, repo: Path, config_file: Path) -> tuple[str, ...]:
    """The site's source files (content, config, themes, static) that differ from HEAD or
    that git does not track, relative to the repository: what the commit hash would not say."""
    specs = [config.content_path, config_file, config.root / "themes", config.static_path]
    inside = [str(spec.resolve()) for spec in specs if spec.resolve().is_relative_to(repo)]
    if not inside:
        return ()
    found = git(repo, "status", "--porcelain", "-z", "--untracked-files=all", "--", *inside)
    if found.returncode != 0:
        raise refuse(config, f"'git status' failed: {found.stderr.strip()}")
    entries = iter(found.stdout.split("\0"))
    files = []
    for entry in entries:
        if len(entry) > 3:
            files.append(entry[3:])
            if entry[0] in "RC":
                next(entries, None)  # a rename's or copy's old path follows
    return tuple(sorted(files))


def listing(files: tuple[str, ...], most: int = 10) -> str:
    shown = ", ".join(files[:most])
    return shown + (f" and {len(files) - most} more" if len(files) > most else "")


def prepare(config: Config, remote: str = "origin", branch: str = "gh-pages",
            cname: str | None = None, push: bool = True, allow_dirty: bool = False,
            config_file: Path | None = None) -> Target:
    """Check every precondition of a publish; raise DigestError naming the first one unmet."""
    found = git(config.root, "rev-parse", "--show-toplevel")
    if found.returncode != 0:
        raise refuse(config, f"{config.root} is not in a git repository; run 'git init', "
                     "commit the site and add a remote, then publish again")
    repo = Path(found.stdout.strip())
    host = urlsplit(config.base_url).hostname or ""
    if placeholder_host(host):
        raise refuse(config, f"base_url is still {config.base_url!r}, a placeholder; set it "
                     "to the address the site is published at, such as "
                     "'https://USER.github.io/REPOSITORY/', in config.yaml")
    cname = (cname or config.cname or "").strip().lower().rstrip(".") or None
    if cname is None and not host.endswith(".github.io"):
        cname = host  # a custom domain in base_url: keep it, or the next publish drops it
    if cname and (placeholder_host(cname) or "/" in cname or ":" in cname):
        raise refuse(config, f"the custom domain {cname!r} is not a real host name; give "
                     "one like 'nachrichten.zeitung.de' (no scheme, no path)")
    if cname and host != cname:
        raise refuse(config, f"the custom domain is {cname!r} but base_url is "
                     f"{config.base_url!r}, so every link would point elsewhere; set "
                     f"'base_url: https://{cname}/' in config.yaml")
    current = git(repo, "symbolic-ref", "--quiet", "--short", "HEAD").stdout.strip()
    if current == branch:
        raise refuse(config, f"the current branch is {branch!r}, the branch publish writes; "
                     "switch to the branch with the site's sources first")
    remote_url = None
    if push:
        named = git(repo, "remote", "get-url", remote)
        if named.returncode != 0:
            raise refuse(config, f"the repository has no remote {remote!r}; add it with "
                         f"'git remote add {remote} URL', name another with --remote, or "
                         "commit without pushing with --no-push")
        remote_url = named.stdout.strip()
    name = os.environ.get("GIT_COMMITTER_NAME") or git(repo, "config", "user.name").stdout
    email = os.environ.get("GIT_COMMITTER_EMAIL") or git(repo, "config", "user.email").stdout
    if not name.strip() or not email.strip():
        raise refuse(config, "git does not know who commits; set it with "
                     "'git config user.name \"…\"' and 'git config user.email …'")
    dirty = uncommitted(config, repo, config_file or config.root / "config.yaml")
    if dirty and not allow_dirty:
        raise refuse(config, f"uncommitted changes in the site's sources: {listing(dirty)}; "
                     "commit them first, so that the published site is a commit's, or "
                     "publish them anyway with --allow-dirty")
    head = git(repo, "rev-parse", "--short", "HEAD")
    return Target(repo=repo, branch=branch, remote=remote, remote_url=remote_url, push=push,
                  cname=cname, url=config.base_url,
                  source_commit=head.stdout.strip() if head.returncode == 0 else "no commit yet",
                  dirty=dirty)


def scratch_config(config: Config, folder: Path) -> Config:
    """The same site, built into `folder` with its own cache; the site's folders stay as is."""
    return dataclasses.replace(config, output_dir=str(folder / "site"),
                               cache_dir=str(folder / "cache"))


def origin_line(target: Target) -> str:
    """What the branch's commit was built from, saying so when it is not a commit alone."""
    dirty = " with uncommitted changes" if target.dirty else ""
    return f"built from {target.source_commit}{dirty}"


def commit_message(target: Target, message: str | None = None) -> str:
    """The user's message or ours; with --allow-dirty it always says what was uncommitted."""
    subject = message or f"Publish the site {origin_line(target)} (digest {__version__})"
    if not target.dirty:
        return subject
    said = "" if message is None else f"{origin_line(target).capitalize()}.\n\n"
    return f"{subject}\n\n{said}Uncommitted: {listing(target.dirty, 50)}\n"


def publish_site(target: Target, site_dir: Path, message: str | None = None) -> Published:
    """Commit `site_dir` as the whole content of the branch (with .nojekyll, CNAME), push it."""
    ref = f"refs/heads/{target.branch}"
    before = git(target.repo, "rev-parse", "--verify", "--quiet", ref).stdout.strip()
    if target.push:
        # Start from what the remote has, so the push is a fast-forward; a missing branch is fine.
        git(target.repo, "fetch", "--quiet", target.remote,
            f"+{ref}:refs/remotes/{target.remote}/{target.branch}")
    try:
        # ghp-import runs git in the current directory; it must be the repository.
        with contextlib.chdir(target.repo):
            ghp_import.ghp_import(str(site_dir), mesg=commit_message(target, message),
                                  branch=target.branch, remote=target.remote, push=target.push,
                                  nojekyll=True, cname=target.cname)
    except ghp_import.GhpError as exc:
        raise DigestError(problem(target.repo, f"publishing failed: {exc.message}")) from None
    except subprocess.CalledProcessError:
        after = git(target.repo, "rev-parse", "--short", ref).stdout.strip()
        raise DigestError(problem(target.repo, f"committed {after} to {target.branch!r}, but "
                                  f"'git push {target.remote} {target.branch}' failed (see "
                                  "git's message above)")) from None
    after = git(target.repo, "rev-parse", "--verify", "--quiet", ref).stdout.strip()
    if not after or after == before:
        raise DigestError(problem(target.repo, f"git did not commit to {target.branch!r}"))
    files = sum(1 for p in site_dir.rglob("*") if p.is_file())
    return Published(target=target, commit=after[:12], files=files)
