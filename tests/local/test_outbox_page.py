"""The outbox page's HTML, without a stack: short link labels, a button for every SES event the
CLI simulates, and everything a mail says escaped (the browser side: tests/e2e/test_outbox_page)."""

from __future__ import annotations

import pytest

from local import mail_simulator
from local.cli import SES_EVENTS
from local.outbox import parse
from local.outbox_page import EVENT_LABELS, outbox_page, short_label

HOSTILE = '<script>alert("x")</script>'


def mail(subject: str = "Hello", html: str = "<p>Hi</p>") -> bytes:
    return (
        "From: a@example.com\r\nTo: b@example.com\r\n"
        f"Subject: {subject}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nHi https://example.com/x\r\n"
        f"--b\r\nContent-Type: text/html\r\n\r\n{html}\r\n--b--\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("http://127.0.0.1:3000/confirm/" + "a" * 300, "127.0.0.1:3000/confirm/…"),
        (
            "http://127.0.0.1:3000/preferences#token=" + "b" * 300,
            "127.0.0.1:3000/preferences#token=…",
        ),
        ("https://x.example/u/" + "c" * 50 + "?t=" + "d" * 99, "x.example/u/…?…"),
        ("https://example.com/", "example.com"),
        ("https://example.com/news/2026", "example.com/news/2026"),
    ],
)
def test_a_link_label_is_short_and_keeps_host_and_path(url: str, label: str) -> None:
    assert short_label(url) == label


def test_every_event_the_cli_and_the_simulator_know_has_a_button() -> None:
    assert set(EVENT_LABELS) == set(SES_EVENTS) == set(mail_simulator.KINDS)
    page = outbox_page([parse(mail(), "m1")])
    for kind in SES_EVENTS:
        assert f'name="type" value="{kind}"' in page


def test_the_page_escapes_what_a_mail_says_and_frames_its_html_sandboxed() -> None:
    page = outbox_page([parse(mail(HOSTILE, f"<p>{HOSTILE}</p>"), "m1")], "bounce", "m1")
    assert "<script" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert '<iframe class="preview" src="/_local/outbox/m1.html" sandbox=""' in page
    assert '<meta name="viewport"' in page
    assert "Simulated “Bounced” for &lt;script&gt;" in page


@pytest.mark.parametrize(("kind", "mail_id"), [("nope", "m1"), ("bounce", "m2"), (None, None)])
def test_the_status_line_names_only_a_known_event_on_a_listed_mail(
    kind: str | None, mail_id: str | None
) -> None:
    assert "Simulated" not in outbox_page([parse(mail(), "m1")], kind, mail_id)
