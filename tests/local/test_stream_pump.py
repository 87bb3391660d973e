"""The DynamoDB stream pump against a moto server: filtering, batching, and Lambda's
checkpoint-and-retry semantics, with a fake handler standing in for a function."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

import boto3
import pytest

from local import pump as pumps
from local.intrinsics import LocalNames, local_names
from local.moto_backend import forget_shard_iterator
from local.moto_threads import thread_safe_moto
from local.resources import create_resources
from local.stream_reads import StreamReader
from local.streams import StreamPump, lambda_record
from local.template import PollerSource
from tests.local.conftest import small_template

SOURCE = PollerSource(
    event_name="Test",
    kind="DynamoDB",
    source=None,
    batch_size=10,
    filter_patterns=(
        {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"kind": {"S": ["keep"]}}}},
    ),
    report_batch_item_failures=True,
    maximum_retry_attempts=2,
    bisect_on_error=False,
    on_failure_destination=None,
    starting_position="LATEST",
)


class Fixture:
    def __init__(self, moto_url: str) -> None:
        thread_safe_moto()
        self.moto_url = moto_url
        self.names: LocalNames = local_names(small_template())
        create_resources(small_template(), self.names, endpoint_url=moto_url)
        self.table = self.names.refs["Table"]
        self.dynamodb = boto3.client("dynamodb", endpoint_url=moto_url)
        self.sqs = boto3.client("sqs", endpoint_url=moto_url)
        self.calls: list[list[str]] = []
        self.failures: list[dict[str, Any]] = []

    def put(self, sk: str, kind: str = "keep") -> None:
        self.dynamodb.put_item(
            TableName=self.table,
            Item={"pk": {"S": "P"}, "sk": {"S": sk}, "kind": {"S": kind}},
        )

    def pump(self, answer: Callable[[list[dict[str, Any]]], Any], **changes: Any) -> StreamPump:
        def deliver(event: dict[str, Any]) -> Any:
            records = event["Records"]
            self.calls.append([r["dynamodb"]["NewImage"]["sk"]["S"] for r in records])
            return answer(records)

        pump = StreamPump(
            name="test",
            streams=boto3.client("dynamodbstreams", endpoint_url=self.moto_url),
            stream_arn=self.names.attributes[("Table", "StreamArn")],
            source=replace(SOURCE, **changes),
            deliver=deliver,
            region="us-east-1",
            on_failure=self.failures.append,
            forget_iterator=forget_shard_iterator,
            retry_delay=0.0,
        )
        pump.open()
        return pump


@pytest.fixture
def streams(moto_url: str) -> Fixture:
    return Fixture(moto_url)


def run_until_idle(pump: StreamPump) -> None:
    for _ in range(50):
        if not pump.poll_once():
            return
    raise AssertionError("pump never went idle")


def succeed(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"batchItemFailures": []}


def test_only_records_after_start_that_match_the_filter_are_delivered(streams: Fixture) -> None:
    streams.put("before")
    pump = streams.pump(succeed)
    streams.put("a")
    streams.put("ignored", kind="other")
    streams.put("b")
    streams.put("a")  # a MODIFY: filtered out by eventName

    run_until_idle(pump)

    assert streams.calls == [["a", "b"]]
    event_record = pump.delivered
    assert event_record == 2


def test_delivered_records_have_lambdas_shape(streams: Fixture) -> None:
    seen: list[dict[str, Any]] = []
    pump = streams.pump(seen.extend)
    streams.put("a")
    run_until_idle(pump)

    (record,) = seen
    assert record["eventSource"] == "aws:dynamodb"
    assert record["eventVersion"] == "1.1"
    assert record["eventName"] == "INSERT"
    assert record["awsRegion"] == "us-east-1"
    assert record["eventSourceARN"] == streams.names.attributes[("Table", "StreamArn")]
    dynamodb = record["dynamodb"]
    assert dynamodb["Keys"] == {"pk": {"S": "P"}, "sk": {"S": "a"}}
    assert dynamodb["NewImage"]["kind"] == {"S": "keep"}
    assert dynamodb["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(dynamodb["ApproximateCreationDateTime"], float)
    assert {"SequenceNumber", "SizeBytes"} <= dynamodb.keys()
    json.dumps(record)  # what a function receives is plain JSON


def test_a_record_read_off_the_wire_is_the_record_botocores_parse_gives(
    streams: Fixture,
) -> None:
    """The pump skips botocore's parse of GetRecords (`keep_wire_records`); every kind of
    attribute value reaches the function as the parsed record, made JSON, would."""
    seen: list[dict[str, Any]] = []
    pump = streams.pump(seen.extend)
    item = {
        "pk": {"S": "P"}, "sk": {"S": "every kind"}, "kind": {"S": "keep"},
        "blob": {"B": b"\x00\xffbytes"}, "blobs": {"BS": [b"a", b"\x01"]},
        "n": {"N": "12.50"}, "ns": {"NS": ["1", "2.5"]}, "ss": {"SS": ["x", "y"]},
        "flag": {"BOOL": False}, "none": {"NULL": True},
        "map": {"M": {"inner": {"L": [{"S": "é"}, {"N": "-3"}, {"B": b"z"}]}}},
    }  # fmt: skip
    streams.dynamodb.put_item(TableName=streams.table, Item=item)
    run_until_idle(pump)

    plain = boto3.client("dynamodbstreams", endpoint_url=streams.moto_url)  # botocore's parse
    arn = streams.names.attributes[("Table", "StreamArn")]
    shard = plain.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = plain.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    parsed = plain.get_records(ShardIterator=iterator)["Records"]
    (record,) = seen
    (expected,) = [
        lambda_record(r, arn, "us-east-1")
        for r in parsed
        if r["dynamodb"]["Keys"]["sk"] == {"S": "every kind"}
    ]
    assert record == expected
    assert json.loads(json.dumps(record)) == record


def test_the_pumps_of_a_stream_share_each_read_and_each_gets_its_own_records(
    streams: Fixture,
) -> None:
    """Two mappings of one table (`StreamReader`): each record is read once for both, each
    pump filters for itself, and what one function does to its records the other never sees."""
    client = boto3.client("dynamodbstreams", endpoint_url=streams.moto_url)
    read: list[int] = []  # records per GetRecords answer
    client.meta.events.register(
        "after-call.dynamodb-streams.GetRecords",
        lambda parsed, **_: read.append(len(parsed["Records"])),
    )
    arn = streams.names.attributes[("Table", "StreamArn")]
    reader = StreamReader(client, arn, forget_shard_iterator)
    got: dict[str, list[str]] = {"keep": [], "other": []}

    def pump(kind: str) -> StreamPump:
        def deliver(event: dict[str, Any]) -> Any:
            for record in event["Records"]:
                got[kind].append(record["dynamodb"]["NewImage"]["sk"]["S"])
                record["dynamodb"]["NewImage"]["sk"]["S"] = "changed by " + kind
            return {}

        pattern = {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"kind": {"S": [kind]}}}}
        source = replace(
            SOURCE, filter_patterns=(pattern, {"dynamodb": {"Keys": {"sk": {"S": ["both"]}}}})
        )
        made = StreamPump(
            name=kind, streams=client, stream_arn=arn, source=source, deliver=deliver,
            region="us-east-1", reader=reader,
        )  # fmt: skip
        made.open()
        return made

    keep, other = pump("keep"), pump("other")
    streams.put("a")
    streams.put("b", kind="other")
    streams.put("both", kind="neither")

    run_until_idle(keep)
    run_until_idle(other)
    assert got == {"keep": ["a", "both"], "other": ["b", "both"]}
    assert sum(read) == 3  # not 3 per pump


class _AnnouncedLock:
    """A lock that says when a thread starts waiting for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.asked = threading.Semaphore(0)

    def __enter__(self) -> None:
        self.asked.release()
        self._lock.acquire()

    def __exit__(self, *_: object) -> None:
        self._lock.release()


def test_a_read_begun_after_a_pumps_call_serves_it_and_one_begun_before_does_not(
    streams: Fixture,
) -> None:
    """Pumps woken by one write: the first reads; two more ask while it reads, after another
    write. Each must get that write, and one read serves both: two reads, not three."""
    client = boto3.client("dynamodbstreams", endpoint_url=streams.moto_url)
    reads: list[list[str]] = []
    first_read_done, go_on = threading.Event(), threading.Event()

    def after_read(parsed: dict[str, Any], **_: Any) -> None:
        reads.append([r["dynamodb"]["Keys"]["sk"]["S"] for r in parsed["Records"]])
        if len(reads) == 1:
            first_read_done.set()
            assert go_on.wait(10)

    client.meta.events.register("after-call.dynamodb-streams.GetRecords", after_read)
    reader = StreamReader(client, streams.names.attributes[("Table", "StreamArn")])
    lock = reader._lock = _AnnouncedLock()  # type: ignore[assignment]
    inboxes = [reader.inbox() for _ in range(3)]
    reader.open()
    taken: dict[int, list[str]] = {}

    def take(n: int) -> None:
        taken[n] = [r["dynamodb"]["Keys"]["sk"]["S"] for r in reader.take(inboxes[n])]

    streams.put("first")
    threads = [threading.Thread(target=take, args=(n,)) for n in range(3)]
    threads[0].start()
    assert first_read_done.wait(10)
    streams.put("during the first read")
    for thread in threads[1:]:
        thread.start()
    for _ in range(3):
        assert lock.asked.acquire(timeout=10)
    go_on.set()
    for thread in threads:
        thread.join(10)
    assert reads == [["first"], ["during the first read"]]
    assert taken == {0: ["first"], 1: ["first", "during the first read"], 2: taken[1]}


def test_a_stream_is_read_again_only_after_a_write(streams: Fixture) -> None:
    """Pumps woken by a drain, or polling as they back off, found nothing new in most reads: the
    reader skips GetRecords while the table took no write since its last read began."""
    client = boto3.client("dynamodbstreams", endpoint_url=streams.moto_url)
    reads: list[int] = []
    client.meta.events.register(
        "after-call.dynamodb-streams.GetRecords", lambda parsed, **_: reads.append(1)
    )
    arn = streams.names.attributes[("Table", "StreamArn")]
    reader = StreamReader(client, arn, writes=partial(pumps.writes, pumps.DYNAMODB))
    inbox = reader.inbox()
    reader.open()

    def sort_keys() -> list[str]:
        return [r["dynamodb"]["Keys"]["sk"]["S"] for r in reader.take(inbox)]

    counted = pumps.writes(pumps.DYNAMODB)
    streams.put("a")
    assert pumps.writes(pumps.DYNAMODB) > counted  # the write was heard (thread_safe_moto)
    assert sort_keys() == ["a"]
    assert sort_keys() == []  # read again: a read with records may have left some behind
    assert sort_keys() == [] and sort_keys() == []
    assert len(reads) == 2
    streams.put("b")
    assert sort_keys() == ["b"]
    assert len(reads) == 3

    reader.page = 2
    for sk in "cde":
        streams.put(sk)
    assert sort_keys() == ["c", "d"]
    assert sort_keys() == ["e"]  # the rest of the stream, though nothing was written since


def test_batch_size_caps_each_invocation(streams: Fixture) -> None:
    pump = streams.pump(succeed, batch_size=2)
    for sk in "abcde":
        streams.put(sk)
    run_until_idle(pump)
    assert streams.calls == [["a", "b"], ["c", "d"], ["e"]]


def test_a_reported_failure_redelivers_from_the_first_failed_record(streams: Fixture) -> None:
    failed_once: set[str] = set()

    def fail_b_once(records: list[dict[str, Any]]) -> dict[str, Any]:
        failures = []
        for record in records:
            sk = record["dynamodb"]["NewImage"]["sk"]["S"]
            if sk in {"b", "c"} and sk not in failed_once:
                failed_once.add(sk)
                failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
        return {"batchItemFailures": failures}

    pump = streams.pump(fail_b_once)
    for sk in "abcd":
        streams.put(sk)
    run_until_idle(pump)

    # "a" is checkpointed; delivery resumes at "b" (the first failure) with what follows it.
    assert streams.calls == [["a", "b", "c", "d"], ["b", "c", "d"]]
    assert not streams.failures


def test_a_raising_handler_gets_the_batch_again_then_it_is_given_up(streams: Fixture) -> None:
    def crash(records: list[dict[str, Any]]) -> Any:
        raise RuntimeError("poison")

    pump = streams.pump(crash, maximum_retry_attempts=2)
    streams.put("a")
    streams.put("b")
    run_until_idle(pump)

    assert streams.calls == [["a", "b"]] * 3  # the first try and two retries
    (notice,) = streams.failures
    assert notice["requestContext"]["condition"] == "RetryAttemptsExhausted"
    info = notice["DDBStreamBatchInfo"]
    assert info["batchSize"] == 2
    assert info["streamArn"] == streams.names.attributes[("Table", "StreamArn")]


def test_bisecting_gives_up_only_the_failing_record(streams: Fixture) -> None:
    def reject_a(records: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["dynamodb"]["SequenceNumber"]}
                for r in records
                if r["dynamodb"]["NewImage"]["sk"]["S"] == "a"
            ]
        }

    pump = streams.pump(reject_a, maximum_retry_attempts=1, bisect_on_error=True)
    streams.put("a")
    streams.put("b")
    run_until_idle(pump)

    assert streams.calls == [["a", "b"], ["a", "b"], ["b"]]
    assert [n["DDBStreamBatchInfo"]["batchSize"] for n in streams.failures] == [1]


def test_an_unknown_item_identifier_fails_the_whole_batch(streams: Fixture) -> None:
    answers = iter([{"batchItemFailures": [{"itemIdentifier": "nope"}]}, {}])
    pump = streams.pump(lambda records: next(answers))
    streams.put("a")
    streams.put("b")
    run_until_idle(pump)
    assert streams.calls == [["a", "b"], ["a", "b"]]


def test_drain_returns_once_everything_written_so_far_is_processed(streams: Fixture) -> None:
    pump = streams.pump(succeed)
    pump.start()
    try:
        for sk in "abc":
            streams.put(sk)
        pump.drain(timeout=60)
        assert [sk for call in streams.calls for sk in call] == ["a", "b", "c"]
    finally:
        pump.stop()


def test_drain_times_out_while_a_record_keeps_failing(streams: Fixture) -> None:
    def crash(records: list[dict[str, Any]]) -> Any:
        raise RuntimeError("poison")

    pump = streams.pump(crash, maximum_retry_attempts=None)
    pump.start()
    try:
        streams.put("a")
        with pytest.raises(TimeoutError):
            pump.drain(timeout=0.5)
    finally:
        pump.stop()


def test_a_cancelled_transaction_leaves_no_record_and_later_ones_still_arrive(
    streams: Fixture,
) -> None:
    pump = streams.pump(succeed)
    streams.put("existing")
    run_until_idle(pump)
    new = {"pk": {"S": "P"}, "sk": {"S": "phantom"}, "kind": {"S": "keep"}}
    with pytest.raises(streams.dynamodb.exceptions.TransactionCanceledException):
        streams.dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": streams.table, "Item": new}},
                {
                    "ConditionCheck": {
                        "TableName": streams.table,
                        "Key": {"pk": {"S": "P"}, "sk": {"S": "existing"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    streams.put("after")
    run_until_idle(pump)
    assert streams.calls == [["existing"], ["after"]]
