"""Experiments figures (issue 19), measured on the real code under moto in process:

- `experiments.cap_violations`: two campaigns and a one-step automation (a journey's mail)
  racing for the same 2,000 contacts with the frequency cap at 2 marketing mails per 7 days,
  under the fault sweep of `mailing.duplicates_after_faults` (the sender killed at each step of
  its send path, an automation run killed before and after SES, SES and DynamoDB throttled,
  messages redelivered, SES's Send events arriving): contacts that got more than 2 mails (goal
  0), and with the same goal: contacts that got fewer (a place lost: three senders compete for
  two places, so each contact gets exactly two), a sender that mailed a contact twice, senders
  not done when the harness gave up. Reported beside them: what each sender did.

- `experiments.split_error`: the A/B assignment's largest gap from its target shares over
  10,000 recipients (`bench.ab_split`).

- `experiments.pace_ratio`: a campaign at 09:00 local over four zones, each wave's send rate
  against the SES rate (`bench.local_waves`, worker processes as `mailing.pace_ratio`).

Two campaign workers and the journey run as threads of this process, against moto in process:
the kills and throttles are hooks on this process's clients (`local.faults`), as in the
mailing bench's fault figure.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from typing import Any

from bench import campaign_env, campaign_workers, race_workers
from bench.figures import Figure
from bench.moto_env import in_process
from ecrm.automations import rules, triggers
from ecrm.automations import runs as automation_runs
from ecrm.campaigns import chunks, sending, states
from ecrm.campaigns import definitions as campaigns
from ecrm.mail import pacing, send_ledger, send_policy
from ecrm.mail.senders import SenderIn
from ecrm.platform import aws, clock, keys, store
from ecrm.platform.errors import Busy
from ecrm.platform.settings import settings
from local import faults
from local.faults import Faults, Kill, Throttle

log = logging.getLogger(__name__)

CAP, PERIOD_DAYS = 2, 7


def _journey_rule() -> str:
    rule = rules.create(
        rules.AutomationIn(
            name="Journey",
            when=rules.When(event="confirmed"),
            template_id="news",
            topic="newsletter",
            sender=SenderIn(email="news@example.com", name="Ecrm News"),
            delay_minutes=0,
        )
    )
    rules.forget_cached()
    return rule.id


def _second_campaign() -> str:
    sender = SenderIn(email="news@example.com", name="Ecrm News")
    body = campaigns.CampaignIn(
        name="Other", template_id="news", segment_id="everyone", sender=sender
    )
    return campaigns.create(body).id


def _injected() -> Faults:
    return Faults(
        kills=[
            Kill(faults.claim, "before", nth=5),
            Kill(faults.claim, "after", nth=20),
            Kill(faults.ses_send, "after", nth=40),
            Kill(faults.ses_send, "after", nth=700),  # by then, the journey's too
            Kill(faults.mark, "before", nth=6),
            Kill(faults.tally, "after", nth=3),
            Kill(faults.plan_fan_out, "after", nth=2),
            Kill(faults.requeue, "before", nth=1),
            Kill(_run_claim, "before", nth=30),
            Kill(_run_claim, "after", nth=90),
        ],
        throttles=[
            Throttle("sesv2", "SendEmail", "TooManyRequestsException", every=9),
            Throttle("dynamodb", "PutItem", "ProvisionedThroughputExceededException", every=13),
            Throttle("dynamodb", "BatchWriteItem", "ThrottlingException", every=7),
            Throttle("dynamodb", "TransactWriteItems", "TransactionInProgressException", every=17),
        ],
    )


def _run_claim(operation: str, params: dict[str, Any]) -> bool:
    """An automation run's claim with its count (a TransactWriteItems on `AUTOMATION#`)."""
    items = params.get("TransactItems", []) if operation == "TransactWriteItems" else []
    return any(
        i.get("Update", {}).get("Key", {}).get("sk", {}).get("S", "").startswith("AUTOMATION#")
        and i["Update"].get("UpdateExpression", "").startswith("SET #state = :sending")
        for i in items
    )


def _confirm(tags: dict[str, str]) -> None:
    """SES's Send event for a mail it accepted (the events function retries a throttle)."""
    for _ in range(20):
        try:
            if "campaign" in tags:
                send_ledger.confirm_sent(tags["campaign"], tags["contact"], "ses-id")
            else:
                automation_runs.confirm_sent(tags["contact"], tags["automation"], "ses-id")
            return
        except Busy:
            continue


def cap_violations(contacts: int = 2_000, timeout: float = 900) -> Figure:
    started = time.monotonic()
    with in_process() as stack, campaign_env.sender(stack, 5_000):
        campaign_env.seed(contacts)
        first = campaign_env.campaign()
        second = _second_campaign()
        cap = {"enabled": True, "max_mails": CAP, "period_days": PERIOD_DAYS}
        send_policy.save(send_policy.SendPolicyIn.model_validate({"frequency_cap": cap}), "bench")
        rule_id = _journey_rule()
        ids = [keys.contact_id_for(f"p0-{n}@bench.example") for n in range(contacts)]
        for contact_id in ids:
            triggers.schedule(triggers.Happened("confirmed", contact_id, "bench"))
        run_keys = [keys.automation_run(c, rule_id) for c in ids]

        tags: list[dict[str, str]] = []
        faults.record_sends(
            aws.sesv2(), lambda p: tags.append({t["Name"]: t["Value"] for t in p["EmailTags"]})
        )
        sending.RETRY_DELAY, chunks.THROTTLE_PAUSE = 0, 0.01
        # Senders late for their slots send anyway: threads of one busy interpreter are always
        # late, and skipping slots (the product's rule) only adds reservations. The pace has
        # its own figure (`mailing.pace_ratio`); this one is about who gets mailed.
        pacing.IDLE_TOLERANCE = pacing.LATE_TOLERANCE = 3600.0
        injected = _injected()
        injected.install()
        offset = {"s": 0.0}
        real_now = clock.now
        clock.now = lambda: time.time() + offset["s"]
        workers = campaign_workers.Workers(stack, 2, injected)

        confirmed: set[int] = set()

        def send_events() -> None:  # SES's Send events, once each
            for number, found in enumerate(list(tags)):
                if number not in confirmed:
                    _confirm(found)
                    confirmed.add(number)

        def redelivered_later() -> None:  # a redelivery comes after claims went stale
            offset["s"] += settings().stale_sending_seconds + 1

        crashes = race_workers.Crashes(injected, send_events, redelivered_later)
        journey = race_workers.Journey(run_keys, crashes)
        stop = threading.Event()
        threads = [
            threading.Thread(target=race_workers.poll, args=(workers.poller, h, stop, crashes))
            for h in workers.handlers
        ] + [threading.Thread(target=journey.work, args=(stop,))]
        try:
            states.send_now(first)
            states.send_now(second)
            with campaign_workers.quiet_interpreter():
                for thread in threads:
                    thread.start()
                campaign_workers.wait_until(
                    lambda: (
                        journey.finished()
                        and {campaign_env.state(first), campaign_env.state(second)} == {"done"}
                    ),
                    timeout,
                )
        finally:  # no thread outlives the moto it talks to
            stop.set()
            for thread in threads:
                if thread.ident is not None:
                    thread.join()
            clock.now = real_now
            sending.RETRY_DELAY, chunks.THROTTLE_PAUSE = 5, 1.0
            pacing.IDLE_TOLERANCE = pacing.LATE_TOLERANCE = 0.02
            injected.uninstall()
        meta = [store.get(keys.campaign(c)) or {} for c in (first, second)]
    mailed = Counter(t["contact"] for t in tags)
    pairs = Counter((t.get("campaign") or t.get("automation"), t["contact"]) for t in tags)
    value = {
        "violations": sum(1 for n in mailed.values() if n > CAP),
        # Senders not done when the harness gave up: the figure then proves nothing.
        "unfinished": sum(1 for m in meta if m.get("state") != "done") + len(journey.pending),
        "under_cap": sum(1 for c in ids if mailed[c] < CAP),
        "duplicates": sum(1 for n in pairs.values() if n > 1),
        "contacts": contacts,
        "cap": f"{CAP} per {PERIOD_DAYS} days",
        "mails": len(tags),
        "campaigns": [
            {k: int(m.get(k, 0)) for k in ("sent", "skipped_frequency_cap")} | {"state": m["state"]}
            for m in meta
        ],
        "journey": dict(journey.states) | {"errors": journey.errors},
        "kills": crashes.kills,
        "throttles_injected": sum(t.injected for t in injected.throttles),
        "elapsed_seconds": round(time.monotonic() - started, 1),
    }
    log.info("cap violations: %s", value)
    judged = ("violations", "duplicates", "under_cap", "unfinished")
    return Figure("experiments.cap_violations", value, 0, judged)


def measure() -> list[Figure]:
    from bench import ab_split, local_waves  # noqa: PLC0415

    return [ab_split.split_error(), local_waves.pace_ratio(), cap_violations()]
