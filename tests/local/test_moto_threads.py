"""`local.moto_threads`: in-process moto used from many threads keeps what AWS guarantees (an
item write is atomic, a message sent to a queue is never lost). Without the patch the first
test loses about a tenth of its additions on every run here; the queue's race is narrower (one
campaign bench run in eight lost a message), so the second test mostly guards that sends,
receives and deletes under the queue's lock still deliver everything, and never block."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from local.moto_threads import FairLock, thread_safe_moto
from tests.isolation import moto_in_process

THREADS, EACH = 4, 150


@pytest.fixture
def threaded_moto(aws_credentials: None) -> Iterator[None]:
    """moto with the patch, and a tiny switch interval so that threads interleave often."""
    thread_safe_moto()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with moto_in_process():
            yield
    finally:
        sys.setswitchinterval(interval)


def _together(work: Callable[[int], Any], count: int) -> None:
    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)


def test_concurrent_adds_to_one_item_all_count(threaded_moto: None) -> None:
    client = boto3.client("dynamodb")
    client.create_table(
        TableName="t",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    key = {"pk": {"S": "bucket"}}

    def add(_: int) -> None:
        own = boto3.client("dynamodb")
        for _ in range(EACH):
            own.update_item(
                TableName="t",
                Key=key,
                UpdateExpression="ADD n :one",
                ExpressionAttributeValues={":one": {"N": "1"}},
            )

    _together(add, THREADS)

    item = client.get_item(TableName="t", Key=key)["Item"]
    assert item["n"] == {"N": str(THREADS * EACH)}


def test_a_query_or_scan_survives_a_partition_added_while_it_walks_the_table(
    threaded_moto: None,
) -> None:
    """moto's Query and Scan walk the table's dictionary of partitions. Another thread's put
    adding one meanwhile failed the read ("dictionary changed size during iteration", a 500 in
    the load bench). Here the put lands at a set moment: while the walk reads one partition."""
    client = boto3.client("dynamodb")
    client.create_table(
        TableName="t",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for n in range(3):
        client.put_item(TableName="t", Item={"pk": {"S": f"p{n}"}, "sk": {"S": "s"}})
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table("t")

    class PutMeanwhile(dict):  # type: ignore[type-arg]
        def values(self) -> Any:
            table.items[f"added-{len(table.items)}"] = {}
            return super().values()

    first = next(iter(table.items))
    table.items[first] = PutMeanwhile(table.items[first])

    assert client.scan(TableName="t")["Count"] == 3
    assert (
        client.query(
            TableName="t",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "p1"}},
        )["Count"]
        == 1
    )


def test_messages_sent_while_others_are_deleted_are_all_delivered(threaded_moto: None) -> None:
    url = boto3.client("sqs").create_queue(QueueName="q")["QueueUrl"]
    total = THREADS * EACH
    received: set[str] = set()
    done = threading.Event()

    def send(worker: int) -> None:
        own = boto3.client("sqs")
        for n in range(EACH):
            own.send_message(QueueUrl=url, MessageBody=f"{worker}-{n}")

    def consume() -> None:
        own = boto3.client("sqs")
        idle_polls = 0
        while idle_polls < 50 and len(received) < total:
            got = own.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            idle_polls = 0 if got else idle_polls + 1
            for message in got:
                received.add(message["Body"])
                own.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        done.set()

    consumer = threading.Thread(target=consume)
    consumer.start()
    _together(send, THREADS)
    consumer.join(120)

    assert done.is_set()
    assert len(received) == total


def test_the_lock_is_granted_in_arrival_order_and_is_reentrant() -> None:
    lock, order = FairLock(), []

    def wait_then_record(n: int) -> None:
        with lock, lock:  # reentrant: the same thread twice
            order.append(n)

    with lock:
        threads = []
        for n in range(5):
            threads.append(threading.Thread(target=wait_then_record, args=(n,)))
            threads[-1].start()
            while len(lock._waiting) <= n:  # each one queued before the next starts
                threading.Event().wait(0.001)
    for thread in threads:
        thread.join(10)

    assert order == [0, 1, 2, 3, 4]
