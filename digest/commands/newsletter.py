"""`digest newsletter`: a day's edition as a multipart/alternative e-mail, and its delivery.

The HTML part comes from the theme's newsletter.html with its CSS inlined (css-inline), the
text part from newsletter.txt; a site theme overrides either. The message is built with the
standard `email` package; `--send` hands it to the SMTP server of the config, with the
password read from the environment variable the config names, never from the file.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import os
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import css_inline

from ..build import BuildOptions, load_site
from ..config import Config, config_problem
from ..dates import weekday_date
from ..errors import DigestError, Problem
from ..model import Entry, Site, day_url
from ..pages.views import Views
from ..render import Renderer, Theme


def pick_day(site: Site, day: dt.date | None) -> tuple[dt.date, tuple[Entry, ...]]:
    """That day's edition, by default the newest; a day without one is a usage error."""
    if not site.days:
        raise DigestError(Problem("command line", 0, 0, "there is no edition yet: the site "
                                  "has no published article"))
    if day is None:
        return site.days[0]
    for found, entries in site.days:
        if found == day:
            return found, entries
    raise DigestError(Problem("command line", 0, 0, f"no edition on {day.isoformat()}; the "
                              f"newest is of {site.days[0][0].isoformat()}"))


def edition_view(config: Config, site: Site, day: dt.date, entries: tuple[Entry, ...]
                 ) -> dict[str, Any]:
    """What the newsletter templates see: the day's articles by topic, every URL absolute."""
    views = Views(config, site)
    title = weekday_date(day, config.lang)
    groups = []
    for group in views.by_topic(entries):
        articles = [{**a, "url": views.absolute(a["url"][len(config.base_path) - 1:])}
                    for a in group["articles"]]
        topic = group["topic"]
        groups.append({"topic": {"name": topic["name"],
                                 "url": views.absolute(topic["url"][len(config.base_path) - 1:])},
                       "articles": articles})
    subject = config.newsletter.subject.format(title=config.title, date=title)
    return {"page": {"lang": config.language, "title": subject},
            "edition": {"date": day, "title": title, "count": len(entries),
                        "url": views.absolute(day_url(config, day)), "groups": groups},
            "home_url": views.absolute("/"), "site_title": config.title,
            "corrections_url": views.absolute(config.corrections_url)}


def render_parts(config: Config, site: Site, theme: Theme, view: dict[str, Any]
                 ) -> tuple[str, str]:
    """The HTML part with its CSS inlined, and the text part."""
    renderer = Renderer(config, theme, Views(config, site).site_view())
    html = renderer.render("newsletter.html", view).decode("utf-8")
    inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
    text = renderer.render("newsletter.txt", view, escape=False).decode("utf-8")
    return inliner.inline(html), text


def compose(config: Config, view: dict[str, Any], html: str, text: str,
            now: dt.datetime) -> EmailMessage:
    """One multipart/alternative message: the text first, the HTML as the better part."""
    message = EmailMessage()
    message["Subject"] = view["page"]["title"]
    if config.newsletter.from_:  # else the .eml is a preview; --send insists on a sender
        message["From"] = config.newsletter.from_
    if config.newsletter.to:
        message["To"] = ", ".join(config.newsletter.to)
    message["Date"] = email.utils.format_datetime(now)
    message["Message-ID"] = email.utils.make_msgid(
        "newsletter", domain=urlsplit(config.base_url).hostname or "localhost")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def make_newsletter(config: Config, day: dt.date | None, now: dt.datetime | None = None
                    ) -> tuple[dt.date, EmailMessage]:
    """The edition of `day` (default: the newest) as an e-mail."""
    now = now or dt.datetime.now(dt.UTC)
    site, theme = load_site(config, BuildOptions(now=now))
    found, entries = pick_day(site, day)
    view = edition_view(config, site, found, entries)
    html, text = render_parts(config, site, theme, view)
    return found, compose(config, view, html, text, now)


def write_eml(message: EmailMessage, path: Path) -> None:
    """Write the message whole or not at all."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(message.as_bytes())
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise DigestError(Problem(str(path), 0, 0, f"cannot write the newsletter: "
                                  f"{exc.strerror}")) from None


def send(config: Config, message: EmailMessage, environ: dict[str, str] | None = None
         ) -> list[str]:
    """Deliver the message over SMTP as configured; return the recipients."""
    environ = dict(os.environ) if environ is None else environ
    smtp, letter = config.smtp, config.newsletter
    needed = [(("smtp", "host"), smtp.host, "the mail server, such as smtp.example.org"),
              (("newsletter", "from"), letter.from_, "the sender's address"),
              (("newsletter", "to"), letter.to, "the recipients' addresses")]
    problems = [config_problem(config, keys, f"--send needs {what}")
                for keys, value, what in needed if not value]
    password = None
    if smtp.user and not smtp.password_env:
        problems.append(config_problem(config, ("smtp", "password_env"), "--send needs the "
                                       "name of the environment variable that holds the "
                                       "password of 'smtp.user'"))
    elif smtp.password_env:
        password = environ.get(smtp.password_env)
        if password is None:
            problems.append(config_problem(config, ("smtp", "password_env"), "the environment "
                                           f"variable {smtp.password_env} is not set; set it "
                                           "to the password before --send"))
    if problems:
        raise DigestError(problems)
    port = smtp.port or {"ssl": 465, "starttls": 587}.get(smtp.security, 25)
    context = ssl.create_default_context()
    try:
        if smtp.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, port, timeout=30,
                                                    context=context)
        else:
            client = smtplib.SMTP(smtp.host, port, timeout=30)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=context)
            if smtp.user:
                client.login(smtp.user, password or "")
            client.send_message(message, from_addr=email.utils.parseaddr(letter.from_)[1],
                                to_addrs=list(letter.to))
    except (smtplib.SMTPException, OSError) as exc:  # refused, timed out, TLS, login
        raise DigestError(config_problem(config, ("smtp", "host"), f"could not deliver the "
                                         f"newsletter through {smtp.host}:{port}: "
                                         f"{exc}")) from None
    return list(letter.to)
