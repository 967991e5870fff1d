"""`digest newsletter`: the edition as a multipart/alternative e-mail, sent to a real local
SMTP server (aiosmtpd) that the test starts."""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from .conftest import REPO, run_digest
from .test_desk import DESK

PASSWORD = "s3cr3t-Passwort"


class Tags(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parse_eml(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def parts(message: email.message.EmailMessage) -> tuple[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_the_newest_edition_as_an_eml_with_both_parts(site) -> None:
    root = site({**DESK, "content/politik/haushalt.md": DESK["content/politik/haushalt.md"]
                 .replace("title: Haushalt beschlossen", "title: Haushalt & Steuern <beschlossen>")})
    result = run_digest("newsletter", "2025-06-03", "--output", "ausgabe.eml", cwd=root,
                        check=True)
    assert result.stdout.startswith("wrote ausgabe.eml: Tagesdienst – Dienstag, 3. Juni 2025")
    message = parse_eml(root / "ausgabe.eml")
    assert message["Subject"] == "Tagesdienst – Dienstag, 3. Juni 2025"
    text, html = parts(message)
    assert "Haushalt & Steuern <beschlossen>" in text  # plain text is not escaped
    assert "Haushalt &amp; Steuern &lt;beschlossen&gt;" in html
    assert "https://example.org/news/2025/06/03/gipfel-in-bruessel/" in text
    assert "Gipfel in Brüssel" in text and "[LIVE]" not in text  # its live_until is past
    assert "<script" not in html.lower() and "<style" in html  # only the dark-mode rules stay
    assert "prefers-color-scheme: dark" in html
    tags = Tags()
    tags.feed(html)
    links = [a["href"] for tag, a in tags.tags if tag == "a"]
    assert links and all(h.startswith("https://example.org/news/") for h in links), links
    assert any(tag == "table" and a.get("role") == "presentation" for tag, a in tags.tags)
    styled = [a for tag, a in tags.tags if a.get("class") or tag == "a"]
    assert len(styled) > 10 and all("style" in a for a in styled)  # the CSS is inlined
    assert 'class="headline" style="' in html
    assert not any(k.startswith("on") for _, a in tags.tags for k in a)
    assert "Entwurf" not in html and "Morgen" not in html  # drafts and future stay out


def test_default_is_the_newest_edition_and_a_site_theme_overrides_the_text(site) -> None:
    root = site({**DESK, "themes/eigen/templates/newsletter.txt":
                 "EIGEN {{ edition.title }}: {{ edition.count }}\n",
                 "config.yaml": DESK["config.yaml"] + "theme: eigen\n"})
    result = run_digest("newsletter", cwd=root, check=True)
    # the newest edition of today's build holds the article of 6 June (now is later)
    path = root / "newsletter-2025-06-06.eml"
    assert f"wrote {path.name}" in result.stdout
    text, html = parts(parse_eml(path))
    assert text.strip() == "EIGEN Freitag, 6. Juni 2025: 1"
    assert "Morgen" in html


def test_a_day_without_an_edition_is_a_clear_error(site) -> None:
    root = site(DESK)
    result = run_digest("newsletter", "2024-01-01", cwd=root)
    assert result.returncode == 1
    assert "no edition on 2024-01-01; the newest is of 2025-06-06" in result.stderr
    result = run_digest("newsletter", "gestern", cwd=root)
    assert result.returncode == 2 and "expected YYYY-MM-DD" in result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, list]]:
    """A real SMTP server on loopback that wants a login and keeps what it receives."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    received: list = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content,
                             session.authenticated))
            return "250 OK"

    def login(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"redaktion" and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)  # the server answers 535 itself

    port = free_port()
    # a login over plain text: fine on loopback (the client side asks for TLS by default)
    controller = Controller(Keep(), hostname="127.0.0.1", port=port, authenticator=login,
                            auth_require_tls=False)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


def smtp_config(port: int, extra: str = "") -> str:
    return (DESK["config.yaml"] + "newsletter:\n  from: Redaktion <redaktion@example.org>\n"
            "  to: [leser@example.org, archiv@example.org]\n"
            f"smtp:\n  host: 127.0.0.1\n  port: {port}\n  security: none\n"
            "  user: redaktion\n  password_env: DIGEST_TEST_SMTP_PASSWORD\n" + extra)


def send(root: Path, password: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DIGEST_TEST_SMTP_PASSWORD"}
    if password is not None:
        env["DIGEST_TEST_SMTP_PASSWORD"] = password
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "digest", "newsletter", "2025-06-03",
                           "--send"], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120)


def test_send_delivers_to_the_local_smtp_server(site, smtp_server) -> None:
    port, received = smtp_server
    root = site({**DESK, "config.yaml": smtp_config(port)})
    result = send(root, PASSWORD)
    assert result.returncode == 0, result.stderr
    assert "sent to leser@example.org, archiv@example.org through 127.0.0.1" in result.stdout
    assert len(received) == 1
    sender, recipients, content, authenticated = received[0]
    assert sender == "redaktion@example.org" and authenticated
    assert recipients == ["leser@example.org", "archiv@example.org"]
    message = email.message_from_bytes(content, policy=email.policy.default)
    assert message["To"] == "leser@example.org, archiv@example.org"
    text, html = parts(message)
    assert "Gipfel in Brüssel" in text and "Gipfel in Brüssel" in html
    assert PASSWORD not in (root / "config.yaml").read_text(encoding="utf-8")


def test_send_without_the_password_or_with_a_wrong_one_fails_clearly(site, smtp_server) -> None:
    port, received = smtp_server
    root = site({**DESK, "config.yaml": smtp_config(port)})
    result = send(root, None)
    assert result.returncode == 1
    assert re.search(r"config\.yaml:\d+:\d+: error: 'smtp\.password_env': the environment "
                     r"variable DIGEST_TEST_SMTP_PASSWORD is not set", result.stderr)
    result = send(root, "falsch")
    assert result.returncode == 1 and "could not deliver the newsletter" in result.stderr
    assert "Traceback" not in result.stderr and received == []


def test_newsletter_config_errors_name_their_line(site) -> None:
    root = site({**DESK, "config.yaml": DESK["config.yaml"] +
                 "newsletter:\n  from: Redaktion\n  to: leser(at)example.org\n"
                 "smtp:\n  host: smtp.example.org\n  port: hundert\n  password: geheim\n"})
    result = run_digest("newsletter", "--send", cwd=root)
    assert result.returncode == 1
    assert "config.yaml:9:3: error: 'smtp.port': expected a whole number, got 'hundert'" \
        in result.stderr
    assert "config.yaml:10:3: error: 'smtp.password': unknown key 'password'; did you mean " \
           "'password_env'?" in result.stderr
    root = site({**DESK, "config.yaml": DESK["config.yaml"] +
                 "newsletter:\n  from: Redaktion\n  to: [leser(at)example.org]\n"})
    result = run_digest("newsletter", "--send", cwd=root)
    assert "config.yaml:5:3: error: 'newsletter.from': expected an e-mail address" \
        in result.stderr
    assert "config.yaml:6:8: error: 'newsletter.to[0]': expected an e-mail address" \
        in result.stderr
    root = site({**DESK, "config.yaml": DESK["config.yaml"] + "newsletter:\n  to: [a@b.org]\n"})
    result = run_digest("newsletter", "--send", cwd=root)
    assert result.returncode == 1
    assert re.search(r"config\.yaml:\d+:\d+: error: 'smtp\.host': --send needs the mail server",
                     result.stderr)
    assert re.search(r"config\.yaml:\d+:\d+: error: 'newsletter\.from': --send needs",
                     result.stderr)
