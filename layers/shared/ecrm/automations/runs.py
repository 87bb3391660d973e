"""Sending one due automation run (`CONTACT#<id>` / `AUTOMATION#<rule>`), called by the schedule
tick (`ecrm.due`) for each due entry, possibly more than once (the tick re-reads recent minutes).

    scheduled ──claim──▶ sending ──SES accepted──▶ sent
        │                  │ ╲──SES throttled or deferred──▶ scheduled (Busy: the tick retries)
        │                  ╰──SES refused the address──▶ failed
        ╰──not mailable now (rule off, not subscribed to the topic, suppressed)──▶ skipped
        ╰──quiet hours, frequency cap (`timing`)──▶ scheduled later (skipped: capped too long)

The mail is the rule's template rendered for the contact and built like a campaign's
(`ecrm.campaigns.content`: List-Unsubscribe with https and mailto, List-Id of the topic, the
configuration set), tagged `automation` and `contact` for the SES events. The claim is written
just before the SES call and `sent` right after; the due entry leaves the index with the final
state. A tick that finds a fresh `sending` run fails it (the tick keeps that minute and comes
back); one older than `STALE_SENDING_SECONDS` was left by a worker that died in the window
between SES and the mark: SES's `Send` event marks it `sent` (`confirm_sent`) if SES accepted
it, otherwise it is taken over and sent again (the same rule as campaign ledgers).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from aws_lambda_powertools import Logger

from ecrm.automations import counts, rules, timing
from ecrm.campaigns import content as campaign_content
from ecrm.contacts import suppression
from ecrm.mail import bulk, pacing, render_limits, send_policy_view, templates
from ecrm.platform import clock, keys, store
from ecrm.platform.errors import Busy, NotFound
from ecrm.segments.conditions import sendable

logger = Logger(service="mailing", child=True)

SCHEDULED, SENDING, SENT, SKIPPED, FAILED = "scheduled", "sending", "sent", "skipped", "failed"
DONE = {SENT, SKIPPED, FAILED}
STALE_SENDING_SECONDS = 15 * 60
RECOUNTS = 3  # claims cancelled by another sender's count before the run waits for a tick
AUTOMATION_TAG = "automation"


def run(key: Mapping[str, str], *, now: float | None = None) -> str:
    """Send a due run, or settle why not; returns its state. Busy: try again later."""
    now = clock.now() if now is None else now
    found = store.get(key)
    if found is None or found.get("state") in DONE:
        return str((found or {}).get("state", "gone"))
    if str(found["due_at"]) > clock.iso(now):
        return SCHEDULED  # moved later (or read early): its own minute will come
    claimed_at = found.get("claimed_at") if found["state"] == SENDING else None
    if claimed_at and now - clock.epoch(str(claimed_at)) < STALE_SENDING_SECONDS:
        raise Busy("The run is being sent (or its outcome is not known yet).")
    contact_id, rule_id = str(found["contact_id"]), str(found["automation_id"])
    reason, contact, content = _prepare(contact_id, rule_id)
    if reason or contact is None or content is None:
        return _settle(key, SKIPPED, claimed_at, reason=reason or "not mailable")
    policy = send_policy_view.current()
    verdict = timing.judge(found, contact, policy, now) if claimed_at is None else timing.Verdict()
    if verdict.skip or verdict.until is not None:
        return _wait_or_skip(key, found, verdict, claimed_at)
    return _render_and_send(key, found, (contact, content), claimed_at, (policy, verdict))


def _wait_or_skip(
    key: Mapping[str, str], found: Mapping[str, Any], verdict: timing.Verdict, claimed_at: Any
) -> str:
    """The send policy says not now: delayed (quiet hours, the cap), or skipped (capped long)."""
    if verdict.skip:
        return _settle(key, SKIPPED, claimed_at, reason=timing.CAPPED)
    return timing.delay(key, found, verdict)


def _render_and_send(
    key: Mapping[str, str],
    found: Mapping[str, Any],
    prepared: tuple[dict[str, Any], campaign_content.Content],
    claimed_at: Any,
    judged: tuple[send_policy_view.SendPolicy, timing.Verdict],
) -> str:
    """Render, wait for the pace, claim (counted, cap on: judged again if the count moved),
    send."""
    contact_id, rule_id = str(found["contact_id"]), str(found["automation_id"])
    (contact, content), (policy, verdict) = prepared, judged
    try:
        raw = content.render(contact_id, contact)
    except bulk.InvalidAddress:
        return _settle(key, FAILED, claimed_at, reason="address cannot be mailed")
    except render_limits.RenderTooLarge:
        return _settle(key, FAILED, claimed_at, reason="rendered too large")
    # Wait for the shared SES pace first: the claim is held only across the SES call itself.
    pacing.wait_until(pacing.reserve(1, pacing.campaign_rate()).slot(0))
    for _ in range(RECOUNTS):
        at = clock.now()
        count = timing.counted(found, verdict, policy, at) if policy.cap else None
        try:
            _claim(key, at, claimed_at, count)
            break
        except timing.Changed:  # another sender counted a mail meanwhile: judge again
            verdict = timing.judge(found, contact, policy, at)
            if verdict.skip or verdict.until is not None:
                return _wait_or_skip(key, found, verdict, claimed_at)
    else:
        raise Busy("The contact's mail count keeps changing; the run waits.")
    return _send(key, raw, {AUTOMATION_TAG: rule_id, "contact": contact_id})


def _prepare(
    contact_id: str, rule_id: str
) -> tuple[str | None, dict[str, Any] | None, campaign_content.Content | None]:
    """(reason to skip, contact, compiled content): checked at send time, not trigger time."""
    try:
        rule = rules.load(rule_id)
    except NotFound:
        return "rule deleted", None, None
    if not rule.enabled:
        return "rule disabled", None, None
    contact = store.get(keys.contact(contact_id))
    if not sendable(contact, rule.topic) or contact is None:
        return f"not subscribed to {rule.topic}", None, None
    if suppression.reasons(str(contact["email"])):
        return "suppressed", None, None
    try:
        template = templates.load(rule.template_id)
    except NotFound:
        return "template deleted", None, None
    identity = {
        "id": rule.id,
        "name": rule.name,
        "topic": rule.topic,
        "sender": rule.sender.model_dump(mode="json"),
    }
    return (
        None,
        contact,
        campaign_content.compile_content(identity, template, counts_unsubscribes=False),
    )


def _claim(key: Mapping[str, str], now: float, stale_claim: Any, count: store.Put | None) -> None:
    """Ours alone from here: scheduled, or the stale claim exactly as we read it; with the
    frequency cap on, counted in the same transaction (`timing.Changed` when the contact's
    record moved since it was read)."""
    condition = "#state = :scheduled" if stale_claim is None else "claimed_at = :seen"
    values = {":sending": SENDING, ":at": clock.iso(now), ":one": 1}
    values |= {":scheduled": SCHEDULED} if stale_claim is None else {":seen": stale_claim}
    move = store.Update(
        key,
        "SET #state = :sending, claimed_at = :at ADD attempts :one",
        condition=condition,
        names={"#state": "state"},
        values=values,
    )
    try:
        if count is None:
            store.write(move)
        else:
            store.transact([move, count])
    except store.ConditionFailed:
        raise Busy("Another tick claimed the run.") from None
    except store.TransactionCancelled as cancelled:
        if cancelled.failed[0]:
            raise Busy("Another tick claimed the run.") from None
        raise timing.Changed() from None


def _send(key: Mapping[str, str], raw: bytes, tags: dict[str, str]) -> str:
    try:
        message_id = bulk.send(raw, tags)
    except (bulk.SendThrottled, bulk.SendDeferred) as error:
        if isinstance(error, bulk.SendThrottled):
            pacing.penalise(1.0)
        _release(key)
        raise Busy("SES is not taking mail right now; the run waits.") from error
    except bulk.SendRefused as error:
        return _settle(key, FAILED, None, reason=f"SES refused ({error})", claimed=True)
    except bulk.SendUnknown as error:
        # Stays `sending`: the Send event confirms it, or it is taken over once stale.
        raise Busy("SES did not answer; the outcome is settled later.") from error
    state = _settle(key, SENT, None, message_id=message_id, claimed=True)
    logger.info("automation sent", extra={"automation_id": tags[AUTOMATION_TAG]})
    return state


def _release(key: Mapping[str, str]) -> None:
    store.write(
        store.Update(
            key,
            "SET #state = :scheduled REMOVE claimed_at",
            condition="#state = :sending",
            names={"#state": "state"},
            values={":scheduled": SCHEDULED, ":sending": SENDING},
        )
    )


def _settle(
    key: Mapping[str, str],
    state: str,
    stale_claim: Any,
    *,
    claimed: bool = False,
    **details: str,
) -> str:
    """Final state; the due entry leaves the index. Only from the state we know it is in."""
    values: dict[str, Any] = {":state": state, ":at": clock.iso(clock.now())}
    sets = ["#state = :state", "settled_at = :at"]
    for index, (name, value) in enumerate(sorted(details.items())):
        sets.append(f"{name} = :d{index}")
        values[f":d{index}"] = value
    if claimed:
        condition = "#state = :sending"
        values[":sending"] = SENDING
    elif stale_claim is None:
        condition = "#state = :scheduled"
        values[":scheduled"] = SCHEDULED
    else:
        condition = "claimed_at = :seen"
        values[":seen"] = stale_claim
    move = store.Update(
        key,
        f"SET {', '.join(sets)} REMOVE gsi1pk, gsi1sk",
        condition=condition,
        names={"#state": "state"},
        values=values,
    )
    # Counted in the same transaction: a settle that finds the run moved counts nothing. Sent
    # mail is settled again after a transient conflict (on the counter shard), so it is rarely
    # left `sending` for its SES event to confirm.
    attempts = 3 if state == SENT else 1
    for attempt in range(1, attempts + 1):
        try:
            store.transact([move, _counted(key, state)])
        except store.TransactionCancelled:
            raise Busy("The run changed meanwhile.") from None
        except Busy:
            if attempt == attempts:
                raise
            continue
        break
    return state


def _counted(key: Mapping[str, str], state: str) -> store.Update:
    contact_id, rule_id = keys.contact_id_of(key["pk"]), keys.automation_id_of(key["sk"])
    return counts.add(rule_id, contact_id, cast(counts.Counted, state))


def confirm_sent(contact_id: str, automation_id: str, message_id: str) -> bool:
    """SES says it accepted the run's mail (its `Send` event): a run left `sending` by a worker
    that died after the SES call becomes `sent`, so it is never sent twice. Idempotent."""
    key = keys.automation_run(contact_id, automation_id)
    try:
        store.transact(
            [
                store.Update(
                    key,
                    "SET #state = :sent, message_id = :id, confirmed_by_event = :true"
                    " REMOVE gsi1pk, gsi1sk",
                    condition="#state = :sending",
                    names={"#state": "state"},
                    values={":sent": SENT, ":sending": SENDING, ":id": message_id, ":true": True},
                ),
                _counted(key, SENT),
            ]
        )
    except store.TransactionCancelled:
        return False
    return True
