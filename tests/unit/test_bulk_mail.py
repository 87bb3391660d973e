"""Campaign MIME from the compiled skeleton: every produced message, parsed back with the
standard library, equals the one `EmailMessage` builds (headers decoded, text and HTML parts);
nothing a name or subject holds can become a header of its own."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecrm.mail.bulk import CampaignMail, InvalidAddress, MailingList, Sender, clean, reference

SENDER = Sender("news@example.com", 'Jörg & Söhne "News" — Ü', "replies@example.com")
LIST = MailingList("newsletter.example.com", "Das Newsletter-Ünïcode")
URL = "https://forms.example.com/unsubscribe/eyJwIjoidW5zdWJzY3JpYmUifQ." + "a" * 150 + ".sig-_"
MAILTO = "mailto:unsubscribe@example.com?subject=eyJwIjoidW5zdWJzY3JpYmUifQ.sig"
HEADERS = (
    "From", "To", "Subject", "Reply-To", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post",
    "MIME-Version", "Date", "Message-ID",
)  # fmt: skip
MAIL = CampaignMail(SENDER, LIST)


def produce(to: str, subject: str, text: str, html: str) -> tuple[EmailMessage, EmailMessage]:
    raw = MAIL.render(
        to=to,
        subject=subject,
        text=text,
        html=html,
        unsubscribe_url=URL,
        unsubscribe_mailto=MAILTO,
        msg_id="<abc@example.com>",
        date="Sat, 28 Nov 2026 10:00:00 +0000",
    )
    parsed = email.message_from_bytes(raw, policy=default)
    ref = reference(
        SENDER,
        LIST,
        to=to,
        subject=subject,
        text=text,
        html=html,
        unsubscribe_url=URL,
        unsubscribe_mailto=MAILTO,
        msg_id="<abc@example.com>",
        date="Sat, 28 Nov 2026 10:00:00 +0000",
    )
    return parsed, ref  # type: ignore[return-value]


def assert_equivalent(parsed: EmailMessage, ref: EmailMessage) -> None:
    assert not parsed.defects
    for name in HEADERS:
        assert str(parsed[name]) == str(ref[name]), name
        assert len(parsed.get_all(name) or []) == 1, name
    assert sorted(parsed.keys()) == sorted(ref.keys())
    assert parsed.get_content_type() == "multipart/alternative"
    for kind in ("plain", "html"):
        ours, theirs = parsed.get_body((kind,)), ref.get_body((kind,))
        assert ours is not None and theirs is not None
        assert ours.get_content() == theirs.get_content(), kind
        assert ours.get_content_charset() == "utf-8"


CASES = [
    ("ann@example.org", "Hello Ann", "Hi Ann,\nnews = good\n", "<p>Hi Ann</p>"),
    (
        "bob.o'neil+x@example.org",
        "Grüße, Bob — 👋 " * 9,
        "Zeile " * 60 + "\nÜmläute",
        "<p>Ü</p>\r\n",
    ),
    ("eve@example.org", "Hi\r\nBcc: evil@example.net", "no final newline", "<b>x</b>"),
    ("x@example.org", "tabs\tand  spaces   ", "trailing spaces   \n\tindented\n", ""),
    ("y@example.org", "word " * 40, "", "<html>" + "x" * 300 + "</html>"),
    ("z@example.org", "=_ --boundary look-alike", "--==ecrm_\n=3D\n.\nFrom x\n", "<p>=</p>"),
]


@pytest.mark.parametrize(("to", "subject", "text", "html"), CASES)
def test_produced_message_equals_the_standard_library_reference(
    to: str, subject: str, text: str, html: str
) -> None:
    assert_equivalent(*produce(to, subject, text, html))


# Subjects and bodies as templates render them from contact data: any text at all.
_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)


@settings(max_examples=150)
@given(subject=_text, text=_text, html=_text)
def test_any_subject_and_body_round_trip(subject: str, text: str, html: str) -> None:
    if "=?" in subject:  # the standard library decodes these; ours stay literal (below)
        subject = subject.replace("=?", "= ?")
    assert_equivalent(*produce("ann@example.org", subject, text, html))


def test_no_header_can_be_injected_through_a_subject_or_a_name() -> None:
    evil_sender = Sender("news@example.com", "News\r\nBcc: all@example.net")
    raw = CampaignMail(evil_sender, LIST).render(
        to="ann@example.org",
        subject="Hi\r\nBcc: evil@example.net\nX-Injected: 1\r\n\r\n<body>",
        text="body",
        html="<p>body</p>",
        unsubscribe_url=URL,
        unsubscribe_mailto=MAILTO,
    )
    parsed = email.message_from_bytes(raw, policy=default)
    assert parsed.get_all("Bcc") is None and parsed.get_all("X-Injected") is None
    assert str(parsed["Subject"]) == "Hi Bcc: evil@example.net X-Injected: 1 <body>"
    assert parsed["From"].addresses[0].display_name == "News Bcc: all@example.net"
    header_block = raw.split(b"\n\n", 1)[0]
    assert all(line[:1] in b" \t" or b":" in line for line in header_block.split(b"\n"))


def test_an_encoded_word_typed_into_a_subject_stays_literal_text() -> None:
    parsed, _ = produce("ann@example.org", "=?utf-8?b?SGk=?= there", "t", "h")
    assert str(parsed["Subject"]) == "=?utf-8?b?SGk=?= there"


def test_list_headers_of_a_bulk_mail() -> None:
    parsed, _ = produce("ann@example.org", "Hi", "t", "h")
    assert str(parsed["List-Unsubscribe"]) == f"<{URL}>, <{MAILTO}>"
    assert str(parsed["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert str(parsed["List-Id"]) == "Das Newsletter-Ünïcode <newsletter.example.com>"
    assert str(parsed["Reply-To"]) == "replies@example.com"
    assert parsed["From"].addresses[0].display_name == clean(SENDER.name)
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]


@pytest.mark.parametrize("address", ["a b@example.org", "ann@example.org\r\nBcc: x@y.z", ""])
def test_an_address_that_cannot_be_a_header_is_refused(address: str) -> None:
    with pytest.raises(InvalidAddress):
        produce(address, "Hi", "t", "h")


def test_every_header_line_fits_the_smtp_limit() -> None:
    parsed_raw = MAIL.render(
        to="ann@example.org",
        subject="ü" * 400,
        text="x" * 5000,
        html="<p>" + "y" * 5000,
        unsubscribe_url=URL,
        unsubscribe_mailto=MAILTO,
    )
    assert max(len(line) for line in parsed_raw.split(b"\n")) <= 998
    assert max(len(line) for line in parsed_raw.split(b"\n\n", 1)[1].split(b"\n")) <= 76
