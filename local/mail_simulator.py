"""What SES would report about a message in the local outbox, and mail sent to the stack.

`ses_event` builds the record SES publishes (from the published samples, with the message's own
id, recipient, send time and EmailTags) and publishes it to every topic that a configuration
set event destination of the template names, so the subscribed functions run as deployed.
`receive_mail` plays an SES receipt rule: a mail to a rule's recipient invokes its Lambda action.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import time
from email.utils import parseaddr, parsedate_to_datetime
from typing import Any

from local.intrinsics import Resolver
from local.lambda_runtime import LambdaRuntime
from local.outbox import Outbox, parse
from local.ses_events import receipt_event, ses_event
from local.template import Function
from local.topics import Client, Topics, invoke_async

KINDS = ("delivery", "bounce", "soft_bounce", "complaint", "open", "click", "reject")
MESSAGE_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
READ_AFTER_SECONDS = 60.0  # a simulated person reads the mail a minute after it was sent
SCANNER_AGENT = "Mozilla/5.0 (compatible; Barracuda Sentinel)"


class MailSimulator:
    def __init__(
        self, resolver: Resolver, runtime: LambdaRuntime, outbox: Outbox, client: Client
    ) -> None:
        self.resolver, self.runtime, self.outbox, self.client = resolver, runtime, outbox, client
        self.topics = Topics(resolver, runtime, client)
        template = resolver.template
        self.event_topics = [
            str(resolver.resolve(destination))
            for found in template.resources("AWS::SES::ConfigurationSetEventDestination")
            if (destination := _sns_destination(found.properties)) is not None
        ]
        self.receipt_rules: list[tuple[list[str], Function]] = []
        functions = {
            resolver.names.attributes.get((f.logical_id, "Arn")): f for f in template.functions()
        }
        for rule in template.resources("AWS::SES::ReceiptRule"):
            body = resolver.resolve(dict(rule.properties)).get("Rule", {})
            for action in body.get("Actions", []):
                function = functions.get(action.get("LambdaAction", {}).get("FunctionArn"))
                if function is not None and body.get("Enabled", True):
                    self.receipt_rules.append(([r.lower() for r in body["Recipients"]], function))

    def ses_event(
        self, message_id: str, kind: str, *, link: str | None = None, scanner: bool = False
    ) -> dict[str, Any]:
        """Publish the SES event `kind` (see KINDS) for an outbox message; returns the record.
        Opens and clicks come from a person a minute after sending, or with `scanner` from a
        link scanner a second after it. KeyError: no such message; ValueError: no such kind."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        raw = self.outbox.raw(message_id) if MESSAGE_ID.match(message_id) else None
        if raw is None:
            raise KeyError(message_id)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        date = message.get("Date")
        sent_at = parsedate_to_datetime(str(date)).timestamp() if date else time.time()
        now = time.time()
        at, detail = now, {}
        if kind in ("open", "click"):
            at = sent_at + 1 if scanner else max(now, sent_at + READ_AFTER_SECONDS)
            if scanner:
                detail["userAgent"] = SCANNER_AGENT
        if kind == "click":
            links = parse(raw, message_id).links
            detail["link"] = link or (links[0] if links else "https://example.com/")
        record = ses_event(
            kind,
            message_id=message_id,
            to=parseaddr(str(message.get("To", "")))[1],
            sent_at=sent_at,
            at=at,
            tags=self.outbox.tags(message_id),
            **detail,
        )
        for topic in self.event_topics:
            self.topics.publish(topic, json.dumps(record))
        return record

    def receive_mail(self, recipient: str, subject: str, sender: str) -> int:
        """Deliver an inbound mail to the receipt rules that match it; returns how many ran."""
        address = recipient.lower()
        domain = address.rpartition("@")[2]
        ran = 0
        for recipients, function in self.receipt_rules:
            if any(
                r in (address, domain) or domain.endswith("." + r.lstrip(".")) for r in recipients
            ):
                event = receipt_event(
                    recipient=recipient,
                    sender=sender,
                    subject=subject,
                    function_arn=self.resolver.names.attributes.get(
                        (function.logical_id, "Arn"), ""
                    ),
                    at=time.time(),
                )
                ran += invoke_async(self.runtime, self.resolver, function, event, self.client)
        return ran


def _sns_destination(properties: Any) -> Any:
    destination = properties.get("EventDestination", {})
    if not destination.get("Enabled", False):
        return None
    return destination.get("SnsDestination", {}).get("TopicARN")
