"""Campaign figures, measured on the real code under moto (in process, or served to worker
processes for the pace):

- `mailing.render_per_second`: personalised campaign messages (template render, unsubscribe
  token, MIME) built per second on one thread, beside the standard library's EmailMessage path.
- `mailing.audience`: resolving a segment of N members in a table of 10N contacts: Scan calls,
  and table items read per member (the topic index entries it Queries are counted apart).
- `mailing.pace_ratio` / `mailing.throttle_errors`: a 2,000-recipient campaign sent by two
  worker processes (the sender's handler on the campaign queue, `bench.campaign_workers`)
  through a strict SES stand-in that allows at most 200 sends in any one-second window
  (GetAccount answers 200/s), throws `TooManyRequestsException` beyond it and answers each
  accepted send after 30 ms. Achieved rate = sends / (last - first send).
- `mailing.duplicates_after_faults`: a campaign whose workers are killed at every step of the
  send path (and throttled by SES and DynamoDB), messages redelivered: recipients mailed twice
  (goal 0) and never (must be 0).
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from typing import Any

from bench import campaign_env, campaign_workers
from bench.campaign_workers import quiet_interpreter
from bench.figures import Figure
from bench.moto_env import in_process, server
from ecrm.campaigns import chunks, sending, states
from ecrm.campaigns import content as campaign_content
from ecrm.campaigns import definitions as campaigns
from ecrm.mail import bulk, links, send_ledger, templates
from ecrm.platform import aws, clock, keys, store
from ecrm.platform.settings import settings
from ecrm.segments import audience as segment_audience
from ecrm.segments import definitions as segments
from local import faults
from local.faults import Faults, Kill, Throttle

log = logging.getLogger(__name__)

RENDER_GOAL, PACE_GOAL, AUDIENCE_GOAL = 5_000.0, 0.95, 1.05
MAX_RATE = 200.0
SES_LATENCY = 0.03  # seconds SES takes to answer a SendEmail (the network, its own work)
WORKERS = 2  # processes, as many as this machine's cores (the moto server is a third)


# --- figures -----------------------------------------------------------------------------


def render_per_second(count: int = 5_000) -> Figure:
    with in_process() as stack, campaign_env.sender(stack, MAX_RATE):
        campaign_id = campaign_env.campaign()
        campaign = campaigns.item(campaign_id)
        template = templates.load("news")
        content = campaign_content.compile_content(campaign, template)
        people = [
            (
                f"c{n}",
                {
                    "email": f"p{n}@bench.example",
                    "f_first_name": f"Ann {n}",
                    "f_company": "Acme",
                    "f_interests": ["guides"],
                },
            )
            for n in range(count)
        ]
        content.render(*people[0])  # warm: the signing key, compiled templates
        started = time.perf_counter()
        for contact_id, person in people:
            content.render(contact_id, person)
        ours = count / (time.perf_counter() - started)
        started = time.perf_counter()
        reference_count = max(1, count // 10)
        for contact_id, person in people[:reference_count]:
            _stdlib_render(content, contact_id, person)
        stdlib = reference_count / (time.perf_counter() - started)
    value = {
        "messages_per_second": round(ours),
        "stdlib_messages_per_second": round(stdlib),
        "speedup": round(ours / stdlib, 1),
        "messages": count,
    }
    log.info("render: %s", value)
    return Figure(
        "mailing.render_per_second", value, RENDER_GOAL, ("messages_per_second",), at_least=True
    )


def _stdlib_render(
    content: campaign_content.Content, contact_id: str, person: dict[str, Any]
) -> bytes:
    """The same message through EmailMessage (render, token, `mail.bulk.reference`)."""
    from ecrm.account import unsubscribe  # noqa: PLC0415
    from ecrm.mail import personalisation  # noqa: PLC0415

    token = unsubscribe.link_token(contact_id, content.topic, content.campaign_id)
    url, mailto = links.unsubscribe_links(token)
    context = personalisation.render_context(
        person, content.template.contact_fields, unsubscribe_url=url, campaign=content.campaign
    )
    rendered = content.template.render(context)
    message = bulk.reference(
        bulk.Sender("news@example.com", "Ecrm News"),
        bulk.MailingList("newsletter.example.com", "Newsletter"),
        to=person["email"],
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        unsubscribe_url=url,
        unsubscribe_mailto=mailto,
        msg_id=bulk.message_id("example.com"),
        date=content.mail.date(),
    )
    return message.as_bytes()


def audience(members: int = 1_000) -> list[Figure]:
    calls: Counter[str] = Counter()
    items: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    def read(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "Query":
            items["index_entries"] += len(parsed.get("Items", []))
        elif model.name == "BatchGetItem":
            items["table_items"] += sum(len(v) for v in parsed.get("Responses", {}).values())
        elif model.name == "GetItem" and parsed.get("Item"):
            items["table_items"] += 1

    with in_process() as stack, campaign_env.sender(stack, MAX_RATE):
        campaign_env.seed(members, topics=10)  # 10N contacts, N per topic
        segment = segments.create(
            "t3-acme",
            segments.SegmentIn(
                name="Acme in t3",
                topic="t3",
                conditions=[segments.FieldCondition(field="company", op="eq", value="Acme")],
            ),
        )
        client = aws.dynamodb()
        client.meta.events.register("before-call.dynamodb", count, unique_id="bench-count")
        client.meta.events.register("after-call.dynamodb", read, unique_id="bench-read")
        found = sum(1 for _ in segment_audience.all_members(segment))
        client.meta.events.unregister("before-call.dynamodb", unique_id="bench-count")
        client.meta.events.unregister("after-call.dynamodb", unique_id="bench-read")
    value = {
        "members": found,
        "table_contacts": members * 10,
        "scan_calls": calls["Scan"],
        "items_read_per_member": round(items["table_items"] / max(found, 1), 3),
        "index_entries_per_member": round(items["index_entries"] / max(found, 1), 3),
        "query_calls": calls["Query"],
        "batch_get_calls": calls["BatchGetItem"],
    }
    log.info("audience: %s", value)
    return [
        Figure("mailing.audience", value, AUDIENCE_GOAL, ("items_read_per_member",)),
        Figure("mailing.audience_scan_calls", calls["Scan"], 0),
    ]


def pace(recipients: int = 2_000) -> list[Figure]:
    with server() as stack, campaign_env.sender(stack, MAX_RATE):
        campaign_env.seed(recipients)
        campaign_id = campaign_env.campaign()
        ses = campaign_workers.StrictSes(MAX_RATE, capacity=2 * recipients, latency=SES_LATENCY)
        with campaign_workers.processes(stack, WORKERS, ses, MAX_RATE), quiet_interpreter():
            started = time.monotonic()
            states.send_now(campaign_id)
            # A bound on failure only: the figure comes from the send times, and a busy
            # machine must not turn a slow run into a lost one.
            campaign_workers.wait_until(
                lambda: campaign_env.state(campaign_id) == "done", timeout=120 + recipients / 10
            )
            elapsed = time.monotonic() - started
        state = campaign_env.state(campaign_id)
        meta = store.get(keys.campaign(campaign_id)) or {}
    sends = ses.accepted
    span = sends[-1] - sends[0] if len(sends) > 1 else 0.0
    achieved = (len(sends) - 1) / span if span else 0.0
    value = {
        "ratio": round(achieved / MAX_RATE, 3),
        "achieved_per_second": round(achieved, 1),
        "configured_per_second": MAX_RATE,
        "recipients": recipients,
        "sent": len(sends),
        "campaign_sent": int(meta.get("sent", 0)),
        "state": state,
        "elapsed_seconds": round(elapsed, 2),
        "workers": WORKERS,
    }
    log.info("pace: %s", value)
    return [
        Figure("mailing.pace_ratio", value, PACE_GOAL, ("ratio",), at_least=True),
        Figure("mailing.throttle_errors", ses.throttled, 0),
    ]


def duplicates_after_faults(recipients: int = 200) -> Figure:
    """Kill at each step (before/after the claim, after SES with its Send event arriving, the
    marks, the tally, the fan-out, the requeue), throttle SES and DynamoDB, redeliver."""
    with in_process() as stack, campaign_env.sender(stack, 2_000):
        campaign_env.seed(recipients)
        campaign_id = campaign_env.campaign()
        mailed: Counter[str] = Counter()
        tags: list[dict[str, str]] = []

        def record(params: dict[str, Any]) -> None:
            tags.append({t["Name"]: t["Value"] for t in params.get("EmailTags", [])})
            raw = params["Content"]["Raw"]["Data"]
            mailed[raw.split(b"\n", 1)[0].decode()] += 1

        faults.record_sends(aws.sesv2(), record)
        sending.RETRY_DELAY = 0
        chunks.THROTTLE_PAUSE = 0.01
        injected = Faults(
            kills=[
                Kill(faults.claim, "before", nth=5),
                Kill(faults.claim, "after", nth=20),
                Kill(faults.ses_send, "after", nth=40),
                Kill(faults.mark, "before", nth=6),
                Kill(faults.tally, "after", nth=3),
                Kill(faults.plan_fan_out, "after", nth=2),
                Kill(faults.requeue, "before", nth=1),
            ],
            throttles=[
                Throttle("sesv2", "SendEmail", "TooManyRequestsException", every=9),
                Throttle("dynamodb", "PutItem", "ProvisionedThroughputExceededException", every=13),
                Throttle("dynamodb", "BatchWriteItem", "ThrottlingException", every=7),
            ],
        )
        injected.install()
        offset = {"s": 0.0}
        real_now = clock.now
        clock.now = lambda: time.time() + offset["s"]

        workers = campaign_workers.Workers(stack, 1, injected)
        original_revive = injected.revive

        def revive() -> None:  # what a later redelivery finds: Send events, stale claims
            original_revive()
            for found in list(tags):
                send_ledger.confirm_sent(found["campaign"], found["contact"], "ses-id")
            offset["s"] += settings().stale_sending_seconds + 1

        injected.revive = revive  # type: ignore[method-assign]
        try:
            states.send_now(campaign_id)
            workers.run_until(lambda: campaign_env.state(campaign_id) == "done", timeout=120)
        finally:
            clock.now = real_now
            sending.RETRY_DELAY = 5
            chunks.THROTTLE_PAUSE = 1.0
            injected.uninstall()
        state = campaign_env.state(campaign_id)
    expected = {f"To: p0-{n}@bench.example" for n in range(recipients)}
    value = {
        "duplicates": sum(1 for n in mailed.values() if n > 1),
        "lost": len(expected - set(mailed)),
        "recipients": recipients,
        "kills": workers.kills,
        "throttles_injected": sum(t.injected for t in injected.throttles),
        "state": state,
    }
    log.info("faults: %s", value)
    return Figure("mailing.duplicates_after_faults", value, 0, ("duplicates", "lost"))


def measure() -> list[Figure]:
    return [
        render_per_second(),
        *audience(),
        *pace(),
        duplicates_after_faults(),
    ]


if __name__ == "__main__":  # pragma: no cover - `python -m bench --only mailing` is the way
    logging.basicConfig(level=logging.INFO)
    print(json.dumps([f.value for f in measure()], indent=1))
