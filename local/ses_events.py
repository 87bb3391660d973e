"""SES event-publishing records for a real (local) message, and the SNS notification that
carries one to a subscribed function. Both are built from the published samples in
`tests/fixtures/` (see SOURCES.md): only ids, addresses, tags and times are replaced, so the
shape is what SES and SNS deliver, not what someone remembered of it.
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from local.template import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures"

# kind -> (sample file, the record's own object, changes to it)
KINDS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "send": ("send", "send", {}),
    "delivery": ("delivery", "delivery", {}),
    "bounce": ("bounce_permanent", "bounce", {}),
    # AWS publishes no transient sample: the permanent one with the documented type changed.
    "soft_bounce": ("bounce_permanent", "bounce", {"bounceType": "Transient"}),
    "complaint": ("complaint", "complaint", {}),
    "open": ("open", "open", {}),
    "click": ("click", "click", {}),
    "reject": ("reject", "reject", {}),
    "delivery_delay": ("delivery_delay", "deliveryDelay", {}),
}


@cache
def _sample(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ses_event(
    kind: str,
    *,
    message_id: str,
    to: str,
    sent_at: float,
    at: float,
    tags: dict[str, str] | None = None,
    **detail: Any,
) -> dict[str, Any]:
    """The record SES publishes for `kind` (see KINDS) about one message to one recipient.
    `detail` replaces fields of the event's own object (`link`, `userAgent`, `ipAddress`...)."""
    sample, key, changes = KINDS[kind]
    record = copy.deepcopy(_sample(FIXTURES / "ses_events" / f"{sample}.json"))
    mail = record["mail"]
    mail["messageId"] = message_id
    mail["timestamp"] = iso(sent_at)
    mail["destination"] = [to]
    if "commonHeaders" in mail:
        mail["commonHeaders"]["messageId"] = message_id
        mail["commonHeaders"]["to"] = [to]
    for header in mail.get("headers", []):
        if header["name"].lower() == "to":
            header["value"] = to
    ses_tags = {k: v for k, v in mail.get("tags", {}).items() if k.startswith("ses:")}
    mail["tags"] = {**ses_tags, **{name: [value] for name, value in (tags or {}).items()}}
    own = record[key]
    own.update(changes)
    own.update(detail)
    if "timestamp" in own:
        own["timestamp"] = iso(at)
    for recipients in ("bouncedRecipients", "complainedRecipients", "delayedRecipients"):
        for recipient in own.get(recipients, []):
            recipient["emailAddress"] = to
    if "recipients" in own:
        own["recipients"] = [to]
    return record


def sns_event(topic_arn: str, message: str, *, subject: str | None = None) -> dict[str, Any]:
    """The Lambda event SNS delivers to a subscribed function for one published message."""
    event = copy.deepcopy(_sample(FIXTURES / "aws" / "sns.json"))
    [record] = event["Records"]
    record["EventSubscriptionArn"] = f"{topic_arn}:{uuid.uuid4()}"
    record["Sns"].update(
        MessageId=str(uuid.uuid4()),
        TopicArn=topic_arn,
        Subject=subject,
        Message=message,
        MessageAttributes={},
        Timestamp=iso(datetime.now(UTC).timestamp()),
        UnsubscribeUrl=f"https://sns.local/?Action=Unsubscribe&SubscriptionArn={topic_arn}",
    )
    return event


def receipt_event(
    *, recipient: str, sender: str, subject: str, function_arn: str, at: float
) -> dict[str, Any]:
    """The Lambda event of an SES receipt rule's Lambda action for one inbound mail."""
    event = copy.deepcopy(_sample(FIXTURES / "aws" / "ses_receipt_lambda.json"))
    [record] = event["Records"]
    mail, receipt = record["ses"]["mail"], record["ses"]["receipt"]
    mail["messageId"] = uuid.uuid4().hex
    mail["timestamp"] = receipt["timestamp"] = iso(at)
    mail["source"] = sender
    mail["destination"] = receipt["recipients"] = [recipient]
    mail["commonHeaders"].update(
        {"from": [sender], "to": [recipient], "subject": subject, "returnPath": sender}
    )
    replaced = {"from": sender, "to": recipient, "subject": subject, "return-path": f"<{sender}>"}
    for header in mail["headers"]:
        header["value"] = replaced.get(header["name"].lower(), header["value"])
    receipt["action"]["functionArn"] = function_arn
    return event
