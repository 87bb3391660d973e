"""Normalisation of what people type: one canonical form per email, name and phone number."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_PHONE_NOISE = re.compile(r"[\s().\-/]")
_PHONE = re.compile(r"\+?[0-9]{6,15}")


class NotNormalisable(ValueError):
    """The value cannot be read as the expected kind of data; the message says why."""


def clean_text(value: str) -> str:
    """NFC, no control or format characters, runs of whitespace collapsed, trimmed."""
    value = unicodedata.normalize("NFC", value)
    value = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C" or ch in "\t\n ")
    return _SPACES.sub(" ", value).strip()


def email(value: str) -> str:
    """Canonical address: trimmed, lower-cased, IDN domain in its ASCII (punycode) form.

    Lower-casing the local part deviates from RFC 5321 on purpose: every mailbox provider a
    CRM meets treats it case-insensitively, and `Ann@x.org` and `ann@x.org` must be one contact.
    """
    # Most functions load this module for names and mailboxes only; the validator (with its
    # IDNA tables) weighs 25-40 ms of their cold start.
    from email_validator import EmailNotValidError, validate_email  # noqa: PLC0415

    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise NotNormalisable(str(error)) from error
    local, _, _ = result.normalized.rpartition("@")
    return f"{local}@{result.ascii_domain}".lower()


# Providers that ignore dots in the local part; googlemail.com is the same mailboxes as gmail.com.
_DOTLESS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def mailbox(address: str) -> str:
    """The inbox an address reaches, for keying per-address rate limits only (never identity:
    contacts stay keyed on `email()`): lower-cased, `+tag` dropped from the local part, and for
    Gmail dots dropped and googlemail.com read as gmail.com. So `Ann+1@x.org`, `ann+2@x.org`,
    `a.n.n@googlemail.com` and `ann@gmail.com` share one bucket where each would have its own."""
    local, _, domain = address.strip().lower().rpartition("@")
    local = local.split("+", 1)[0] or local  # a local part that is all tag keeps it
    if domain in _DOTLESS:
        domain = _DOTLESS[domain]
        local = local.replace(".", "") or local
    return f"{local}@{domain}"


def name(value: str) -> str:
    if any(ch in value for ch in "<>@\r\n"):
        raise NotNormalisable("A name cannot contain <, >, @ or line breaks.")
    return clean_text(value)


def phone(value: str) -> str:
    """Digits with an optional leading +; 00 as international prefix becomes +."""
    compact = _PHONE_NOISE.sub("", clean_text(value))
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not _PHONE.fullmatch(compact):
        raise NotNormalisable("Enter a phone number of 6 to 15 digits, optionally starting with +.")
    return compact
