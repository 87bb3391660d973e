from __future__ import annotations

import pytest
from hypothesis import given
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
