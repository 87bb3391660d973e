from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from ecrm.platform import normalise


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("ann@example.com", "ann@example.com"),
        ("  Ann.Smith@Example.COM\t", "ann.smith@example.com"),
        ("ann@BÜCHER.example", "ann@xn--bcher-kva.example"),
        ("ann@xn--bcher-kva.example", "ann@xn--bcher-kva.example"),
        ("ann+news@example.com", "ann+news@example.com"),
    ],
)
def test_email_is_trimmed_lowercased_and_its_domain_punycoded(raw: str, canonical: str) -> None:
    assert normalise.email(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    ["", "ann", "ann@", "@example.com", "ann@@example.com", "ann@example", "a\nb@example.com"],
)
def test_impossible_emails_are_refused(raw: str) -> None:
    with pytest.raises(normalise.NotNormalisable):
        normalise.email(raw)


@given(st.emails())
def test_email_normalisation_is_idempotent(address: str) -> None:
    try:
        once = normalise.email(address)
    except normalise.NotNormalisable:
        return
    assert normalise.email(once) == once


def test_names_are_cleaned_but_keep_their_spelling() -> None:
    assert normalise.name("  Anne-Marie\u00a0 van  der Berg ") == "Anne-Marie van der Berg"
    assert normalise.name("Zoe\u0301") == "Zoé"  # NFC


@pytest.mark.parametrize("raw", ["<b>Ann</b>", "ann@example.com", "Ann\nBcc: x"])
def test_names_cannot_smuggle_markup_addresses_or_headers(raw: str) -> None:
    with pytest.raises(normalise.NotNormalisable):
        normalise.name(raw)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("+49 (30) 1234-5678", "+493012345678"),
        ("0049 30 12345678", "+493012345678"),
        ("030 / 123 456", "030123456"),
    ],
)
def test_phone_numbers_keep_digits_and_a_leading_plus(raw: str, canonical: str) -> None:
    assert normalise.phone(raw) == canonical


@pytest.mark.parametrize("raw", ["12345", "call me", "+1 555 CALL NOW", "1" * 16])
def test_implausible_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(normalise.NotNormalisable):
        normalise.phone(raw)


def test_control_characters_are_removed_from_text() -> None:
    assert normalise.clean_text("a\u0000b\u200bc\r\nd") == "abc d"


@pytest.mark.parametrize(
    ("address", "inbox"),
    [
        ("ann@example.com", "ann@example.com"),
        ("Ann+News@Example.com", "ann@example.com"),
        ("ann+a+b@example.com", "ann@example.com"),
        ("ann.smith@example.com", "ann.smith@example.com"),  # dots matter outside Gmail
        ("a.n.n+x@gmail.com", "ann@gmail.com"),
        ("A.NN@GoogleMail.com", "ann@gmail.com"),
        ("+tag@example.com", "+tag@example.com"),  # nothing left without the tag: kept whole
        ("...@gmail.com", "...@gmail.com"),
        ("ann@xn--bcher-kva.example", "ann@xn--bcher-kva.example"),
    ],
)
def test_mailbox_drops_tags_and_gmail_dots(address: str, inbox: str) -> None:
    assert normalise.mailbox(address) == inbox


@given(st.emails())
def test_mailbox_is_idempotent_and_ignores_tags(address: str) -> None:
    inbox = normalise.mailbox(address)
    assert normalise.mailbox(inbox) == inbox
    local, _, domain = address.rpartition("@")
    if "+" not in local and local.strip("."):
        assert normalise.mailbox(f"{local}+tag@{domain}") == inbox


# The plain reading (`plain_address`, no email_validator) must answer as email_validator does for
# every address it accepts: addresses built from the characters and shapes near its edges.
_NOISY_LOCAL = st.text(alphabet="aZ09.!#$%&'*+/=?^_`{|}~- \"(),:;<>@[\\]é", max_size=70)
_LOCALS = st.from_regex(r"[A-Za-z0-9!#'+_~-]{1,12}(\.[a-z0-9=?^`{}|]{1,6}){0,2}", fullmatch=True)
_LABELS = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,4}[A-Za-z0-9])?", fullmatch=True)
_EDGE_LABELS = ["ab--cd", "xn--bcher-kva", "xn--abc", "-ab", "ab-", "c" * 63, "c" * 64, "a_b", "ü"]
_TLDS = ["com", "ORG", "co", "x", "test", "local", "localhost", "onion", "arpa", "invalid"]
_TLDS += ["xn--p1ai", "c0m", "example", "com-", "museum", "a" * 63, "b" * 64]


@st.composite
def _addresses(draw: st.DrawFn) -> str:
    local = draw(_LOCALS | _LOCALS.map(lambda s: s * 6) | _NOISY_LOCAL)
    label = _LABELS | st.sampled_from(_EDGE_LABELS) | st.text(alphabet="aZ09-_ü.", max_size=66)
    labels = draw(st.lists(label, max_size=4))
    tld = draw(st.sampled_from(_TLDS) | st.text(alphabet="abcXYZ09-", min_size=1, max_size=5))
    return f"{local}@{'.'.join([*labels, tld])}"


def _validated(address: str) -> str | None:
    """What email_validator makes of the address (None: refused)."""
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


@settings(max_examples=400, deadline=None)
@given(_addresses() | st.emails())
def test_the_plain_reading_answers_as_email_validator(address: str) -> None:
    plain = normalise.plain_address(address)
    assert plain is None or plain == _validated(address)


@pytest.mark.parametrize(
    "address",
    [
        "ann@example.com",
        "Ann.O'Neil+news@Mail.Example.ORG",
        "a@" + ".".join(["b" * 63] * 3) + ".com",
        "x" * 64 + "@example.com",
        "!#$%&'*+/=?^_`{|}~-@example.co",
    ],
)
def test_common_addresses_are_read_without_email_validator(address: str) -> None:
    local, _, domain = address.rpartition("@")
    assert normalise.plain_address(address) == _validated(address) == f"{local}@{domain.lower()}"
    assert normalise.email(address) == address.lower()


@pytest.mark.parametrize(
    "address",
    [
        "ann@bücher.example",  # IDN: punycoded by email_validator
        "ann@xn--bcher-kva.example",  # punycode is checked by email_validator
        "ann@ab--cd.example",  # reserved label shape
        "ann@example.test",  # special-use top-level domain
        "x" * 65 + "@example.com",
        '"ann smith"@example.com',
        "ann..smith@example.com",
        "ann@example",
        "ann@-example.com",
        "ann@example." + "b" * 64,  # a label of 64
        "a" * 64 + "@" + ".".join(["b" * 61, "b" * 62, "b" * 61]) + ".com",  # 255 characters
    ],
)
def test_other_addresses_are_left_to_email_validator(address: str) -> None:
    assert normalise.plain_address(address) is None


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("1990-05-17", "1990-05-17"), (" 2024-02-29 ", "2024-02-29"), ("1900-01-01", "1900-01-01")],
)
def test_a_date_is_a_real_day_as_yyyy_mm_dd(raw: str, canonical: str) -> None:
    assert normalise.date(raw) == canonical
    assert normalise.iso_date(canonical)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "17/05/1990",
        "05/17/1990",
        "1990-5-17",
        "19900517",
        "1990-05-17T00:00:00",
        "2023-02-29",  # not a leap year
        "1990-13-01",
        "1990-04-31",
        "1899-12-31",  # before the first year
        "2201-01-01",  # after the last
        "\u0661\u0669\u0669\u0660-\u0660\u0665-\u0661\u0667",  # Arabic-Indic digits
    ],
)
def test_a_date_that_is_no_real_day_in_the_years_held_is_refused(raw: str) -> None:
    with pytest.raises(normalise.NotNormalisable):
        normalise.date(raw)
    assert not normalise.iso_date(raw)
