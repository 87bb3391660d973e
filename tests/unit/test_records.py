"""`ecrm.platform.records` answers as Powertools' BatchProcessor did for the functions' stream
and queue batches: the same failures named, the same all-failed raise, the same images."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from ecrm.platform import records

IMAGE = {
    "pk": {"S": "CONTACT#c1"},
    "n": {"N": "1.50"},
    "big": {"N": "12345678901234567890123456789012345678"},
    "flag": {"BOOL": True},
    "none": {"NULL": True},
    "tags": {"SS": ["a", "b"]},
    "nums": {"NS": ["1", "2.5"]},
    "blob": {"B": base64.b64encode(b"\x00\x01").decode()},
    "blobs": {"BS": [base64.b64encode(b"x").decode()]},
    "list": {"L": [{"S": "x"}, {"N": "3"}, {"M": {"k": {"S": "v"}}}]},
    "map": {"M": {"inner": {"L": []}}},
}


def _stream(n: int) -> dict[str, Any]:
    return {
        "eventID": f"e{n}",
        "eventName": "MODIFY",
        "dynamodb": {"SequenceNumber": f"{n:04d}", "NewImage": IMAGE, "OldImage": IMAGE},
    }


def _message(n: int) -> dict[str, Any]:
    return {
        "messageId": f"m{n}",
        "body": f'{{"n": {n}}}',
        "attributes": {"ApproximateReceiveCount": "1"},
    }


def _failing(failed: set[int]) -> Callable[[int], None]:
    def fail(n: int) -> None:
        if n in failed:
            raise RuntimeError(f"record {n}")

    return fail


CASES = [set(), {1}, {0, 2}, {0, 1, 2}]


def _powertools(event: dict[str, Any], kind: EventType, fail: Callable[[int], None]) -> Any:
    def handle(record: Any) -> None:
        fail(
            int(
                record.dynamodb.sequence_number
                if kind is EventType.DynamoDBStreams
                else record.message_id[1:]
            )
        )

    try:
        return process_partial_response(
            event=event, record_handler=handle, processor=BatchProcessor(event_type=kind)
        )
    except BatchProcessingError:
        return "all failed"


def _ours(event: dict[str, Any], kind: type[Any], fail: Callable[[int], None]) -> Any:
    def handle(record: Any) -> None:
        fail(int(record.item_identifier.lstrip("m")))

    try:
        return records.each(event, handle, kind)
    except records.AllRecordsFailed:
        return "all failed"


@pytest.mark.parametrize("failed", CASES)
def test_a_stream_batch_answers_as_powertools(failed: set[int]) -> None:
    event = {"Records": [_stream(n) for n in range(3)]}
    fail = _failing(failed)
    expected = _powertools(event, EventType.DynamoDBStreams, fail)
    assert _ours(event, records.StreamRecord, fail) == expected


@pytest.mark.parametrize("failed", CASES)
def test_a_queue_batch_answers_as_powertools(failed: set[int]) -> None:
    event = {"Records": [_message(n) for n in range(3)]}
    fail = _failing(failed)
    assert _ours(event, records.QueueMessage, fail) == _powertools(event, EventType.SQS, fail)


def test_every_failure_is_reported_when_the_caller_asks_no_raise() -> None:
    event = {"Records": [_message(n) for n in range(2)]}

    def fail(record: records.QueueMessage) -> None:
        raise RuntimeError(record.body)

    answer = records.each(event, fail, records.QueueMessage, raise_when_all_fail=False)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m0"}, {"itemIdentifier": "m1"}]}


def test_stream_images_read_as_powertools_reads_them() -> None:
    raw = _stream(1)
    ours, theirs = records.StreamRecord(raw), DynamoDBRecord(raw)
    assert theirs.dynamodb is not None
    assert ours.new_image == theirs.dynamodb.new_image
    assert ours.old_image == theirs.dynamodb.old_image
    assert (ours.event_id, ours.event_name) == ("e1", "MODIFY")
    removed = records.StreamRecord({"eventName": "REMOVE", "dynamodb": {"SequenceNumber": "1"}})
    assert removed.new_image == {}


def test_a_message_reads_its_body_and_receive_count() -> None:
    message = records.QueueMessage(_message(7))
    assert (message.body, message.receive_count, message.item_identifier) == ('{"n": 7}', "1", "m7")


@pytest.mark.parametrize("event", [{}, {"Records": []}, {"Records": "x"}])
def test_an_event_without_records_is_refused(event: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="Records"):
        records.each(event, print, records.QueueMessage)
