"""Bulk contacts import, the marketer's side: announce a file, upload it, start it, follow it.

The import's id is derived from the file's SHA-256, so announcing the same file again finds the
same import (a re-run resumes or reports it, never imports twice). The file goes straight to
the private upload bucket through a presigned PUT that signs its size and checksum (S3 refuses
any other body); `start` checks the object and its header, fixes which field each column fills
and the fields' definitions (a later schema change does not change a running import), and
queues the worker (`ecrm.imports.chunks`). Bad rows are kept as line numbers and reasons only:
the marketer has the file, the table keeps no copy of rows it refused.
"""

from __future__ import annotations

import base64
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from botocore.exceptions import BotoCoreError, ClientError

from ecrm.contacts import profile_view
from ecrm.contacts.form_view import FieldView
from ecrm.imports import rows as import_rows
from ecrm.imports import stored
from ecrm.imports.stored import AWAITING_UPLOAD, IMPORTING, kick, read_range
from ecrm.platform import aws, clock, keys, plain, store
from ecrm.platform.errors import Busy, Conflict, InvalidInput, MalformedRequest
from ecrm.platform.settings import settings

MAX_BYTES = 1 << 30
MAX_TOPICS = 5
MAX_COLUMNS = 100  # in a mapping
# A running import that has not moved for this long gets a new worker message on `start`.
STALLED_SECONDS = 300
_HEADER_BYTES = 64 * 1024
# The stored import and its bucket, as the admin routes read them (`stored`, the worker's too).
load, bucket = stored.load, stored.bucket
# schema.ImportIn's patterns (forms.Slug, forms.FieldName), whole strings as pydantic reads them
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}\Z")
_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}\Z")
_REQUIRED = frozenset({"sha256", "size", "filename", "consent_source"})
_FIELDS = _REQUIRED | {"topics", "mapping"}


@dataclass(frozen=True, kw_only=True)
class ImportRequest:
    """An import's announcement, as `schema.ImportIn` validates it (the same fields)."""

    documented_by: ClassVar[str] = "ecrm.imports.schema:ImportIn"
    sha256: str
    size: int
    filename: str
    topics: list[str] = field(default_factory=list)
    consent_source: str
    mapping: dict[str, str] = field(default_factory=dict)

    @classmethod
    def plain(cls, value: Any) -> ImportRequest | None:
        """A body every field of which is plainly valid (`ecrm.platform.plain`); None leaves
        it to the model (coercions, refusals and their words are its)."""
        if not isinstance(value, dict) or not _REQUIRED <= value.keys() <= _FIELDS:
            return None
        topics, mapping = value.get("topics", []), value.get("mapping", {})
        valid = (
            plain.matches(value["sha256"], _SHA256)
            and plain.integer(value["size"], 1, MAX_BYTES)
            and plain.text(value["filename"], 1, 255)
            and plain.text(value["consent_source"], 1, 200)
            and isinstance(topics, list)
            and len(topics) <= MAX_TOPICS
            and all(plain.matches(topic, _SLUG) for topic in topics)
            and isinstance(mapping, dict)
            and len(mapping) <= MAX_COLUMNS
            and all(
                plain.text(column, 1, 200) and (name == "" or plain.matches(name, _FIELD_NAME))
                for column, name in mapping.items()
            )
        )
        if not valid:
            return None
        fields = {name: value[name] for name in _REQUIRED}
        return cls(**fields, topics=list(topics), mapping=dict(mapping))


def import_id_for(sha256: str) -> str:
    return f"imp-{sha256[:24]}"


def _object_key(import_id: str) -> str:
    return f"imports/{import_id}.csv"


def _schema_fields() -> dict[str, FieldView]:
    schema = profile_view.load(fresh=True)
    return {f.name: f for f in schema.profile + schema.interests}


def public(job: dict[str, Any]) -> dict[str, Any]:
    hidden = {"pk", "sk", "type", "fields", "object_key", "created_by"}
    return {k: v for k, v in job.items() if k not in hidden}


def create(body: ImportRequest, created_by: str) -> tuple[dict[str, Any], bool]:
    """The import of this file, new (True) or as it stands (False), with an upload URL while
    the file is still to be uploaded. The same file with other settings is a 409."""
    known = _schema_fields()
    unknown = {
        f"mapping.{column[:64]}": "No such field in the profile schema."
        for column, name in body.mapping.items()
        if name and name != "email" and name not in known
    }
    if unknown:
        raise InvalidInput("The column mapping needs attention.", fields=unknown)
    import_id = import_id_for(body.sha256)
    at = clock.iso(clock.now())
    job = {
        **keys.contacts_import(import_id),
        "type": "contacts_import",
        "import_id": import_id,
        **asdict(body),
        "state": AWAITING_UPLOAD,
        "object_key": _object_key(import_id),
        "created_at": at,
        "updated_at": at,
        "created_by": created_by[:200],
    }
    created = True
    try:
        store.write(store.Put(job, condition="attribute_not_exists(pk)"))
    except store.ConditionFailed:
        created, job = False, load(import_id)
        settings_of = ("size", "topics", "consent_source", "mapping")
        if any(job.get(name) != getattr(body, name) for name in settings_of):
            raise Conflict("This file was already imported with other settings.") from None
    answer = public(job)
    if job["state"] == AWAITING_UPLOAD:
        answer["upload"] = _upload(job)
    return answer, created


def _upload(job: dict[str, Any]) -> dict[str, Any]:
    digest = base64.b64encode(bytes.fromhex(job["sha256"])).decode()
    seconds = settings().import_upload_url_seconds
    url = aws.s3().generate_presigned_url(
        "put_object",
        Params={
            "Bucket": bucket(),
            "Key": job["object_key"],
            "ChecksumSHA256": digest,
            "ContentLength": int(job["size"]),
            "ContentType": "text/csv",
        },
        ExpiresIn=seconds,
    )
    headers = {"Content-Type": "text/csv", "x-amz-checksum-sha256": digest}
    expires = clock.iso(clock.now() + seconds)
    return {"method": "PUT", "url": url, "headers": headers, "expires_at": expires}


def start(import_id: str) -> dict[str, Any]:
    """Check the upload and queue the worker; a running import that stalled is queued again."""
    job = load(import_id)
    if job["state"] == AWAITING_UPLOAD:
        columns, fields, first_row = _check_upload(job)
        values = {
            ":importing": IMPORTING,
            ":waiting": AWAITING_UPLOAD,
            ":columns": columns,
            ":fields": fields,
            ":offset": first_row,
            ":line": 2,
            ":zero": 0,
            ":at": clock.iso(clock.now()),
        }
        try:
            job = store.write(
                store.Update(
                    keys.contacts_import(import_id),
                    "SET #state = :importing, #columns = :columns, #fields = :fields,"
                    " #offset = :offset, #line = :line, #rows = :zero, imported = :zero,"
                    " duplicates = :zero, suppressed = :zero, bad_rows = :zero, chunks = :zero,"
                    " started_at = :at, updated_at = :at",
                    condition="#state = :waiting",
                    names={
                        "#state": "state",
                        "#columns": "columns",
                        "#fields": "fields",
                        "#offset": "offset",
                        "#line": "line",
                        "#rows": "rows",
                    },
                    values=values,
                )
            )
        except store.ConditionFailed:
            return public(load(import_id))  # another start got there first
        kick(import_id)
    elif job["state"] == IMPORTING and _stalled(job):
        kick(import_id)
    return public(job)


def _stalled(job: dict[str, Any]) -> bool:
    updated = datetime.fromisoformat(str(job["updated_at"]).replace("Z", "+00:00"))
    return clock.now() - updated.timestamp() > STALLED_SECONDS


def _check_upload(job: dict[str, Any]) -> tuple[list[str], list[Any], int]:
    """The header's columns, the field each fills (a definition or None) and where rows start.
    S3 verified the body against the signed checksum; the worker checks it again."""
    try:
        head = aws.s3().head_object(Bucket=bucket(), Key=job["object_key"], ChecksumMode="ENABLED")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
            raise Conflict("Upload the file first (PUT it to the upload URL).") from None
        raise Busy() from error
    except BotoCoreError as error:
        raise Busy() from error
    expected = base64.b64encode(bytes.fromhex(job["sha256"])).decode()
    checksum = head.get("ChecksumSHA256")
    if head["ContentLength"] != job["size"] or (checksum and checksum != expected):
        raise Conflict("The uploaded file is not the one announced (size or checksum).")
    data = read_range(job["object_key"], 0, _HEADER_BYTES)
    found = import_rows.header(data, final=len(data) >= job["size"])
    if found is None:
        raise InvalidInput("The file has no header line.", fields={"file": "No header line."})
    names, first_row = found
    known = _schema_fields()
    columns, problems = import_rows.resolve_columns(names, job.get("mapping") or {}, known)
    if problems:
        raise InvalidInput("The column mapping needs attention.", fields=problems)
    fields = [known[name].to_json() if name and name != "email" else name for name in columns]
    return names, fields, first_row


def bad_rows(import_id: str, limit: int, cursor: str | None) -> tuple[list[Any], str | None]:
    """The refused rows, by line: [{line, errors: {field: reason}}], a page of chunk items."""
    load(import_id, consistent=False)
    partition = keys.import_partition(import_id)
    start = None
    if cursor:
        if not cursor.isdigit() or len(cursor) > 10:
            raise MalformedRequest("The cursor is not valid.")
        start = store.serialize(keys.import_bad_rows(import_id, int(cursor)))
    items, last = store.query(
        partition, sk_prefix=keys.IMPORT_BAD_ROWS_PREFIX, limit=limit, start=start
    )
    rows = [row for item in items for row in item["rows"]]
    next_cursor = str(last["sk"]["S"]).removeprefix(keys.IMPORT_BAD_ROWS_PREFIX) if last else None
    return rows, next_cursor
