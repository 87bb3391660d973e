"""`experiments.pace_ratio`: a campaign sent at 09:00 local over recipients in several zones
(issue 19), each wave's pace against the SES rate.

The stage of `mailing.pace_ratio`: two worker processes poll the campaign queue against moto
served by this process, and SES is played strictly (at most 200 sends in any one-second
window, a 30 ms answer). The campaign is scheduled with `{"local_time": "09:00", "on": ...}`
over `recipients` contacts spread evenly over `ZONES`; the product's clock (this process's and
the workers', one shared offset) is moved to the campaign's start, then to each wave's moment,
and the schedule tick is run there, as EventBridge would run it: the tick starts the campaign
(its pages planned, every batch held for its wave), then releases each wave's batches. The
workers wait while the tick releases a wave (its Lambda has a CPU of its own; here, its client
work would take the one the workers and moto share), so a wave's pace is measured from a
released wave, as the product paces it. A wave is done when SES has accepted all its mails;
the next is released after.

For each wave: sends per second from its first to its last accepted send, divided by the SES
rate (200/s, what the pacing is given; it sends at `SEND_RATE_SHARE` of it) and, beside it, by
the rate the pacing aimed at. The figure is the lowest wave's ratio to the SES rate (goal
>= 0.95), with no wave mailing anyone early (a send before its wave's release) and every
recipient mailed once. A wave's own span is the issue's "each wave paced against the SES
rate": the hours between waves are the schedule's, and the seconds from a release to its
first send (the tick's, reported apart) are not the pace. Where a slow wave lost its time,
`gaps` says (docs/design/sending-policy.md, Figures).
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import campaign_env, campaign_workers
from bench.campaign_workers import quiet_interpreter
from bench.figures import Figure
from bench.moto_env import server
from ecrm import due
from ecrm.campaigns import local_time, states
from ecrm.mail import pacing, zones
from ecrm.platform import aws, clock, keys, store

log = logging.getLogger(__name__)

GOAL, MAX_RATE, SES_LATENCY, WORKERS = 0.95, 200.0, 0.03, 2
ZONES = ("Asia/Tokyo", "Europe/Paris", "America/New_York", "America/Los_Angeles")


def _queue_empty(url: str) -> bool:
    attributes = aws.sqs().get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return all(int(v) == 0 for v in attributes.values())


def pace_ratio(recipients: int = 4_000) -> Figure:
    spec = local_time.LocalTime(9 * 60, (datetime.now(UTC) + timedelta(days=10)).date())
    moments = sorted({spec.at(zones.zone(z)) for z in ZONES})
    spawn = multiprocessing.get_context("spawn")
    offset, paused = spawn.Value("d", 0.0, lock=False), spawn.Event()
    real_now = clock.now
    waves: list[dict[str, Any]] = []
    with server() as stack, campaign_env.sender(stack, MAX_RATE):
        campaign_env.seed(recipients, fields=lambda n: {"f_time_zone": ZONES[n % len(ZONES)]})
        campaign_id = campaign_env.campaign()
        states.schedule_local(campaign_id, spec)
        ses = campaign_workers.StrictSes(MAX_RATE, capacity=2 * recipients, latency=SES_LATENCY)
        queue_url = stack.names.refs["CampaignQueue"]
        clock.now = lambda: time.time() + offset.value
        try:
            with (
                campaign_workers.processes(stack, WORKERS, ses, MAX_RATE, offset, paused),
                quiet_interpreter(),
            ):
                offset.value = spec.first() + 30 - time.time()
                due.tick()  # starts it: every page planned, every batch held for its wave
                campaign_workers.wait_until(
                    lambda: (
                        int((store.get(keys.campaign(campaign_id)) or {}).get("shards_planned", 0))
                        >= keys.TOPIC_SHARDS
                        and _queue_empty(queue_url)
                    ),
                    timeout=300,
                )
                per_wave, early = recipients // len(moments), 0
                for number, moment in enumerate(moments):
                    early += len(ses.accepted) - per_wave * number  # before their wave: 0
                    offset.value = moment + 1 - time.time()
                    paused.set()
                    released = time.monotonic()
                    due.tick()
                    paused.clear()
                    expected = per_wave * (number + 1)

                    def wave_sent(want: int = expected) -> bool:
                        return len(ses.accepted) >= want

                    campaign_workers.wait_until(wave_sent, timeout=120 + per_wave / 10)
                    sends = ses.accepted[expected - per_wave : expected]
                    waves.append(_wave(moment, sends, released))
                rate = pacing.campaign_rate()
                campaign_workers.wait_until(
                    lambda: campaign_env.state(campaign_id) == "done", timeout=60
                )
                state = campaign_env.state(campaign_id)
        finally:
            clock.now = real_now
    ratios = [w["ratio"] for w in waves]
    value = {
        "ratio": min(ratios) if ratios else 0.0,
        "waves": waves,
        "zones": list(ZONES),
        "recipients": recipients,
        "sent": len(ses.accepted),
        "sent_before_their_wave": early,
        "ses_rate": MAX_RATE,
        "paced_rate": round(rate, 1),
        "throttled": ses.throttled,
        "state": state,
        "workers": WORKERS,
    }
    log.info("time-zone waves: %s", value)
    return Figure("experiments.pace_ratio", value, GOAL, ("ratio",), at_least=True)


def _wave(moment: float, sends: list[float], released: float) -> dict[str, Any]:
    span = sends[-1] - sends[0] if len(sends) > 1 else 0.0
    achieved = (len(sends) - 1) / span if span else 0.0
    return {
        "moment": clock.iso(moment),
        "sent": len(sends),
        "achieved_per_second": round(achieved, 1),
        "ratio": round(achieved / MAX_RATE, 3),
        "ratio_to_paced_rate": round(achieved / pacing.campaign_rate(), 3),
        "seconds_from_release_to_first_send": round(sends[0] - released, 2) if sends else None,
        # Where a slow wave lost its time: sends further apart than two slots (both workers
        # between batches, or descheduled), their count and the seconds beyond one slot.
        "gaps": len(late := [b - a for a, b in itertools.pairwise(sends) if b - a > 2 / MAX_RATE]),
        "gap_seconds": round(sum(g - 1 / MAX_RATE for g in late), 2),
    }
