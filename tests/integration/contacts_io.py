"""Helpers for the contacts import and export tests on moto: the marketer API through its
handler, an upload as the presigned URL would make it, and the worker fed from its queue
(redelivering what a killed invocation left, as SQS does after the visibility timeout)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import boto3

from ecrm.contacts import profile_schema
from ecrm.platform.settings import settings
from local.faults import Faults, Killed
from local.moto_backend import fast_transactions
from local.queues import lambda_record
from tests import events
from tests.conftest import ROOT


class WorkerContext(events.LambdaContext):
    """The worker's two minutes (the template's Timeout), not the API's ten seconds."""

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 120_000


MARKETER = {"sub": "m1", "email": "mia@example.com", "cognito:groups": "marketers"}


def seed_schema() -> None:
    data = json.loads((ROOT / "local" / "demo_profile.json").read_text())
    profile_schema.save(profile_schema.ProfileSchema.model_validate(data))


def admin(
    method: str,
    path: str,
    params: dict[str, str] | None = None,
    *,
    body: Any = None,
    query: dict[str, str] | None = None,
    claims: dict[str, str] | None = MARKETER,
) -> tuple[int, Any]:
    from capture.contacts_admin import lambda_handler

    event = events.api(method, path, params, body=body)
    if query:
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    if claims is not None:
        event["requestContext"]["authorizer"] = {"claims": claims}
    response = lambda_handler(event, events.LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def announce(data: bytes, **settings_: Any) -> tuple[int, Any]:
    body = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "filename": "people.csv",
        "topics": ["newsletter"],
        "consent_source": "trade fair 2026, paper form",
        **settings_,
    }
    return admin("POST", "/admin/imports", body=body)


def upload(job: dict[str, Any], data: bytes) -> None:
    """What the presigned PUT stores (moto in-process serves no URL)."""
    key = f"imports/{job['import_id']}.csv"
    boto3.client("s3").put_object(
        Bucket=str(settings().import_bucket),
        Key=key,
        Body=data,
        ChecksumSHA256=base64.b64encode(hashlib.sha256(data).digest()).decode(),
    )


def start(import_id: str) -> tuple[int, Any]:
    return admin("POST", "/admin/imports/{import_id}/start", {"import_id": import_id})


def status(import_id: str) -> dict[str, Any]:
    code, found = admin("GET", "/admin/imports/{import_id}", {"import_id": import_id})
    assert code == 200
    return dict(found)


def bad_rows(import_id: str, limit: int = 50) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {"limit": str(limit), **({"cursor": cursor} if cursor else {})}
        code, page = admin(
            "GET", "/admin/imports/{import_id}/errors", {"import_id": import_id}, query=query
        )
        assert code == 200, page
        rows += page["rows"]
        cursor = page["next_cursor"]
        if not cursor:
            return rows


def run_worker(*, limit: int = 500, faults: Faults | None = None) -> int:
    """Feed the import queue to the worker until it is empty; returns the deliveries. A
    delivery that dies (`Killed`) leaves its message, which is delivered again. moto's
    transactions without their whole-table copy (`fast_transactions`: same outcomes)."""
    with fast_transactions():
        return _run_worker(limit, faults)


def _run_worker(limit: int, faults: Faults | None) -> int:
    from capture.import_worker import lambda_handler

    sqs = boto3.client("sqs")
    queue_url = str(settings().import_queue_url)
    deliveries = 0
    while deliveries < limit:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1).get(
            "Messages", []
        )
        if not messages:
            return deliveries
        deliveries += 1
        record = lambda_record(
            messages[0], "arn:aws:sqs:us-east-1:123456789012:imports", "us-east-1"
        )
        try:
            answer = lambda_handler({"Records": [record]}, WorkerContext())
        except Killed:
            if faults is not None:
                faults.revive()  # the next delivery runs in a fresh process
            answer = {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}
        if answer["batchItemFailures"]:
            sqs.change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
            )
        else:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=record["receiptHandle"])
    raise AssertionError("the import queue never emptied")


def csv_file(rows: list[str], header: str = "Email,First name,Company,Interests") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
