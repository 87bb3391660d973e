"""Lambda events and context for tests (built by `local.sample_events` from the published
AWS samples in tests/fixtures)."""

from __future__ import annotations

import json
from typing import Any

from local.sample_events import api_event, stream_event


class LambdaContext:
    function_name = "test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id = "req-test"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


def api(
    method: str,
    resource: str,
    path_params: dict[str, str] | None = None,
    *,
    body: str | bytes | dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    ip: str = "198.51.100.7",
) -> dict[str, Any]:
    """An API Gateway REST proxy event for `resource` (as the template spells it)."""
    return api_event(method, resource, path_params, body=body, headers=headers, source_ip=ip)


def stream(*new_images: dict[str, Any], event_name: str = "INSERT") -> dict[str, Any]:
    """A DynamoDB stream event carrying the given items as new images."""
    return stream_event(*new_images, event_name=event_name)


def json_body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


SES_TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:ecrm-local-SesEventsTopic"


def ses_notification(kind: str, **fields: Any) -> dict[str, Any]:
    """The SNS event that delivers one SES event record (`local.ses_events.KINDS`) to the
    subscribed function; `fields` are those of `local.ses_events.ses_event`."""
    from local.ses_events import ses_event, sns_event

    return sns_event(SES_TOPIC_ARN, json.dumps(ses_event(kind, **fields)))


def ses_receipt(subject: str, *, sender: str = "ann@example.com") -> dict[str, Any]:
    """The receipt rule's Lambda event for a mail to the unsubscribe address."""
    from local.ses_events import receipt_event

    return receipt_event(
        recipient="unsubscribe@example.com",
        sender=sender,
        subject=subject,
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:inbound",
        at=1_700_000_000.0,
    )
