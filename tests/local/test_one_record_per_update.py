"""`local.moto_backend.one_record_per_update`: an `UpdateItem` that creates its item streams one
INSERT holding the whole item, as DynamoDB does (moto's own streams the key alone first), alone
or in a transaction; an update of an existing item streams its one MODIFY as before."""

from __future__ import annotations

from contextlib import AbstractContextManager, ExitStack, nullcontext
from typing import Any

import pytest
from moto.dynamodb.models import DynamoDBBackend

from local.moto_backend import fast_transactions, one_record_per_update
from tests.local.conftest import on_threads, stream_records

NEW = {"pk": {"S": "new"}, "sk": {"S": "1"}}
SET_N = {"UpdateExpression": "SET n = :n", "ExpressionAttributeValues": {":n": {"N": "5"}}}


def records(client: Any) -> list[tuple[str, set[str]]]:
    """Each stream record after the fixture's seed: its event and its new image's attributes."""
    found = stream_records(client)[1:]
    return [(r["eventName"], set(r["dynamodb"].get("NewImage", {}))) for r in found]


def test_motos_own_update_streams_the_key_alone_first(streamed_table: Any) -> None:
    """What the patch is for: when this fails, moto streams one record and the patch can go."""
    streamed_table.update_item(TableName="t", Key=NEW, **SET_N)
    assert records(streamed_table) == [("INSERT", {"pk", "sk"}), ("INSERT", {"pk", "sk", "n"})]


@pytest.mark.parametrize("transactions", ["none", "moto's", "fast"])
def test_an_update_creating_its_item_streams_one_insert_of_the_whole_item(
    streamed_table: Any, transactions: str
) -> None:
    with ExitStack() as patches:
        patches.enter_context(one_record_per_update())
        fast: AbstractContextManager[Any] = (
            fast_transactions() if transactions == "fast" else nullcontext()
        )
        patches.enter_context(fast)
        if transactions == "none":
            streamed_table.update_item(TableName="t", Key=NEW, **SET_N)
        else:
            update = {"TableName": "t", "Key": NEW, **SET_N}
            streamed_table.transact_write_items(TransactItems=[{"Update": update}])
        streamed_table.update_item(TableName="t", Key=NEW, **SET_N)  # there now: a MODIFY
        streamed_table.update_item(TableName="t", Key={"pk": {"S": "a"}, "sk": {"S": "1"}}, **SET_N)
    assert records(streamed_table) == [
        ("INSERT", {"pk", "sk", "n"}),
        ("MODIFY", {"pk", "sk", "n"}),
        ("MODIFY", {"pk", "sk", "n"}),
    ]
    assert streamed_table.get_item(TableName="t", Key=NEW)["Item"]["n"] == {"N": "5"}


def test_updates_on_threads_each_stream_their_own_one_insert(streamed_table: Any) -> None:
    """The tests' threads write without moto's lock: what an update adds is told apart per
    thread (a patch of the shard's `add` for the call's length was undone by another's)."""

    def create(thread: int) -> None:
        for n in range(25):
            key = {"pk": {"S": f"new-{thread}-{n}"}, "sk": {"S": "1"}}
            streamed_table.update_item(TableName="t", Key=key, **SET_N)

    with one_record_per_update():
        on_threads(create, 4)
    assert records(streamed_table) == [("INSERT", {"pk", "sk", "n"})] * 100


def test_an_update_leaving_a_new_item_its_key_alone_streams_that_item(
    streamed_table: Any,
) -> None:
    with one_record_per_update():
        streamed_table.update_item(TableName="t", Key=NEW, UpdateExpression="REMOVE n")
    assert records(streamed_table) == [("INSERT", {"pk", "sk"})]


def test_an_update_moto_refuses_streams_nothing_and_the_patch_is_undone_on_exit(
    streamed_table: Any,
) -> None:
    original = DynamoDBBackend.update_item
    with one_record_per_update(), pytest.raises(Exception, match="ValidationException"):
        streamed_table.update_item(TableName="t", Key={"pk": {"S": "new"}}, **SET_N)  # no sort key
    assert DynamoDBBackend.update_item is original
    assert records(streamed_table) == []
