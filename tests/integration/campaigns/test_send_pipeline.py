"""A batch goes out chunk by chunk, and a worker claims and renders its next chunk while the
current one's sends wait for their slots (`ecrm.campaigns.chunks.send_all`): nothing but the
chunk's marks lies between its last slot and the next chunk's first. A chunk claimed ahead
that will not be sent (the batch stopped: SES throttled it) goes back to `retry` at once, not
left `sending` for the stale-claim time; each recipient still gets one mail."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from ecrm.campaigns import chunks, recipients
from ecrm.mail import bulk, pacing, send_ledger
from local.faults import Faults
from tests.conftest import table_items
from tests.integration.campaigns.conftest import Sent, deliver, queue_messages
from tests.integration.campaigns.test_send_faults import (
    assert_complete,
    run,
    start_campaign,
)

RATE = 6.7  # sends per second: chunks of 2, so a batch of 3 or more has several


@dataclass
class Claimed:
    batch: str
    size: int  # the batch's recipients
    contacts: list[str]


@pytest.fixture
def chunked(campaign_env: Sent, monkeypatch: pytest.MonkeyPatch) -> list[Claimed]:
    """The pace at `RATE`; each claim, in the order the claims were made."""
    monkeypatch.setattr(pacing, "campaign_rate", lambda: RATE)
    assert pacing.chunk_size(RATE) == 2
    claims: list[Claimed] = []
    real_claim = recipients.claim

    def claim(batch: send_ledger.Batch, chunk: list[send_ledger.Todo], *args: Any) -> Any:
        contacts = [entry.contact_id for entry in chunk]
        claims.append(Claimed(batch.batch_id, len(batch.recipients), contacts))
        return real_claim(batch, chunk, *args)

    monkeypatch.setattr(recipients, "claim", claim)
    return claims


def _next_claimed(claims: list[Claimed], contact_id: str) -> bool | None:
    """For the last send of a chunk followed by another of its batch: whether that one is
    claimed (by the helper thread, while this send waits); None for any other send."""
    [mine] = [c for c in claims if contact_id in c.contacts]
    theirs = [c for c in claims if c.batch == mine.batch]
    upto = theirs.index(mine) + 1
    if contact_id != mine.contacts[-1] or sum(len(c.contacts) for c in theirs[:upto]) >= mine.size:
        return None
    return _eventually(lambda: len([c for c in claims if c.batch == mine.batch]) > upto)


def test_the_next_chunk_is_claimed_while_the_current_one_is_sending(
    campaign_env: Sent, chunked: list[Claimed], monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign_id = start_campaign()
    real_send = bulk.send
    seen: list[bool] = []

    def send(raw: bytes, tags: Mapping[str, str]) -> str:
        if (claimed := _next_claimed(chunked, tags["contact"])) is not None:
            seen.append(claimed)
        return real_send(raw, tags)

    monkeypatch.setattr(bulk, "send", send)

    run(Faults(), lambda: None)

    assert seen and all(seen), seen
    assert_complete(campaign_id, campaign_env)


def test_a_chunk_claimed_ahead_goes_back_to_retry_when_ses_stops_the_batch(
    campaign_env: Sent, chunked: list[Claimed], monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign_id = start_campaign()
    real_send = bulk.send
    throttled: list[Claimed] = []

    def send(raw: bytes, tags: Mapping[str, str]) -> str:
        if not throttled and _next_claimed(chunked, tags["contact"]):
            throttled.append(chunked[-1])  # the chunk claimed ahead
            raise bulk.SendThrottled()
        return real_send(raw, tags)

    monkeypatch.setattr(bulk, "send", send)
    monkeypatch.setattr(chunks, "THROTTLE_PAUSE", 0.01)
    while not throttled:  # one message at a time, up to the throttled batch
        [record] = queue_messages(1)
        deliver(record)

    ledger = {i["contact_id"]: i["state"] for i in table_items() if i["sk"].startswith("SEND#")}
    ahead = throttled[0].contacts
    assert set(ahead) <= set(ledger) and {ledger[c] for c in ahead} == {"retry"}
    assert "sending" not in ledger.values()  # given back, as the first chunk's unsent are

    run(Faults(), lambda: None)
    assert_complete(campaign_id, campaign_env)


def _eventually(done: Any, seconds: float = 30.0) -> bool:
    """Wait (a bound on failure only) for the helper thread to have done something."""
    event = threading.Event()
    for _ in range(int(seconds / 0.01)):
        if done():
            return True
        event.wait(0.01)
    return bool(done())
