"""Fault injection on the send path: the sender is killed at every step and its message
redelivered, and throttling is injected on SES and DynamoDB. Each recipient gets exactly one
mail, the counts are exact and the campaign completes; the one documented exception (SES
accepted, the worker died before marking, and SES's Send event never came) is pinned too."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ecrm.campaigns import chunks
from ecrm.mail import pacing, send_ledger
from ecrm.platform import clock, keys, store
from ecrm.platform.errors import Busy
from ecrm.platform.settings import settings
from local import faults
from local.faults import Faults, Kill, Killed, Throttle
from tests.conftest import table_items
from tests.integration.campaigns.conftest import (
    Sent,
    add_contacts,
    admin,
    campaign,
    create_campaign,
    deliver,
    queue_messages,
)

AUDIENCE = 20
EVERYONE = {f"person{n}@example.org" for n in range(AUDIENCE)}


@pytest.fixture
def injected(campaign_env: Sent, monkeypatch: pytest.MonkeyPatch) -> Iterator[Faults]:
    monkeypatch.setattr(chunks, "THROTTLE_PAUSE", 0.01)
    found = Faults()
    found.install()
    yield found
    found.uninstall()


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Move the product's clock forward (a redelivery that comes much later)."""
    offset = {"s": 0.0}
    monkeypatch.setattr(clock, "now", lambda: time.time() + offset["s"])

    def advance(seconds: float) -> None:
        offset["s"] += seconds

    return advance


def run(faults_: Faults, after_kill: Callable[[], None], limit: int = 2_000) -> int:
    """The queue, run to empty like Lambda's event source: a killed invocation's message comes
    back (receive count + 1); a reported failure too. Returns how many kills happened."""
    kills = deliveries = 0
    while records := queue_messages(10):
        for received in records:
            record = received
            while True:
                deliveries += 1
                assert deliveries < limit, "the campaign never finished"
                try:
                    response = deliver(record)
                except Killed:
                    kills += 1
                    faults_.revive()
                    after_kill()
                else:
                    if not response.get("batchItemFailures"):
                        break
                count = int(record["attributes"]["ApproximateReceiveCount"]) + 1
                record = {
                    **record,
                    "attributes": {**record["attributes"], "ApproximateReceiveCount": str(count)},
                }
    return kills


def start_campaign() -> str:
    add_contacts(AUDIENCE, first_name="Ann")
    campaign_id = create_campaign()
    status, body = admin(
        "POST", "/admin/campaigns/{campaign_id}/send", {"campaign_id": campaign_id}
    )
    assert status == 202, body
    return campaign_id


def confirm_by_send_events(sent: Sent) -> None:
    """What SES's Send events do for the claims a dead worker left (tags campaign, contact)."""
    for tags in sent.tags:
        send_ledger.confirm_sent(tags["campaign"], tags["contact"], "ses-message-id")


def assert_complete(campaign_id: str, sent: Sent, twice: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    counts = Counter(sent.recipients())
    assert set(counts) == EVERYONE
    assert {a for a, n in counts.items() if n != 1} == twice
    assert all(counts[a] == 2 for a in twice)
    done = campaign(campaign_id)
    assert done["state"] == "done", done
    assert done["stats"]["sent"] == AUDIENCE
    assert done["progress"]["processed"] == done["progress"]["audience"] == AUDIENCE
    ledger = [i for i in table_items() if i["sk"].startswith("SEND#")]
    assert len(ledger) == AUDIENCE and {i["state"] for i in ledger} == {"sent"}


KILL_POINTS = {
    "before the ledger claim": Kill(faults.claim, "before", nth=3),
    "after the claim, before SES": Kill(faults.claim, "after", nth=3),
    "after SES, before the mark (Send event confirms)": Kill(faults.ses_send, "after", nth=3),
    "while writing the marks": Kill(faults.mark, "before", nth=2),
    "after the tally, before the message is acknowledged": Kill(faults.tally, "after", nth=2),
    "after the fan-out, before the plan is acknowledged": Kill(faults.plan_fan_out, "after"),
}


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_killed_at_any_step_and_redelivered_each_recipient_gets_one_mail(
    campaign_env: Sent, injected: Faults, later: Callable[[float], None], point: str
) -> None:
    kill = Kill(KILL_POINTS[point].match, KILL_POINTS[point].when, KILL_POINTS[point].nth)
    campaign_id = start_campaign()
    injected.kills.append(kill)

    def after_kill() -> None:
        confirm_by_send_events(campaign_env)
        later(settings().stale_sending_seconds + 1)  # the redelivery may come much later

    assert run(injected, after_kill) == 1 and kill.fired
    assert_complete(campaign_id, campaign_env)


def test_killed_during_a_requeue_nothing_is_lost_or_doubled(
    campaign_env: Sent, injected: Faults, later: Callable[[float], None]
) -> None:
    campaign_id = start_campaign()
    injected.throttles.append(Throttle("sesv2", "SendEmail", "TooManyRequestsException", every=4))
    injected.kills += [Kill(faults.requeue, "before"), Kill(faults.requeue, "after", nth=2)]

    kills = run(injected, lambda: later(settings().stale_sending_seconds + 1))

    assert kills == 2 and all(k.fired for k in injected.kills)
    assert_complete(campaign_id, campaign_env)


def test_the_documented_window_ses_accepted_the_worker_died_and_no_send_event_came(
    campaign_env: Sent, injected: Faults, later: Callable[[float], None]
) -> None:
    """The one case that sends twice: a worker dies after SES accepted messages of its current
    chunk and before their marks; without SES's Send event, after STALE_SENDING_SECONDS those
    claims are taken over and sent again. Exactly those (claimed and already sent), and never
    more than one chunk; the chunk's claimed but unsent recipients get their one mail late."""
    campaign_id = start_campaign()
    injected.kills.append(Kill(faults.ses_send, "after", nth=3))
    window: set[str] = set()

    def after_kill() -> None:
        left = [i for i in table_items() if i["sk"].startswith("SEND#") and i["state"] == "sending"]
        claimed = {f"person{_number(i['contact_id'])}@example.org" for i in left}
        window.update(claimed & set(campaign_env.recipients()))
        later(settings().stale_sending_seconds + 1)

    run(injected, after_kill)

    assert 1 <= len(window) <= pacing.chunk_size(pacing.campaign_rate())
    assert_complete(campaign_id, campaign_env, twice=window)


def _number(contact_id: str) -> int:
    return next(
        n for n in range(AUDIENCE) if keys.contact_id_for(f"person{n}@example.org") == contact_id
    )


def test_a_fresh_claim_is_left_alone_until_it_is_stale(
    campaign_env: Sent, injected: Faults, later: Callable[[float], None]
) -> None:
    """A redelivery soon after the kill sends nothing to recipients whose claims are fresh (their
    claimant may still be running): the batch goes back to the queue to wait for them."""
    campaign_id = start_campaign()
    injected.kills.append(Kill(faults.ses_send, "after", nth=1))
    killed = None
    while killed is None:
        for record in queue_messages(1):
            try:
                deliver(record)
            except Killed:
                killed = record
    injected.revive()
    # The kill lands after the first send; a call already in flight beside it may land too.
    sent = campaign_env.recipients()
    assert sent

    deliver(killed)  # redelivered at once: waits
    waiting = [json.loads(r["body"]) for r in queue_messages(50)]

    assert campaign_env.recipients() == sent  # nothing sent again, nothing sent late
    assert [m["attempt"] for m in waiting if m.get("attempt")] == [1]
    claims = [i for i in table_items() if i["sk"].startswith("SEND#")]
    assert claims and {i["state"] for i in claims} == {"sending"}  # the dead worker's chunk
    assert campaign_env.tags[0]["contact"] in {i["contact_id"] for i in claims}
    assert campaign(campaign_id)["state"] == "sending"


def test_throttling_on_ses_and_dynamodb_delays_but_never_loses_or_doubles(
    campaign_env: Sent, injected: Faults, later: Callable[[float], None]
) -> None:
    campaign_id = start_campaign()
    injected.throttles += [
        Throttle("sesv2", "SendEmail", "TooManyRequestsException", every=3),
        Throttle("sesv2", "SendEmail", "ThrottlingException", every=7),
        Throttle("dynamodb", "BatchGetItem", "ThrottlingException", every=4),
        Throttle("dynamodb", "BatchWriteItem", "ProvisionedThroughputExceededException", every=3),
        Throttle("dynamodb", "TransactWriteItems", "ThrottlingException", every=3),
        Throttle("dynamodb", "UpdateItem", "ProvisionedThroughputExceededException", every=6),
    ]

    run(injected, lambda: None)

    assert all(t.injected for t in injected.throttles), [
        (t.operation, t.calls) for t in injected.throttles
    ]
    assert_complete(campaign_id, campaign_env)
    bucket = store.get(keys.send_pace())
    assert bucket and float(bucket["tat"]) > 0  # throttles pushed the shared bucket
    assert pacing.campaign_rate() > 0


def test_a_throttled_pacing_bucket_mid_chunk_gives_the_claims_back(
    campaign_env: Sent, injected: Faults, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A starved worker that missed its slots must reserve again; when that write is throttled,
    the chunk's claimed, unsent recipients go back to `retry` (not left `sending` for the
    stale-claim time) and the batch comes back soon."""
    campaign_id = start_campaign()
    real_reserve = pacing.reserve
    calls = {"n": 0}

    def reserve(count: int, rate: float, **kwargs: Any) -> pacing.Reservation:
        calls["n"] += 1
        if calls["n"] == 1:  # every slot already missed: the worker must reserve again
            return pacing.Reservation(time.time() - 100, 1 / rate, count)
        if calls["n"] == 2:
            raise Busy()
        return real_reserve(count, rate, **kwargs)

    monkeypatch.setattr(pacing, "reserve", reserve)

    run(injected, lambda: None)

    assert calls["n"] > 2
    assert_complete(campaign_id, campaign_env)
