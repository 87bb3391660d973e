"""Scoring from the stream, on moto: one write per contact per batch, and exactly-once effect
on at-least-once delivery (every batch replayed, random records and writes failing)."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from ecrm.platform import aws, clock, keys
from ecrm.platform.settings import settings
from ecrm.platform.store import serialize
from ecrm.scoring import engine as scoring_engine
from tests import events, stream_delivery
from tests.conftest import table_items

NOW = 1_780_000_000.0
T0 = NOW - 20 * 3600  # events of the last 20 hours: inside the stream's retention window
BATCH = 7
KINDS = [
    "form_submitted",
    "confirmed",
    "email_opened",
    "email_opened",
    "email_clicked",
    "unsubscribed",
    "preferences_updated",
    "email_delivered",
]


@pytest.fixture(autouse=True)
def fixed_clock(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "now", lambda: NOW)


def put(item: dict[str, Any]) -> None:
    boto3.client("dynamodb").put_item(TableName=settings().table_name, Item=serialize(item))


def contact(email: str) -> str:
    contact_id = keys.contact_id_for(email)
    put({**keys.contact(contact_id), "type": "contact", "email": email, "status": "subscribed"})
    return contact_id


def interaction(contact_id: str, n: int, kind: str, at: float, **extra: Any) -> dict[str, Any]:
    item = {
        **keys.interaction(contact_id, clock.iso(at), f"ev{n:04d}"),
        "type": kind,
        "contact_id": contact_id,
        "event_id": f"ev{n:04d}",
        "at": clock.iso(at),
        **extra,
    }
    put(item)
    return item


def workload(seed: int = 5, count: int = 90) -> list[dict[str, Any]]:
    """Interactions of six contacts, in the order they were written (the stream's order)."""
    rnd = random.Random(seed)
    people = [contact(f"p{i}@{'gmail.com' if i % 2 else 'acme.example'}") for i in range(6)]
    items = []
    for n in range(count):
        kind = rnd.choice(KINDS)
        extra: dict[str, Any] = {}
        if kind == "form_submitted":
            extra["form_id"] = rnd.choice(["newsletter", "demo-request"])
        if kind.startswith("email_") and rnd.random() < 0.3:
            extra["scanner"] = True
        items.append(interaction(rnd.choice(people), n, kind, T0 + n * 600, **extra))
    return items


def records(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    built = events.stream(*items)["Records"]
    for number, record in enumerate(built):
        record["dynamodb"]["SequenceNumber"] = str(10_000 + number)
    return built


def invoke(batch: list[dict[str, Any]]) -> int | None:
    from scoring.stream import lambda_handler

    return stream_delivery.invoke(lambda_handler, batch)


def deliver(stream: list[dict[str, Any]], *, twice: bool = False) -> int:
    from scoring.stream import lambda_handler

    return stream_delivery.deliver(lambda_handler, stream, BATCH, twice=twice)


def scores() -> dict[str, dict[str, Any]]:
    ignored = {"applied", "version", "updated_at"}
    return {
        i["pk"]: {k: v for k, v in i.items() if k not in ignored}
        for i in table_items()
        if i["sk"] == "SCORE"
    }


def history() -> list[tuple[str, str]]:
    return sorted((i["pk"], i["sk"]) for i in table_items() if i["sk"].startswith("SCORE#"))


def transitions() -> list[dict[str, Any]]:
    return sorted(
        (i for i in table_items() if i.get("type") == "stage_changed"), key=lambda i: i["sk"]
    )


def forget_scores() -> None:
    client = boto3.client("dynamodb")
    for item in table_items():
        if item["sk"].startswith("SCORE") or item.get("type") == "stage_changed":
            client.delete_item(
                TableName=settings().table_name, Key=serialize({"pk": item["pk"], "sk": item["sk"]})
            )


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], None]]:
    """Random failures: unreadable records, throttled reads and writes, writes whose answer is
    lost."""
    hooks: list[tuple[str, Any]] = []

    def start(seed: int) -> None:
        rnd = random.Random(seed)
        real = scoring_engine.Event.from_item.__func__  # type: ignore[attr-defined]

        def flaky_read(cls: type, item: dict[str, Any]) -> Any:
            if rnd.random() < 0.08:
                raise ValueError("injected: unreadable record")
            return real(cls, item)

        monkeypatch.setattr(scoring_engine.Event, "from_item", classmethod(flaky_read))

        def before(**_: Any) -> None:
            if rnd.random() < 0.2:
                raise ClientError(
                    {"Error": {"Code": "ThrottlingException", "Message": "injected"}},
                    "TransactWriteItems",
                )

        def after(**_: Any) -> None:
            if rnd.random() < 0.2:  # the write landed; its answer did not
                raise ReadTimeoutError(endpoint_url="https://dynamodb")

        for event, hook in (
            ("before-call.dynamodb.TransactWriteItems", before),
            ("after-call.dynamodb.TransactWriteItems", after),
            ("before-call.dynamodb.BatchGetItem", before),  # a batch's reads, refused
        ):
            aws.dynamodb().meta.events.register(event, hook)
            hooks.append((event, hook))

    yield start
    for event, hook in hooks:
        aws.dynamodb().meta.events.unregister(event, hook)


def test_each_batch_costs_one_write_per_contact_and_reads_its_contacts_together(
    aws_env: dict[str, str],
) -> None:
    items = workload()
    calls: Counter[str] = Counter()
    client = aws.dynamodb()
    hook = lambda model, **_: calls.update([model.name])  # noqa: E731
    client.meta.events.register("before-call.dynamodb", hook)
    try:
        for start in range(0, len(items), BATCH):
            chunk = items[start : start + BATCH]
            before = calls.copy()
            assert invoke(records(chunk)) is None
            made = calls - before
            writes = sum(
                n for op, n in made.items() if op in {"TransactWriteItems", "PutItem", "UpdateItem"}
            )
            contacts = {i["contact_id"] for i in chunk}
            assert made["TransactWriteItems"] == writes == len(contacts)
            # Scores and profiles in BatchGetItems of 100 keys; the ruleset at most once.
            assert made["BatchGetItem"] == math.ceil(2 * len(contacts) / 100)
            assert made["GetItem"] <= 1 and made["Query"] == 0
    finally:
        client.meta.events.unregister("before-call.dynamodb", hook)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_replayed_and_partly_failing_batches_score_exactly_like_one_clean_delivery(
    aws_env: dict[str, str], faults: Callable[[int], None], seed: int
) -> None:
    stream = records(workload(seed))
    clean_invocations = deliver(stream)
    clean = (scores(), history(), transitions())
    assert clean[1] and clean[2], "the workload should move scores and stages"

    forget_scores()
    faults(seed)
    assert deliver(stream, twice=True) > clean_invocations  # faults did strike

    assert scores() == clean[0]
    assert history() == clean[1]  # one history item per scored event: none twice, none lost
    assert transitions() == clean[2]


def test_own_stage_changes_and_other_items_are_ignored(aws_env: dict[str, str]) -> None:
    contact_id = contact("solo@acme.example")
    form = interaction(contact_id, 1, "form_submitted", T0, form_id="demo-request")
    assert invoke(records([form])) is None
    [moved] = transitions()
    assert (moved["from_stage"], moved["to_stage"], moved["cause"]) == (
        "subscriber",
        "lead",
        "ev0001",
    )
    before = table_items()

    consent = {**form, "sk": f"CONSENT#{form['at']}#x", "type": "consent"}
    assert invoke(records([moved, consent])) is None

    assert table_items() == before


def test_a_score_from_an_older_ruleset_is_rebuilt_from_the_timeline(
    aws_env: dict[str, str],
) -> None:
    from ecrm.scoring import rules, rulesets, schema

    contact_id = contact("old@acme.example")
    first = interaction(contact_id, 1, "confirmed", T0)
    invoke(records([first]))
    data = rules.default_ruleset().to_item()
    data["engagement"] = [
        {"id": "confirmed-more", "on": "confirmed", "points": 40},
        {"id": "clicks", "on": "email_clicked", "points": 5},
    ]
    rulesets.save(schema.validate(data), "test")

    click = interaction(contact_id, 2, "email_clicked", T0 + 60)
    assert invoke(records([click])) is None

    [score] = scores().values()
    assert score["ruleset_version"] == 1
    assert set(score["engagement"]) == {"confirmed-more", "clicks"}
    assert score["stage"] == "mql"  # 10 fit + 40 + 5 (a few seconds of decay)
