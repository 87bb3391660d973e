"""The single-table store: the only module that talks to DynamoDB.

Domain modules describe writes as `Put` / `Update` / `Check` values built from `keys`; this
module serialises them, runs them (one TransactWriteItems where they must land together) and
turns AWS failures into domain outcomes: a cancelled condition, or `Busy` (retry as is).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as NetworkError

from ecrm.platform import aws
from ecrm.platform.errors import Busy
from ecrm.platform.settings import settings

Item = dict[str, Any]

_RETRYABLE = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
}
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


@dataclass(frozen=True)
class Put:
    item: Item
    condition: str | None = None
    names: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Update:
    key: Mapping[str, str]
    expression: str
    condition: str | None = None
    names: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Any] = field(default_factory=dict)
    # In a transaction: when the condition fails, hand back the item as it was (one call saved).
    return_old: bool = False


@dataclass(frozen=True)
class Check:
    key: Mapping[str, str]
    condition: str
    names: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Any] = field(default_factory=dict)
    return_old: bool = False


@dataclass(frozen=True)
class Delete:
    key: Mapping[str, str]
    condition: str | None = None
    names: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Any] = field(default_factory=dict)


Write = Put | Update | Check | Delete


class ConditionFailed(Exception):
    """A single conditional write found the item in another state."""


class TransactionCancelled(Exception):
    """Some condition in a transaction failed; `failed[i]` is True for each failing write."""

    def __init__(self, failed: list[bool], old_items: list[Item | None] | None = None) -> None:
        super().__init__("transaction cancelled by a condition")
        self.failed = failed
        # `old_items[i]`: the item a failed write with `return_old` found (None otherwise).
        self.old_items = old_items or [None] * len(failed)


# --- values ---------------------------------------------------------------------------------


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Mapping):
        return {k: _to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal and sets as set: give callers JSON-able values."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(plain(v) for v in value)
    return value


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in item.items() if v is not None}


def deserialize(item: Mapping[str, Any]) -> Item:
    return {k: plain(_deserializer.deserialize(v)) for k, v in item.items()}


def _expression_args(op: Write) -> dict[str, Any]:
    args: dict[str, Any] = {}
    if op.condition:
        args["ConditionExpression"] = op.condition
    if op.names:
        args["ExpressionAttributeNames"] = dict(op.names)
    if op.values:
        args["ExpressionAttributeValues"] = serialize(op.values)
    if getattr(op, "return_old", False):
        args["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return args


def _transact_item(op: Write, table: str) -> dict[str, Any]:
    args = {"TableName": table, **_expression_args(op)}
    if isinstance(op, Put):
        return {"Put": {"Item": serialize(op.item), **args}}
    if isinstance(op, Update):
        return {"Update": {"Key": serialize(op.key), "UpdateExpression": op.expression, **args}}
    if isinstance(op, Delete):
        return {"Delete": {"Key": serialize(op.key), **args}}
    return {"ConditionCheck": {"Key": serialize(op.key), **args}}


def _raise_retryable(error: ClientError) -> None:
    if error.response["Error"]["Code"] in _RETRYABLE:
        raise Busy() from error


# A timeout or dropped connection leaves the outcome unknown; every write here is conditional
# or idempotent, so the caller may simply retry.
_NETWORK = (NetworkError, HTTPClientError)


# --- operations -----------------------------------------------------------------------------


def get(key: Mapping[str, str], *, consistent: bool = True) -> Item | None:
    try:
        response = aws.dynamodb().get_item(
            TableName=settings().table_name, Key=serialize(key), ConsistentRead=consistent
        )
    except ClientError as error:
        _raise_retryable(error)
        raise
    except _NETWORK as error:
        raise Busy() from error
    item = response.get("Item")
    return deserialize(item) if item else None


def write(op: Put | Update) -> Item:
    """One conditional write; returns the item as stored (for an Update)."""
    table = settings().table_name
    client = aws.dynamodb()
    try:
        if isinstance(op, Put):
            client.put_item(TableName=table, Item=serialize(op.item), **_expression_args(op))
            return dict(op.item)
        response = client.update_item(
            TableName=table,
            Key=serialize(op.key),
            UpdateExpression=op.expression,
            ReturnValues="ALL_NEW",
            **_expression_args(op),
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise ConditionFailed() from error
        _raise_retryable(error)
        raise
    except _NETWORK as error:
        raise Busy() from error
    return deserialize(response.get("Attributes", {}))


def transact(ops: Sequence[Write]) -> None:
    """All writes land or none does (one TransactWriteItems round trip)."""
    table = settings().table_name
    try:
        aws.dynamodb().transact_write_items(
            TransactItems=[_transact_item(op, table) for op in ops]  # type: ignore[misc]
        )
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code != "TransactionCanceledException":
            _raise_retryable(error)
            raise
        cancellations = error.response.get("CancellationReasons", [])
        reasons = [r.get("Code", "None") for r in cancellations]
        # A conflict with another in-flight transaction or a throttle is transient: retry.
        if any(r not in {"None", "ConditionalCheckFailed"} for r in reasons):
            raise Busy() from error
        old = [deserialize(r["Item"]) if r.get("Item") else None for r in cancellations]
        raise TransactionCancelled([r == "ConditionalCheckFailed" for r in reasons], old) from error
    except _NETWORK as error:
        raise Busy() from error


def transact_optional(required: Sequence[Write], optional: Sequence[Write]) -> list[Write]:
    """`transact`, where a failed condition on an optional write (a counter on an item that may
    be gone, say) drops that write and retries the rest. Returns the optional writes that landed.
    A failed required condition raises TransactionCancelled over the required writes only."""
    remaining = list(optional)
    while True:
        try:
            transact([*required, *remaining])
            return remaining
        except TransactionCancelled as cancelled:
            head, tail = cancelled.failed[: len(required)], cancelled.failed[len(required) :]
            if any(head) or not any(tail):
                raise TransactionCancelled(head) from None
            remaining = [op for op, failed in zip(remaining, tail, strict=False) if not failed]


def query(
    pk: str,
    *,
    sk_prefix: str | None = None,
    index: str | None = None,
    limit: int | None = None,
    start: Mapping[str, Any] | None = None,
    newest_first: bool = False,
    sk_from: str | None = None,
    sk_below: str | None = None,
    sk_between: tuple[str, str] | None = None,
    consistent: bool = False,
) -> tuple[list[Item], dict[str, Any] | None]:
    """One page of a partition (or of an index partition); returns the next page's start.
    At most one of `sk_prefix`, `sk_from` (sort key >=), `sk_below` (<) and `sk_between`
    (both bounds included) narrows it.
    `consistent`: a strongly consistent read (twice the read units; never on an index)."""
    pk_name, sk_name = ("gsi1pk", "gsi1sk") if index == "gsi1" else ("pk", "sk")
    condition, values = "#pk = :pk", {":pk": pk}
    for operand, form in (
        (sk_prefix, "begins_with(#sk, :sk)"),
        (sk_from, "#sk >= :sk"),
        (sk_below, "#sk < :sk"),
    ):
        if operand:
            condition, values[":sk"] = f"{condition} AND {form}", operand
    if sk_between:
        condition = f"{condition} AND #sk BETWEEN :sk AND :sk_to"
        values[":sk"], values[":sk_to"] = sk_between
    names = {"#pk": pk_name, **({"#sk": sk_name} if ":sk" in values else {})}
    args: dict[str, Any] = {
        "TableName": settings().table_name,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": serialize(values),
        "ScanIndexForward": not newest_first,
    }
    if index:
        args["IndexName"] = index
    if consistent:
        args["ConsistentRead"] = True
    if limit:
        args["Limit"] = limit
    if start:
        args["ExclusiveStartKey"] = start
    return _page(lambda: aws.dynamodb().query(**args))


def scan_index(index: str, start: Mapping[str, Any] | None, limit: int) -> tuple[list[Item], Any]:
    """One page of every entry of an index, and the next page's start. Only for a one-off pass
    over an index (`ecrm.due_legacy`): every other read is a Query."""
    args: dict[str, Any] = {"TableName": settings().table_name, "IndexName": index, "Limit": limit}
    if start:
        args["ExclusiveStartKey"] = start
    return _page(lambda: aws.dynamodb().scan(**args))


def _page(read: Callable[[], Any]) -> tuple[list[Item], Any]:
    """One page a Query or Scan (`read`) answers: its items, and the next page's start."""
    try:
        response = read()
    except ClientError as error:
        _raise_retryable(error)
        raise
    except _NETWORK as error:
        raise Busy() from error
    return [deserialize(i) for i in response.get("Items", [])], response.get("LastEvaluatedKey")


def query_all(pk: str, *, sk_prefix: str | None = None, consistent: bool = False) -> Iterator[Item]:
    """Every item of a partition (or of its `sk_prefix` part), page after page."""
    start: dict[str, Any] | None = None
    while True:
        items, start = query(pk, sk_prefix=sk_prefix, start=start, consistent=consistent)
        yield from items
        if not start:
            return


# --- batches (campaign fan-out and sending) ----------------------------------------------------
_BATCH_GET_MAX = 100
_BATCH_WRITE_MAX = 25
_UNPROCESSED_RETRIES = 6


def _key_of(item: Mapping[str, Any]) -> tuple[str, str]:
    return str(item["pk"]), str(item["sk"])


def batch_get(
    keys_: Sequence[Mapping[str, str]],
    *,
    consistent: bool = True,
    attributes: Sequence[str] = (),
) -> dict[tuple[str, str], Item]:
    """Many GetItems in BatchGetItem calls of 100 keys; found items by (pk, sk), with only
    `attributes` (and the keys) when given. Keys that DynamoDB leaves unprocessed
    (throttling) are asked again with backoff, then `Busy`."""
    table = settings().table_name
    found: dict[tuple[str, str], Item] = {}
    unique = list({_key_of(k): {"pk": k["pk"], "sk": k["sk"]} for k in keys_}.values())
    projection: dict[str, Any] = {}
    if attributes:
        names = {f"#a{i}": name for i, name in enumerate(dict.fromkeys(["pk", "sk", *attributes]))}
        projection = {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}
    for start in range(0, len(unique), _BATCH_GET_MAX):
        request: dict[str, Any] = {
            table: {
                "Keys": [serialize(k) for k in unique[start : start + _BATCH_GET_MAX]],
                "ConsistentRead": consistent,
                **projection,
            }
        }
        for attempt in range(_UNPROCESSED_RETRIES + 1):
            try:
                response = aws.dynamodb().batch_get_item(RequestItems=request)
            except ClientError as error:
                _raise_retryable(error)
                raise
            except _NETWORK as error:
                raise Busy() from error
            for raw in response.get("Responses", {}).get(table, []):
                item = deserialize(raw)
                found[_key_of(item)] = item
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
            if attempt == _UNPROCESSED_RETRIES:
                raise Busy("The table is throttling reads; retry later.")
            time.sleep(min(1.0, 0.02 * 2**attempt))
    return found


def batch_put(items: Sequence[Mapping[str, Any]]) -> None:
    """Unconditional Puts in BatchWriteItem calls of 25 (for items only this caller writes);
    unprocessed items are sent again with backoff, then `Busy`."""
    table = settings().table_name
    for start in range(0, len(items), _BATCH_WRITE_MAX):
        chunk = items[start : start + _BATCH_WRITE_MAX]
        request: dict[str, Any] = {table: [{"PutRequest": {"Item": serialize(i)}} for i in chunk]}
        for attempt in range(_UNPROCESSED_RETRIES + 1):
            try:
                response = aws.dynamodb().batch_write_item(RequestItems=request)
            except ClientError as error:
                _raise_retryable(error)
                raise
            except _NETWORK as error:
                raise Busy() from error
            request = response.get("UnprocessedItems") or {}
            if not request:
                break
            if attempt == _UNPROCESSED_RETRIES:
                raise Busy("The table is throttling writes; retry later.")
            time.sleep(min(1.0, 0.02 * 2**attempt))
