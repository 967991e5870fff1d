"""`digest check`: validate config and content, build in a temporary folder, crawl every link.

The check writes nothing into the site: the build goes to a temporary output folder with a
temporary cache. A broken link is reported at the article that contains it when the page is an
article and the link is in its source, else at the built page.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gzip
import re
import tempfile
import zlib
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from ..build import BuildOptions, BuildReport, build
from ..config import Config
from ..errors import DigestError, Problem, problem, warning

LINK_ATTRIBUTES = {"href", "src", "poster", "data"}
SKIPPED_SCHEMES = ("mailto:", "tel:", "javascript:", "data:", "sms:")


@dataclass(frozen=True)
class Link:
    """One href/src in a built page, with the line it is on."""

    target: str
    line: int


@dataclass(frozen=True)
class CheckReport:
    """What the check found: problems (errors and warnings) and how much it looked at."""

    problems: tuple[Problem, ...]
    pages: int
    links: int

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if not p.warning)


class PageScanner(HTMLParser):
    """Collect the links and the fragment targets (id, a name) of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[Link] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)
            elif name in LINK_ATTRIBUTES:
                self.links.append(Link(value.strip(), line))
            elif name == "srcset":
                self.links += [Link(part.split()[0], line) for part in value.split(",")
                               if part.strip()]


def scan(html_path: Path) -> PageScanner:
    scanner = PageScanner()
    scanner.feed(html_path.read_text(encoding="utf-8", errors="replace"))
    scanner.close()
    return scanner


class LinkChecker:
    """Resolve the links of a built site against its files, as GitHub Pages would serve them."""

    def __init__(self, config: Config, site_dir: Path):
        self.site_dir = site_dir
        base = urlsplit(config.base_url)
        self.origin = (base.scheme, base.netloc)
        self.base_path = config.base_path
        self.base_url = config.base_url
        self.pages: dict[str, PageScanner] = {}

    def page(self, rel: str) -> PageScanner:
        if rel not in self.pages:
            self.pages[rel] = scan(self.site_dir / rel)
        return self.pages[rel]

    def page_url(self, rel: str) -> str:
        url = self.base_url + rel
        return url.removesuffix("index.html")

    def resolve(self, path: str) -> str | None:
        """The output file a URL path is served from, or None when there is none."""
        rel = unquote(path[len(self.base_path):])
        candidates = [rel + "index.html"] if rel.endswith("/") or not rel else \
            [rel, rel + "/index.html"]
        for candidate in candidates:
            target = (self.site_dir / candidate)
            if ".." not in Path(candidate).parts and target.is_file():
                return candidate
        return None

    def problem_with(self, page_rel: str, link: Link) -> str | None:
        """Why a link is broken, or None when it works or points outside the site."""
        raw = link.target
        if not raw or raw.startswith("#") and len(raw) == 1:
            return None
        if raw.lower().startswith(SKIPPED_SCHEMES):
            return None
        absolute = urljoin(self.page_url(page_rel), raw)
        parts = urlsplit(absolute)
        if (parts.scheme, parts.netloc) != self.origin:
            return None
        if not parts.path.startswith(self.base_path):
            return f"broken link to {raw} (outside the site's base path {self.base_path})"
        target = self.resolve(parts.path)
        if target is None:
            return f"broken link to {raw}"
        fragment = unquote(parts.fragment)
        if fragment and target.endswith(".html") and fragment not in self.page(target).ids:
            return f"broken link to {raw} (no id '{fragment}' on that page)"
        return None

    def check(self) -> tuple[list[tuple[str, Link, str]], int, int]:
        """Every broken link as (page, link, message), the pages and links looked at."""
        broken: list[tuple[str, Link, str]] = []
        pages = sorted(p.relative_to(self.site_dir).as_posix()
                       for p in self.site_dir.rglob("*.html"))
        links = 0
        for rel in pages:
            for link in self.page(rel).links:
                links += 1
                message = self.problem_with(rel, link)
                if message:
                    broken.append((rel, link, message))
        return broken, len(pages), links


PLACEHOLDER = "BITTE AUSFÜLLEN"
"""What `digest init` writes where the Impressum and Datenschutz need the site's own facts."""


def placeholder_warnings(config: Config) -> list[Problem]:
    """A warning at each placeholder `digest init` wrote that is still in content/: a German
    site without a real Impressum must not go online."""
    found = []
    for path in sorted(config.content_path.rglob("*.md")) if config.content_path.is_dir() \
            else []:
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError):
            continue  # the build reports such a file
        for number, text in enumerate(lines, 1):
            column = text.find(PLACEHOLDER)
            if column >= 0 and not text.lstrip().startswith("<!--"):
                found.append(warning(path.relative_to(config.root).as_posix(),
                                     f"placeholder left: replace '{text.strip()}' with the "
                                     "site's own details", number, column + 1))
    return found + workflow_placeholders(config)


WORKFLOW = ".github/workflows/pages.yml"
WORKFLOW_PLACEHOLDER = re.compile(r"\b(OWNER|REPOSITORY|CHANGE[-_]?ME|PLACEHOLDER)\b|"
                                  r"__[A-Z][A-Z_]*__")
"""Words that stand for something the user was to fill in; a workflow that holds one fails."""


def workflow_placeholders(config: Config) -> list[Problem]:
    """A warning at each placeholder left in the Pages workflow outside comments: GitHub
    would run it as written, and fail."""
    path = config.root / WORKFLOW
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    found = []
    for number, text in enumerate(lines, 1):
        code = re.sub(r"(^|\s)#.*", "", text)  # a comment may name OWNER/REPOSITORY as example
        for match in WORKFLOW_PLACEHOLDER.finditer(code):
            found.append(warning(WORKFLOW, f"placeholder left in the workflow: "
                                 f"'{match.group()}' in '{text.strip()}'; GitHub runs the "
                                 "workflow as written", number, match.start() + 1))
    return found


def line_in_source(config: Config, source: str, target: str) -> int:
    """The first line of an article file that holds a link target, 0 when none does."""
    try:
        lines = (config.root / source).read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return 0
    # The whole target, not a part of a longer URL: '/2025/' is not in '/news/2025/'.
    pattern = re.compile(r"(?<![\w/.~%-])" + re.escape(target) + r"(?![\w/.~%-])")
    return next((number for number, text in enumerate(lines, 1) if pattern.search(text)), 0)


def locate(config: Config, sources: dict[str, str], page: str, link: Link, message: str
           ) -> Problem:
    """Report at the article's source line when the link is there, else at the built page."""
    source = sources.get(page)
    if source:
        line = line_in_source(config, source, link.target)
        if line:
            return problem(source, message, line, 1)
    return problem(f"{config.output_dir}/{page}", message, link.line, 1)


def build_checked(config: Config, now: dt.datetime
                  ) -> tuple[list[Problem], BuildReport | None]:
    """Build strictly; on content errors build again without the bad articles, to crawl.

    Also returns the build's report: the source file of each article page it wrote, and
    the articles it must not show.
    """
    try:
        report = build(config, BuildOptions(now=now, sources=True))
        return list(report.warnings), report
    except DigestError as strict:
        errors = list(strict.problems)
        known = {(p.path, p.line, p.column, p.message) for p in errors}
        try:
            report = build(config, BuildOptions(now=now, skip_invalid=True, sources=True))
        except DigestError:
            return errors, None
        return errors + [p for p in report.warnings if (p.path, p.line, p.column, p.message)
                         not in known], report


def leaks(config: Config, site_dir: Path, withheld: dict[str, tuple[str, str]]
          ) -> list[Problem]:
    """An error for each file in `site_dir` that names a draft, future or expired article:
    feeds, sitemaps, JSON-LD, listings, redirects and the search index (packed files)."""
    found = []
    needles = [(needle.encode(), url, source, why) for url, (source, why) in withheld.items()
               for needle in (config.base_path + url.lstrip("/"), f'"url":"{url}"')]
    for path in sorted(site_dir.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":  # Pagefind's index and fragments are gzip files
            with contextlib.suppress(OSError, EOFError, zlib.error):
                data = gzip.decompress(data)
        rel = path.relative_to(site_dir).as_posix()
        named = set()
        for needle, url, source, why in needles:
            if url not in named and needle in data:
                named.add(url)
                found.append(problem(f"{config.output_dir}/{rel}", f"the {why} article "
                                     f"{source} ({url}) appears in this file; a published "
                                     "site must not show it"))
    return found


def check_site(config: Config, now: dt.datetime | None = None) -> CheckReport:
    """Validate everything and crawl every internal link; write nothing into the site."""
    now = now or dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory(prefix="digest-check-") as tmp:
        scratch = dataclasses.replace(config, output_dir=str(Path(tmp) / "site"),
                                      cache_dir=str(Path(tmp) / "cache"))
        problems, report = build_checked(scratch, now)
        sources = report.sources if report else {}
        problems += placeholder_warnings(config)
        site_dir = scratch.output_path
        if not site_dir.is_dir():
            return CheckReport(tuple(problems), 0, 0)
        if report is not None:
            problems += leaks(config, site_dir, report.withheld)
        broken, pages, links = LinkChecker(scratch, site_dir).check()
        if broken:
            problems += [locate(config, sources, page, link, message)
                         for page, link, message in broken]
    return CheckReport(tuple(problems), pages, links)
