"""What reads and replaces moto's in-process state (moto documents `sent_messages` as an
internal API). `ThreadedMotoServer` runs in our process, so its backends are plain objects.
The cheaper answers with the same outcomes are in `local.moto_fast`; `one_record_per_update`
makes moto's stream what DynamoDB's is where moto's differs.
"""

from __future__ import annotations

import copy
import functools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import StreamShard
from moto.dynamodbstreams.models import dynamodbstreams_backends
from moto.ses.models import ses_backends
from moto.sesv2.responses import SESV2Response

from local.moto_threads import dynamodb_lock


@dataclass(frozen=True)
class SentEmail:
    message_id: str
    raw: bytes  # RFC 5322 message
    tags: dict[str, str] = field(default_factory=dict)  # the send's EmailTags


def sent_emails(account_id: str, region: str) -> list[SentEmail]:
    """Every message SES (v1 or v2: v2 stores in the v1 backend) accepted, oldest first."""
    backend = ses_backends[account_id][region]
    found = []
    for message in list(backend.sent_messages):
        raw = getattr(message, "raw_data", None)
        if raw is not None:
            data = raw.encode("utf-8") if isinstance(raw, str) else raw
            found.append(SentEmail(message.id, data, dict(_email_tags.get(message.id, {}))))
        elif hasattr(message, "subject"):  # a "Simple" send: rebuild the MIME SES would build
            found.append(SentEmail(message.id, _simple_message(message)))
    return found


_email_tags: dict[str, dict[str, str]] = {}


def keep_email_tags() -> None:
    """moto's SES v2 SendEmail drops `EmailTags`; keep them per message id, as SES puts them
    in every event it publishes (`mail.tags`). Idempotent; patches this process only."""
    if getattr(SESV2Response.send_email, "_ecrm_local", False):
        return
    send_email = SESV2Response.send_email

    def send_email_keeping_tags(self: SESV2Response) -> str:
        answer: str = send_email(self)
        tags = json.loads(self.body).get("EmailTags") or []
        if tags:
            message_id = json.loads(answer)["MessageId"]
            _email_tags[message_id] = {str(t["Name"]): str(t["Value"]) for t in tags}
        return answer

    send_email_keeping_tags._ecrm_local = True  # type: ignore[attr-defined]
    SESV2Response.send_email = send_email_keeping_tags  # type: ignore[method-assign]


def _simple_message(message: object) -> bytes:
    mail = EmailMessage()
    mail["From"] = str(getattr(message, "source", ""))
    destinations = getattr(message, "destinations", {}) or {}
    mail["To"] = ", ".join(destinations.get("ToAddresses", []))
    mail["Subject"] = str(getattr(message, "subject", ""))
    mail["Date"] = formatdate(localtime=False)
    body = str(getattr(message, "body", ""))
    mail.set_content(body, subtype="html" if body.lstrip().startswith("<") else "plain")
    return bytes(mail)


def forget_shard_iterator(iterator_arn: str) -> None:
    """moto keeps every shard iterator it ever issued; a poller issues one per poll, so drop
    the ones it has used up (otherwise memory grows for as long as `ecrm serve` runs)."""
    for account in list(dynamodbstreams_backends.values()):
        for backend in list(account.values()):
            backend.shard_iterators.pop(iterator_arn, None)


def answer_get_account(client: Any, max_send_rate: float, max_24_hour_send: float = 50_000) -> None:
    """moto 5.2 does not implement SES v2 GetAccount: answer it on this SES v2 `client` (tests
    and the bench, in process) with the given quota, as SES would answer it."""

    def answer(**_: Any) -> tuple[Any, dict[str, Any]]:
        quota = {
            "MaxSendRate": float(max_send_rate),
            "Max24HourSend": float(max_24_hour_send),
            "SentLast24Hours": 0.0,
        }
        parsed = {"SendQuota": quota, "SendingEnabled": True, "ProductionAccessEnabled": True}
        return answered("https://email.local/v2/email/account", parsed)

    client.meta.events.register("before-call.sesv2.GetAccount", answer, unique_id="ecrm-account")


def answered(url: str, parsed: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """What a `before-call` handler returns to answer the call itself (HTTP 200, `parsed`)."""
    from botocore.awsrequest import AWSResponse, HTTPHeaders  # noqa: PLC0415

    metadata = {"HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}
    return AWSResponse(url, 200, HTTPHeaders(), None), {**parsed, "ResponseMetadata": metadata}


@contextmanager
def fast_transactions() -> Iterator[None]:
    """While inside: moto's TransactWriteItems without its O(table) rollback copy.

    moto deep-copies the whole table for every item of a transaction, in case one fails, so a
    transaction costs O(table) and a campaign's (or a bench's) transactions grow quadratic.
    Here every condition is evaluated first, against the state before the transaction (which is
    what DynamoDB does: no item appears twice in one), nothing is written if one fails, and only
    the items about to be written are copied, to put them back if moto refuses a write midway.
    Restores moto's own implementation on exit (the patch is process-wide while it lasts)."""
    original = DynamoDBBackend.transact_write_items
    DynamoDBBackend.transact_write_items = _transact_checking_first  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]


def _key_of(table: Any, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    attrs = op["Item"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def _condition_error(current: Any, op: dict[str, Any]) -> tuple[Any, Any, Any]:
    """moto's cancellation reason for one write: (None, None, None) when its condition holds."""
    from moto.dynamodb.comparisons import get_filter_expression  # noqa: PLC0415

    condition = op.get("ConditionExpression")
    if condition is None:
        return None, None, None
    check = get_filter_expression(
        condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    )
    if check.expr(current):
        return None, None, None
    old = None
    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
        old = current.to_json()["Attributes"]
    return "ConditionalCheckFailed", "The conditional request failed", old


def _transact_checking_first(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    from moto.dynamodb.exceptions import (  # noqa: PLC0415
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    with dynamodb_lock:
        planned: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = []
        errors: list[tuple[Any, Any, Any]] = []
        seen: set[tuple[str, str]] = set()
        for entry in transact_items:
            if len(entry) > 1:
                raise TransactWriteSingleOpException
            op_type, op = next(iter(entry.items()))
            table_name = op["TableName"]
            key = _key_of(self.get_table(table_name), op_type, op)
            unique = (table_name, str(sorted(key.items())))
            if unique in seen:
                raise MultipleTransactionsException()
            seen.add(unique)
            errors.append(_condition_error(self.get_item(table_name, key), op))
            planned.append((op_type, table_name, op, key))
        if any(code is not None for code, _, _ in errors):
            raise TransactionCanceledException(errors)
        _apply(self, planned)


def _apply(
    self: DynamoDBBackend, planned: list[tuple[str, str, dict[str, Any], dict[str, Any]]]
) -> None:
    saved = []
    for _, table_name, _, key in planned:
        table = self.get_table(table_name)
        found = self.get_item(table_name, key)
        shard = table.stream_shard
        saved.append((table, key, copy.deepcopy(found), len(shard.items) if shard else 0))
    try:
        for op_type, table_name, op, key in planned:
            names = op.get("ExpressionAttributeNames") or {}
            values = op.get("ExpressionAttributeValues") or {}
            if op_type == "Put":
                self.put_item(table_name, op["Item"], expression_attribute_names=names)
            elif op_type == "Delete":
                self.delete_item(table_name, key)
            elif op_type == "Update":
                self.update_item(
                    table_name,
                    key,
                    update_expression=op["UpdateExpression"],
                    expression_attribute_names=names,
                    expression_attribute_values=values,
                )
    except Exception:
        for table, key, before, length in reversed(saved):
            _restore(table, key, before)
            if table.stream_shard is not None:
                del table.stream_shard.items[length:]
        raise


def _restore(table: Any, key: dict[str, Any], before: Any) -> None:
    hash_value = DynamoType(key[table.hash_key_attr])
    if table.range_key_attr is None:
        if before is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = before
        return
    range_value = DynamoType(key[table.range_key_attr])
    if before is None:
        table.items.get(hash_value, {}).pop(range_value, None)
    else:
        table.items[hash_value][range_value] = before


@contextmanager
def one_record_per_update() -> Iterator[None]:
    """While inside: an `UpdateItem` that creates its item streams one INSERT, as DynamoDB's.

    moto (5.2.6) creates a missing item from its key first (`Table.put_item`: a record of its
    own, an INSERT of the key alone), then applies the update (a second INSERT, of the whole
    item): every stream consumer ran on an image with no attributes before the real one (a
    sign-up's records 17 -> 21). Here an update's first record is not added when it is an
    INSERT of the key alone (an existing item's first is its MODIFY; an update leaving a new
    item its key alone, `REMOVE x`, still streams that item: its second record). What an
    update adds is told apart per thread (the tests' threads write without moto's lock).
    Transactions' updates (`fast_transactions` or moto's own) go through the same method."""
    update_item, add = DynamoDBBackend.update_item, StreamShard.add

    @functools.wraps(update_item)
    def updating(self: DynamoDBBackend, table_name: str, key: Any, *args: Any, **kw: Any) -> Any:
        _update.key_names = set(key)
        try:
            return update_item(self, table_name, key, *args, **kw)
        finally:
            _update.key_names = None

    @functools.wraps(add)
    def adding(self: StreamShard, old: Item | None, new: Item | None) -> None:
        key_names, _update.key_names = _update.key_names, None  # only an update's first
        if key_names and old is None and new is not None and set(new.attrs) <= key_names:
            return
        add(self, old, new)

    DynamoDBBackend.update_item, StreamShard.add = updating, adding  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoDBBackend.update_item, StreamShard.add = update_item, add  # type: ignore[method-assign]


class _Update(threading.local):
    key_names: set[str] | None = None  # the key of the update running on this thread


_update = _Update()
