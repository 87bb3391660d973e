"""Fault injection on the paths after a mail leaves: DynamoDB throttles, conflicts or times
out at any write. A passing fault is absorbed inside the invocation; a lasting one fails it
(Lambda retries, then the DLQ keeps it). Nothing is half-written, and whatever retries complete
the work exactly once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError

from ecrm.platform import aws, keys, tokens
from ecrm.platform.errors import Busy
from tests.conftest import table_items
from tests.integration.test_faults import FAULTS
from tests.integration.test_mailto_unsubscribe import receive
from tests.integration.test_ses_events import ANN, campaign, campaign_tags, deliver, interactions

Inject = Callable[..., None]


@pytest.fixture
def fail() -> Iterator[Inject]:
    """Raise `error` on `times` DynamoDB `operation` calls from the `nth` (1-based) on, before
    the call reaches the table or after it landed."""
    hooks: list[tuple[str, Any]] = []

    def _fail(
        operation: str, nth: int, error: Exception, when: str = "before", times: int = 1
    ) -> None:
        calls = {"n": 0}

        def hook(**_: Any) -> None:
            calls["n"] += 1
            if nth <= calls["n"] < nth + times:
                raise error

        event = f"{'before-call' if when == 'before' else 'after-call'}.dynamodb.{operation}"
        aws.dynamodb().meta.events.register(event, hook)
        hooks.append((event, hook))

    yield _fail
    for event, hook in hooks:
        aws.dynamodb().meta.events.unregister(event, hook)


def settled() -> dict[str, Any]:
    """What a complaint on campaign c1 must leave, once, however often it is delivered."""
    contact = next(i for i in table_items() if i["sk"] == "PROFILE")
    suppressed = next(i for i in table_items() if i["pk"].startswith("SUPPRESS#"))
    return {
        "complained": len(interactions("email_complained")),
        "unsubscribed": len(interactions("unsubscribed")),
        "status": contact["status"],
        "reasons": suppressed["reasons"],
        "counter": campaign()["complained"],
    }


DONE = {
    "complained": 1,
    "unsubscribed": 1,
    "status": "unsubscribed",
    "reasons": ["complaint", "unsubscribe"],
    "counter": 1,
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_passing_fault_is_absorbed_by_the_invocation(
    subscriber: str, sending_campaign: Any, fail: Inject, fault: str
) -> None:
    fail("TransactWriteItems", 1, FAULTS[fault](), "before")

    deliver("complaint", tags=campaign_tags())

    assert settled() == DONE


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_lasting_fault_fails_the_invocation_and_writes_nothing(
    subscriber: str, sending_campaign: Any, fail: Inject, fault: str
) -> None:
    before = table_items()
    fail("TransactWriteItems", 1, FAULTS[fault](), "before", times=100)

    with pytest.raises(Busy):
        deliver("complaint", tags=campaign_tags())
    assert table_items() == before


def test_lambdas_retry_after_a_lasting_fault_completes_the_work_once(
    subscriber: str, sending_campaign: Any, fail: Inject
) -> None:
    fail("TransactWriteItems", 1, FAULTS["conflict"](), "before", times=6)
    with pytest.raises(Busy):
        deliver("complaint", tags=campaign_tags())

    deliver("complaint", tags=campaign_tags())  # Lambda's retry, once the campaign calmed down
    assert settled() == DONE


@pytest.mark.parametrize("nth", [1, 2, 3])
def test_a_write_that_landed_but_timed_out_is_completed_once(
    subscriber: str, sending_campaign: Any, fail: Inject, nth: int
) -> None:
    # 1: the event itself, 2: the per-recipient counter, 3: the unsubscribe
    fail("TransactWriteItems", nth, ReadTimeoutError(endpoint_url="https://dynamodb"), "after")

    deliver("complaint", tags=campaign_tags())
    deliver("complaint", tags=campaign_tags())  # and SNS once more, for good measure

    assert settled() == DONE


def test_a_throttled_read_fails_the_invocation_before_anything_is_written(
    subscriber: str, sending_campaign: Any, fail: Inject
) -> None:
    before = table_items()
    fail("GetItem", 1, FAULTS["throttling"](), "before")

    with pytest.raises(Busy):
        deliver("delivery", tags=campaign_tags())
    assert table_items() == before


def test_a_throttled_mailto_unsubscribe_is_retried_and_lands_once(
    subscriber: str, fail: Inject
) -> None:
    token = tokens.issue("unsubscribe", subscriber)
    before = table_items()
    fail("TransactWriteItems", 1, FAULTS["throughput"](), "before")

    with pytest.raises(Busy):
        receive(token)
    assert table_items() == before

    receive(token)
    receive(token)
    assert len(interactions("unsubscribed")) == 1
    suppressed = [i for i in table_items() if i["pk"] == keys.suppression(ANN)["pk"]]
    assert [s["reasons"] for s in suppressed] == [["unsubscribe"]]
