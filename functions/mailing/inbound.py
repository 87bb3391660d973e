"""Inbound mail function: the SES receipt rule for `unsubscribe@<sending domain>` hands over
each mail sent to the `mailto:` of `List-Unsubscribe`. The subject carries the unsubscribe
token; acting on it is the same domain call as the one-click link (`ecrm.account.unsubscribe`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.account import unsubscribe
from ecrm.platform.errors import InvalidToken

logger = Logger(service="mailing")
metrics = Metrics(namespace="ecrm", service="mailing")


def token_in(subject: str | None) -> str:
    """The token is the whole subject; a client may prefix it ("Re: ", "Fwd: ")."""
    words = (subject or "").split()
    return words[-1] if words else ""


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    # Read from the event as it is: Powertools' `SESEvent` imports every event data class.
    for record in event["Records"]:
        mail = record["ses"]["mail"]
        subject = (mail.get("commonHeaders") or {}).get("subject")
        try:
            done = unsubscribe.unsubscribe(token_in(subject), source="mailto")
        except InvalidToken:
            # Anyone may write to the address: a mail without a valid token changes nothing.
            logger.info(
                "inbound mail without a valid token", extra={"ses_id": mail.get("messageId")}
            )
            metrics.add_metric(name="InboundMailIgnored", unit=MetricUnit.Count, value=1)
            continue
        if done.changed:
            metrics.add_metric(name="UnsubscribedByMail", unit=MetricUnit.Count, value=1)
