"""A batch of Lambda records, a DynamoDB stream's or an SQS queue's, each handled on its own, and
the partial batch response: the records that failed are redelivered, the others are not.

    return records.each(event, record_handler, records.StreamRecord)

It answers as Powertools' `BatchProcessor` with `process_partial_response` did for these two
sources (tests/unit/test_records.py holds them equal): `{"batchItemFailures": [...]}` naming
each failed record (its sequence number, or its message id), and `AllRecordsFailed` raised when
every record failed (Lambda then retries the whole batch), unless the caller reports that too.
Stream images are read with Powertools' own deserializer (numbers as `Decimal`, sets, bytes).

Why not Powertools': `aws_lambda_powertools.utilities.batch` imports asyncio (for its async
processors) and every event data class (`utilities.data_classes`), 10-15% of a cold start of
the baseline that only imports boto3, for a loop and a list (issue 15 point 7).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from aws_lambda_powertools.shared.dynamodb_deserializer import TypeDeserializer

BatchResponse = dict[str, list[dict[str, str | None]]]
_deserializer = TypeDeserializer()


class AllRecordsFailed(Exception):
    """Every record of the batch failed: the invocation fails and Lambda retries the batch."""

    def __init__(self, errors: list[Exception]) -> None:
        causes = "; ".join(f"{type(error).__name__}: {error}" for error in errors)
        super().__init__(f"All records failed processing ({len(errors)}): {causes}")
        self.errors = errors


class StreamRecord:
    """One record of a DynamoDB stream (`eventName`, the images of the item)."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.change: dict[str, Any] = raw.get("dynamodb") or {}

    @property
    def event_id(self) -> str | None:
        return self.raw.get("eventID")

    @property
    def event_name(self) -> str:
        """INSERT, MODIFY or REMOVE ("" when absent)."""
        return str(self.raw.get("eventName") or "")

    @functools.cached_property
    def new_image(self) -> dict[str, Any]:
        """The item after the change ({} for a removal, or a stream that does not carry it)."""
        return _image(self.change.get("NewImage"))

    @functools.cached_property
    def old_image(self) -> dict[str, Any]:
        return _image(self.change.get("OldImage"))

    @property
    def item_identifier(self) -> str | None:
        return self.change.get("SequenceNumber")


class QueueMessage:
    """One message of an SQS queue."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    @property
    def body(self) -> str:
        return str(self.raw["body"])

    @property
    def receive_count(self) -> str:
        """How many times it was received (`ApproximateReceiveCount`, "1" the first time)."""
        return str(self.raw["attributes"]["ApproximateReceiveCount"])

    @property
    def item_identifier(self) -> str:
        return str(self.raw["messageId"])


def _image(image: dict[str, Any] | None) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in (image or {}).items()}


class _Record(Protocol):
    @property
    def item_identifier(self) -> str | None: ...


R = TypeVar("R", bound=_Record)


def each(
    event: dict[str, Any],
    handle: Callable[[R], Any],
    kind: Callable[[dict[str, Any]], R],
    *,
    raise_when_all_fail: bool = True,
) -> BatchResponse:
    """Handle every record of `event` as a `kind`; the ones whose `handle` raised are named in
    the answer, to be redelivered. A failure is not logged here: `handle` says what it must."""
    raw_records = event.get("Records")
    if not raw_records or not isinstance(raw_records, list):
        raise ValueError("Invalid event format: a batch event has a list of Records.")
    failed: list[str | None] = []
    errors: list[Exception] = []
    for record in map(kind, raw_records):
        try:
            handle(record)
        except Exception as error:  # any failure of one record: redeliver it, go on
            errors.append(error)
            failed.append(record.item_identifier)
    if errors and len(errors) == len(raw_records) and raise_when_all_fail:
        raise AllRecordsFailed(errors) from errors[-1]
    return {"batchItemFailures": [{"itemIdentifier": identifier} for identifier in failed]}
