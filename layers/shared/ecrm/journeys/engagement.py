"""SES events of a journey's mail (tags `journey`, `contact`, `jrun`, `jstep`, `jversion`,
`ecrm.journeys.send_step`), called by `ecrm.mail.events`:

- `confirm_sent`: SES's `Send` event. A run left `sending` at that step (its worker died between
  SES and the settle) becomes `sent` and due now: the tick walks it on without sending again.
- `record`: delivered, opened, clicked (scanners excluded), bounced (permanent), complained:
  a mark `<step>:<what>` added to the run's `engaged` set (what a branch reads) and the step's
  counter, in one transaction conditional on the mark being new and on the same run (`run_no`),
  so a redelivered event counts once and a mail of an earlier run changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from ecrm.journeys import runs, stats
from ecrm.platform import clock, keys, store

RESULTS = {"Delivery": "delivered", "Open": "opened", "Click": "clicked", "Complaint": "complained"}

Tag = Callable[[str], str | None]


def _run_of(tag: Tag) -> tuple[dict[str, str], int, str, int] | None:
    journey_id, contact_id = tag("journey"), tag("contact")
    run_no, step, version = tag("jrun"), tag("jstep"), tag("jversion")
    if not (journey_id and contact_id and run_no and step and version):
        return None
    if not (run_no.isdigit() and version.isdigit()):
        return None
    return keys.journey_run(contact_id, journey_id), int(run_no), step, int(version)


def confirm_sent(tag: Tag, message_id: str) -> bool:
    found = _run_of(tag)
    if found is None:
        return False
    key, run_no, step, _ = found
    due_at = clock.iso(clock.now())
    try:
        store.write(
            store.Update(
                key,
                "SET #phase = :sent, last_message_id = :id, confirmed_by_event = :true,"
                " due_at = :due, gsi1pk = :gpk, gsi1sk = :gsk ADD seq :one",
                condition="#phase = :sending AND #step = :step AND run_no = :n",
                names={"#phase": "phase", "#step": "step"},
                values={
                    ":sent": runs.SENT,
                    ":sending": runs.SENDING,
                    ":id": message_id,
                    ":true": True,
                    ":due": due_at,
                    ":gpk": keys.due(due_at, key)["gsi1pk"],
                    ":gsk": keys.due(due_at, key)["gsi1sk"],
                    ":one": 1,
                    ":step": step,
                    ":n": run_no,
                },
            )
        )
    except store.ConditionFailed:
        return False
    return True


def record(tag: Tag, ses_type: str, *, permanent: bool, scanner: bool) -> bool:
    """Count one result of a journey mail, once per run and step; True when counted now."""
    what = "bounced" if ses_type == "Bounce" and permanent else RESULTS.get(ses_type)
    found = _run_of(tag)
    if what is None or found is None or (scanner and what in ("opened", "clicked")):
        return False
    key, run_no, step, version = found
    mark = f"{step}:{what}"
    contact_id = keys.contact_id_of(key["pk"])
    journey_id = keys.journey_id_of(key["sk"])
    try:
        store.transact(
            [
                store.Update(
                    key,
                    "ADD engaged :mark",
                    condition="run_no = :n AND NOT contains(engaged, :one)",
                    values={":mark": {mark}, ":n": run_no, ":one": mark},
                ),
                stats.add(journey_id, version, contact_id, stats.tally((step, what))),
            ]
        )
    except store.TransactionCancelled:
        return False  # counted before, or the run is gone (erased) or entered again
    return True
