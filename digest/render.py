"""Stage 4: Jinja2 with the theme, UI strings and dates in the site language."""

from __future__ import annotations

import datetime as dt
import hashlib
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from .config import Config
from .config.yamltext import YamlSyntaxError, load_yaml
from .dates import iso, long_date, long_datetime, month_name, short_time
from .errors import DigestError, Problem, problem

DEFAULT_THEME = Path(__file__).parent / "themes" / "default"


def theme_folders(config: Config) -> list[Path]:
    """The site's theme first, then the built-in default theme it overrides file by file."""
    site_theme = config.root / "themes" / config.theme
    if config.theme != "default" and not site_theme.is_dir():
        raise DigestError(problem(config.root / "config.yaml", f"'theme': no folder "
                                  f"themes/{config.theme}/ in the site", 1, 1))
    return [site_theme, DEFAULT_THEME] if site_theme.is_dir() else [DEFAULT_THEME]


def theme_files(folders: list[Path], sub: str) -> dict[str, Path]:
    """Files of one kind (templates, static, i18n) by relative path; the first folder wins."""
    found: dict[str, Path] = {}
    for folder in reversed(folders):
        base = folder / sub
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                rel = path.relative_to(base)
                if path.is_file() and not any(p.startswith(".") for p in rel.parts):
                    found[rel.as_posix()] = path
    return dict(sorted(found.items()))


def load_strings(folders: list[Path], lang: str) -> dict[str, str]:
    """UI strings: English as the fall-back, then the site language, site theme last."""
    strings: dict[str, str] = {}
    problems: list[Problem] = []
    for name in dict.fromkeys(("en", lang)):
        for folder in reversed(folders):
            path = folder / "i18n" / f"{name}.yaml"
            if not path.is_file():
                continue
            try:
                data = load_yaml(path.read_text(encoding="utf-8-sig"))
            except YamlSyntaxError as exc:
                problems.append(problem(path, exc.message, exc.line, exc.column))
                continue
            if not isinstance(data, dict):
                problems.append(problem(path, "expected 'key: text' lines", 1, 1))
                continue
            strings.update({str(k): str(v) for k, v in data.items()})
    if problems:
        raise DigestError(problems)
    return strings


def template_problem(exc: Exception, templates: dict[str, Path]) -> Problem:
    """Point a Jinja2 error at the template file and line it came from."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.name in templates:
        return problem(templates[exc.name], f"template error: {exc.message}", exc.lineno or 1, 1)
    paths = {str(p): p for p in templates.values()}
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename in paths:
            return problem(paths[frame.filename], f"template error: {exc}", frame.lineno or 1, 1)
    return problem(next(iter(templates.values())).parent, f"template error: {exc}")


def raised_in_template(exc: Exception, templates: dict[str, Path]) -> bool:
    """Whether an exception was raised by a template's own code (`{{ 1 + "a" }}`), not by
    digest code a template called: only the first is the theme author's to fix."""
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and frames[-1].filename in {str(p) for p in templates.values()}


@dataclass(frozen=True)
class Theme:
    """The theme's files after the site theme has overridden the default one."""

    folders: list[Path]
    templates: dict[str, Path]
    static: dict[str, Path]
    strings: dict[str, str]

    def fingerprint(self) -> str:
        """A hash of every template, static file and string: a theme edit changes it."""
        digest = hashlib.sha1()
        for group in (self.templates, self.static):
            for rel, path in group.items():
                digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
        digest.update(repr(sorted(self.strings.items())).encode())
        return digest.hexdigest()


def load_theme(config: Config) -> Theme:
    """Find the theme's templates, static files and UI strings."""
    folders = theme_folders(config)
    return Theme(folders, theme_files(folders, "templates"), theme_files(folders, "static"),
                 load_strings(folders, config.lang))


class ViewEnvironment(jinja2.Environment):
    """Jinja2, reading `a.b` on a view (a dict) as the key first.

    Views are dicts, and Jinja2 tries an attribute before a key: every `a.title` raised and
    caught an AttributeError, a third of the time a page took to render.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


MEMO_LIMIT = 30_000
"""Fragments a renderer keeps (1 to 2 KB each) before it starts over: enough for one kind
of teaser of every article of a 10,000-article site, at most about 50 MB."""


class Renderer:
    """Renders pages with one Jinja2 environment for the whole build."""

    def __init__(self, config: Config, theme: Theme, site_view: dict[str, Any]):
        self.config = config
        self.folders = theme.folders
        self.templates = theme.templates
        self.static = theme.static
        self.strings = theme.strings
        self.asset_versions: dict[str, str] = {}
        loader = jinja2.FileSystemLoader([str(f / "templates") for f in self.folders])
        compiled = config.cache_path / "templates"
        compiled.mkdir(parents=True, exist_ok=True)
        self.env = ViewEnvironment(loader=loader, autoescape=True, trim_blocks=True,
                                   lstrip_blocks=True, undefined=jinja2.StrictUndefined,
                                   keep_trailing_newline=True, auto_reload=False,
                                   # compiled templates, checked against their source
                                   bytecode_cache=jinja2.FileSystemBytecodeCache(
                                       str(compiled)))
        lang = config.lang
        self.env.filters.update({
            "date": lambda v: long_date(v.date() if isinstance(v, dt.datetime) else v, lang),
            "datetime": lambda v: long_datetime(v, lang),
            "time": lambda v: short_time(v.time(), lang),
            # Whole seconds: HTML's <time datetime> allows at most three fraction digits.
            "isodate": lambda v: iso(v.replace(microsecond=0) if isinstance(v, dt.datetime)
                                     else v),
            "monthname": lambda v: month_name(v, lang),
        })
        self.env.globals.update({"site": site_view, "t": self.translate, "asset": self.asset,
                                 "memo": self.memo})
        self.fragments: dict[tuple[Any, ...], str] = {}

    def memo(self, *key: Any, caller: Callable[[], str]) -> str:
        """`{% call memo(key...) %}…{% endcall %}`: the block's output, made once per key.

        The key must name everything the block shows that is not the same on every page of
        the build. Held per renderer (one per worker and build), and bounded.
        """
        found = self.fragments.get(key)
        if found is None:
            if len(self.fragments) >= MEMO_LIMIT:
                self.fragments.clear()
            found = self.fragments[key] = caller()
        return found

    def translate(self, key: str, **values: Any) -> str:
        text = self.strings.get(key, key)
        return text.format(**values) if values else text

    def asset(self, path: str) -> str:
        """The URL of a theme static file, with a content hash so browsers never keep old CSS."""
        if path not in self.asset_versions:
            source = self.static.get(path)
            if source is None:
                raise jinja2.TemplateRuntimeError(f"asset({path!r}): no such file in the "
                                                  "theme's static/ folder")
            self.asset_versions[path] = hashlib.sha1(source.read_bytes()).hexdigest()[:10]
        return f"{self.config.base_path}{path}?v={self.asset_versions[path]}"

    def render(self, template: str, context: dict[str, Any], escape: bool = True) -> bytes:
        """Render one page to bytes; template errors become DigestError with the line.

        `escape=False` for plain text (newsletter.txt), where '&' stays '&'."""
        view = context.get("page")
        if view and view.get("title_key"):
            context = {**context, "page": {**view, "title": self.translate(view["title_key"])}}
        env = self.env if escape else self.env.overlay(autoescape=False)
        try:
            text = env.get_template(template).render(context)
        except jinja2.TemplateNotFound as exc:
            raise DigestError(problem(self.folders[0] / "templates", f"template {exc.name!r} "
                                      "is missing from the theme")) from None
        except jinja2.TemplateError as exc:
            raise DigestError(template_problem(exc, self.templates)) from None
        except (TypeError, ValueError, KeyError, AttributeError, ZeroDivisionError) as exc:
            if not raised_in_template(exc, self.templates):
                raise  # a bug in digest (a filter, a view): it keeps its traceback
            raise DigestError(template_problem(exc, self.templates)) from None
        return text.encode("utf-8")
