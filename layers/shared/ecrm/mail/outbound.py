"""Building and sending mail: raw MIME from the standard library's EmailMessage (which refuses
header injection), sent with SES v2 SendEmail through the configuration set."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from botocore.exceptions import ClientError

from ecrm.platform import aws, clock
from ecrm.platform.errors import Busy
from ecrm.platform.settings import settings

_THROTTLED = {"ThrottlingException", "TooManyRequestsException", "LimitExceededException"}


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Envelope:
    sender: str
    sender_name: str
    to: str
    reply_to: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def build(envelope: Envelope, mail: RenderedMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = Address(display_name=envelope.sender_name, addr_spec=envelope.sender)
    message["To"] = envelope.to
    if envelope.reply_to:
        message["Reply-To"] = envelope.reply_to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(datetime.fromtimestamp(clock.now(), UTC))
    message["Message-ID"] = make_msgid(domain=envelope.sender.rpartition("@")[2])
    for name, value in envelope.headers.items():
        message[name] = value
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


def send(message: EmailMessage) -> str:
    """Send raw MIME; returns the SES message id. Throttling becomes Busy (retry later)."""
    args: dict[str, object] = {"Content": {"Raw": {"Data": message.as_bytes()}}}
    if settings().configuration_set:
        args["ConfigurationSetName"] = settings().configuration_set
    try:
        response = aws.sesv2().send_email(**args)  # type: ignore[arg-type]
    except ClientError as error:
        if error.response["Error"]["Code"] in _THROTTLED:
            raise Busy("Mail service is throttling; retry later.") from error
        raise
    return response["MessageId"]
