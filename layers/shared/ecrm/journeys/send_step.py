"""One send step of a run, the automations' send on the run item itself (`runs`):

    ready ──claim (seq + 1; the cap's count in the same transaction)──▶ sending ──SES──▶ settle:
      the next steps walked and written in one move (`graph.leave`), counted sent
    ready ──not mailable (kind's checks), template gone, address refused──▶ settle, skipped|failed
    ready ──quiet hours, frequency cap──▶ ready, due later (skipped once capped a whole period)
    sending ──SES throttled or deferred──▶ ready (Busy: the tick comes back)
    sending, fresh ──▶ Busy;  stale (STALE_SENDING_SECONDS) ──▶ claimed again and sent
    sending ──SES's Send event (`engagement.confirm_sent`)──▶ sent: walked on, never sent again

Checks by the step's `kind`: marketing mail needs the contact subscribed to the step's topic,
no suppression, and obeys the frequency cap and quiet hours (`ecrm.automations.timing`, a
reference per run and step); transactional mail needs only an address that did not bounce or
complain. A skipped or failed send does not end the run: it walks on (later sends check again).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecrm.automations import timing
from ecrm.campaigns import content as campaign_content
from ecrm.contacts import suppression
from ecrm.journeys import graph, runs, stats
from ecrm.mail import bulk, pacing, render_limits, send_policy_view, template_view
from ecrm.platform import clock, keys, store
from ecrm.platform.errors import Busy, NotFound
from ecrm.segments.conditions import sendable

STALE_SENDING_SECONDS = 15 * 60
HARD = frozenset({"bounce", "complaint"})  # what stops transactional mail too
JOURNEY_TAG = "journey"
SETTLE_TRIES = 3


def send(v: graph.Version, run: dict[str, Any], now: float) -> dict[str, Any]:
    """Do the run's send step; returns the run as moved (walked on, or delayed)."""
    step = v.steps[str(run["step"])]
    claimed_at = run.get("claimed_at") if run.get("phase") == runs.SENDING else None
    if claimed_at and now - clock.epoch(str(claimed_at)) < STALE_SENDING_SECONDS:
        raise Busy("The run's mail is being sent (or its outcome is not known yet).")
    contact = store.get(keys.contact(str(run["contact_id"])))
    marketing = step.get("kind", "marketing") == "marketing"
    if reason := _why_not(contact, step, marketing):
        return settle(v, run, "skipped", now, reason=reason)
    assert contact is not None
    raw = _rendered(v, run, step, contact)
    if isinstance(raw, str):
        return settle(v, run, "failed", now, reason=raw)
    policy = send_policy_view.current() if marketing else None
    ref = f"j:{v.journey_id}:{run['run_no']}:{run['step']}"
    verdict = timing.Verdict()
    if policy is not None and claimed_at is None:
        verdict = timing.judge(run, contact, policy, now, ref)
        if verdict.skip:
            return settle(v, run, "skipped", now, reason=timing.CAPPED)
        if verdict.until is not None:
            return _delay(run, verdict)
    pacing.wait_until(pacing.reserve(1, pacing.campaign_rate()).slot(0))
    at = clock.now()
    count = (
        [timing.counted(run, verdict, policy, at, ref)] if policy is not None and policy.cap else []
    )
    try:
        run = runs.move(run, {"phase": runs.SENDING, "claimed_at": clock.iso(at)}, {}, extra=count)
    except runs.OtherChanged:
        raise Busy("The contact's mail count changed; the send is judged again.") from None
    return _send(v, run, raw, now)


def _rendered(
    v: graph.Version, run: Mapping[str, Any], step: Mapping[str, Any], contact: Mapping[str, Any]
) -> bytes | str:
    """The mail for this contact, or why it cannot be made."""
    try:
        template = template_view.load(str(step["template_id"]))
    except NotFound:
        return "template deleted"
    identity = {
        "id": v.journey_id,
        "name": v.name,
        "topic": step["topic"],
        "sender": step["sender"],
    }
    content = campaign_content.compile_content(identity, template, counts_unsubscribes=False)
    try:
        return content.render(str(run["contact_id"]), contact)
    except bulk.InvalidAddress:
        return "address cannot be mailed"
    except render_limits.RenderTooLarge:
        return "rendered too large"


def _why_not(
    contact: Mapping[str, Any] | None, step: Mapping[str, Any], marketing: bool
) -> str | None:
    if contact is None or not contact.get("email"):
        return "contact gone"
    if marketing and not sendable(contact, str(step["topic"])):
        return f"not subscribed to {step['topic']}"
    reasons = suppression.reasons(str(contact["email"]))
    if reasons if marketing else reasons & HARD:
        return "suppressed"
    return None


def _send(v: graph.Version, run: dict[str, Any], raw: bytes, now: float) -> dict[str, Any]:
    tags = {
        JOURNEY_TAG: v.journey_id,
        "contact": str(run["contact_id"]),
        "jrun": str(run["run_no"]),
        "jstep": str(run["step"]),
        "jversion": str(v.version),
    }
    try:
        message_id = bulk.send(raw, tags)
    except (bulk.SendThrottled, bulk.SendDeferred) as error:
        if isinstance(error, bulk.SendThrottled):
            pacing.penalise(1.0)
        runs.move(run, {"phase": runs.READY}, {}, phase=runs.SENDING)
        raise Busy("SES is not taking mail right now; the run waits.") from error
    except bulk.SendRefused:
        return settle(v, run, "failed", now, reason="SES refused the address")
    except bulk.SendUnknown as error:
        raise Busy("SES did not answer; the outcome is settled later.") from error
    for attempt in range(SETTLE_TRIES):  # sent: settle again after a throttle or a conflict,
        try:  # so it is rarely left `sending` for its Send event to confirm
            return settle(v, run, "sent", now, message_id=message_id)
        except Busy:
            if attempt == SETTLE_TRIES - 1:
                raise
    raise AssertionError("unreachable")


def settle(
    v: graph.Version, run: dict[str, Any], outcome: str, now: float, **details: str
) -> dict[str, Any]:
    """The send step is done (`outcome` sent, skipped or failed): walk on in the same move."""
    step = str(run["step"])
    landing = graph.leave(v, run, step, now, stats.tally((step, outcome)))
    changes = {
        **runs.landed(runs.key_of(run), landing, now),
        **{f"last_{k}": d for k, d in details.items()},
    }
    return runs.move(run, changes, landing.counted, phase=str(run["phase"]))


def _delay(run: dict[str, Any], verdict: timing.Verdict) -> dict[str, Any]:
    assert verdict.until is not None
    due_at = clock.iso(verdict.until)
    changes = {
        "due_at": due_at,
        **keys.due(due_at, runs.key_of(run)),
        "delayed_for": str(verdict.why),
        "first_due_at": str(run.get("first_due_at") or run["due_at"]),
    }
    return runs.move(run, changes, {}, phase=runs.READY)
