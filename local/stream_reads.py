"""GetRecords for the local stream pumps (`local.streams`): one read of a stream serves every
pump of it, and its records stay as the wire carries them.

- `StreamReader`: Lambda reads a shard once per event source mapping; locally the mappings of
  one table all read the same records, so each GetRecords is made once and its records go to
  every pump's inbox (each then filters its own). Six pumps on the table each reading every
  record, on every write that woke them, was most of what a busy stack spent on its streams.
- `keep_wire_records`: GetRecords' JSON is already the form Lambda hands a function (times in
  epoch seconds, binary in base64); botocore's parse, attribute value by attribute value,
  then turning it back into JSON, was a fifth of a busy stack's CPU (a 5,000-row import is
  20,000 records).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

Raw = dict[str, Any]  # a GetRecords record as the wire carries it


class StreamReader:
    page = 1000  # records per GetRecords (its Limit)

    def __init__(
        self,
        streams: Any,  # a boto3 "dynamodbstreams" client
        stream_arn: str,
        forget_iterator: Callable[[str], None] | None = None,
        writes: Callable[[], int] | None = None,
    ) -> None:
        keep_wire_records(streams)
        self.streams = streams
        self.stream_arn = stream_arn
        self.forget_iterator = forget_iterator
        # The table's writes so far (`local.pump.writes`), if every write is counted: unchanged
        # since the last read began, a read would find nothing new.
        self.writes = writes
        self._writes_at_read: int | None = None
        self._lock = threading.Lock()
        self._iterators: dict[str, str] | None = None  # shard id -> next iterator; None: not open
        self._inboxes: list[list[Raw]] = []
        self._reads_begun = 0

    def inbox(self) -> list[Raw]:
        """A new reader's inbox: every record read from now on is added to it."""
        with self._lock:
            self._inboxes.append([])
            return self._inboxes[-1]

    def open(self) -> None:
        """Take LATEST iterators (once: the first pump to start opens the stream for all)."""
        with self._lock:
            if self._iterators is not None:
                return
            iterators = {}
            described = self.streams.describe_stream(StreamArn=self.stream_arn)
            for shard in described["StreamDescription"]["Shards"]:
                iterators[shard["ShardId"]] = self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn,
                    ShardId=shard["ShardId"],
                    ShardIteratorType="LATEST",
                )["ShardIterator"]
            self._iterators = iterators

    def take(self, inbox: list[Raw]) -> list[Raw]:
        """Read what the stream has now into every inbox, then empty `inbox`: its records.
        A read another pump began after this call covers this call too, and so does the last read
        when no write came since it began: the stream's pumps, woken by a write or a drain, share
        one read, not one each."""
        asked = self._reads_begun
        with self._lock:
            if self._reads_begun == asked and self._maybe_new():
                self._reads_begun += 1
                self._read()
            taken = inbox[:]
            inbox.clear()
            return taken

    def _maybe_new(self) -> bool:
        if self.writes is None:
            return True
        written, self._writes_at_read = self._writes_at_read, self.writes()
        return written != self._writes_at_read

    def _read(self) -> None:
        iterators = self._iterators if self._iterators is not None else {}
        for shard_id, iterator in list(iterators.items()):
            response = self.streams.get_records(ShardIterator=iterator, Limit=self.page)
            if self.forget_iterator is not None:
                self.forget_iterator(iterator)
            if response.get("NextShardIterator"):
                iterators[shard_id] = response["NextShardIterator"]
            else:  # shard closed
                del iterators[shard_id]
            for each in self._inboxes:
                each.extend(response["Records"])
            if response["Records"]:  # a page: more may follow with no write
                self._writes_at_read = None

    def first_shard(self) -> str:
        return next(iter(self._iterators or {}), "")


def keep_wire_records(streams: Any) -> None:
    """On this DynamoDB Streams client, GetRecords' answer keeps its records as they came over
    the wire (JSON); the rest of the answer is parsed as ever, and an error is botocore's own."""
    streams.meta.events.register(
        "before-parse.dynamodb-streams.GetRecords", _wire_records, unique_id="ecrm-wire-records"
    )


def _wire_records(
    response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any
) -> None:
    if response_dict.get("status_code") != 200:
        return
    document = json.loads(response_dict["body"])
    customized_response_dict["Records"] = document.pop("Records", [])
    response_dict["body"] = json.dumps(document).encode()
