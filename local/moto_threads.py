"""moto serving many threads of one process with the atomicity AWS guarantees.

`ecrm serve` answers requests on threads, and the campaign bench runs its workers as threads
over in-process moto. moto's backends are plain objects with no locking, so two threads can
interleave inside one request, which the services never allow:

- DynamoDB: an `UpdateItem` (`ADD tat :span`, the send pacer's bucket) is a read-modify-write in
  moto; two at once lose one of the additions, and both conditional writes that follow succeed.
  Every DynamoDB write here runs alone, as each item write is atomic in DynamoDB, in the order
  the writes came (`FairLock`: Python's own locks are not fair). Reads do not wait: behind one
  lock for every request, the stream pumps' reads and moto's slow index queries (it sorts the
  whole table) made an API request time out. A Query or Scan walks a copy of the table's
  partitions instead (`table_items`): a write adding one meanwhile (or a GetItem of a missing
  key, which moto's defaultdict adds) failed the read with "dictionary changed size".
- DynamoDB Streams: a transaction appends its records one by one and, cancelled, puts back a
  copy of the table; a stream reader must not see the half of it (see `_atomic_transact`).
- SQS: `DeleteMessage` rebuilds the queue's message list from a copy, so a message another
  thread sends meanwhile is lost for good (a campaign's plan message was: the campaign never
  finished). Deletes and receives hold the queue's own lock, which sends already take.

Every DynamoDB write also wakes the local stream pumps, and every SQS message added its queue's
pump (`local.pump.wake`): they sleep while nothing happens.

`thread_safe_moto()` patches the classes in this process, once; `dynamodb_lock` is what other
patches of moto's DynamoDB (`local.moto_backend.fast_transactions`) run under.
"""

from __future__ import annotations

import functools
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.models import DynamoDBStreamsBackend
from moto.sqs.models import Queue, SQSBackend

from local import pump


class FairLock:
    """A reentrant lock granted in the order it was asked for: a thread that releases it and
    asks again at once queues behind the threads already waiting."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._waiting: deque[tuple[int, threading.Lock]] = deque()
        self._owner: int | None = None
        self._depth = 0

    def __enter__(self) -> None:
        me = threading.get_ident()
        with self._guard:
            if self._owner == me or (self._owner is None and not self._waiting):
                self._owner = me
                self._depth += 1
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append((me, turn))
        turn.acquire()  # the previous owner made this thread the owner, then let it go

    def __exit__(self, *_: object) -> None:
        with self._guard:
            self._depth -= 1
            if self._depth:
                return
            self._owner = None
            if self._waiting:
                self._owner, turn = self._waiting.popleft()
                self._depth = 1
                turn.release()


dynamodb_lock = FairLock()

_MARK = "_ecrm_thread_safe"


def thread_safe_moto() -> None:
    """Idempotent, method by method (`fast_transactions` puts back, on exit, the method it
    found); lasts for the process (moto's own resets keep it)."""
    _patch(DynamoHandler, "call_action", _writing_under_dynamodb_lock)
    _patch(DynamoDBBackend, "transact_write_items", _atomic_transact)
    _patch(DynamoDBStreamsBackend, "get_records", _under_dynamodb_lock)
    _patch(Queue, "delete_message", _under_queue_lock)
    _patch(Queue, "add_message", _waking_the_queues_pump)
    _patch(SQSBackend, "receive_message", _receiving_under_queue_lock)
    # Replaced, not wrapped: moto's own walk over the live dictionaries is the race.
    _patch(Table, "all_items", lambda _: _all_items)
    _patch(Table, "has_idx_items", lambda _: _has_index_items)


Method = Callable[..., Any]


def _patch(owner: type, name: str, wrap: Callable[[Method], Method]) -> None:
    original = getattr(owner, name)
    if getattr(original, _MARK, False):
        return
    patched = functools.wraps(original)(wrap(original))
    setattr(patched, _MARK, True)
    setattr(owner, name, patched)


_DYNAMODB_WRITES = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
)


def _writing_under_dynamodb_lock(call_action: Method) -> Method:
    def locked_if_writing(self: DynamoHandler) -> Any:
        if self.get_endpoint_name(self.headers) in _DYNAMODB_WRITES:
            with dynamodb_lock:
                answer = call_action(self)
            pump.wake(pump.DYNAMODB)
            return answer
        return call_action(self)

    return locked_if_writing


def _under_dynamodb_lock(method: Method) -> Method:
    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with dynamodb_lock:
            return method(self, *args, **kwargs)

    return locked


def _atomic_transact(transact: Method) -> Method:
    """moto applies a transaction's writes one by one (each appends a stream record) and, on
    cancellation, puts back a deep copy of the table taken beforehand: readers would see records
    of writes that never happened, and the shard iterators they hold would point at the
    discarded shard. Here a cancelled transaction keeps the original shard, minus the records
    it appended (`fast_transactions`, when active, never swaps the table)."""

    def atomic(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        with dynamodb_lock:
            before = {
                name: (table, table.stream_shard, len(table.stream_shard.items))
                for name, table in self.tables.items()
                if table.stream_shard is not None
            }
            try:
                transact(self, transact_items)
            finally:
                for name, (table, shard, length) in before.items():
                    restored = self.tables.get(name)
                    if restored is not None and restored is not table:  # rolled back
                        del shard.items[length:]
                        shard.table = restored
                        restored.stream_shard = shard

    return atomic


def _waking_the_queues_pump(method: Method) -> Method:
    def waking(self: Queue, *args: Any, **kwargs: Any) -> Any:
        answer = method(self, *args, **kwargs)
        pump.wake(pump.queue(self.name))
        return answer

    return waking


def _under_queue_lock(method: Method) -> Method:
    def locked(self: Queue, *args: Any, **kwargs: Any) -> Any:
        with self._messages_lock:  # a Condition over an RLock: `add_message` holds it too
            return method(self, *args, **kwargs)

    return locked


def _receiving_under_queue_lock(receive: Method) -> Method:
    """A long poll waits on the queue's Condition, which lets go of the lock meanwhile."""

    def locked(self: SQSBackend, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        with self.get_queue(queue_name)._messages_lock:
            return receive(self, queue_name, *args, **kwargs)

    return locked


def table_items(table: Table) -> list[Any]:
    """Every item of `table`, from copies of its dictionaries (each copy is one step under the
    GIL): another thread's write can add a partition or a sort key while this walks them."""
    if not table.range_key_attr:
        return list(table.items.values())
    return [item for partition in list(table.items.values()) for item in list(partition.values())]


def _all_items(self: Table) -> list[Any]:
    """moto's `Table.all_items` (every Query and Scan starts from it), over `table_items`."""
    return sorted(
        table_items(self), key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key
    )


def _has_index_items(self: Table, index_name: str) -> list[Any]:
    """moto's `Table.has_idx_items` (a Scan of an index), over `table_items`."""
    keys = {key["AttributeName"] for key in self.get_index(index_name).schema}
    return [item for item in table_items(self) if keys.issubset(item.attrs)]
