"""`journeys.entries_per_second` (issue 18): contacts entering a journey through a segment
(`{"segment": id}`: its members enter when the version is published), and the Scans that
takes (goal 0).

Measured (the real code, moto in process, SchedulerFunction's environment): `MEASURED`
subscribed contacts on the newsletter, three in four in the segment (a field condition); the
journey is published through `definitions.publish`, which queues the first page of each topic
shard; SchedulerFunction's handler then takes the journey queue's messages until it is empty
(each page: a Query of the topic index, BatchGetItem of its contacts, each member's
conditional entry, the next page's message). Counted: DynamoDB Scans (every call of the
product's clients), runs entered; metered per page as `journeys.lateness_p99_seconds` meters a
step (CPU outside AWS calls at 512 MB's share, a round trip per call, `POLL` per message).

Reported for `CONTACTS` (100,000) entering, with as many non-members among the topic's members
as measured: the shards' pages run side by side (8 chains, far under the queue's 100 workers),
each chain's pages one after another, each topic member read taking what it took on average in
the measured pages: entries per second = 100,000 / a chain's time. The Scans are those of the
measured enrollment (every call of the product's clients), and of what follows on the same
stack: the journey takes later joiners (`joiners`), and `bench.journey_joiners` measures
contacts' changes on the stream and a daily pass (their figures join this one's).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from typing import Any

from bench import campaign_env, journey_joiners
from bench.figures import Figure
from bench.journey_lateness import POLL, _Meter, _metered, _seconds
from bench.moto_env import Stack
from ecrm.journeys import definitions, queue_worker
from ecrm.journeys.model import JourneyIn
from ecrm.platform import aws, keys
from ecrm.segments import audience
from ecrm.segments import definitions as segments
from local.lambda_runtime import LambdaContext
from local.queues import lambda_record

log = logging.getLogger(__name__)

CONTACTS = 100_000
MEASURED = 8_000
FIRST = 60_000  # the seeded contacts' numbers (`campaign_env.seed`: p0-<n>@bench.example)
SENDER = {"email": "news@example.com", "name": "Bench"}


def _company(n: int) -> str:
    return "Acme" if n % 4 else "Other"  # three in four in the segment


def _segment() -> str:
    body = segments.SegmentIn.model_validate(
        {
            "name": "Bench segment",
            "topic": "newsletter",
            "conditions": [{"kind": "field", "field": "company", "op": "eq", "value": "Acme"}],
        }
    )
    segments.create("bench-seg", body)
    return "bench-seg"


def _journey(segment: str) -> str:
    body = JourneyIn.model_validate(
        {
            "name": "Bench segment entry",
            "entry": {"segment": segment, "joiners": True},
            "start": "first",
            "steps": [
                {
                    "id": "first",
                    "type": "send",
                    "template_id": "bench-j",
                    "topic": "newsletter",
                    "sender": SENDER,
                }
            ],
        }
    )
    return definitions.create(body).id


def figure(stack: Stack) -> Figure:
    campaign_env.seed(MEASURED, start=FIRST, fields=lambda n: {"f_company": _company(n)})
    journey_id = _journey(_segment())
    scans: list[str] = []
    aws.dynamodb().meta.events.register(
        "before-call.dynamodb.Scan", lambda **_: scans.append("Scan"), unique_id="bench-scan"
    )
    pages: list[tuple[float, int]] = []  # each page's modelled seconds, its topic members
    meter = _Meter()
    real = queue_worker.consume
    read: Counter[str] = Counter()

    def consume(message: Any) -> str:
        begun = meter.now()
        before = audience_reads()
        answer = real(message)
        ended = meter.now()
        pages.append(
            (_seconds(ended[0] - begun[0], ended[1] - begun[1]), audience_reads() - before)
        )
        return answer

    def audience_reads() -> int:
        return read["candidates"]

    real_page = audience.members_page

    def members_page(*args: Any, **kwargs: Any) -> audience.Page:
        found = real_page(*args, **kwargs)
        read["candidates"] += found.candidates
        return found

    queue_worker.consume = consume
    audience.members_page = members_page
    try:
        with _metered(meter):
            definitions.publish(journey_id)
            _drain(stack)
    finally:
        queue_worker.consume = real
        audience.members_page = real_page
        aws.dynamodb().meta.events.unregister("before-call.dynamodb.Scan", unique_id="bench-scan")
    from ecrm.journeys import stats  # noqa: PLC0415

    entered = int(stats.of(journey_id).get(1, {}).get("first", {}).get("entered", 0))
    ids = {n: keys.contact_id_for(f"p0-{n}@bench.example") for n in range(FIRST, FIRST + MEASURED)}
    aws.dynamodb().meta.events.register(
        "before-call.dynamodb.Scan", lambda **_: scans.append("Scan"), unique_id="bench-scan"
    )
    try:
        joining = journey_joiners.measure(
            stack,
            journey_id,
            [i for n, i in ids.items() if _company(n) == "Other"],
            [i for n, i in ids.items() if _company(n) == "Acme"],
            _drain,
        )
    finally:
        aws.dynamodb().meta.events.unregister("before-call.dynamodb.Scan", unique_id="bench-scan")
    members = sum(m for _, m in pages)
    per_member = (sum(s for s, _ in pages) + POLL * len(pages)) / max(1, members)
    share = entered / max(1, members)  # in the segment, of the topic's members
    chain = math.ceil(CONTACTS / share / keys.TOPIC_SHARDS)  # topic members per shard
    seconds = per_member * chain
    value = {
        "entries_per_second": round(CONTACTS / seconds, 1),
        "scans": len(scans),
        "contacts": CONTACTS,
        "measured_contacts": MEASURED,
        "measured_entered": entered,
        "measured_pages": len(pages),
        "seconds_for_all": round(seconds, 1),
        "ms_per_topic_member": round(1000 * per_member, 2),
        **joining,
    }
    log.info("journeys: segment entries %s", value)
    return Figure("journeys.entries_per_second", value, 0.0, ("scans",))


def _drain(stack: Stack) -> None:
    from mailing.scheduler import lambda_handler  # noqa: PLC0415 - its environment is set

    sqs, url = aws.sqs(), stack.names.refs["JourneyQueue"]
    arn = stack.names.attributes[("JourneyQueue", "Arn")]
    c = stack.context(stack.function("SchedulerFunction"))
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", []):
        context = LambdaContext(
            c.function_name, c.invoked_function_arn, c.memory_limit_in_mb, c.timeout_seconds
        )
        answer = lambda_handler({"Records": [lambda_record(got[0], arn, "us-east-1")]}, context)
        assert not answer["batchItemFailures"], answer
        sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
