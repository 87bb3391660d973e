"""Trends figures.

- `report.items_read`: items the 90-day summary (`GET /admin/reports?days=90`, the page's and
  `ecrm report`'s one call) reads, through the real reports handler under moto, for two table
  sizes (contacts with their interactions and scores, counted from the stream by the real
  trends handler first). Counted from the answers (Query `Items`, GetItem `Item`, BatchGetItem
  `Responses`) with a botocore hook. Goal: at most 100 whatever the size.
- `report.writes_per_counted_event`: items written (aggregate items + markers, the items of
  each TransactWriteItems that landed) per counted stream record, the stream in time order in
  batches of the template's size; and whether delivering every batch again changed a count.
"""

from __future__ import annotations

import copy
import logging
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3

from bench.figures import Figure
from bench.moto_env import Stack, as_function, in_process
from ecrm.platform import aws, clock, keys
from ecrm.platform.store import serialize
from local.sample_events import api_event, stream_event

log = logging.getLogger(__name__)

ITEMS_GOAL = 100
SIZES = (300, 3_000)  # contacts
DAYS = 90
BATCH = 50  # the template's BatchSize for TrendsFunction
SOURCES = ("google", "newsletter", "linkedin", "partner", None)
MARKETER = {"sub": "bench", "email": "bench@example.com", "cognito:groups": "marketers"}


def _interaction(contact_id: str, kind: str, event_id: str, at: float) -> dict[str, Any]:
    base = {"type": kind, "contact_id": contact_id, "event_id": event_id, "at": clock.iso(at)}
    return {**keys.interaction(contact_id, clock.iso(at), event_id), **base}


def _stage(score: int) -> str:
    return (
        "sql" if score >= 80 else "mql" if score >= 50 else "lead" if score >= 20 else "subscriber"
    )


def _changes(rnd: random.Random, contacts: int, now: float) -> list[dict[str, Any]]:
    """Per contact: a sign-up within the last 120 days, mostly a confirmation, a score."""
    changes: list[tuple[float, dict[str, Any]]] = []
    for n in range(contacts):
        contact_id = f"c{n:06d}"
        at = now - rnd.uniform(0, 120 * 86_400)
        form = _interaction(contact_id, "form_submitted", f"s{n}", at)
        source = rnd.choice(SOURCES)
        form |= {"form_id": "newsletter", "tracking": {"utm_source": source} if source else None}
        changes.append((at, form))
        if rnd.random() < 0.7:
            later = at + rnd.uniform(60, 86_400)
            changes.append((later, _interaction(contact_id, "confirmed", f"k{n}", later)))
        score = rnd.choice([5, 15, 25, 45, 60, 90])
        values = {"type": "score", "score": score, "stage": _stage(score), "version": 1}
        changes.append((at + 1, {**keys.score(contact_id, _stage(score)), **values}))
    changes.sort(key=lambda change: change[0])  # the stream's order
    return [item for _, item in changes]


def _records(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = stream_event(*items)["Records"]
    for number, record in enumerate(records):
        record["eventID"] = f"bench-{number:07d}"
    return records


@contextmanager
def _counting_items() -> Iterator[Counter[str]]:
    """Items read and items written by the product's DynamoDB client."""
    counted: Counter[str] = Counter()

    def answered(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if "Items" in parsed:
            counted["read"] += len(parsed["Items"])
        elif "Item" in parsed:
            counted["read"] += 1
        for found in (parsed.get("Responses") or {}).values():
            counted["read"] += len(found)
        if model.name == "TransactWriteItems" and "Error" not in parsed:
            counted["written"] += counted.pop("pending", 0)
        counted[model.name] += 1

    def asked(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "TransactWriteItems":
            counted["pending"] = len(params["TransactItems"])

    client = aws.dynamodb()
    client.meta.events.register("provide-client-params.dynamodb", asked)
    client.meta.events.register("after-call.dynamodb", answered)
    try:
        yield counted
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb", asked)
        client.meta.events.unregister("after-call.dynamodb", answered)


def _count_stream(stack: Stack, records: list[dict[str, Any]]) -> dict[str, Any]:
    with as_function(stack, "TrendsFunction") as function:
        from scoring.trends import lambda_handler  # noqa: PLC0415 - after the environment

        context = stack.context(function)
        with _counting_items() as counted:
            for start in range(0, len(records), BATCH):
                batch = {"Records": copy.deepcopy(records[start : start + BATCH])}
                assert lambda_handler(batch, context) == {"batchItemFailures": []}
        before = _aggregates(stack)
        for start in range(0, len(records), BATCH):  # every batch delivered again
            lambda_handler({"Records": copy.deepcopy(records[start : start + BATCH])}, context)
        changed = _aggregates(stack) != before
    return {
        "value": round(counted["written"] / len(records), 3),
        "records": len(records),
        "items_written": counted["written"],
        "transactions": counted["TransactWriteItems"],
        "redelivery_changed_counts": changed,
    }


def _aggregates(stack: Stack) -> list[dict[str, Any]]:
    client = boto3.client("dynamodb")
    items, _ = (
        client.query(
            TableName=stack.names.refs["Table"],
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.TRENDS}},
        ),
        None,
    )
    return [
        {k: v for k, v in i.items() if k not in {"version", "updated_at"}} for i in items["Items"]
    ]


def _summary_reads(stack: Stack) -> tuple[int, dict[str, int]]:
    with as_function(stack, "ReportsFunction") as function:
        from scoring.reports import lambda_handler  # noqa: PLC0415 - after the environment

        event = api_event("GET", "/admin/reports")
        event["queryStringParameters"] = {"days": str(DAYS)}
        event["multiValueQueryStringParameters"] = {"days": [str(DAYS)]}
        event["requestContext"]["authorizer"] = {"claims": MARKETER}
        with _counting_items() as counted:
            answer = lambda_handler(event, stack.context(function))
        assert answer["statusCode"] == 200, answer
    calls = {k: n for k, n in counted.items() if k[0].isupper()}
    return counted["read"], calls


def measure_size(contacts: int) -> tuple[int, dict[str, int], dict[str, Any]]:
    rnd = random.Random(contacts)
    now = clock.now()
    items = _changes(rnd, contacts, now)
    with in_process() as stack:
        writer = boto3.client("dynamodb")
        table = stack.names.refs["Table"]
        for item in items:  # the table holds what the stream carried
            writer.put_item(TableName=table, Item=serialize(item))
        writes = _count_stream(stack, _records(items))
        read, calls = _summary_reads(stack)
    return read, calls, writes


def measure() -> list[Figure]:
    reads: dict[str, Any] = {"days": DAYS}
    writes: dict[str, Any] = {}
    for contacts in SIZES:
        read, calls, counted = measure_size(contacts)
        reads[f"contacts_{contacts}"] = read
        reads[f"calls_{contacts}"] = calls
        writes = counted  # the larger table's stream
        log.info("report: %s contacts -> %s items read for %s days", contacts, read, DAYS)
    judged = tuple(f"contacts_{n}" for n in SIZES)
    return [
        Figure("report.items_read", reads, ITEMS_GOAL, judged),
        Figure("report.writes_per_counted_event", writes),
    ]
