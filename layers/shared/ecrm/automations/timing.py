"""When a due automation run may go under the account's send policy
(`ecrm.mail.send_policy_view`): an automation mail is never skipped for quiet hours and rarely
for the cap; it is delayed instead, its due entry moved (`delay`).

- **Quiet hours**: the run waits for their end in the contact's zone (`ecrm.mail.quiet_hours`,
  `ecrm.mail.zones`).
- **Frequency cap**: a contact whose window is full (`ecrm.mail.frequency_cap`) is mailed when
  it allows one more: the moment the oldest send that fills it leaves the window, at most one
  period away (then quiet hours apply to that moment too). Other mail may take the freed place
  first, so a run can be delayed again; one still capped a whole period after it first fell
  due (`first_due_at`) is skipped with reason `frequency_cap`: the contact is full of marketing
  mail, and a triggered mail that late has lost its moment. Without that bound a contact kept
  full by campaigns would hold the run, and its due entries, for ever.
- **Exactness**: the send is counted in the transaction that claims the run
  (`ecrm.automations.runs`), conditional on the record read: a sender that counted a mail
  meanwhile cancels the claim (`Changed`), and the run is judged again.

Only a `scheduled` run is judged: a stale `sending` run was judged when it was claimed (and
counted then; its count is replaced, not added, when it is taken over).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ecrm.mail import frequency_cap, quiet_hours, zones
from ecrm.mail.send_policy_view import SendPolicy
from ecrm.platform import clock, keys, store
from ecrm.platform.errors import Busy

QUIET, CAPPED = "quiet_hours", "frequency_cap"


class Changed(Exception):
    """The contact's frequency cap record changed between its read and the claim."""


@dataclass(frozen=True)
class Verdict:
    until: float | None = None  # delay the run to this moment (epoch seconds)
    why: str | None = None  # QUIET or CAPPED
    skip: bool = False
    mails: frequency_cap.Seen | None = None  # the record read (cap on)


def read_mails(contact_id: str) -> frequency_cap.Seen:
    return frequency_cap.Seen.from_item(store.get(keys.marketing_mails(contact_id)))


def judge(
    run: Mapping[str, Any],
    contact: Mapping[str, Any],
    policy: SendPolicy,
    now: float,
    ref: str | None = None,
) -> Verdict:
    """Send now (with the record read), delay until when, or skip. `ref`: the mail's reference
    in the cap's record (an automation rule's by default; a journey's send step names its own)."""
    contact_id = str(run["contact_id"])
    ref = ref or frequency_cap.automation_ref(str(run["automation_id"]))
    mails = read_mails(contact_id) if policy.cap else None
    at, why = now, None
    if policy.cap and mails is not None and not frequency_cap.allows(mails, now, policy.cap, ref):
        at, why = frequency_cap.free_at(mails, now, policy.cap, ref), CAPPED
    if policy.quiet:
        tz = zones.zone_of(contact, policy.quiet.zone)
        later = quiet_hours.ends_at(at, policy.quiet, tz)
        if later > at:
            at, why = later, why or QUIET
    if at <= now:
        return Verdict(mails=mails)
    first_due = clock.epoch(str(run.get("first_due_at") or run["due_at"]))
    if why == CAPPED and policy.cap and now - first_due >= policy.cap.period:
        return Verdict(why=CAPPED, skip=True, mails=mails)  # waited a whole period already
    return Verdict(until=at, why=why, mails=mails)


def counted(
    run: Mapping[str, Any],
    verdict: Verdict,
    policy: SendPolicy,
    now: float,
    ref: str | None = None,
) -> store.Put:
    """The count that goes with the run's claim (cap on)."""
    assert policy.cap is not None
    ref = ref or frequency_cap.automation_ref(str(run["automation_id"]))
    mails = verdict.mails if verdict.mails is not None else read_mails(str(run["contact_id"]))
    return frequency_cap.counted(str(run["contact_id"]), mails, now, policy.cap, ref)


def delay(key: Mapping[str, str], run: Mapping[str, Any], verdict: Verdict) -> str:
    """Move a scheduled run's due time (and its due entry) to `verdict.until`."""
    assert verdict.until is not None
    due_at = clock.iso(verdict.until)
    entry = keys.due(due_at, dict(key))
    try:
        store.write(
            store.Update(
                key,
                "SET due_at = :due, gsi1pk = :gpk, gsi1sk = :gsk, delayed_for = :why,"
                " first_due_at = if_not_exists(first_due_at, :was) ADD delays :one",
                condition="#state = :scheduled AND due_at = :was",
                names={"#state": "state"},
                values={
                    ":due": due_at,
                    ":gpk": entry["gsi1pk"],
                    ":gsk": entry["gsi1sk"],
                    ":why": verdict.why,
                    ":was": run["due_at"],
                    ":one": 1,
                    ":scheduled": "scheduled",
                },
            )
        )
    except store.ConditionFailed:
        raise Busy("The run changed meanwhile.") from None
    return "scheduled"
