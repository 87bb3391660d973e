"""How a campaign's state moves (`keys.campaign` item `state`):

    draft ──send──▶ sending ──(all processed)──▶ done
      │               │  ▲
      └─schedule─▶ scheduled ──(due: tick)──▶ sending
                      │        pause │  │ resume (replans)
                      │              ▼  │
                      │            paused (marketer, or the automatic pause: `paused_reason`)
    draft, scheduled, sending, paused ──cancel──▶ cancelled

Starting (send now, the tick for a scheduled one, resume) is one transaction: the state
becomes `sending`, the template and segment as they are now are copied into
`CAMPAIGN#id/CONTENT` (edits made while it sends change nothing; the campaign releases its
hold on both, see `ecrm.platform.definition_holds`) and a due entry (`keys.campaign_due`) is written
for now. Then one plan message per topic shard goes to the campaign queue and the due entry
leaves the index. A crash between the two leaves the due entry in place: the next schedule
tick finds it and fans out again, which is harmless (pages and batches are idempotent, see
`ecrm.campaigns.sending`).

A campaign scheduled at a local time (`schedule_local`, `ecrm.campaigns.local_time`) starts
like any scheduled one, at the earliest moment anywhere, and keeps its `local_time` while it
sends; "send now" or a schedule `at` a time drops it.

A paused campaign resumes only within `RESUME_DAYS` of its start: its send ledger and audience
pages expire `send_ledger.RECORD_DAYS` after they were written (`ecrm.mail.send_ledger`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from ecrm.campaigns import ab_results, local_time, plan
from ecrm.campaigns.definitions import Campaign, State, item, load, releases
from ecrm.mail import send_ledger, templates
from ecrm.platform import clock, keys, store
from ecrm.platform.errors import Busy, Conflict, InvalidInput, NotFound
from ecrm.segments import definitions

logger = Logger(service="mailing", child=True)

MAX_SCHEDULE_DAYS = 365
RESUME_DAYS = send_ledger.RESUME_DAYS


def _transition(
    campaign_id: str,
    allowed: tuple[State, ...],
    sets: str,
    values: Mapping[str, Any],
    remove: str = "",
) -> store.Update:
    placeholders = {f":from{i}": state for i, state in enumerate(allowed)}
    return store.Update(
        keys.campaign(campaign_id),
        f"SET {sets}, updated_at = :now" + (f" REMOVE {remove}" if remove else ""),
        condition=f"#state IN ({', '.join(placeholders)})",
        names={"#state": "state"},
        values={**placeholders, **values, ":now": clock.iso(clock.now())},
        return_old=True,
    )


def _refuse(campaign_id: str, action: str, old: Mapping[str, Any] | None) -> Conflict:
    if old is None and store.get(keys.campaign(campaign_id)) is None:
        raise NotFound("No such campaign.")
    state = (old or {}).get("state", "?")
    return Conflict(f"A campaign that is {state} cannot be {action}.")


def _change(campaign_id: str, action: str, writes: list[store.Write]) -> None:
    try:
        store.transact(writes)
    except store.TransactionCancelled as cancelled:
        raise _refuse(campaign_id, action, cancelled.old_items[0]) from None


def _due(campaign_id: str, at: str) -> store.Put:
    key = keys.campaign_due(campaign_id)
    return store.Put(
        {**key, **keys.due(at, key), "type": "campaign_due", "campaign_id": campaign_id}
    )


def _content(campaign: Mapping[str, Any], started_at: str) -> store.Put:
    template = templates.load(campaign["template_id"])
    segment = definitions.load(campaign["segment_id"])
    record = {
        **keys.campaign_content(campaign["id"]),
        **keys.campaign_started(started_at, campaign["id"]),  # found by an erasure
        "type": "campaign_content",
        "template": template.model_dump(),
        "segment": segment.model_dump(mode="json", by_alias=True),
    }
    variant_templates = ab_results.templates(campaign)
    if variant_templates:  # an A/B test's own templates, as they are now
        record["variant_templates"] = {t: templates.load(t).model_dump() for t in variant_templates}
    return store.Put(record, condition="attribute_not_exists(pk)")


def send_now(campaign_id: str, *, at_local_time: bool = False) -> Campaign:
    """Start sending; a marketer's "send now" drops a local time the campaign was scheduled
    for, the tick (`at_local_time`) keeps it."""
    current = item(campaign_id)
    now = clock.iso(clock.now())
    sets, values = "#state = :sending, started_at = :now", {":sending": "sending"}
    decision: list[store.Write] = []
    if spec := current.get("ab_test"):  # the winner is chosen when the wait ends
        decide_at = clock.iso(clock.now() + float(spec["wait_hours"]) * 3600)
        sets, values = sets + ", ab_decide_at = :decide", values | {":decide": decide_at}
        key = keys.campaign_ab_decision(campaign_id)
        decision = [store.Put({**key, **keys.due(decide_at, key), "type": "ab_decision"})]
    writes: list[store.Write] = [
        _transition(
            campaign_id,
            ("draft", "scheduled"),
            sets,
            values,
            remove="scheduled_at" if at_local_time else "scheduled_at, local_time",
        ),
        _content(current, now),
        _due(campaign_id, now),
        *releases(current),
        *decision,
    ]
    _start(campaign_id, "sent", writes)
    return load(campaign_id)


def schedule(campaign_id: str, at: datetime) -> Campaign:
    now = datetime.fromtimestamp(clock.now(), UTC)
    if at <= now or at > now + timedelta(days=MAX_SCHEDULE_DAYS):
        raise InvalidInput(
            "Choose a time in the future, within a year.", {"at": "not in the next 365 days"}
        )
    when = clock.iso(at.timestamp())
    update = _transition(
        campaign_id,
        ("draft", "scheduled"),
        "#state = :scheduled, scheduled_at = :at",
        {":scheduled": "scheduled", ":at": when},
        remove="local_time",
    )
    _change(campaign_id, "scheduled", [update, _due(campaign_id, when)])
    return load(campaign_id)


def schedule_local(campaign_id: str, spec: local_time.LocalTime) -> Campaign:
    """Each recipient at `spec`'s time in their own zone (`ecrm.campaigns.local_time`): the
    campaign starts at the earliest such moment anywhere, or at the next tick when it passed."""
    now = clock.now()
    if spec.last() <= now:
        raise InvalidInput(
            "That time has passed everywhere on that day; choose a later day.",
            {"on": "the time has passed in every time zone"},
        )
    if spec.first() > now + MAX_SCHEDULE_DAYS * 86400:
        raise InvalidInput("Choose a day within a year.", {"on": "not in the next 365 days"})
    if item(campaign_id).get("ab_test"):
        raise InvalidInput(
            "An A/B test's rest is sent when its winner is chosen, not at a local time;"
            " schedule it with `at`.",
            {"local_time": "not for a campaign with an A/B test"},
        )
    when = clock.iso(max(spec.first(), now))
    update = _transition(
        campaign_id,
        ("draft", "scheduled"),
        "#state = :scheduled, scheduled_at = :at, local_time = :local",
        {":scheduled": "scheduled", ":at": when, ":local": spec.item()},
    )
    _change(campaign_id, "scheduled", [update, _due(campaign_id, when)])
    return load(campaign_id)


def cancel(campaign_id: str) -> Campaign:
    current = item(campaign_id)
    # From the state read: a draft or scheduled campaign also gives back its holds.
    holding = current["state"] in ("draft", "scheduled")
    update = _transition(
        campaign_id,
        (current["state"],) if holding else ("sending", "paused"),
        "#state = :cancelled, cancelled_at = :now",
        {":cancelled": "cancelled"},
    )
    writes: list[store.Write] = [update, store.Delete(keys.campaign_due(campaign_id))]
    _change(campaign_id, "cancelled", writes + (releases(current) if holding else []))
    return load(campaign_id)


def pause(campaign_id: str) -> Campaign:
    update = _transition(
        campaign_id,
        ("sending",),
        "#state = :paused, paused_reason = :reason, paused_detail = :detail, paused_at = :now",
        {":paused": "paused", ":reason": "marketer", ":detail": "Paused by a marketer."},
    )
    _change(campaign_id, "paused", [update])
    return load(campaign_id)


def resume(campaign_id: str) -> Campaign:
    """Back to sending: the fan-out runs again over the stored pages, so batches dropped while
    paused come back, and batches already counted are skipped."""
    now = clock.iso(clock.now())
    started = item(campaign_id).get("started_at")
    if started and str(started) < clock.iso(clock.now() - RESUME_DAYS * 86400):  # ISO sorts
        raise Conflict(
            f"A campaign paused for longer than {RESUME_DAYS} days after its start cannot be"
            " resumed (its send records expire); create a new campaign."
        )
    update = _transition(
        campaign_id,
        ("paused",),
        "#state = :sending",
        {":sending": "sending"},
        remove="paused_reason, paused_detail, paused_at",
    )
    _start(campaign_id, "resumed", [update, _due(campaign_id, now)])
    return load(campaign_id)


def _start(campaign_id: str, action: str, writes: list[store.Write]) -> None:
    _change(campaign_id, action, writes)
    try:
        plan.fan_out(campaign_id)
    except Busy:  # the due entry stays: the next schedule tick fans out
        logger.warning("fan-out deferred to the schedule tick", extra={"campaign_id": campaign_id})


def start_due(key: Mapping[str, str]) -> None:
    """The schedule tick found a campaign's due entry: start it (scheduled), finish a fan-out
    that a crash interrupted (sending), or drop the entry (anything else)."""
    campaign_id = str(key["pk"]).removeprefix("CAMPAIGN#")
    current = store.get(keys.campaign(campaign_id))
    state = current.get("state") if current else None
    if state == "scheduled":
        with contextlib.suppress(Conflict):  # cancelled or started meanwhile
            send_now(campaign_id, at_local_time=True)
        return
    if state == "sending":
        plan.fan_out(campaign_id)
        return
    store.transact([store.Delete(keys.campaign_due(campaign_id))])
