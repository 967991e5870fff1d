"""The `digest` command: composes the stages and prints user errors without tracebacks."""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .build import BuildOptions, BuildReport, build
from .commands import github
from .commit import output_state, recover
from .config import Config, load_config
from .errors import DigestError, Problem, bug_notice
from .terminal import TerminalProgress


def report_problems(problems: list[Problem] | tuple[Problem, ...], annotate: bool = False
                    ) -> None:
    """Print problems one a line, paths relative to the working folder when inside it;
    with `annotate` also as GitHub workflow annotations, which mark the file on the commit."""
    here = Path.cwd()
    workspace = Path(os.environ.get("GITHUB_WORKSPACE") or here).absolute()
    for item in problems:
        path = Path(item.path)
        if path.is_absolute() and path.is_relative_to(here):
            item = dataclasses.replace(item, path=path.relative_to(here).as_posix())
        click.echo(str(item), err=True)
        if annotate:
            click.echo(github.annotation(item, github.repository_path(item.path, workspace,
                                                                      here)))


def user_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Print DigestError as 'path:line:col: error: …' lines and exit with status 1; as
    annotations too for a command with --format github (or under GitHub Actions)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DigestError as exc:
            annotate = "output_format" in kwargs and github.wanted(kwargs["output_format"])
            report_problems(exc.problems, annotate)
            errors = sum(1 for p in exc.problems if not p.warning)
            click.echo(f"{errors} error{'s' if errors != 1 else ''}.", err=True)
            sys.exit(1)
        except (click.exceptions.Exit, click.ClickException, KeyboardInterrupt, SystemExit):
            raise
        except Exception:
            traceback.print_exc()
            click.echo(bug_notice(), err=True)
            sys.exit(70)

    return wrapper


def config_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--config", "config_path", default="config.yaml", show_default=True,
                        type=click.Path(dir_okay=False, path_type=Path),
                        help="The site's config.yaml.")(command)


def open_config(config_path: Path, output: Path | None = None,
                base_url: str | None = None) -> Config:
    overrides: dict[str, Any] = {}
    if output is not None:
        overrides["output_dir"] = str(output.absolute())
    if base_url:
        overrides["base_url"] = base_url
    config = load_config(config_path.absolute(), overrides)
    state = output_state(config.root, config.output_path, config.cache_path)
    if recover(state):
        click.echo(f"note: a build of {config.output_dir} was cut short; its commit was "
                   "finished or rolled back", err=True)
    return config


def summary(report: BuildReport, scheduled: bool = False) -> str:
    """The one line a build ends with; `scheduled` adds when the next article goes live,
    so that nothing needs to follow the line."""
    search = "" if report.indexed is None else \
        f"; search index: {report.indexed} pages in {report.stages.get('search', 0):.2f} s"
    due = f"; next scheduled article: {report.next_due.isoformat()}" \
        if scheduled and report.next_due else ""
    if scheduled and report.next_expiry:
        due += f"; next article expires: {report.next_expiry.isoformat()}"
    return (f"{report.pages} pages, {report.articles} articles: {report.written} files "
            f"written, {report.unchanged} unchanged, {report.removed} removed in "
            f"{report.seconds:.2f} s{search}{due}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="digest")
def main() -> None:
    """digest: a static site generator for news digests."""


@main.command("build")
@config_option
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              help="Write the site here instead of output_dir.")
@click.option("--drafts", is_flag=True, help="Include articles marked draft.")
@click.option("--future", is_flag=True, help="Include articles dated in the future.")
@click.option("--base-url", help="Publish under this URL instead of base_url.")
@click.option("--clean", is_flag=True,
              help="Rewrite every file and remove everything else in the output folder.")
@click.option("--jobs", type=click.IntRange(min=0), default=0,
              help="Worker processes (0: one per core).")
@click.option("--skip-invalid", is_flag=True,
              help="Build the valid articles, report the invalid ones as warnings.")
@click.option("--format", "output_format", type=click.Choice(["text", "github"]),
              help="github: print each problem also as a GitHub Actions annotation and, with "
                   "--skip-invalid, list them in the job summary.  [default: github when "
                   "GITHUB_ACTIONS=true, else text]")
@click.option("--quiet", "-q", is_flag=True, help="Print only warnings and errors.")
@click.option("--verbose", "-v", is_flag=True, help="Say more about what is done.")
@user_errors
def build_command(config_path: Path, output: Path | None, drafts: bool, future: bool,
                  base_url: str | None, clean: bool, jobs: int, skip_invalid: bool,
                  output_format: str | None, quiet: bool, verbose: bool) -> None:
    """Build the site into the output folder."""
    if quiet and verbose:
        raise click.UsageError("--quiet and --verbose exclude each other")
    annotate = github.wanted(output_format)
    config = open_config(config_path, output, base_url)
    progress = TerminalProgress() if TerminalProgress.wanted(quiet) else None
    skip_invalid = skip_invalid or config.on_error == "skip"
    options = BuildOptions(drafts=drafts, future=future, clean=clean, jobs=jobs,
                           skip_invalid=skip_invalid,
                           progress=progress, notify=lambda text: click.echo(text, err=True))
    try:
        report = build(config, options)
    finally:
        if progress:
            progress.close()
    report_problems(report.warnings, annotate)
    if annotate and skip_invalid:
        github.append_summary(github.step_summary(report.warnings, report.pages))
    if verbose and report.stages:
        click.echo("stages: " + ", ".join(f"{stage} {seconds:.2f} s"
                                          for stage, seconds in report.stages.items()))
    if not quiet:
        click.echo(summary(report, scheduled=True))


@main.command("serve")
@config_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback is reachable by others.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on; 0 takes any free port.")
@click.option("--drafts", is_flag=True, help="Include articles marked draft.")
@click.option("--future", is_flag=True, help="Include articles dated in the future.")
@click.option("--no-reload", is_flag=True, help="Rebuild on change but do not reload tabs.")
@click.option("--open", "open_browser", is_flag=True, help="Open the site in a web browser.")
@user_errors
def serve_command(config_path: Path, host: str, port: int, drafts: bool, future: bool,
                  no_reload: bool, open_browser: bool) -> None:
    """Build and serve the site, rebuild on every change and reload open tabs."""
    import signal
    import webbrowser

    from .serve import PortBusy, PreviewServer, is_loopback

    if not is_loopback(host):
        click.echo(f"warning: listening on {host}: other machines can see this preview, "
                   "drafts included", err=True)
    try:
        server = PreviewServer(config_path.absolute(), lambda: open_config(config_path),
                               BuildOptions(drafts=drafts, future=future), host=host,
                               port=port, reload=not no_reload)
    except PortBusy as busy:
        free = f"; port {busy.free} is free: digest serve --port {busy.free}" if busy.free else ""
        click.echo(f"error: port {busy.port} is already in use{free} "
                   "(--port 0 takes any free port)", err=True)
        sys.exit(1)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        report = server.start()
        if report is not None:
            click.echo(summary(report))
        else:
            click.echo("the build failed; the browser shows the errors until they are fixed",
                       err=True)
        click.echo(f"Serving {server.url}  (Ctrl-C to stop)")
        if open_browser:
            webbrowser.open(server.url)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        server.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("stopped")


@main.command("init")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite the files of an existing site.")
@user_errors
def init_command(directory: Path, force: bool) -> None:
    """Create a new site: config.yaml, example articles, .gitignore, Pages workflow."""
    from .commands.init import init_site

    report = init_site(directory, force=force)
    for rel in report.created:
        verb = "overwrote" if rel in report.overwritten else "created"
        click.echo(f"{verb} {report.root / rel}")
    if not report.released:
        click.echo(f"note: digest {__version__} is a development version, which PyPI does "
                   "not have: set DIGEST_VERSION in .github/workflows/pages.yml to a release "
                   "(see 'pip index versions newsdigest')")
    where = "" if directory == Path(".") else f"cd {directory} && "
    click.echo(f"next: {where}digest serve   (edit config.yaml first: title, base_url)")


@main.command("new")
@click.argument("title")
@click.option("--topic", help="Topic of the article; it names the folder.  [default: "
              "default_topic]")
@click.option("--date", "when", metavar="D",
              help="YYYY-MM-DD, ISO 8601 date and time, or TT.MM.JJJJ [HH:MM] (site timezone "
                   "unless an offset is given).  [default: now]")
@click.option("--txt", is_flag=True, help="Write plain text (agency copy) instead of Markdown.")
@config_option
@user_errors
def new_command(title: str, topic: str | None, when: str | None, txt: bool,
                config_path: Path) -> None:
    """Create a new article file with front matter and print its path."""
    from .commands.newpost import new_article, parse_when

    config = open_config(config_path)
    try:
        moment = parse_when(when, config.tz) if when is not None else None
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM-DD, ISO 8601 such as 2025-06-03T14:20, or "
                                 f"TT.MM.JJJJ [HH:MM] such as 03.06.2025 14:20, got {when!r}",
                                 param_hint="'--date'") from None
    try:
        path = new_article(config, title, topic=topic, when=moment, txt=txt)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)


@main.command("check")
@config_option
@click.option("--topics", "explain_topics", is_flag=True,
              help="Also print the topic each agency item took by keyword, and why.")
@click.option("--stories", "explain_stories", is_flag=True,
              help="Also print every story that folds several versions, with similarities.")
@user_errors
def check_command(config_path: Path, explain_topics: bool, explain_stories: bool) -> None:
    """Check config, every article and every internal link; write nothing."""
    from .commands.check import check_site

    config = open_config(config_path)
    report = check_site(config)
    if explain_topics or explain_stories:
        import datetime as dt

        from .commands.explain import read_site, story_lines, topic_lines

        articles, site, memo = read_site(config, dt.datetime.now(dt.UTC))
        for line in (topic_lines(config, articles, memo) if explain_topics else []) + \
                (story_lines(config, site) if explain_stories else []):
            click.echo(line)
    report_problems(report.problems)
    warnings = len(report.problems) - report.errors
    click.echo(f"checked {report.pages} pages and {report.links} links: {report.errors} "
               f"error{'s' if report.errors != 1 else ''}, {warnings} "
               f"warning{'s' if warnings != 1 else ''}")
    if report.errors:
        sys.exit(1)


@main.command("publish")
@config_option
@click.option("--remote", default="origin", show_default=True, help="The git remote to push to.")
@click.option("--branch", default="gh-pages", show_default=True,
              help="The branch GitHub Pages serves.")
@click.option("--message", "-m", help="Commit message on the branch.")
@click.option("--cname", metavar="DOMAIN", help="Custom domain, written as CNAME "
              "(default: cname in config.yaml).")
@click.option("--no-push", is_flag=True, help="Commit to the branch but do not push.")
@click.option("--allow-dirty", is_flag=True, help="Publish uncommitted changes to content/, "
              "config.yaml, themes/ or static/ too (the commit message says so).")
@click.option("--drafts", "--future", "unpublishable", is_flag=True,
              help="Refused: a published site never includes drafts or future articles.")
@user_errors
def publish_command(config_path: Path, remote: str, branch: str, message: str | None,
                    cname: str | None, no_push: bool, allow_dirty: bool,
                    unpublishable: bool) -> None:
    """Build (never drafts or future articles) and publish to the gh-pages branch."""
    import tempfile

    from .commands.check import placeholder_warnings
    from .commands.publish import prepare, publish_site, scratch_config

    if unpublishable:
        raise DigestError(Problem("command line", 0, 0, "publish never includes drafts or "
                                  "future articles; preview them with 'digest serve --drafts "
                                  "--future' instead"))

    config = open_config(config_path)
    target = prepare(config, remote=remote, branch=branch, cname=cname, push=not no_push,
                     allow_dirty=allow_dirty, config_file=config_path.absolute())
    if target.dirty:
        click.echo(f"warning: publishing uncommitted changes to {len(target.dirty)} "
                   f"file{'s' if len(target.dirty) != 1 else ''} (--allow-dirty)", err=True)
    with tempfile.TemporaryDirectory(prefix="digest-publish-") as tmp:
        scratch = scratch_config(config, Path(tmp))
        report = build(scratch, BuildOptions(drafts=False, future=False))
        report_problems(report.warnings + tuple(placeholder_warnings(config)))
        click.echo(summary(report))
        done = publish_site(target, scratch.output_path, message)
    where = f"pushed to {target.remote} ({target.remote_url})" if target.push else \
        "not pushed (--no-push)"
    click.echo(f"published {done.files} files as commit {done.commit} on branch "
               f"{target.branch!r}, {where}")
    if target.cname:
        click.echo(f"custom domain: {target.cname} (CNAME)")
    click.echo(f"the site: {target.url}")
    if report.next_due:
        click.echo(f"next scheduled article: {report.next_due.isoformat()}; publish again "
                   "after then")
    if report.next_expiry:
        click.echo(f"next article expires: {report.next_expiry.isoformat()}; publish again "
                   "after then to take it down")


@main.command("newsletter")
@click.argument("day", metavar="[DATE]", required=False)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the e-mail here.  [default: newsletter-DATE.eml]")
@click.option("--send", is_flag=True, help="Deliver it through the SMTP server of config.yaml "
              "(smtp:, newsletter:), the password from the variable smtp.password_env names.")
@config_option
@user_errors
def newsletter_command(day: str | None, output: Path | None, send: bool,
                       config_path: Path) -> None:
    """Write a day's edition (default: the newest) as an e-mail (.eml); --send delivers it."""
    import datetime as dt

    from .commands.newsletter import make_newsletter, write_eml
    from .commands.newsletter import send as deliver

    try:
        wanted = dt.date.fromisoformat(day) if day else None
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {day!r}", param_hint="DATE") from None
    config = open_config(config_path)
    found, message = make_newsletter(config, wanted)
    path = output or Path(f"newsletter-{found.isoformat()}.eml")
    write_eml(message, path)
    click.echo(f"wrote {path}: {message['Subject']}")
    if send:
        recipients = deliver(config, message)
        click.echo(f"sent to {', '.join(recipients)} through {config.smtp.host}")


def run() -> None:
    """Entry point that keeps Ctrl-C quiet."""
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
