"""Normalisation of what people type: one canonical form per email, name, phone number and
date."""

from __future__ import annotations

import re
import unicodedata
from datetime import date as _date

_SPACES = re.compile(r"\s+")
_PHONE_NOISE = re.compile(r"[\s().\-/]")
_PHONE = re.compile(r"\+?[0-9]{6,15}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
FIRST_YEAR, LAST_YEAR = 1900, 2200  # the years a date field holds (birthdays to renewals)


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
    address = value.strip()
    plain = plain_address(address)
    return plain.lower() if plain else validated_email(address)


def validated_email(address: str) -> str:
    """`email(address)` read by email_validator, for the addresses `plain_address` leaves to it.
    Imported here: its IDNA tables and regexes spanning all of Unicode weigh 20-40 ms of a
    cold start."""
    from email_validator import EmailNotValidError, validate_email  # noqa: PLC0415

    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise NotNormalisable(str(error)) from error
    local, _, _ = result.normalized.rpartition("@")
    return f"{local}@{result.ascii_domain}".lower()


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}", re.ASCII)
# email_validator refuses these top-level domains (RFC 6761 and friends).
_SPECIAL_USE = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def plain_address(address: str) -> str | None:
    """The common address as email_validator normalises it (the domain lower-cased), read
    without it: ASCII, a dot-atom local part of at most 64 characters, a domain of plain labels
    under a top-level domain of letters. None for anything else (email_validator then decides);
    tests/unit/test_normalise.py holds the two readings to the same answer."""
    if len(address) > 254 or not _PLAIN.fullmatch(address):
        return None
    local, _, domain = address.rpartition("@")
    labels = domain.lower().split(".")
    if len(local) > 64 or len(domain) > 253 or labels[-1] in _SPECIAL_USE:
        return None
    if any(label[2:4] == "--" for label in labels):  # punycode and reserved labels
        return None
    return f"{local}@{domain.lower()}"


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


def date(value: str) -> str:
    """A real day as `YYYY-MM-DD` (what `<input type="date">` sends), in FIRST_YEAR..LAST_YEAR;
    surrounding spaces are dropped, any other shape refused: `05/06/1990` reads as May or June
    depending on where it was typed, so no guess is made."""
    text = value.strip()
    if not iso_date(text):
        raise NotNormalisable(
            f"Enter a date as YYYY-MM-DD, a real day between {FIRST_YEAR} and {LAST_YEAR}."
        )
    return text


def iso_date(value: object) -> bool:
    """Whether `value` is a date as `date` leaves it (the contacts' date index reads only these)."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return False
    try:
        day = _date.fromisoformat(value)
    except ValueError:
        return False
    return FIRST_YEAR <= day.year <= LAST_YEAR
