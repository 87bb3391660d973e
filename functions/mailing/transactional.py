"""Transactional mail function: the table's stream (filtered to pending submissions and to the
self-service requests) -> the confirmation, sign-in or address-verification mail. Partial
batch failures are reported, so one throttled send is retried alone and never blocks or repeats
the others."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.account import mails
from ecrm.capture import confirmation
from ecrm.mail import outbound, plain_templates
from ecrm.platform import records

logger = Logger(service="mailing")
metrics = Metrics(namespace="ecrm", service="mailing")


def render(name: str, context: Mapping[str, Any]) -> outbound.RenderedMail:
    """Our own mails: `{{ name }}` substitutions rendered as Jinja would, without importing
    it (`ecrm.mail.plain_templates`, cold starts)."""
    return outbound.RenderedMail(
        subject=plain_templates.render("mailing", f"{name}.subject.txt", context).strip(),
        text=plain_templates.render("mailing", f"{name}.txt", context),
        html=plain_templates.render("mailing", f"{name}.html", context),
    )


def record_handler(record: records.StreamRecord) -> None:
    image = record.new_image
    account_sender = mails.SENDERS.get(image.get("type", "")) if image else None
    if image and account_sender:
        if account_sender(image, render):
            metrics.add_metric(name="AccountMailsSent", unit=MetricUnit.Count, value=1)
    elif image and confirmation.send_confirmation_mail(image, render):
        metrics.add_metric(name="ConfirmationMailsSent", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> records.BatchResponse:
    return records.each(event, record_handler, records.StreamRecord)
