"""Cheaper moto answers with the same outcomes: what `ecrm serve`, the tests and the benches
run moto with when the table grows to thousands of items.

moto 5.2 walks every response through a generic serializer, shape by shape, sorts the whole
table for every Query (a Query of one partition included), copies the table for every item of
a transaction and parses whole raw mails for their address headers; botocore signs every
request, which moto never checks. Each patch here answers the same document
(tests/local/test_fast_item_responses.py compares them with moto's own) and puts the original
method back on exit; `fast_moto()` enters them all. docs/design/moto.md.
"""

from __future__ import annotations

import calendar
import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from email.message import Message
from email.parser import Parser
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

from local.moto_backend import fast_transactions, one_record_per_update
from local.moto_threads import table_items

# DynamoDB operations whose moto result is already the JSON document DynamoDB answers with.
_PLAIN_JSON_OPERATIONS = frozenset(
    {
        "GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "DeleteItem",
        "BatchWriteItem", "TransactWriteItems", "TransactGetItems", "Scan",
    }
)  # fmt: skip


@contextmanager
def fast_moto() -> Iterator[None]:
    """Every patch below, `fast_transactions`, and `one_record_per_update` (a stream as
    DynamoDB's), for as long as the block lasts."""
    with ExitStack() as patches:
        for each in (
            fast_transactions,
            one_record_per_update,
            fast_item_responses,
            fast_queries,
            plain_dynamodb_parameters,
            fast_raw_sends,
            shared_pool_key,
            unsigned_requests,
        ):
            patches.enter_context(each())
        patches.enter_context(fast_stream_records())
        yield


@contextmanager
def fast_item_responses() -> Iterator[None]:
    """While inside: moto answers DynamoDB item operations with `json.dumps` of its result.

    For the operations above moto's result is the wire document already (attribute values in
    their `{"S": ...}` form, no timestamps or blobs): keeping the output shape's members in its
    order gives the same document; anything else, errors included, takes moto's own path."""
    from moto.core.responses import ActionResult  # noqa: PLC0415

    original = ActionResult.execute_result

    def execute_result(self: ActionResult, context: Any) -> Any:
        operation = str(context.operation_model.name)
        result = self.result
        if (
            context.service_model.service_name == "dynamodb"
            and operation in _PLAIN_JSON_OPERATIONS
            and isinstance(result, dict)
        ):
            members = context.operation_model.output_shape.members
            document = {name: result[name] for name in members if name in result}
            try:
                body = json.dumps(document)
            except TypeError:
                return original(self, context)
            return 200, {"Content-Type": "application/x-amz-json-1.0"}, body
        return original(self, context)

    ActionResult.execute_result = execute_result  # type: ignore[method-assign]
    try:
        yield
    finally:
        ActionResult.execute_result = original  # type: ignore[method-assign]


@contextmanager
def plain_dynamodb_parameters() -> Iterator[None]:
    """While inside: a DynamoDB request's parameters are its JSON body as sent.

    moto walks each body through its parser of the service's model, member by member (a
    transaction of five items: ten times `json.loads`). For DynamoDB's JSON the result is the
    document itself: botocore sends only the model's members and no nulls, and every value but
    a binary one already has its type. A body that may hold binary values (base64 text that the
    parser turns into bytes: `"B"`, `"BS"`) takes moto's parser."""
    from moto.core.responses import BaseResponse  # noqa: PLC0415
    from moto.dynamodb.responses import DynamoHandler  # noqa: PLC0415

    def parse_parameters(self: DynamoHandler, request: Any) -> None:
        body = request.data
        if not body or b'"B"' in body or b'"BS"' in body:
            BaseResponse.parse_parameters(self, request)
            return
        self.params = json.loads(body)

    own = DynamoHandler.__dict__.get("parse_parameters")  # moto's is BaseResponse's
    DynamoHandler.parse_parameters = parse_parameters  # type: ignore[method-assign, assignment]
    try:
        yield
    finally:
        if own is None:
            del DynamoHandler.parse_parameters
        else:
            DynamoHandler.parse_parameters = own  # type: ignore[method-assign]


@contextmanager
def fast_stream_records() -> Iterator[None]:
    """While inside: DynamoDB Streams' GetRecords is answered with `json.dumps` of moto's result.

    Every stream consumer reads every record (filters apply after the read), each with its
    item images: through the generic serializer that was most of a 5,000-row import's CPU.
    moto's records hold attribute values in wire form; their one timestamp is written as the
    serializer writes it (epoch seconds, milliseconds kept). Anything else takes moto's path."""
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler  # noqa: PLC0415

    original = DynamoDBStreamsHandler.get_records

    def get_records(self: DynamoDBStreamsHandler) -> Any:
        answer = original(self)
        try:
            body = json.dumps(_stream_document(answer.result))
        except (TypeError, KeyError, AttributeError):
            return answer
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    DynamoDBStreamsHandler.get_records = get_records  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoDBStreamsHandler.get_records = original  # type: ignore[method-assign]


# GetRecords' output shapes, member by member (botocore's dynamodbstreams model).
_RECORD_MEMBERS = ("eventID", "eventName", "eventVersion", "eventSource", "awsRegion")
_CHANGE_MEMBERS = (
    "ApproximateCreationDateTime", "Keys", "NewImage", "OldImage", "SequenceNumber",
    "SizeBytes", "StreamViewType",
)  # fmt: skip


def _stream_document(result: Any) -> dict[str, Any]:
    records = []
    for record in result["Records"]:
        document = {name: record[name] for name in _RECORD_MEMBERS if name in record}
        change = record["dynamodb"]
        document["dynamodb"] = {
            name: _epoch(change[name]) if name == "ApproximateCreationDateTime" else change[name]
            for name in _CHANGE_MEMBERS
            if name in change
        }
        if "userIdentity" in record:
            document["userIdentity"] = record["userIdentity"]
        records.append(document)
    answer: dict[str, Any] = {"Records": records}
    if "NextShardIterator" in result:
        answer["NextShardIterator"] = result["NextShardIterator"]
    return answer


def _epoch(value: datetime) -> int | float:
    """moto's serializer's unix timestamp: whole seconds, plus milliseconds when there are any
    (`value` is naive UTC, as moto's `utcnow()`)."""
    seconds = calendar.timegm(value.timetuple())
    return seconds + (value.microsecond // 1000) / 1000.0 if value.microsecond else seconds


_query_scope = threading.local()  # the Query this thread is answering: (table, hash key, index)


@contextmanager
def fast_queries() -> Iterator[None]:
    """While inside: a Query of the table reads its own partition, and no candidate list is
    sorted twice or by comparisons that recompute each key's value.

    moto's `Table.query` starts from `Table.all_items` (the whole table, sorted) whatever it
    asks: a table Query then keeps the items of its hash key and sorts them by range key, an
    index Query keeps its index's items and sorts them by the index's keys then the table's (a
    total order). So here a table Query's candidates are its partition, an index Query's are
    the table's items unsorted, and a Scan's are sorted by each key's value computed once per
    item: the same answers, in the same order, without the O(table log table) comparisons."""
    from moto.dynamodb.models.table import Table  # noqa: PLC0415

    original_all_items, original_query = Table.all_items, Table.query

    def all_items(self: Table) -> list[Any]:
        scope = getattr(_query_scope, "query", None)
        if scope is None or scope[0] is not self:
            return sorted(table_items(self), key=_sort_key)
        _, hash_key, index_name = scope
        if index_name:
            return table_items(self)
        if hash_key is None:  # moto refuses it further on, as it will here
            return sorted(table_items(self), key=_sort_key)
        found = self.items.get(hash_key)  # `get`: moto's defaultdict would add the key
        if found is None:
            return []
        return list(found.values()) if self.range_key_attr else [found]

    def query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs["index_name"] if "index_name" in kwargs else _index_argument(args)
        outer = getattr(_query_scope, "query", None)
        _query_scope.query = (self, hash_key, index_name)
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            _query_scope.query = outer

    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]
    try:
        yield
    finally:
        Table.all_items = original_all_items  # type: ignore[method-assign]
        Table.query = original_query  # type: ignore[method-assign]


# moto's `Table.query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
# scan_index_forward, projection_expressions, index_name, ...)`: index_name's place in `args`.
_INDEX_NAME_AT = 6


def _index_argument(args: tuple[Any, ...]) -> Any:
    return args[_INDEX_NAME_AT] if len(args) > _INDEX_NAME_AT else None


def _sort_key(item: Any) -> Any:
    if item.range_key:
        return item.hash_key.cast_value, item.range_key.cast_value
    return item.hash_key.cast_value


@contextmanager
def fast_raw_sends() -> Iterator[None]:
    """While inside: moto's SendRawEmail (SES v1 and v2) reads only the headers of the message.

    moto parses the whole raw message (body parts included) to find its From, To, Cc and Bcc
    headers; the headers are all it looks at, so parsing `headersonly` gives the same outcome
    (the same checks, recipients and stored raw message) for a fraction of the CPU."""
    from moto.ses import models as ses_models  # noqa: PLC0415

    namespace = vars(ses_models)  # moto's module uses `email.message_from_string` only there
    original = namespace["email"]

    class _HeadersOnly:
        @staticmethod
        def message_from_string(raw: str) -> Message:
            return Parser().parsestr(raw, headersonly=True)

    namespace["email"] = _HeadersOnly
    try:
        yield
    finally:
        namespace["email"] = original


@contextmanager
def unsigned_requests() -> Iterator[None]:
    """While inside: botocore's SigV4 header auth writes its headers without the signature.

    moto checks no signature (its IAM authorisation is off), yet the canonical request, the
    body's SHA-256 and the chain of HMACs were about a twentieth of the CPU of every call.
    What moto reads is written as before: `X-Amz-Date`, a session token, and `Authorization`
    with the credential scope (the access key names the account, the region and the service
    route the call) and the signed headers; the signature is a placeholder. Other signers (S3's,
    presigned URLs: subclasses of `SigV4Auth`) sign as they did."""
    from botocore import auth as botocore_auth  # noqa: PLC0415

    auth: Any = botocore_auth  # its stubs leave out the private methods used here
    original = auth.SigV4Auth.add_auth

    def add_auth(self: Any, request: Any) -> None:
        if type(self) is not auth.SigV4Auth:
            original(self, request)
            return
        if self.credentials is None:
            raise auth.NoCredentialsError()
        request.context["timestamp"] = auth.get_current_datetime().strftime(auth.SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)
        self._inject_signature_to_request(request, UNSIGNED)

    auth.SigV4Auth.add_auth = add_auth
    try:
        yield
    finally:
        auth.SigV4Auth.add_auth = original


UNSIGNED = "0" * 64  # where a signature would be: as long, and never a real one


# JWK documents (as JSON text) -> the key moto's user pools sign with: the same for every pool.
_POOL_KEYS: dict[str, Any] = {}


@contextmanager
def shared_pool_key() -> Iterator[None]:
    """While inside: moto's user pools share the RSA key each imported from the same JWK file.

    The import recovers the key's primes, about 0.1 s a pool: every stack start (the console's
    pool) and every Cognito test paid it. The key signs the same tokens either way."""
    from joserfc import jwk  # noqa: PLC0415
    from moto.cognitoidp import models  # noqa: PLC0415

    def import_key(data: Any) -> Any:
        text = json.dumps(data, sort_keys=True)
        if text not in _POOL_KEYS:
            _POOL_KEYS[text] = jwk.RSAKey.import_key(data)
        return _POOL_KEYS[text]

    keys = SimpleNamespace(RSAKey=SimpleNamespace(import_key=import_key))
    with patch.object(models, "jwk", keys):
        yield
