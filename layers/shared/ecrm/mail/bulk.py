"""Campaign MIME at SES speed: the message skeleton is compiled once per campaign, and each
recipient's message is the skeleton with a few safely encoded parts put in.

`email.message.EmailMessage` builds about 500 messages a second; a campaign wants thousands.
What is the same for every recipient (From with its display name, Reply-To, List-Id,
List-Unsubscribe-Post, MIME-Version, the multipart/alternative structure and its boundary) is
folded by the standard library once, in `CampaignMail.__init__`. Per recipient only these are
written, each by a rule that cannot produce a header line of its own:

- `To`: a plain ASCII address (anything else goes through the standard library);
- `Subject`: control characters (CR, LF, ...) become spaces; ASCII text is folded at spaces,
  anything else becomes RFC 2047 encoded-words (UTF-8, base64, split on character boundaries);
- `List-Unsubscribe`: `<https URL>, <mailto:...>` built from URL-safe tokens;
- the text and HTML bodies: quoted-printable (`binascii.b2a_qp`), so no body line can be the
  boundary (`=` never appears unescaped in quoted-printable, and the boundary has `==`).

`reference()` builds the same message with `EmailMessage`; the tests parse every produced
message and compare it with the reference (headers decoded, text and HTML parts).
"""

from __future__ import annotations

import binascii
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
)
from botocore.exceptions import ConnectionError as NetworkError

from ecrm.platform import aws, entropy
from ecrm.platform.settings import settings

_POLICY = default.clone(linesep="\n")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_SAFE_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$"
)
_SUBJECT_MAX = 400  # characters kept of a rendered subject
_WORD_BYTES = 42  # UTF-8 bytes per encoded-word: "=?utf-8?b?" + 56 + "?=" fits in 78 columns
_LINE = 78


class InvalidAddress(ValueError):
    """A recipient address that cannot be written into a header."""


@dataclass(frozen=True)
class Sender:
    address: str
    name: str
    reply_to: str | None = None


@dataclass(frozen=True)
class MailingList:
    """RFC 2919 list identity of a campaign's topic: `List-Id: <name> <id>`."""

    list_id: str  # e.g. "newsletter.example.com"
    name: str


def clean(text: str) -> str:
    """A header value from rendered text: no control characters, no runs of spaces."""
    return " ".join(_CONTROL.sub(" ", text).split())[:_SUBJECT_MAX]


def _fold_ascii(name: str, value: str) -> bytes:
    line, lines = f"{name}:", []
    for word in value.split(" "):
        if len(line) + 1 + len(word) > _LINE and line != f"{name}:":
            lines.append(line)
            line = ""
        line += f" {word}"
    lines.append(line)
    return ("\n".join(lines) + "\n").encode("ascii")


def _encoded_words(name: str, value: str) -> bytes:
    words: list[str] = []
    chunk: list[str] = []
    size = 0
    for char in value:
        width = len(char.encode())
        if size + width > _WORD_BYTES:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(char)
        size += width
    words.append("".join(chunk))
    encoded = [
        "=?utf-8?b?" + binascii.b2a_base64(w.encode(), newline=False).decode() + "?=" for w in words
    ]
    return (f"{name}: " + "\n ".join(encoded) + "\n").encode("ascii")


def header(name: str, value: str) -> bytes:
    """One unstructured header line (folded), whatever `value` holds."""
    value = clean(value)
    if value.isascii() and "=?" not in value:
        return _fold_ascii(name, value)
    return _encoded_words(name, value)


def to_header(address: str) -> bytes:
    if _SAFE_ADDRESS.match(address):
        return f"To: {address}\n".encode("ascii")
    try:  # rare: let the standard library decide (and refuse what it cannot write)
        message = EmailMessage(policy=_POLICY)
        message["To"] = Address(addr_spec=address)
        return _POLICY.fold_binary("To", message["To"])
    except (ValueError, IndexError, TypeError) as error:
        raise InvalidAddress(address) from error


def _qp(text: str) -> bytes:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    return binascii.b2a_qp(text.encode("utf-8"), quotetabs=False, istext=True, header=False)


def unsubscribe_header(url: str, mailto: str) -> bytes:
    return f"List-Unsubscribe: <{url}>,\n <{mailto}>\n".encode("ascii")


def _date() -> str:
    return format_datetime(datetime.now(UTC))


def message_id(domain: str) -> str:
    return f"<{entropy.token_hex(16)}@{domain}>"


class CampaignMail:
    """The compiled skeleton of one campaign's messages."""

    def __init__(self, sender: Sender, mailing_list: MailingList) -> None:
        constant = EmailMessage(policy=_POLICY)  # refuses CR/LF and folds display names
        constant["From"] = Address(display_name=clean(sender.name), addr_spec=sender.address)
        if sender.reply_to:
            constant["Reply-To"] = Address(addr_spec=sender.reply_to)
        constant["List-Id"] = f"{clean(mailing_list.name)} <{mailing_list.list_id}>"
        constant["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        constant["MIME-Version"] = "1.0"
        self.boundary = f"==ecrm_{secrets.token_hex(12)}=="
        constant["Content-Type"] = f'multipart/alternative; boundary="{self.boundary}"'
        self.domain = sender.address.rpartition("@")[2]
        self._head = b"".join(_POLICY.fold_binary(n, v) for n, v in constant.items()) + b"\n"
        part = 'Content-Type: text/{}; charset="utf-8"\nContent-Transfer-Encoding: quoted-printable'
        boundary = self.boundary.encode("ascii")
        self._text_head = b"--" + boundary + b"\n" + part.format("plain").encode() + b"\n\n"
        self._html_head = b"\n--" + boundary + b"\n" + part.format("html").encode() + b"\n\n"
        self._close = b"\n--" + boundary + b"--\n"
        self._date = (0, "")

    def date(self) -> str:
        now = int(datetime.now(UTC).timestamp())
        if self._date[0] != now:  # formatting the date costs as much as the rest of the head
            self._date = (now, _date())
        return self._date[1]

    def render(
        self,
        *,
        to: str,
        subject: str,
        text: str,
        html: str,
        unsubscribe_url: str,
        unsubscribe_mailto: str,
        msg_id: str | None = None,
        date: str | None = None,
    ) -> bytes:
        stamp = f"Date: {date or self.date()}\nMessage-ID: {msg_id or message_id(self.domain)}\n"
        return b"".join(
            (
                to_header(to),
                header("Subject", subject),
                stamp.encode("ascii"),
                unsubscribe_header(unsubscribe_url, unsubscribe_mailto),
                self._head,
                self._text_head,
                _qp(text),
                self._html_head,
                _qp(html),
                self._close,
            )
        )


def reference(
    sender: Sender,
    mailing_list: MailingList,
    *,
    to: str,
    subject: str,
    text: str,
    html: str,
    unsubscribe_url: str,
    unsubscribe_mailto: str,
    msg_id: str,
    date: str,
) -> EmailMessage:
    """The same message built with the standard library (the specification of `render`)."""
    message = EmailMessage(policy=_POLICY)
    message["To"] = to
    message["Subject"] = clean(subject)
    message["Date"] = date
    message["Message-ID"] = msg_id
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>, <{unsubscribe_mailto}>"
    message["From"] = Address(display_name=clean(sender.name), addr_spec=sender.address)
    if sender.reply_to:
        message["Reply-To"] = Address(addr_spec=sender.reply_to)
    message["List-Id"] = f"{clean(mailing_list.name)} <{mailing_list.list_id}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


# --- the SES call ---------------------------------------------------------------------------


class SendThrottled(Exception):
    """SES refused for rate: nothing was sent; back off and try again."""


class SendDeferred(Exception):
    """SES refused for the account (paused sending, suspended, 5xx): nothing was sent."""


class SendRefused(Exception):
    """SES refused this message for good (the address, mostly)."""


class SendUnknown(Exception):
    """The request may have reached SES (a read timeout): whether it was sent is not known."""


_THROTTLED = {"ThrottlingException", "TooManyRequestsException", "LimitExceededException"}
_REFUSED = {"MessageRejected", "BadRequestException", "InvalidParameterValue"}


def send(raw: bytes, tags: Mapping[str, str]) -> str:
    """SES v2 SendEmail (raw) through the configuration set, with `EmailTags`; the message id."""
    args: dict[str, Any] = {
        "Content": {"Raw": {"Data": raw}},
        "EmailTags": [{"Name": name, "Value": value} for name, value in tags.items()],
    }
    if settings().configuration_set:
        args["ConfigurationSetName"] = settings().configuration_set
    try:
        response = aws.sesv2().send_email(**args)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in _THROTTLED:
            raise SendThrottled(code) from error
        if code in _REFUSED:
            raise SendRefused(code) from error
        raise SendDeferred(code) from error
    except (EndpointConnectionError, ConnectTimeoutError) as error:
        raise SendDeferred("unreachable") from error  # the request never left
    except (ReadTimeoutError, NetworkError, HTTPClientError) as error:
        raise SendUnknown(type(error).__name__) from error
    return str(response["MessageId"])
