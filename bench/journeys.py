"""Journey figures (issue 18), the real engine on moto in process (SchedulerFunction's
environment: the tick and the journey queue's consumer; SES answering, `local.moto_fast`):

- `journeys.writes_per_step`, `journeys.reads_per_step`: DynamoDB items written and read
  (a transaction counts each item, a batch each key; the SES pace bucket included) per step
  executed, over RUNS runs of a 5-step journey (send, wait, branch on the first mail's open,
  send, exit) from their entry on the stream to their end, half of them opening mail 1, each
  move taken from the journey queue by SchedulerFunction's handler (the tick that sent them
  there is not counted: its reads and watermark are per minute, not per step). Goal: at most 3.
- `journeys.duplicates_after_faults`, `journeys.lost_after_faults`: a run's life (entry, send,
  wait, send) killed before and after each of its AWS calls in turn (`local.faults`), then
  driven again as Lambda and the tick do (much later, SES's Send events confirming what a dead
  worker sent): mails sent more than once, or never, per contact and send step. Goal: 0. (The
  queue hop's own sweep: tests/integration/journeys/test_journey_queue.py.)
- `journeys.lateness_p99_seconds`: `bench.journey_lateness` (10,000 runs due in one minute).
- `journeys.entries_per_second`: `bench.journey_entries` (100,000 contacts through a segment).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench import journey_entries, journey_lateness, table_counts
from bench.campaign_env import seed
from bench.figures import Figure
from bench.moto_env import Stack, as_function, in_process
from ecrm import due
from ecrm.automations.triggers import Happened
from ecrm.campaigns import content
from ecrm.contacts import profile_schema
from ecrm.journeys import definitions, engagement, engine, entry, graph, send_step
from ecrm.journeys.model import JourneyIn
from ecrm.mail import pacing, templates
from ecrm.mail.templates import MailTemplateIn
from ecrm.platform import aws, clock, keys, store
from ecrm.platform.errors import Busy
from local.faults import Faults, Kill, Killed, record_sends
from local.moto_backend import answer_get_account
from local.queues import lambda_record

log = logging.getLogger(__name__)

RUNS = 40
SCHEDULER = "SchedulerFunction"  # the tick, and the journey queue's consumer
STEPS = 5
WAIT_MINUTES = 60
MAX_CALLS = 200  # a run's life makes about 30 AWS calls; the sweep ends at the last one
SENDER = {"email": "news@example.com", "name": "Bench"}
HTML = '<p>Hi {{ contact.email }}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>'


def _journey() -> str:
    def send(step_id: str, nxt: str | None) -> dict[str, Any]:
        return {
            "id": step_id,
            "type": "send",
            "template_id": "bench-j",
            "topic": "newsletter",
            "sender": SENDER,
            "next": nxt,
        }

    body = JourneyIn.model_validate(
        {
            "name": f"Bench {time.monotonic_ns()}",
            "entry": {"event": "confirmed"},
            "start": "first",
            "steps": [
                send("first", "wait"),
                {"id": "wait", "type": "wait", "minutes": WAIT_MINUTES, "next": "opened"},
                {
                    "id": "opened",
                    "type": "branch",
                    "if": {"opened": "first"},
                    "yes": "second",
                    "no": "second",
                },
                send("second", "done"),
                {"id": "done", "type": "exit"},
            ],
        }
    )
    journey_id = definitions.create(body).id
    definitions.publish(journey_id)
    return journey_id


@contextmanager
def _stage(
    max_rate: float = 1000,
) -> Iterator[tuple[list[dict[str, str]], Callable[..., None], Stack]]:
    """Moto, SchedulerFunction's environment (the tick and the journey queue's consumer), SES
    answering GetAccount with `max_rate`, a template; yields the SES sends' tags, a clock
    mover (`later()` adds the wait to the product's clock) and the stack."""
    offset = {"s": 0.0}
    real = clock.now
    clock.now = lambda: time.time() + offset["s"]
    try:
        with in_process() as stack, as_function(stack, SCHEDULER):
            pacing.forget_cached()
            content.forget_cached()
            profile_schema.forget_cached()
            answer_get_account(aws.sesv2(), max_send_rate=max_rate)
            sent: list[dict[str, str]] = []
            templates.create("bench-j", MailTemplateIn(name="j", subject="Hi", html=HTML))
            graph.forget_cached()

            def later(seconds: float = WAIT_MINUTES * 60 + 1) -> None:
                offset["s"] += seconds

            yield sent, later, stack
    finally:
        clock.now = real


def _through_queue(stack: Stack, counted: Counter[str]) -> None:
    """The tick (not counted: its reads and its watermark are per minute, not per step) hands
    the due runs to the journey queue; SchedulerFunction's handler moves them, in batches of
    10 as its queue source delivers them (counted)."""
    from mailing.scheduler import lambda_handler  # noqa: PLC0415 - its environment is set

    paused = dict(counted)
    due.tick()
    counted.clear()
    counted.update(paused)
    sqs, url = aws.sqs(), stack.names.refs["JourneyQueue"]
    arn = stack.names.attributes[("JourneyQueue", "Arn")]
    context = stack.context(stack.function(SCHEDULER))
    while got := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]
    ).get("Messages", []):
        answer = lambda_handler(
            {"Records": [lambda_record(m, arn, "us-east-1") for m in got]}, context
        )
        assert not answer["batchItemFailures"], answer
        for message in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _recording(sent: list[dict[str, str]]) -> None:
    record_sends(
        aws.sesv2(), lambda p: sent.append({t["Name"]: t["Value"] for t in p["EmailTags"]})
    )


def per_step() -> dict[str, Any]:
    with _stage() as (sent, later, stack):
        journey_id = _journey()
        seed(RUNS, start=500)
        people = [keys.contact_id_for(f"p0-{n}@bench.example") for n in range(500, 500 + RUNS)]
        with table_counts.counting() as counted:
            _recording(sent)
            for person in people:
                entry.on_event(Happened("confirmed", person, "bench"))
            _through_queue(stack, counted)
            for tags in sent[: RUNS // 2]:
                engagement.record(tags.get, "Open", permanent=False, scanner=False)
            later()
            _through_queue(stack, counted)
        assert all(
            store.get(keys.journey_run(p, journey_id))["state"] == "ended"  # type: ignore[index]
            for p in people
        )
    steps = RUNS * STEPS
    return {
        "writes_per_step": round(counted["writes"] / steps, 3),
        "reads_per_step": round(counted["reads"] / steps, 3),
        "runs": RUNS,
        "steps": steps,
        "mails": len(sent),
    }


def after_faults() -> dict[str, Any]:
    """Kill a run's life at each of its AWS calls in turn, before and after; drive it again."""
    duplicates = lost = scenarios = 0
    with _stage() as (sent, later, _):
        faults = Faults()
        _recording(sent)
        faults.install()
        try:
            nth = 0
            while nth < MAX_CALLS:
                nth += 1
                killed_any = False
                for when in ("before", "after"):
                    journey_id = _journey()
                    number = 10_000 + 2 * nth + (when == "after")
                    seed(1, start=number)
                    person = keys.contact_id_for(f"p0-{number}@bench.example")
                    kill = Kill(lambda _o, _p: True, when, nth)
                    faults.kills[:] = [kill]
                    _life(journey_id, person, faults, sent, later)
                    faults.kills[:] = []
                    definitions.stop(journey_id)  # the next scenario's entry enters its own only
                    killed_any |= kill.fired
                    scenarios += kill.fired
                    mails = Counter(t["jstep"] for t in sent if t.get("journey") == journey_id)
                    duplicates += sum(n - 1 for n in mails.values() if n > 1)
                    lost += sum(1 for step in ("first", "second") if mails[step] == 0)
                if not killed_any:
                    break  # past the last call of a run's life
        finally:
            faults.uninstall()
    return {"duplicates": duplicates, "lost": lost, "kill_points": scenarios}


def _life(
    journey_id: str,
    person: str,
    faults: Faults,
    sent: list[dict[str, str]],
    later: Callable[..., None],
) -> None:
    key = keys.journey_run(person, journey_id)
    steps: list[Callable[[], object]] = [
        lambda: entry.on_event(Happened("confirmed", person, "bench")),
        lambda: engine.advance(key),
        lambda: engine.advance(key),
    ]
    for n, step in enumerate(steps):
        if n == 2:
            later()
        for _ in range(20):
            try:
                step()
                break
            except Killed:
                faults.revive()
                for tags in sent:
                    engagement.confirm_sent(tags.get, "bench-message")
                later(send_step.STALE_SENDING_SECONDS + 1)
            except Busy:
                later(60)


def lateness() -> Figure:
    with _stage(max_rate=1e6) as (_, later, stack):  # the pace is the model's (SES_RATE)
        return journey_lateness.figure(stack, _journey(), later)


def entries() -> Figure:
    with _stage() as (_, _later, stack):
        return journey_entries.figure(stack)


def measure() -> list[Figure]:
    late = lateness()
    entering = entries()
    counts = per_step()
    log.info("journeys: %s", counts)
    faults = after_faults()
    log.info("journeys: after faults %s", faults)
    return [
        Figure("journeys.writes_per_step", counts, 3.0, ("writes_per_step",)),
        Figure("journeys.reads_per_step", counts, 3.0, ("reads_per_step",)),
        Figure("journeys.duplicates_after_faults", faults, 0.0, ("duplicates",)),
        Figure("journeys.lost_after_faults", faults, 0.0, ("lost",)),
        late,
        entering,
    ]
