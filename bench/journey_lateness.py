"""`journeys.lateness_p99_seconds` (issue 18): 10,000 runs whose waits end in the same minute,
the time from each run's due moment to its step's effect (SES accepting its mail), 99th
percentile. Goal: at most 60 s.

A minute of Lambda at scale cannot run on this machine, so the figure is computed from what
the real code does on moto, timed and counted here, and AWS's documented behaviour, played
by a discrete-event model; every number the model takes that is not measured is named below.

Measured (the real code, moto in process, SchedulerFunction's environment):

- the stage: the bench's 5-step journey (send, wait, branch, send, exit), `RUNS` contacts, and
  their runs written straight into the table at its wait, due at moments spread evenly over
  one minute M (`uniform`; `same_second`: all at M:00, informative);
- the tick (`ecrm.due.tick`) at M - 30 s: its CPU time outside AWS calls and its calls (its
  SendMessageBatch answered here: moto's queue recounts every message at each send), each
  message's DelaySeconds as it sent them (so the model delivers each when SQS would);
- the consumer: SchedulerFunction's handler on batches of 10 of `SAMPLE` of those runs, the
  clock past their moment, SES answering at once and the pace set out of the way: for each
  message, in three parts (until it asks the pace for a slot, from the slot to SES's answer,
  the settle after it), the CPU time outside AWS calls and the calls made. A second delivery
  of the same messages meters a message that finds its run moved (what a duplicate costs).

Each part's time in Lambda is its CPU time (this thread's, outside AWS calls: moto answers in
this thread, and its work is left out; CPU time, not wall time, so a busy machine does not
inflate it) times `CPU_SCALE` (Lambda gives 512 MB 0.29 of a vCPU), plus a round trip per
call. Assumed (AWS; not measurable without it): `DYNAMODB_CALL` and `SES_CALL` as
bench/cost_estimate.py's, `SQS_CALL`; Lambda's SQS source (docs: "Lambda starts processing
five batches at a time with five concurrent invocations ... increases ... by up to 300 more
instances per minute"): 5 workers, then 5 more a second, up to the template's
MaximumConcurrency, each new one after a `COLD_START`; `POLL` from a message's visibility (or a
worker's return) to its invocation; SES's rate `SES_RATE` (the mailing bench's), of which the
pace uses `SEND_RATE_SHARE` (settings), one slot after another whatever the worker.

The model: the tick's batches are sent one after another from M - 30 s (its time spread evenly
over its batches), each message visible at the later of its send and the tick's moment plus
its DelaySeconds; free workers take up to BatchSize visible messages in due order and run them
in turn (before, the pace slot: the later of ready and the bucket's next slot, the send, after),
message k taking the k-th measured sample (cycled). Lateness = SES's answer - due. Runs still
not moved when the next tick comes are what it would send again (`sent_again`: each such
message finds the run moved or being moved, a read; not played by the model).
"""

from __future__ import annotations

import heapq
import json
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench import campaign_env
from bench.figures import Figure
from bench.moto_env import Stack
from ecrm import due
from ecrm.journeys import queue_worker, steps_queue
from ecrm.mail import pacing
from ecrm.platform import aws, clock, keys, store
from ecrm.platform.settings import settings
from local.lambda_runtime import LambdaContext
from local.moto_backend import answered

log = logging.getLogger(__name__)

RUNS = 10_000
SAMPLE = 400
GOAL = 60.0
TICK_AT = -30.0  # seconds from M: the tick of the minute before (EventBridge: any second of it)
DYNAMODB_CALL = 0.010
SES_CALL = 0.050
SQS_CALL = 0.020
POLL = 0.1
COLD_START = 1.5
START_WORKERS, WORKERS_PER_SECOND = 5, 5.0
SES_RATE = 200.0
CPU_SCALE = 1769 / 512  # Lambda gives a whole vCPU at 1,769 MB: 512 MB runs at 0.29 of one


@dataclass(frozen=True)
class Service:
    """One message's work, seconds, network round trips included."""

    before: float  # start -> asking the pace for a slot
    send: float  # the slot -> SES's answer (the claim, the send)
    after: float  # SES's answer -> done (the settle)


class _Meter:
    """This thread's CPU time outside AWS calls (moto answers them in this thread: its work is
    left out), and the calls made per service; read cumulatively (`now`)."""

    def __init__(self) -> None:
        self.in_calls = 0.0
        self.calls: Counter[str] = Counter()
        self._at: float | None = None

    def before(self, model: Any, **_: Any) -> None:
        self._at = time.thread_time()
        self.calls[model.service_model.service_name] += 1

    def after(self, **_: Any) -> None:
        if self._at is not None:
            self.in_calls += time.thread_time() - self._at
            self._at = None

    def now(self) -> tuple[float, Counter[str]]:
        return time.thread_time() - self.in_calls, Counter(self.calls)


def _seconds(cpu: float, calls: Counter[str]) -> float:
    """What a part takes in Lambda: its CPU at the function's share, and a round trip a call."""
    latency = {"dynamodb": DYNAMODB_CALL, "sesv2": SES_CALL, "sqs": SQS_CALL}
    return cpu * CPU_SCALE + sum(latency.get(s, SQS_CALL) * n for s, n in calls.items())


@contextmanager
def _metered(meter: _Meter) -> Iterator[None]:
    clients: list[Any] = [aws.dynamodb(), aws.sesv2(), aws.sqs()]
    for client in clients:
        client.meta.events.register("before-call", meter.before, unique_id="bench-m-before")
        client.meta.events.register("after-call", meter.after, unique_id="bench-m-after")
    try:
        yield
    finally:
        for client in clients:
            client.meta.events.unregister("before-call", unique_id="bench-m-before")
            client.meta.events.unregister("after-call", unique_id="bench-m-after")


@dataclass
class _Timing:
    """One message's consume: the meter at its start, at its pace slot, after SES, at its end."""

    marks: dict[str, tuple[float, Counter[str]]] = field(default_factory=dict)


def seed_runs(journey_id: str, people: list[str], dues: list[float]) -> None:
    """Runs at the journey's wait (its first mail sent), due at `dues`, as `runs.landed`
    leaves them."""
    items = []
    for n, (person, at) in enumerate(zip(people, dues, strict=True)):
        key = keys.journey_run(person, journey_id)
        due_at = clock.iso(at)
        items.append(
            {
                **key,
                "type": "journey_run",
                "journey_id": journey_id,
                "version": 1,
                "contact_id": person,
                "run_no": 1000 + n,
                "entered_at": clock.iso(at - 3600),
                "trigger_ref": "bench",
                "seq": 2,
                "state": "active",
                "step": "wait",
                "phase": "waiting",
                "due_at": due_at,
                **keys.due(due_at, key),
            }
        )
    store.batch_put(items)


@contextmanager
def _watching(timings: list[_Timing]) -> Iterator[None]:
    """Meter each `queue_worker.consume` in parts: before its pace slot, the send, after."""
    real_consume, real_wait = queue_worker.consume, pacing.wait_until
    meter = _Meter()

    def consume(message: Any) -> str:
        timings.append(_Timing({"start": meter.now()}))
        try:
            return real_consume(message)
        finally:
            timings[-1].marks["end"] = meter.now()

    def wait_until(at: float) -> None:
        timings[-1].marks["slot"] = meter.now()
        real_wait(at)

    def sent(**_: Any) -> None:
        meter.after()
        timings[-1].marks["sent"] = meter.now()

    ses = aws.sesv2()
    queue_worker.consume = consume
    pacing.wait_until = wait_until
    ses.meta.events.register("after-call.sesv2.SendEmail", sent, unique_id="bench-sent")
    try:
        with _metered(meter):
            yield
    finally:
        queue_worker.consume = real_consume
        pacing.wait_until = real_wait
        ses.meta.events.unregister("after-call.sesv2.SendEmail", unique_id="bench-sent")


def _service(t: _Timing) -> Service:
    start, end = t.marks["start"], t.marks["end"]
    slot = t.marks.get("slot", end)
    sent = t.marks.get("sent", slot)

    def part(a: tuple[float, Counter[str]], b: tuple[float, Counter[str]]) -> float:
        return _seconds(b[0] - a[0], b[1] - a[1])

    return Service(before=part(start, slot), send=part(slot, sent), after=part(sent, end))


def _deliver(stack: Stack, keys_: list[dict[str, str]]) -> None:
    from mailing.scheduler import lambda_handler  # noqa: PLC0415 - its environment is set

    function = stack.function("SchedulerFunction")
    context = stack.context(function)
    for start in range(0, len(keys_), 10):
        records = [
            {
                "messageId": f"m{start + n}",
                "receiptHandle": "r",
                "body": json.dumps(k),
                "attributes": {"ApproximateReceiveCount": "1"},
                "eventSource": "aws:sqs",
            }
            for n, k in enumerate(keys_[start : start + 10])
        ]
        answer = lambda_handler(
            {"Records": records},
            LambdaContext(
                context.function_name,
                context.invoked_function_arn,
                context.memory_limit_in_mb,
                context.timeout_seconds,
            ),
        )
        assert not answer["batchItemFailures"], answer


def measure_stage(stack: Stack, journey_id: str, later: Callable[[float], None]) -> dict[str, Any]:
    """Seed RUNS runs due over one minute; run the tick before it and the consumer on SAMPLE
    of them; returns what the model needs."""
    m = (clock.now() // 60 + 3) * 60  # the minute M, in the product's clock
    dues = [m + 60.0 * (n + 0.5) / RUNS for n in range(RUNS)]
    campaign_env.seed(RUNS, start=20_000)
    people = [keys.contact_id_for(f"p0-{n}@bench.example") for n in range(20_000, 20_000 + RUNS)]
    seed_runs(journey_id, people, dues)
    sent: list[dict[str, Any]] = []
    last: list[str] = []
    meter = _Meter()

    def keep(params: dict[str, Any], **_: Any) -> None:
        sent.extend(params["Entries"])
        last[:] = [e["Id"] for e in params["Entries"]]

    def take(**_: Any) -> tuple[Any, dict[str, Any]]:
        """SQS takes the batch: moto's queue recounts every message it holds at each send, a
        cost of moto's that grows with the queue, not one of the product's."""
        meter.calls["sqs"] += 1  # answered here, before the meter's own hook sees it
        ok = [{"Id": i, "MessageId": i, "MD5OfMessageBody": ""} for i in last]
        return answered("https://sqs.local/", {"Successful": ok, "Failed": []})

    later(m + TICK_AT - clock.now())
    sqs: Any = aws.sqs()
    sqs.meta.events.register(
        "provide-client-params.sqs.SendMessageBatch", keep, unique_id="bench-keep"
    )
    sqs.meta.events.register("before-call.sqs.SendMessageBatch", take, unique_id="bench-take")
    try:
        with _metered(meter):
            begun = meter.now()
            result = due.tick()
            ended = meter.now()
    finally:
        sqs.meta.events.unregister(
            "provide-client-params.sqs.SendMessageBatch", unique_id="bench-keep"
        )
        sqs.meta.events.unregister("before-call.sqs.SendMessageBatch", unique_id="bench-take")
    tick_calls = ended[1] - begun[1]
    tick_seconds = _seconds(ended[0] - begun[0], tick_calls)
    assert result.kinds.get("journey_queued") == RUNS, result
    order = {json.loads(e["MessageBody"])["pk"]: e["DelaySeconds"] for e in sent}
    delays = [order[keys.journey_run(p, journey_id)["pk"]] for p in people]
    later(m + 61 - clock.now())
    sample = [keys.journey_run(people[n], journey_id) for n in range(0, RUNS, RUNS // SAMPLE)]
    timings: list[_Timing] = []
    with _watching(timings):
        _deliver(stack, sample)
        firsts = len(timings)
        _deliver(stack, sample)  # again: each finds its run moved
    mails = sum(1 for t in timings[:firsts] if "sent" in t.marks)
    assert mails == len(sample), mails
    return {
        "m": m,
        "dues": dues,
        "delays": delays,
        "tick_seconds": tick_seconds,
        "tick_batches": math.ceil(len(sent) / 10),
        "tick_calls": dict(tick_calls),
        "services": [_service(t) for t in timings[:firsts]],
        "duplicate": [_service(t) for t in timings[firsts:]],
        "consumer_ddb_calls": sum(
            t.marks["end"][1]["dynamodb"] - t.marks["start"][1]["dynamodb"]
            for t in timings[:firsts]
        ),
    }


def simulate(
    dues: list[float],
    visible: list[float],
    services: list[Service],
    *,
    workers: int,
    batch: int,
    rate: float,
) -> tuple[list[float], list[float]]:
    """Lambda's SQS source over the messages (in due order); returns each run's lateness and
    moment of effect."""
    n = len(dues)
    order = sorted(range(n), key=lambda i: (visible[i], dues[i]))
    t0 = min(visible)
    heap: list[tuple[float, int, int]] = []
    for w in range(workers):
        ramp = max(0.0, (w - START_WORKERS + 1) / WORKERS_PER_SECOND)
        heapq.heappush(heap, (t0 + ramp + (COLD_START if w else 0.0), w, -1))
    done = [0.0] * n
    lateness = [0.0] * n
    tat = 0.0  # the pace bucket's next slot
    taken = 0
    pending: dict[int, list[int]] = {}  # worker -> its batch's messages still to run
    while heap:
        t, w, _ = heapq.heappop(heap)
        queue = pending.get(w) or []
        if not queue:
            if taken >= n:
                continue
            first = visible[order[taken]]
            if first > t:  # nothing visible: its long poll returns when something is
                heapq.heappush(heap, (first + POLL, w, -1))
                continue
            take = [i for i in order[taken : taken + batch] if visible[i] <= t]
            taken += len(take)
            pending[w] = queue = take
            t += POLL
        i = queue.pop(0)
        s = services[i % len(services)]
        slot = max(t + s.before, tat)
        tat = slot + 1.0 / rate
        done[i] = slot + s.send
        lateness[i] = done[i] - dues[i]
        heapq.heappush(heap, (done[i] + s.after, w, i))
    return lateness, done


def percentile(values: list[float], p: float) -> float:
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, math.ceil(p / 100 * len(ranked)) - 1)]


def model(measured: dict[str, Any], stack: Stack, same_second: bool = False) -> dict[str, Any]:
    props = stack.function("SchedulerFunction").properties["Events"]["JourneySteps"]["Properties"]
    workers = int(props["ScalingConfig"]["MaximumConcurrency"])
    batch = int(props["BatchSize"])
    m = measured["m"]
    dues = [float(m)] * RUNS if same_second else measured["dues"]
    tick_at = m + TICK_AT
    per_batch = measured["tick_seconds"] / measured["tick_batches"]  # its SQS calls included
    delays = measured["delays"]
    if same_second:
        delays = [steps_queue.delay_for(d, tick_at) for d in dues]
    visible = [
        max(tick_at + (n // 10 + 1) * per_batch, tick_at + delay) for n, delay in enumerate(delays)
    ]
    rate = SES_RATE * settings().send_rate_share
    lateness, done = simulate(
        dues, visible, measured["services"], workers=workers, batch=batch, rate=rate
    )
    next_tick = tick_at + 60
    tick_done = tick_at + measured["tick_batches"] * per_batch
    return {
        "p50": round(percentile(lateness, 50), 2),
        "p99": round(percentile(lateness, 99), 2),
        "max": round(max(lateness), 2),
        "sent_again": sum(1 for d, e in zip(dues, done, strict=True) if d <= next_tick < e),
        "tick_done_before_m_seconds": round(m - tick_done, 1),
    }


def figure(stack: Stack, journey_id: str, later: Callable[[float], None]) -> Figure:
    measured = measure_stage(stack, journey_id, later)
    services: list[Service] = measured["services"]
    uniform = model(measured, stack)
    same = model(measured, stack, same_second=True)
    mean = sum(s.before + s.send + s.after for s in services) / len(services)
    duplicate = sum(s.before + s.send + s.after for s in measured["duplicate"]) / len(services)
    value = {
        "p99": uniform["p99"],
        "uniform": uniform,
        "same_second": same,
        "runs": RUNS,
        "service_ms_mean": round(1000 * mean, 1),
        "duplicate_ms_mean": round(1000 * duplicate, 1),
        "consumer_dynamodb_calls_per_message": round(
            measured["consumer_ddb_calls"] / len(services), 2
        ),
        "tick_seconds": round(measured["tick_seconds"], 2),
        "tick_send_batches": measured["tick_batches"],
        "tick_calls": measured["tick_calls"],
        "ses_rate": SES_RATE,
    }
    log.info("journeys: lateness %s", value)
    return Figure("journeys.lateness_p99_seconds", value, GOAL, ("p99",))
