"""Fault injection on the submission path: the caller gets a retryable answer or the work is
done; never half of it, and a retry never duplicates it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from ecrm.platform import aws
from tests import events
from tests.conftest import table_items
from tests.integration.conftest import Submit, valid_body


def client_error(code: str, reasons: list[str] | None = None) -> ClientError:
    response: dict[str, Any] = {"Error": {"Code": code, "Message": "injected"}}
    if reasons:
        response["CancellationReasons"] = [{"Code": r} for r in reasons]
    return ClientError(response, "TransactWriteItems")  # type: ignore[arg-type]


FAULTS: dict[str, Callable[[], Exception]] = {
    "throughput": lambda: client_error("ProvisionedThroughputExceededException"),
    "throttling": lambda: client_error("ThrottlingException"),
    "conflict": lambda: client_error(
        "TransactionCanceledException", ["None", "TransactionConflict"]
    ),
    "timeout": lambda: ReadTimeoutError(endpoint_url="https://dynamodb"),
}


@pytest.fixture
def inject() -> Iterator[Callable[[str, str, Exception], None]]:
    """Raise `error` on the next DynamoDB `operation`, before or after it reaches the table."""
    hooks: list[tuple[str, Any]] = []

    def _inject(operation: str, when: str, error: Exception) -> None:
        remaining = {"n": 1}

        def hook(**_: Any) -> None:
            if remaining["n"]:
                remaining["n"] -= 1
                raise error

        event = f"{'before-call' if when == 'before' else 'after-call'}.dynamodb.{operation}"
        aws.dynamodb().meta.events.register(event, hook)
        hooks.append((event, hook))

    yield _inject
    for event, hook in hooks:
        aws.dynamodb().meta.events.unregister(event, hook)


def counts() -> dict[str, int]:
    kinds = ("contact", "form_submitted", "consent", "idempotency")
    return {kind: sum(i.get("type") == kind for i in table_items()) for kind in kinds}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_failed_transaction_is_retryable_and_writes_nothing(
    submit: Submit, inject: Any, fault: str
) -> None:
    submit(valid_body("warm@example.com"))  # the form definition is cached from here on
    before = table_items()
    inject("TransactWriteItems", "before", FAULTS[fault]())

    response = submit(valid_body(), headers={"Idempotency-Key": "k1"})

    assert response["statusCode"] == 503
    assert events.json_body(response)["error"]["code"] == "busy_retry"
    assert "Retry-After" in response["multiValueHeaders"]
    assert table_items() == before
    assert submit(valid_body(), headers={"Idempotency-Key": "k1"})["statusCode"] == 202
    assert counts() == {"contact": 2, "form_submitted": 2, "consent": 2, "idempotency": 2}


def test_a_timeout_after_the_write_landed_is_answered_from_the_marker_on_retry(
    submit: Submit, inject: Any
) -> None:
    submit(valid_body("warm@example.com"))
    inject("TransactWriteItems", "after", ReadTimeoutError(endpoint_url="https://dynamodb"))

    lost = submit(valid_body(), headers={"Idempotency-Key": "k2"})
    assert lost["statusCode"] == 503
    landed = counts()

    retry = submit(valid_body(), headers={"Idempotency-Key": "k2"})
    assert retry["statusCode"] == 202
    assert counts() == landed == {"contact": 2, "form_submitted": 2, "consent": 2, "idempotency": 2}


def test_a_failed_form_read_is_retryable(submit: Submit, inject: Any) -> None:
    from ecrm.contacts import forms

    forms.forget_cached()
    inject("GetItem", "before", client_error("ProvisionedThroughputExceededException"))

    assert submit(valid_body())["statusCode"] == 503
    assert counts()["contact"] == 0
    assert submit(valid_body())["statusCode"] == 202
