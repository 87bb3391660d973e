"""The import worker: adds an uploaded file's rows in chunks, each exactly once.

A chunk is one TransactWriteItems: every new row's contact, `contact_imported` interaction,
consent record and topic memberships, one item with the chunk's bad rows (line numbers and
reasons), and the import item's checkpoint (byte offset, next line, counters) conditioned on
the offset the chunk started from. A crash or a redelivery at any point therefore re-applies
nothing: either the chunk and its checkpoint landed together, or neither did. Rows are read as
a form submission would be (`ecrm.imports.rows`, `ecrm.contacts.submission`); a contact that already
exists (an earlier row, a form, an address alias) is counted as a duplicate and left as it is
(an import never resubscribes anyone); a new address that is suppressed (it bounced,
complained, unsubscribed from everything, or was erased: `ecrm.contacts.suppression`, either form)
is counted as `suppressed` and not created. One SQS message runs chunks while time allows, then
queues the next step (a "kick" naming the import), until the file is done.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from ecrm.contacts import records as contact_records
from ecrm.contacts import submission, suppression
from ecrm.contacts.form_view import FieldView
from ecrm.contacts.form_view import FormView as Form
from ecrm.contacts.submission import ValidSubmission
from ecrm.imports import rows, stored
from ecrm.imports.rows import Record
from ecrm.platform import aws, clock, keys, store
from ecrm.platform.errors import Busy, InvalidInput

logger = Logger(service="capture", child=True)

ITEMS_PER_TRANSACTION = 100  # DynamoDB's limit (4 MB too: rows here are far below it)
MAX_RECORDS_PER_CHUNK = 300  # bounds the bad-rows item well under 400 KB
CHUNKS_PER_STEP = 40  # then the step queues the next one (progress stays visible)
TIME_MARGIN_SECONDS = 15.0
_MAX_REASON = 200


@dataclass
class Chunk:
    records: list[Record]
    new: list[tuple[Record, ValidSubmission, str]] = field(default_factory=list)
    duplicates: int = 0
    bad: list[dict[str, Any]] = field(default_factory=list)

    @property
    def end(self) -> int:
        return self.records[-1].end

    @property
    def next_line(self) -> int:
        return self.records[-1].line + self.records[-1].lines


def items_per_row(topics: int) -> int:
    """Contact, interaction, consent record and one membership per topic."""
    return 3 + topics


def form_of(job: dict[str, Any]) -> Form:
    fields = [FieldView.from_item(f) for f in job["fields"] if isinstance(f, dict)]
    return rows.import_form(job["import_id"], fields, job.get("topics") or [])


def columns_of(job: dict[str, Any]) -> list[str | None]:
    return [f["name"] if isinstance(f, dict) else (f or None) for f in job["fields"]]


def step(import_id: str, time_left: Callable[[], float]) -> str:
    """Run chunks from the checkpoint while time allows; returns the import's state."""
    job = stored.load(import_id)
    if job["state"] != stored.IMPORTING:
        return str(job["state"])
    whole = None  # the file, when verifying it read it all and one window holds it
    if not job.get("verified_at"):
        job, whole = _verify(job)
        if job["state"] != stored.IMPORTING:
            return str(job["state"])
    form, columns = form_of(job), columns_of(job)
    chunks = 0
    while chunks < CHUNKS_PER_STEP and time_left() > TIME_MARGIN_SECONDS:
        offset = int(job["offset"])
        if whole is not None:  # the verification's bytes: not read again (one GetObject less)
            data, whole = whole[offset : offset + rows.WINDOW_BYTES], None
        else:
            data = stored.read_range(job["object_key"], offset, rows.WINDOW_BYTES)
        final = offset + len(data) >= int(job["size"])
        found = rows.records(data, offset, int(job["line"]), final=final)
        if not found:
            return _fail(job, "A row is longer than 1 MiB.")
        while found and chunks < CHUNKS_PER_STEP and time_left() > TIME_MARGIN_SECONDS:
            chunk, found = take(found, form, columns)
            job = commit(job, chunk, form)
            chunks += 1
            if job["state"] != stored.IMPORTING:
                return str(job["state"])
            if int(job["offset"]) != chunk.end:
                break  # another delivery moved the checkpoint: read on from there
    stored.kick(import_id)
    return str(job["state"])


def take(
    records: Sequence[Record], form: Form, columns: Sequence[str | None]
) -> tuple[Chunk, list[Record]]:
    """The next chunk (as many records as one transaction holds) and the records left."""
    room = (ITEMS_PER_TRANSACTION - 2) // items_per_row(len(form.topics))
    chunk = Chunk([])
    seen: set[str] = set()
    for index, record in enumerate(records):
        if len(chunk.new) == room or len(chunk.records) == MAX_RECORDS_PER_CHUNK:
            return chunk, list(records[index:])
        chunk.records.append(record)
        if record.values is None:
            if record.problem:
                chunk.bad.append(_bad(record.line, {"row": record.problem}))
            continue
        raw, problem = rows.row_fields(record.values, columns, form)
        if raw is None:
            chunk.bad.append(_bad(record.line, {"row": problem or "Not readable."}))
            continue
        try:
            sub = submission.read(form, raw)
        except InvalidInput as error:
            chunk.bad.append(_bad(record.line, error.fields or {"row": error.message}))
            continue
        contact_id = keys.contact_id_for(sub.email)
        if contact_id in seen:
            chunk.duplicates += 1  # the file names this address twice
            continue
        seen.add(contact_id)
        chunk.new.append((record, sub, contact_id))
    return chunk, []


def _bad(line: int, errors: dict[str, str]) -> dict[str, Any]:
    return {"line": line, "errors": {k[:64]: v[:_MAX_REASON] for k, v in list(errors.items())[:20]}}


def commit(job: dict[str, Any], chunk: Chunk, form: Form) -> dict[str, Any]:
    """Write the chunk and advance the checkpoint in one transaction; returns the import as it
    now stands (reloaded when another delivery had committed this chunk already)."""
    wanted = [keys.contact(contact_id) for _, _, contact_id in chunk.new]
    # One BatchGetItem (at most 32 rows: 96 keys) for both questions: which contacts exist,
    # which addresses are suppressed.
    suppressions = suppression.lookups(sub.email for _, sub, _ in chunk.new)
    asked = [*wanted, *({"pk": pk, "sk": sk} for pk, sk in suppressions)]
    found = set(store.batch_get(asked, attributes=("pk",))) if asked else set()
    new = [
        row
        for row, key in zip(chunk.new, wanted, strict=True)
        if (key["pk"], key["sk"]) not in found
    ]
    duplicates = chunk.duplicates + len(chunk.new) - len(new)
    refused = {address for pair, address in suppressions.items() if pair in found}
    refused &= {sub.email for _, sub, _ in new}  # an existing contact is a duplicate
    new = [row for row in new if row[1].email not in refused]
    at = clock.iso(clock.now())
    for _ in range(4):
        checkpoint, counts = _checkpoint(job, chunk, len(new), (duplicates, len(refused)), at)
        writes: list[store.Write] = [checkpoint]
        if chunk.bad:
            bad_key = keys.import_bad_rows(job["import_id"], chunk.bad[0]["line"])
            writes.append(store.Put({**bad_key, "rows": chunk.bad}, "attribute_not_exists(pk)"))
        first_row = len(writes)
        per_row = items_per_row(len(job.get("topics") or []))
        for row in new:
            writes += _row_writes(job, form, row, at)
        try:
            store.transact(writes)
        except store.TransactionCancelled as cancelled:
            if cancelled.failed[0]:
                logger.info("chunk committed already", extra={"import_id": job["import_id"]})
                return stored.load(job["import_id"])
            # A contact created since we read (a form, a racing import): a duplicate now.
            failed = {
                index for index in range(len(new)) if cancelled.failed[first_row + index * per_row]
            }
            duplicates += len(failed)
            new = [row for index, row in enumerate(new) if index not in failed]
            continue
        return {**job, **counts}
    raise Busy()


def _checkpoint(
    job: dict[str, Any], chunk: Chunk, imported: int, skipped: tuple[int, int], at: str
) -> tuple[store.Update, dict[str, Any]]:
    """`skipped`: the chunk's duplicates and suppressed rows."""
    duplicates, suppressed = skipped
    done = chunk.end >= int(job["size"])
    counts = {
        "offset": chunk.end,
        "line": chunk.next_line,
        "rows": int(job["rows"]) + sum(1 for r in chunk.records if r.values or r.problem),
        "imported": int(job["imported"]) + imported,
        "duplicates": int(job["duplicates"]) + duplicates,
        "suppressed": int(job.get("suppressed") or 0) + suppressed,
        "bad_rows": int(job["bad_rows"]) + len(chunk.bad),
        "chunks": int(job["chunks"]) + 1,
        "state": stored.DONE if done else stored.IMPORTING,
        "updated_at": at,
        **({"verified_at": job["verified_at"]} if job.get("verified_at") else {}),
        **({"finished_at": at} if done else {}),
    }
    names = {f"#{name}": name for name in counts}
    sets = ", ".join(f"#{name} = :{name}" for name in counts)
    update = store.Update(
        keys.contacts_import(job["import_id"]),
        f"SET {sets}",
        condition="#offset = :from AND #state = :importing",
        names=names,
        values={
            **{f":{name}": value for name, value in counts.items()},
            ":from": int(job["offset"]),
            ":importing": stored.IMPORTING,
        },
    )
    return update, counts


def _row_writes(
    job: dict[str, Any], form: Form, row: tuple[Record, ValidSubmission, str], at: str
) -> list[store.Write]:
    record, sub, contact_id = row
    import_id, topics = job["import_id"], list(form.topics)
    event_id = f"{import_id}-{record.line}"
    source = {"import_id": import_id, "consent_source": job["consent_source"]}
    common = {**source, "topics": topics or None}
    interaction = {
        **keys.interaction(contact_id, at, event_id),
        "type": "contact_imported",
        "contact_id": contact_id,
        "event_id": event_id,
        "at": at,
        "line": record.line,
        **common,
    }
    consent = {
        **keys.consent(contact_id, at, event_id),
        "type": "consent",
        "source": "import",
        "given_at": at,
        "double_opt_in": False,
        **common,
    }
    return [
        contact_records.create_from_submission(contact_id, sub, form, at, source),
        store.Put(interaction, condition="attribute_not_exists(pk)"),
        store.Put(consent, condition="attribute_not_exists(pk)"),
        *(contact_records.new_membership(contact_id, topic, at) for topic in topics),
    ]


def _verify(job: dict[str, Any]) -> tuple[dict[str, Any], bytes | None]:
    """Hash the whole upload once before the first row: the file is the announced one. Also
    the file's bytes when one window holds them (the first chunk reads them from here).

    The import it returns has `verified_at`, written by the first chunk's checkpoint (one write
    less at a cold start); if no chunk lands, the next step verifies the file again."""
    digest = hashlib.sha256()
    pieces: list[bytes] | None = [] if int(job["size"]) <= rows.WINDOW_BYTES else None
    try:
        body = aws.s3().get_object(Bucket=stored.bucket(), Key=job["object_key"])["Body"]
        for piece in body.iter_chunks(1 << 20):
            digest.update(piece)
            if pieces is not None:
                pieces.append(piece)
    except (ClientError, BotoCoreError) as error:
        raise Busy() from error
    if digest.hexdigest() != job["sha256"]:
        return {**job, "state": _fail(job, "The uploaded file does not match its SHA-256.")}, None
    verified = {**job, "verified_at": clock.iso(clock.now())}
    return verified, None if pieces is None else b"".join(pieces)


def _fail(job: dict[str, Any], reason: str) -> str:
    at = clock.iso(clock.now())
    try:
        store.write(
            store.Update(
                keys.contacts_import(job["import_id"]),
                "SET #state = :failed, failure = :reason, updated_at = :at",
                condition="#state = :importing",
                names={"#state": "state"},
                values={
                    ":failed": stored.FAILED,
                    ":reason": reason,
                    ":at": at,
                    ":importing": stored.IMPORTING,
                },
            )
        )
    except store.ConditionFailed:
        return str(stored.load(job["import_id"])["state"])
    logger.warning("import failed", extra={"import_id": job["import_id"], "reason": reason})
    return stored.FAILED
