"""The mail settings: SAMORDNA_SMTP_URL, SAMORDNA_MAIL_FROM, SAMORDNA_BASE_URL and SAMORDNA_REMIND_AT are checked
when the settings are read, with a message that says what is wrong; a password never goes in the clear to
another machine."""

from __future__ import annotations

from datetime import time

import pytest

from samordna.settings import Settings, SmtpSettings


def test_the_three_kinds_of_smtp_url() -> None:
    plain = SmtpSettings.parse("smtp://mail.kommune.no")
    assert (plain.port, plain.start_tls, plain.implicit_tls, plain.username) == (25, None, False, None)
    starttls = SmtpSettings.parse("smtp+starttls://slt%40kommune.no:p%C3%A5ssord@mail.kommune.no")
    assert (starttls.port, starttls.start_tls, starttls.username, starttls.password) == (
        587,
        True,
        "slt@kommune.no",
        "påssord",
    )
    tls = SmtpSettings.parse("smtps://u:p@mail.kommune.no:2465?timeout=10")
    assert (tls.port, tls.start_tls, tls.implicit_tls, tls.timeout) == (2465, False, True, 10.0)
    # A log-in over smtp:// to another machine requires STARTTLS; to this machine's own server it may go plain.
    assert SmtpSettings.parse("smtp://u:p@mail.kommune.no").start_tls is True
    assert SmtpSettings.parse("smtp://u:p@127.0.0.1:2525").start_tls is None
    assert "hemmelig" not in repr(SmtpSettings.parse("smtp://u:hemmelig@h"))  # never in a log line


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.kommune.no", "must start with smtp://"),
        ("smtp://", "names no host"),
        ("smtp://h:70000", "port"),
        ("smtp://h/inbox", "takes no path"),
        ("smtp://u@h", "both a user name and a password"),
        ("smtp://h?tls=yes", "unknown option 'tls'"),
        ("smtp://h?cafile=/no/such/file.pem", "is not a file"),
        ("smtp://h?timeout=0", "timeout"),
    ],
)
def test_a_bad_smtp_url_is_named(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.from_env({"SAMORDNA_SMTP_URL": url})


def test_sender_base_url_and_time() -> None:
    settings = Settings.from_env(
        {
            "SAMORDNA_MAIL_FROM": "SLT Alfa <slt@alfa.kommune.no>",
            "SAMORDNA_BASE_URL": "https://slt.alfa.kommune.no/samordna/",
            "SAMORDNA_REMIND_AT": "06:30",
        }
    )
    assert settings.mail_from == "SLT Alfa <slt@alfa.kommune.no>"
    assert settings.base_url == "https://slt.alfa.kommune.no/samordna"
    assert settings.remind_at == time(6, 30) and settings.smtp is None
    for env, message in (
        ({"SAMORDNA_MAIL_FROM": "ikke en adresse"}, "must be an e-mail address"),
        ({"SAMORDNA_MAIL_FROM": "a@b.no\nBcc: x@y.no"}, "one line"),
        ({"SAMORDNA_BASE_URL": "slt.kommune.no"}, "http:// or https://"),
        ({"SAMORDNA_BASE_URL": "https://slt.kommune.no/?x=1"}, "no query"),
        ({"SAMORDNA_REMIND_AT": "sju"}, "time of day"),
    ):
        with pytest.raises(ValueError, match=message):
            Settings.from_env(env)
