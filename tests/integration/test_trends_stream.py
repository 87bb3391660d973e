"""Trend counters from the stream, on moto: exact counts under at-least-once delivery (every
batch replayed, writes throttled or their answers lost), one write per aggregate item per
batch, and only counted records reach the function (the template's FilterCriteria)."""

from __future__ import annotations

import json
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
from ecrm.trends.counting import UNLISTED_SOURCE
from local.event_filter import matches_any
from local.moto_backend import fast_transactions
from local.template import Template
from tests import events, stream_delivery
from tests.conftest import ROOT, table_items

NOW = 1_780_000_000.0
DAY = 86_400
BATCH = 9
SOURCES = ["google", "newsletter", None, '<img src=x onerror="alert(1)">']
FORMS = ["newsletter", "demo-request"]


@pytest.fixture(autouse=True)
def fixed_clock(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(clock, "now", lambda: NOW)
    with fast_transactions():  # moto copies the table per transaction item otherwise
        yield


def record(
    n: int, kind: str, new: dict[str, Any] | None, old: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A stream record as Lambda delivers it (unique eventID, old and new images)."""
    image = new or old
    assert image is not None
    raw = events.stream(image)["Records"][0]
    raw["eventID"] = f"rec-{n:05d}"
    raw["eventName"] = kind
    raw["dynamodb"]["SequenceNumber"] = str(10_000 + n)
    raw["dynamodb"].pop("NewImage", None)
    if new is not None:
        raw["dynamodb"]["NewImage"] = serialize(new)
    if old is not None:
        raw["dynamodb"]["OldImage"] = serialize(old)
    return raw


def interaction(contact: str, n: int, kind: str, at: float, **extra: Any) -> dict[str, Any]:
    return {
        **keys.interaction(contact, clock.iso(at), f"ev{n:05d}"),
        "type": kind,
        "contact_id": contact,
        "event_id": f"ev{n:05d}",
        "at": clock.iso(at),
        **extra,
    }


def score(contact: str, value: float, stage: str, version: int) -> dict[str, Any]:
    item = {**keys.score(contact, stage), "type": "score", "score": value, "stage": stage}
    return {**item, "version": version}


def batch_tally(campaign: str, batch: str, sent: int, at: float) -> dict[str, Any]:
    tally = {"type": "campaign_batch", "sent": sent, "skipped": 1, "failed": 0}
    return {**keys.campaign_batch(campaign, batch), **tally, "at": clock.iso(at)}


def _counted_item(rnd: random.Random, n: int, at: float, expected: Counter[str]) -> dict[str, Any]:
    """A new item of a counted kind, and its count in `expected`."""
    contact = f"c{rnd.randrange(12)}"
    kind = rnd.choice(["form", "form", "confirmed", "unsub", "stage", "mail", "batch"])
    if kind == "form":
        source, form = rnd.choice(SOURCES), rnd.choice(FORMS)
        tracking = {"utm_source": source} if source else None
        expected.update(["signups", f"form:{form}", f"source:{(source or '(none)').lower()}"])
        return interaction(contact, n, "form_submitted", at, form_id=form, tracking=tracking)
    if kind == "confirmed":
        expected["confirmed"] += 1
        return interaction(contact, n, "confirmed", at)
    if kind == "unsub":
        expected.update(["unsubscribed", "campaign:unsubscribed"])
        return interaction(contact, n, "unsubscribed", at, campaign_id="cmp1")
    if kind == "stage":
        expected["entered:lead"] += 1
        return interaction(contact, n, "stage_changed", at, to_stage="lead")
    if kind == "mail":
        mail = rnd.choice(["email_delivered", "email_opened", "email_clicked"])
        scanner = mail != "email_delivered" and rnd.random() < 0.3
        campaign = rnd.choice(["cmp1", None])
        if campaign and not scanner:
            expected[f"campaign:{mail.removeprefix('email_')}"] += 1
        return interaction(contact, n, mail, at, campaign_id=campaign, scanner=scanner)
    sent = rnd.randrange(0, 50)
    expected["campaign:sent"] += sent
    return batch_tally("cmp1", f"0.0.{n}", sent, at)


def _score_change(rnd: random.Random, n: int, scores: dict[str, dict[str, Any]]) -> dict[str, Any]:
    contact = f"c{rnd.randrange(12)}"
    old = scores.get(contact)
    if old and rnd.random() < 0.2:  # erased
        del scores[contact]
        return record(n, "REMOVE", None, old)
    value = rnd.choice([-5, 5, 12, 25, 55, 120])
    new = score(
        contact, value, "lead" if value >= 20 else "subscriber", old["version"] + 1 if old else 1
    )
    scores[contact] = new
    return record(n, "MODIFY" if old else "INSERT", new, old)


def workload(seed: int, count: int = 160) -> tuple[list[dict[str, Any]], Counter[str]]:
    """A stream of counted changes, and what an independent tally of it says."""
    rnd = random.Random(seed)
    stream: list[dict[str, Any]] = []
    expected: Counter[str] = Counter()
    scores: dict[str, dict[str, Any]] = {}
    for n in range(count):
        if rnd.random() < 1 / 8:
            stream.append(_score_change(rnd, n, scores))
            continue
        at = NOW - rnd.randrange(0, 4) * DAY - rnd.randrange(0, 3600)
        stream.append(record(n, "INSERT", _counted_item(rnd, n, at, expected)))
    for live in scores.values():
        expected[f"now:{live['stage']}"] += 1
    return stream, expected


def invoke(batch: list[dict[str, Any]]) -> int | None:
    from scoring.trends import lambda_handler

    return stream_delivery.invoke(lambda_handler, batch)


def deliver(stream: list[dict[str, Any]], *, twice: bool = False) -> int:
    from scoring.trends import lambda_handler

    return stream_delivery.deliver(lambda_handler, stream, BATCH, twice=twice)


def aggregates() -> dict[str, dict[str, Any]]:
    ignored = {"version", "updated_at"}
    return {
        i["sk"]: {k: v for k, v in i.items() if k not in ignored}
        for i in table_items()
        if i["pk"] == keys.TRENDS
    }


def summed(group: str) -> Counter[str]:
    total: Counter[str] = Counter()
    for sk, item in aggregates().items():
        if sk.startswith("DAY#"):
            total.update(item.get(group) or {})
    return total


def forget_counts() -> None:
    client = boto3.client("dynamodb")
    for item in table_items():
        if item["pk"] == keys.TRENDS or item["pk"].startswith("TRENDMARK#"):
            key = serialize({"pk": item["pk"], "sk": item["sk"]})
            client.delete_item(TableName=settings().table_name, Key=key)


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], None]]:
    """Throttled reads and writes, and writes that land but whose answer is lost."""
    hooks: list[tuple[str, Any]] = []
    monkeypatch.setattr("ecrm.trends.tally.time.sleep", lambda _: None)

    def start(seed: int) -> None:
        rnd = random.Random(seed)

        def throttle(**_: Any) -> None:
            if rnd.random() < 0.2:
                raise ClientError(
                    {"Error": {"Code": "ThrottlingException", "Message": "injected"}}, "Call"
                )

        def lose_answer(**_: Any) -> None:
            if rnd.random() < 0.25:
                raise ReadTimeoutError(endpoint_url="https://dynamodb")

        for event, hook in (
            ("before-call.dynamodb.TransactWriteItems", throttle),
            ("before-call.dynamodb.GetItem", throttle),
            ("after-call.dynamodb.TransactWriteItems", lose_answer),
        ):
            aws.dynamodb().meta.events.register(event, hook)
            hooks.append((event, hook))

    yield start
    for event, hook in hooks:
        aws.dynamodb().meta.events.unregister(event, hook)


def test_a_clean_delivery_counts_what_the_stream_holds(aws_env: dict[str, str]) -> None:
    stream, expected = workload(seed=1)
    deliver(stream)

    totals, forms = summed("totals"), summed("signups_by_form")
    sources = summed("signups_by_source")
    assert totals["signups"] == expected["signups"] > 0
    assert totals["confirmed"] == expected["confirmed"]
    assert totals["unsubscribed"] == expected["unsubscribed"]
    assert {f: n for f, n in forms.items()} == {
        f: expected[f"form:{f}"] for f in FORMS if expected[f"form:{f}"]
    }
    hostile = SOURCES[3]  # not a campaign label: counted, but never kept as typed
    assert sources[UNLISTED_SOURCE] == expected[f"source:{hostile}"] > 0
    assert hostile not in sources
    assert sources["(none)"] == expected["source:(none)"]
    assert summed("stage_entered")["lead"] == expected["entered:lead"]
    for outcome in ("sent", "delivered", "opened", "clicked", "unsubscribed"):
        assert summed(f"campaign_{outcome}")["cmp1"] == expected[f"campaign:{outcome}"], outcome
    gauges = aggregates()["GAUGES"]
    stages = {s: n for s, n in gauges["stage"].items() if n}
    live = {s: expected[f"now:{s}"] for s in ("lead", "subscriber")}
    assert stages == {s: n for s, n in live.items() if n}
    assert sum(gauges["score_bucket"].values()) == sum(stages.values())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_replayed_and_failing_batches_count_exactly_like_one_clean_delivery(
    aws_env: dict[str, str], faults: Callable[[int], None], seed: int
) -> None:
    stream, _ = workload(seed)
    clean_invocations = deliver(stream)
    clean = aggregates()
    forget_counts()

    faults(seed)
    assert deliver(stream, twice=True) > clean_invocations  # faults did strike
    assert aggregates() == clean


def test_each_batch_writes_each_aggregate_item_once(aws_env: dict[str, str]) -> None:
    stream, _ = workload(seed=4)
    calls: Counter[str] = Counter()
    hook = lambda model, **_: calls.update([model.name])  # noqa: E731
    aws.dynamodb().meta.events.register("before-call.dynamodb", hook)
    try:
        for start in range(0, len(stream), BATCH):
            batch = stream[start : start + BATCH]
            before = calls.copy()
            assert invoke(batch) is None
            made = calls - before
            targets = {_target(r) for r in batch} - {None}
            assert made["TransactWriteItems"] <= len(targets)
            assert made["PutItem"] == made["UpdateItem"] == made["BatchWriteItem"] == 0
    finally:
        aws.dynamodb().meta.events.unregister("before-call.dynamodb", hook)


def _target(raw: dict[str, Any]) -> str | None:
    image = raw["dynamodb"].get("NewImage") or raw["dynamodb"].get("OldImage")
    if image["sk"]["S"] == "SCORE":
        return "GAUGES"
    at = image.get("at", {}).get("S")
    return at[:10] if at else None


def source(name: str) -> dict[str, Any]:
    return {"form_id": "f", "tracking": {"utm_source": name}}


def test_a_day_keeps_at_most_fifty_sources_and_counts_the_rest_as_other(
    aws_env: dict[str, str],
) -> None:
    stream = [
        record(n, "INSERT", interaction("c1", n, "form_submitted", NOW, **source(f"s{n}")))
        for n in range(70)
    ]
    deliver(stream)
    sources = summed("signups_by_source")
    assert len(sources) == 51
    assert sources["(other)"] == 20
    assert sum(sources.values()) == 70


def test_the_template_filter_lets_through_only_what_is_counted(aws_env: dict[str, str]) -> None:
    template = Template.load(ROOT / "infra" / "template.yaml")
    function = template.resource("TrendsFunction")
    [source] = [e for e in function.properties["Events"].values() if e["Type"] == "DynamoDB"]

    patterns = [json.loads(f["Pattern"]) for f in source["Properties"]["FilterCriteria"]["Filters"]]
    counted = [
        record(1, "INSERT", interaction("c", 1, "form_submitted", NOW, form_id="f")),
        record(2, "INSERT", interaction("c", 2, "email_opened", NOW, campaign_id="cmp")),
        record(3, "MODIFY", score("c", 30, "lead", 2), score("c", 10, "subscriber", 1)),
        record(4, "REMOVE", None, score("c", 30, "lead", 2)),
        record(5, "INSERT", batch_tally("cmp", "0.0.0", 3, NOW)),
    ]
    ignored = [
        record(6, "INSERT", interaction("c", 6, "email_opened", NOW)),  # no campaign
        record(7, "INSERT", interaction("c", 7, "preferences_updated", NOW)),
        record(8, "MODIFY", {**keys.contact("c"), "type": "contact", "status": "subscribed"}),
        record(9, "INSERT", {**keys.trend_marker("rec-1"), "type": "trend_mark"}),
        record(10, "REMOVE", None, interaction("c", 10, "form_submitted", NOW, form_id="f")),
    ]
    assert all(matches_any(patterns, r) for r in counted)
    assert not any(matches_any(patterns, r) for r in ignored)


def test_a_day_that_cannot_be_written_fails_only_its_records_and_the_redelivery_is_exact(
    aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ecrm.trends.tally.time.sleep", lambda _: None)
    today, yesterday = NOW, NOW - DAY
    batch = [
        record(1, "INSERT", interaction("c1", 1, "form_submitted", yesterday, form_id="f")),
        record(2, "INSERT", interaction("c2", 2, "form_submitted", today, form_id="f")),
        record(3, "INSERT", interaction("c3", 3, "confirmed", yesterday)),
        record(4, "INSERT", score("c3", 25, "lead", 1)),
    ]
    today_sk = keys.trend_day(clock.iso(today)[:10])["sk"]

    def refuse_today(params: dict[str, Any], **_: Any) -> None:
        if any(today_sk in str(item) for item in params["TransactItems"]):
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "x"}}, "Tx")

    aws.dynamodb().meta.events.register(
        "provide-client-params.dynamodb.TransactWriteItems", refuse_today
    )
    try:
        assert invoke(batch) == 1  # Lambda redelivers from the first record of today
    finally:
        aws.dynamodb().meta.events.unregister(
            "provide-client-params.dynamodb.TransactWriteItems", refuse_today
        )
    counted = aggregates()
    assert today_sk not in counted  # nothing of today was written
    assert counted[f"DAY#{clock.iso(yesterday)[:10]}"]["totals"] == {"signups": 1, "confirmed": 1}

    assert invoke(batch[1:]) is None  # the redelivery: records 2..4, 3 and 4 counted already
    after = aggregates()
    assert after[today_sk]["totals"] == {"signups": 1}
    assert after[f"DAY#{clock.iso(yesterday)[:10]}"]["totals"] == {"signups": 1, "confirmed": 1}
    assert after["GAUGES"]["stage"] == {"lead": 1}
