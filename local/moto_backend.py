"""The only module that touches moto's in-process state (moto documents `sent_messages` as an
internal API). `ThreadedMotoServer` runs in our process, so its backends are plain objects.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodbstreams.models import DynamoDBStreamsBackend, dynamodbstreams_backends
from moto.ses.models import ses_backends


@dataclass(frozen=True)
class SentEmail:
    message_id: str
    raw: bytes  # RFC 5322 message


def sent_emails(account_id: str, region: str) -> list[SentEmail]:
    """Every message SES (v1 or v2: v2 stores in the v1 backend) accepted, oldest first."""
    backend = ses_backends[account_id][region]
    found = []
    for message in list(backend.sent_messages):
        raw = getattr(message, "raw_data", None)
        if raw is not None:
            data = raw.encode("utf-8") if isinstance(raw, str) else raw
            found.append(SentEmail(message.id, data))
        elif hasattr(message, "subject"):  # a "Simple" send: rebuild the MIME SES would build
            found.append(SentEmail(message.id, _simple_message(message)))
    return found


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


_transactions = threading.RLock()


def keep_streams_consistent_across_cancelled_transactions() -> None:
    """Make moto's TransactWriteItems atomic for stream readers, as DynamoDB is.

    moto applies a transaction's writes one by one (each appends a stream record), and on
    cancellation puts back a deep copy of the table taken beforehand. Readers then see records
    of writes that never happened, and the shard iterators they hold point at the discarded
    shard, so they miss every later record. Here a cancelled transaction keeps the original
    shard, minus the records it appended, and stream reads never interleave with a transaction.
    Idempotent; patches the classes in this process only.
    """
    if getattr(DynamoDBBackend.transact_write_items, "_ecrm_local", False):
        return
    transact = DynamoDBBackend.transact_write_items
    get_records = DynamoDBStreamsBackend.get_records

    def atomic_transact(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        with _transactions:
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

    def serialised_get_records(
        self: DynamoDBStreamsBackend, iterator_arn: str, limit: int
    ) -> dict[str, Any]:
        with _transactions:
            return get_records(self, iterator_arn, limit)

    atomic_transact._ecrm_local = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = atomic_transact  # type: ignore[method-assign]
    DynamoDBStreamsBackend.get_records = serialised_get_records  # type: ignore[method-assign]
