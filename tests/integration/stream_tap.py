"""The table's real stream (moto's), read from the moment a `Tap` opens it, and handed to a
function as its event source mapping would: filtered by the template's `FilterCriteria`, as
Lambda's JSON. So a test writes through any product path (a form, the preference center, an
erasure) and the consumer sees exactly the records those writes made."""

from __future__ import annotations

from typing import Any

import boto3

from local.event_filter import matches_any
from local.streams import lambda_record
from tests import events
from tests.conftest import product_template


class Tap:
    def __init__(self, function: str = "AutomationsFunction") -> None:
        from ecrm.platform.settings import settings

        self.function = function
        self.streams = boto3.client("dynamodbstreams")
        table = boto3.client("dynamodb").describe_table(TableName=settings().table_name)
        self.arn = table["Table"]["LatestStreamArn"]
        shards = self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]
        self.iterators = {
            s["ShardId"]: self.streams.get_shard_iterator(
                StreamArn=self.arn, ShardId=s["ShardId"], ShardIteratorType="LATEST"
            )["ShardIterator"]
            for s in shards
        }
        [found] = [f for f in product_template().functions() if f.logical_id == function]
        [self.source] = found.stream_sources

    def records(self) -> list[dict[str, Any]]:
        """The records written since the last read that the function's filter lets through."""
        taken: list[dict[str, Any]] = []
        for shard, iterator in list(self.iterators.items()):
            answer = self.streams.get_records(ShardIterator=iterator)
            self.iterators[shard] = answer["NextShardIterator"]
            taken += [lambda_record(r, self.arn, "us-east-1") for r in answer["Records"]]
        return [r for r in taken if matches_any(self.source.filter_patterns, r)]

    def deliver(self, *, times: int = 1) -> list[dict[str, Any]]:
        """Hand the new records to the function (`times` times: redeliveries); returns them."""
        from mailing.automations import lambda_handler

        assert self.function == "AutomationsFunction"
        records = self.records()
        for _ in range(times):
            if records:
                answer = lambda_handler({"Records": records}, events.LambdaContext())
                assert answer == {"batchItemFailures": []}, answer
        return records
