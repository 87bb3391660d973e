"""`local.moto_backend.fast_transactions`: the same outcomes as moto's own TransactWriteItems
(all or nothing, cancellation reasons, the old item on request, stream records only for what
was written), without copying the table."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.moto_backend import fast_transactions
from tests.local.conftest import stream_records

Run = Callable[[list[dict[str, Any]]], Any]


def _key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "1"}}


def _put(pk: str, condition: str | None = None) -> dict[str, Any]:
    put: dict[str, Any] = {"TableName": "t", "Item": {**_key(pk), "x": {"S": "y"}}}
    if condition:
        put["ConditionExpression"] = condition
    return {"Put": put}


def _update(expression: str, values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    update = {"TableName": "t", "Key": _key("a"), "UpdateExpression": expression}
    return {"Update": {**update, "ExpressionAttributeValues": values, **extra}}


ONE = {":one": {"N": "1"}}
SCENARIOS: dict[str, list[dict[str, Any]]] = {
    "all hold": [_put("b", "attribute_not_exists(pk)"), _update("ADD n :one", ONE)],
    "one fails": [
        _put("b"),
        _update(
            "ADD n :one",
            {**ONE, ":two": {"N": "2"}},
            ConditionExpression="n = :two",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        ),
    ],
    "same item twice": [_put("a"), {"Delete": {"TableName": "t", "Key": _key("a")}}],
    "a write moto refuses": [_put("b"), _update("SET n = n + :s", {":s": {"S": "text"}})],
}


def _outcome(client: Any, items: list[dict[str, Any]]) -> tuple[Any, Any, int]:
    try:
        client.transact_write_items(TransactItems=items)
        answer: Any = "ok"
    except ClientError as error:
        answer = (error.response["Error"]["Code"], error.response.get("CancellationReasons"))
    rows = sorted(str(i) for i in client.scan(TableName="t")["Items"])
    return answer, rows, len(stream_records(client))


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("fast", [False, True], ids=["moto", "fast"])
def test_outcomes_match_motos_own(streamed_table: Any, scenario: str, fast: bool) -> None:
    patch: AbstractContextManager[Any] = fast_transactions() if fast else nullcontext()
    with patch:
        got = _outcome(streamed_table, SCENARIOS[scenario])
    expected = EXPECTED[scenario]
    assert (got[0] == "ok") == (expected == "ok"), got
    if expected != "ok":
        assert got[0][0] == expected
    if scenario == "one fails":
        reasons = got[0][1]
        assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed"]
        assert reasons[1]["Item"]["n"] == {"N": "1"}
    written = 2 if expected == "ok" else 0
    assert got[2] == 1 + written  # the seed's record, and one per write that landed
    assert len(got[1]) == (2 if expected == "ok" else 1)


EXPECTED = {
    "all hold": "ok",
    "one fails": "TransactionCanceledException",
    "same item twice": "ValidationException",
    "a write moto refuses": "ValidationException",
}


def test_the_patch_is_undone_on_exit() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.transact_write_items
    with fast_transactions():
        assert DynamoDBBackend.transact_write_items is not original
    assert DynamoDBBackend.transact_write_items is original
    assert os.environ is not None
