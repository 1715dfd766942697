"""The retry delays (portal/core/backoff.py: retry_delay, used by the outbox and the payment retries) and the
outbox's Message-IDs, without a database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from portal.core.backoff import retry_delay
from portal.core.mail import message_id


def delays(draw: float, attempts: int = 12) -> list[float]:
    return [retry_delay(n, 30, 1800, lambda: draw).total_seconds() for n in range(1, attempts + 1)]


def test_retry_delay_doubles_up_to_the_maximum_with_the_longest_jitter():
    assert delays(1.0) == [30, 60, 120, 240, 480, 960, 1800, 1800, 1800, 1800, 1800, 1800]


def test_retry_delay_with_the_shortest_jitter_is_half_the_step():
    assert delays(0.0) == [15, 30, 60, 120, 240, 480, 900, 900, 900, 900, 900, 900]


def test_retry_delay_after_very_many_attempts_is_still_bounded():
    assert retry_delay(10_000, 30, 1800, lambda: 1.0) == timedelta(seconds=1800)


def test_message_id_is_the_same_for_the_same_row():
    created = datetime(2026, 12, 7, 18, 0, 1, 5, tzinfo=timezone.utc)
    first = message_id(42, created, "City Grants <no-reply@grants.city.example>")
    assert first == message_id(42, created, "City Grants <no-reply@grants.city.example>")
    assert first == "<outbox.42.20261207T180001000005@grants.city.example>"
    assert first != message_id(43, created, "City Grants <no-reply@grants.city.example>")


def test_error_text_of_a_mail_server_reply_is_its_code_and_text():
    import smtplib

    from portal.core.mail import error_text

    assert error_text(smtplib.SMTPDataError(451, b"4.3.0 Try again later")) == "451 4.3.0 Try again later"
    assert error_text(ConnectionRefusedError(111, "Connection refused")) == "[Errno 111] Connection refused"
    assert error_text(smtplib.SMTPServerDisconnected()) == "SMTPServerDisconnected"


def test_every_email_template_has_a_label():
    from pathlib import Path

    from portal.core.mail import EMAIL_KINDS, kind_label

    templates = {p.stem for p in (Path(__file__).parents[2] / "templates" / "emails").glob("*.txt")}
    assert templates - set(EMAIL_KINDS) == set()
    assert kind_label("") == kind_label("no_such_template") == "Email"
