"""DynamoDB items the product reads and writes inside a block (`counting`), counted from the
product's own client's calls: a GetItem or Query is one read, a BatchGetItem one per key; a
PutItem, UpdateItem or DeleteItem one write, a transaction or BatchWriteItem one per item."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ecrm.platform import aws

WRITES = {"PutItem": 1, "UpdateItem": 1, "DeleteItem": 1}
READS = {"GetItem": 1, "Query": 1}


@contextmanager
def counting() -> Iterator[Counter[str]]:
    """`reads` and `writes` of the product's DynamoDB client while the block runs."""
    counted: Counter[str] = Counter()

    def count(params: dict[str, Any], model: Any, **_: Any) -> None:
        name = model.name
        if name == "TransactWriteItems":
            counted["writes"] += len(params["TransactItems"])
        elif name == "BatchWriteItem":
            counted["writes"] += sum(len(v) for v in params["RequestItems"].values())
        elif name == "BatchGetItem":
            counted["reads"] += sum(len(v["Keys"]) for v in params["RequestItems"].values())
        counted["writes"] += WRITES.get(name, 0)
        counted["reads"] += READS.get(name, 0)

    client, hook = aws.dynamodb(), f"bench-items-{id(counted)}"  # blocks may nest
    client.meta.events.register("provide-client-params.dynamodb", count, unique_id=hook)
    try:
        yield counted
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb", unique_id=hook)
