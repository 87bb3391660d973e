"""A batch's recipients sent chunk by chunk: claimed ahead, paced, sent, marked (`send_all`).

The exactly-once rules are `ecrm.campaigns.sending`'s docstring; this is how one batch's ready
recipients go out. Each chunk (`pacing.chunk_size`: about `rate x 0.3 s` of sends) is claimed
(`ecrm.campaigns.recipients.claim`, before any of its SES calls) and rendered by a helper
thread while the chunk before it is sent, then takes one pacing reservation (`ecrm.mail.pacing`)
and starts each SES call at its slot, several in flight (`ecrm.mail.in_flight`); its `sent`,
`failed` and `retry` marks are written right after it. Stopping between chunks (the time
budget, the campaign no longer sending) or inside one (a throttle, a deferral, an unknown
outcome) gives the claims not sent back as `retry`, the chunk claimed ahead included.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from ecrm.campaigns import content as campaign_content
from ecrm.campaigns import recipients
from ecrm.mail import bulk, in_flight, pacing, render_limits, send_ledger
from ecrm.mail.in_flight import InFlight
from ecrm.mail.send_policy_view import FrequencyCap
from ecrm.platform import clock, keys, store
from ecrm.platform.errors import Busy

logger = Logger(service="mailing", child=True)

MIN_SECONDS_LEFT = 5.0  # stop starting sends this close to the function's timeout
STATE_CHECK_SECONDS = 2.0  # how often a long batch re-reads the campaign (pause, cancel)
THROTTLE_PAUSE = 1.0  # seconds every worker waits after SES said "too many requests"

Sent = tuple[dict[str, Any] | None, str | None]  # one send's ledger item, its reason to stop


def _send_one(
    batch: send_ledger.Batch,
    entry: send_ledger.Todo,
    content: campaign_content.Content,
    raw: bytes,
    mark: dict[str, Any],
) -> Sent:
    """Send one claimed, rendered recipient: (its ledger item to write, a reason to stop)."""
    contact_id = entry.contact_id
    try:
        message_id = bulk.send(raw, content.tags(contact_id))
    except bulk.InvalidAddress:
        return send_ledger.ledger(
            batch, contact_id, send_ledger.FAILED, reason="invalid_address", **mark
        ), None
    except bulk.SendRefused as refused:
        return send_ledger.ledger(
            batch, contact_id, send_ledger.FAILED, reason=str(refused), **mark
        ), None
    except bulk.SendThrottled:
        with contextlib.suppress(Busy):  # slowing the others down is a courtesy
            pacing.penalise(THROTTLE_PAUSE)
        return send_ledger.ledger(batch, contact_id, send_ledger.RETRY, **mark), "throttled"
    except bulk.SendDeferred as deferred:
        logger.warning("SES deferred the campaign", extra={"reason": str(deferred)})
        return send_ledger.ledger(batch, contact_id, send_ledger.RETRY, **mark), "deferred"
    except bulk.SendUnknown:
        batch.waiting.add(contact_id)  # stays `sending`: see the module's docstring
        return None, "unknown"
    sent_at = clock.iso(clock.now())
    return send_ledger.ledger(
        batch, contact_id, send_ledger.SENT, message_id=message_id, sent_at=sent_at, **mark
    ), None


def _still_sending(campaign_id: str) -> bool:
    current = store.get(keys.campaign(campaign_id))
    return bool(current) and current.get("state") == "sending"  # type: ignore[union-attr]


def send_all(
    batch: send_ledger.Batch,
    ready: list[send_ledger.Todo],
    content: campaign_content.Content,
    seconds_left: Callable[[], float],
    cap: FrequencyCap | None,
) -> str | None:
    """Send to `ready`, paced, chunk by chunk; the reason it stopped early, or None. The next
    chunk is claimed and rendered (a helper thread) while this one's sends wait for their
    slots, so that between one chunk's last slot and the next chunk's reservation a worker
    only waits for the last answers and writes the marks: well within another worker's turn
    (`pacing`: reservations are taken in turn), and alone, a short pause per chunk.
    Claimed ahead and not sent (the batch stopped), a chunk's claims are given back."""
    rate = pacing.campaign_rate()
    size = pacing.chunk_size(rate, len(ready))
    chunks = [ready[start : start + size] for start in range(0, len(ready), size)]
    should_stop = _Checks(batch.campaign_id, seconds_left)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="next-chunk") as helper:

        def prepare(chunk: list[send_ledger.Todo] | None) -> Future[_Prepared] | None:
            return helper.submit(_prepare, batch, chunk, content, cap) if chunk else None

        upcoming = prepare(chunks[0] if chunks else None)
        for following in [*chunks[1:], None]:
            assert upcoming is not None
            prepared = upcoming.result()
            if stop := should_stop():
                _give_back_prepared(batch, prepared)
                return stop
            upcoming = prepare(following)
            try:
                stop = _send_chunk(batch, prepared, content, rate)
            except Exception:
                _abandon(batch, upcoming)
                raise
            if stop:
                _abandon(batch, upcoming)
                return stop
    return None


def _abandon(batch: send_ledger.Batch, upcoming: Future[_Prepared] | None) -> None:
    """The chunk claimed ahead will not be sent: its claims go back as `retry` (left, they would
    wait for the stale time, as after a crash). Its own failure (a throttled claim) left
    nothing claimed."""
    if upcoming is not None:
        with contextlib.suppress(Exception):
            _give_back_prepared(batch, upcoming.result())


class _Checks:
    """Between chunks: too close to the function's timeout, or the campaign no longer sending
    (read every `STATE_CHECK_SECONDS`)."""

    def __init__(self, campaign_id: str, seconds_left: Callable[[], float]) -> None:
        self.campaign_id, self.seconds_left = campaign_id, seconds_left
        self.checked = time.monotonic()

    def __call__(self) -> str | None:
        if self.seconds_left() < MIN_SECONDS_LEFT:
            return "time"
        if time.monotonic() - self.checked > STATE_CHECK_SECONDS:
            self.checked = time.monotonic()
            if not _still_sending(self.campaign_id):
                return "stopped"
        return None


@dataclass
class _Prepared:
    """A chunk claimed and rendered, not sent yet."""

    mark: dict[str, Any]
    rendered: list[tuple[send_ledger.Todo, bytes]]
    marks: list[dict[str, Any]]  # failed already (an invalid address, too large)


def _prepare(
    batch: send_ledger.Batch,
    chunk: list[send_ledger.Todo],
    content: campaign_content.Content,
    cap: FrequencyCap | None,
) -> _Prepared:
    """Claim the chunk (before any of its SES calls) and render it."""
    mark = {"claimed_at": round(clock.now(), 3), "attempts": batch.attempt + 1}
    claimed = recipients.claim(batch, chunk, mark["claimed_at"], cap)
    marks: list[dict[str, Any]] = []
    rendered: list[tuple[send_ledger.Todo, bytes]] = []
    for entry in claimed:
        try:
            rendered.append((entry, content.render(entry.contact_id, entry.contact or {})))
        except bulk.InvalidAddress:
            failed = {**mark, "reason": "invalid_address"}
            marks.append(send_ledger.ledger(batch, entry.contact_id, send_ledger.FAILED, **failed))
        except render_limits.RenderTooLarge:  # this contact's values passed the budget
            failed = {**mark, "reason": "too_large"}
            marks.append(send_ledger.ledger(batch, entry.contact_id, send_ledger.FAILED, **failed))
    return _Prepared(mark, rendered, marks)


def _give_back_prepared(batch: send_ledger.Batch, prepared: _Prepared) -> None:
    """A prepared chunk that will not be sent: its claims back as `retry`, its failures kept."""
    unsent = [entry for entry, _ in prepared.rendered]
    send_ledger.write_marks([*prepared.marks, *_give_back(batch, unsent, prepared.mark)], batch)


def _take_slot(
    reservation: pacing.Reservation, slot: int, remaining: int
) -> tuple[pacing.Reservation, int]:
    """Wait for the next slot this worker is not late for, and check again on waking (a thread
    starved of CPU may wake late): the SES call that follows starts within `LATE_TOLERANCE`
    of its slot, never catching up in a burst, unless the worker missed slots in a row
    (`pacing.tolerance`: it then accepts more lateness, and sends). A reservation with no slot
    left is followed by one for the `remaining` sends. Returns the reservation and the next slot."""
    misses = 0
    while True:
        tolerance = pacing.tolerance(misses)
        slot = reservation.usable(slot, time.time(), tolerance)
        if slot == reservation.count:
            reservation = pacing.reserve(remaining, 1 / reservation.interval)
            slot = 0
        pacing.wait_until(reservation.slot(slot))
        if reservation.usable(slot, time.time(), tolerance) == slot:
            return reservation, slot + 1
        misses += 1


def _send_chunk(
    batch: send_ledger.Batch,
    prepared: _Prepared,
    content: campaign_content.Content,
    rate: float,
) -> str | None:
    """Send a claimed, rendered chunk: reserve its sends (once it is ready, so that neither the
    claim's nor the rendering's time is spent from the first slots), start each SES call at its
    slot (several in flight: `ecrm.mail.in_flight`) and mark them all."""
    mark, rendered, marks = prepared.mark, prepared.rendered, prepared.marks
    sends: InFlight[Sent] = InFlight(in_flight.limit_for(rate))

    def send(entry: send_ledger.Todo, raw: bytes) -> Callable[[], Sent]:
        return functools.partial(_send_one, batch, entry, content, raw, mark)

    def give_back(unsent: list[send_ledger.Todo]) -> None:
        marks.extend(_give_back(batch, unsent, mark))

    stop = None
    try:
        with sends:
            stop = _start_sends(rendered, rate, sends, send, give_back)
    finally:
        returned, error = sends.settled()
        for written, stopped in returned:
            if written:
                marks.append(written)
            stop = stop or stopped
        send_ledger.write_marks(marks, batch)
    if error:
        raise error
    return stop


def _start_sends(
    rendered: list[tuple[send_ledger.Todo, bytes]],
    rate: float,
    sends: InFlight[Sent],
    send: Callable[[send_ledger.Todo, bytes], Callable[[], Sent]],
    give_back: Callable[[list[send_ledger.Todo]], None],
) -> str | None:
    """Start each send at its slot, until a finished one gives a reason to stop; the claims
    not started are given back. A throttled bucket table is this loop's own reason to stop
    ("throttled"); a finished send's reason is the chunk's (this returns None)."""
    entries = [entry for entry, _ in rendered]
    reservation, slot = pacing.Reservation.empty(rate), 0
    for index, (entry, raw) in enumerate(rendered):
        if any(stopped for _, stopped in sends.finished()):
            give_back(entries[index:])
            return None
        sends.wait_for_room()
        try:
            reservation, slot = _take_slot(reservation, slot, len(entries) - index)
        except Busy:
            sends.give_back_room()
            give_back(entries[index:])
            return "throttled"
        sends.start(send(entry, raw))
    return None


def _give_back(
    batch: send_ledger.Batch, unsent: list[send_ledger.Todo], mark: dict[str, Any]
) -> list[dict[str, Any]]:
    """`retry` items for claimed recipients this run will not send to (left `sending`, they
    would wait for the stale-claim time instead)."""
    return [send_ledger.ledger(batch, e.contact_id, send_ledger.RETRY, **mark) for e in unsent]
