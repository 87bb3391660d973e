"""Scoring figures.

- `scoring.events_per_second`: interactions evaluated per second on one core by the pure engine
  (stream images read into events, fit, engagement rules, caps, decay, stages), contacts'
  batches of up to 25 events as the stream function sees them. Best of three rounds.
- `scoring.writes_per_contact_per_batch`: DynamoDB write calls (TransactWriteItems, PutItem,
  UpdateItem, BatchWriteItem, DeleteItem) per contact per stream batch while the real scoring
  handler processes batches under moto (in process), counted with the botocore hook of
  `bench.capture_calls`; a redelivery of the same batches is counted apart (it writes nothing).
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any

import boto3

from bench.capture_calls import counting_calls
from bench.figures import Figure
from bench.moto_env import as_function, in_process
from ecrm.platform import clock, keys
from ecrm.platform.store import serialize
from ecrm.scoring.engine import Engine, Event, Score
from ecrm.scoring.rules import default_ruleset
from local.sample_events import stream_event

log = logging.getLogger(__name__)

FUNCTION = "ScoringFunction"
RATE_GOAL = 20_000.0  # events per second, at least
WRITES_GOAL = 1.0  # per contact per batch, at most
BATCH = 25
KINDS = (
    "form_submitted",
    "confirmed",
    "email_opened",
    "email_opened",
    "email_opened",
    "email_clicked",
    "email_delivered",
    "preferences_updated",
    "unsubscribed",
)
WRITES = {"TransactWriteItems", "PutItem", "UpdateItem", "BatchWriteItem", "DeleteItem"}


def _items(rnd: random.Random, contact_id: str, count: int, start: float) -> list[dict[str, Any]]:
    items = []
    for n in range(count):
        at = start + n * rnd.randrange(60, 7200)
        kind = rnd.choice(KINDS)
        event_id = f"ev_{contact_id}_{n}"
        item: dict[str, Any] = {
            **keys.interaction(contact_id, clock.iso(at), event_id),
            "type": kind,
            "contact_id": contact_id,
            "event_id": event_id,
            "at": clock.iso(at),
        }
        if kind == "form_submitted":
            item["form_id"] = rnd.choice(["newsletter", "demo-request"])
        if kind.startswith("email_") and rnd.random() < 0.2:
            item["scanner"] = True
        items.append(item)
    return items


def events_per_second(count: int = 50_000, rounds: int = 3) -> dict[str, Any]:
    rnd = random.Random(11)
    engine = Engine(default_ruleset())
    start = 1_780_000_000.0
    contacts = [f"c{n:05d}" for n in range(count // 50)]
    batches = [
        (items[i : i + BATCH], {"email": f"{contact}@acme.example"})
        for contact in contacts
        for items in [_items(rnd, contact, 50, start)]
        for i in range(0, 50, BATCH)
    ]
    now = start + 60 * 86400
    best = float("inf")
    for _ in range(rounds):
        scores: dict[str, Score] = {}
        began = time.perf_counter()
        for images, contact in batches:
            contact_id = images[0]["contact_id"]
            events = [Event.from_item(image) for image in images]
            score = scores.get(contact_id) or engine.new_score()
            scores[contact_id] = engine.apply(score, events, engine.fit(contact), now).score
        best = min(best, time.perf_counter() - began)
    evaluated = sum(len(images) for images, _ in batches)
    return {"events_per_second": round(evaluated / best), "events": evaluated, "rounds": rounds}


def writes_per_contact_per_batch(batches: int = 30, contacts: int = 120) -> dict[str, Any]:
    rnd = random.Random(3)
    now = clock.now()
    with in_process() as stack, as_function(stack, FUNCTION):
        from scoring.stream import lambda_handler  # noqa: PLC0415 - after the environment

        context = stack.context(stack.function(FUNCTION))
        table = stack.names.refs["Table"]
        writer = boto3.client("dynamodb")  # created before the counting hook: not counted
        people = [keys.contact_id_for(f"p{n}@acme.example") for n in range(contacts)]
        for n, contact_id in enumerate(people):
            writer.put_item(
                TableName=table,
                Item=serialize(
                    {
                        **keys.contact(contact_id),
                        "type": "contact",
                        "email": f"p{n}@acme.example",
                        "status": "subscribed",
                    }
                ),
            )
        stream: list[list[dict[str, Any]]] = []
        for b in range(batches):
            batch = []
            for n in range(BATCH):
                contact_id = rnd.choice(people)
                [item] = _items(rnd, contact_id, 1, now - 3600 + b * 60 + n)
                item["event_id"] = item["sk"].rsplit("#", 1)[1] + f"_{b}_{n}"
                item["sk"] = f"EVENT#{item['at']}#{item['event_id']}"
                writer.put_item(TableName=table, Item=serialize(item))
                batch.append(item)
            stream.append(batch)
        with counting_calls() as calls:
            pairs = 0
            for batch in stream:
                pairs += len({item["contact_id"] for item in batch})
                lambda_handler(stream_event(*batch), context)
            first = calls.copy()
            for batch in stream:  # Lambda redelivers: nothing new, nothing written
                lambda_handler(stream_event(*batch), context)
            again = calls - first
    writes = sum(n for op, n in first.items() if op.split(".")[-1] in WRITES)
    rewrites = sum(n for op, n in again.items() if op.split(".")[-1] in WRITES)
    return {
        "value": round(writes / pairs, 3),
        "contact_batches": pairs,
        "batches": batches,
        "redelivered_batches_writes": rewrites,
        "calls_by_operation": dict(sorted(first.items())),
    }


def measure() -> list[Figure]:
    rate = events_per_second()
    log.info("scoring: %s events/s", rate["events_per_second"])
    writes = writes_per_contact_per_batch()
    log.info("scoring: %s writes per contact per batch", writes["value"])
    return [
        Figure("scoring.events_per_second", rate, RATE_GOAL, ("events_per_second",), at_least=True),
        Figure("scoring.writes_per_contact_per_batch", writes, WRITES_GOAL, ("value",)),
    ]
