"""A notify step of a run: its notice (`notices`: a `journey_step` interaction, the outbox the
stream carries to EventBridge and webhooks) written in the run's own move (`runs.move`,
conditional on the `seq` read), so a run notifies once however often the step is tried; the
interaction's id is derived from the run and the step (`jn_…`), for receivers to dedupe the
at-least-once deliveries after it. Counted `notified`."""

from __future__ import annotations

import hashlib
from typing import Any

from ecrm.journeys import graph, notices, runs, stats
from ecrm.platform import clock, keys, store


def apply(v: graph.Version, run: dict[str, Any], now: float) -> dict[str, Any]:
    step_id = str(run["step"])
    step = v.steps[step_id]
    contact_id = str(run["contact_id"])
    digest = hashlib.sha256(f"{v.journey_id}|{contact_id}|{run['run_no']}|{step_id}".encode())
    event_id = "jn_" + digest.hexdigest()[:24]
    at = clock.iso(now)
    notice = {
        **keys.interaction(contact_id, at, event_id),
        "type": notices.TYPE,
        "contact_id": contact_id,
        "event_id": event_id,
        "at": at,
        "journey_id": v.journey_id,
        "journey_version": v.version,
        "step": step_id,
        "to": sorted(step.get("to") or ()),
        **({"label": step["label"]} if step.get("label") else {}),
    }
    landing = graph.leave(v, run, step_id, now, stats.tally((step_id, "notified")))
    return runs.move(
        run,
        runs.landed(runs.key_of(run), landing, now),
        landing.counted,
        phase=runs.READY,
        extra=[store.Put(notice, condition="attribute_not_exists(pk)")],
    )
