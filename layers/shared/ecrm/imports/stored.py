"""An import as both of its sides read it: the stored item's states, the uploaded file's
bytes and the worker's queue. The worker (`chunks`) needs nothing else of `jobs`, whose
request model is pydantic: kept apart, the worker's cold start imports none (issue 15 point 7).
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ecrm.platform import aws, keys, store
from ecrm.platform.errors import Busy, NotFound
from ecrm.platform.settings import settings

AWAITING_UPLOAD, IMPORTING, DONE, FAILED = "awaiting_upload", "importing", "done", "failed"


def load(import_id: str, *, consistent: bool = True) -> dict[str, Any]:
    job = store.get(keys.contacts_import(import_id), consistent=consistent)
    if job is None:
        raise NotFound("There is no such import.")
    return job


def bucket() -> str:
    name = settings().import_bucket
    if not name:
        raise RuntimeError("IMPORT_BUCKET is not set")
    return name


def read_range(object_key: str, start: int, length: int) -> bytes:
    """Bytes `start` .. `start + length` of an upload (fewer at the end of the file)."""
    try:
        answer = aws.s3().get_object(
            Bucket=bucket(), Key=object_key, Range=f"bytes={start}-{start + length - 1}"
        )
        return answer["Body"].read()
    except (ClientError, BotoCoreError) as error:
        raise Busy() from error


def kick(import_id: str) -> None:
    """Queue the worker's next step (a message that only names the import)."""
    queue = settings().import_queue_url
    if not queue:
        raise RuntimeError("IMPORT_QUEUE_URL is not set")
    try:
        aws.sqs().send_message(QueueUrl=queue, MessageBody=json.dumps({"import_id": import_id}))
    except (ClientError, BotoCoreError) as error:
        raise Busy() from error
