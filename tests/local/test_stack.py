"""The local stack as tests use it: start, write, drain, read the outbox, stop, start again."""

from __future__ import annotations

import importlib
import json
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3

from local.stack import EmbeddedStack


def start(state: Path, template_file: Path, fresh: bool = False) -> EmbeddedStack:
    return EmbeddedStack(state, template_path=template_file, fresh=fresh, demo_form=None).start()


def client(stack: EmbeddedStack, service: str) -> Any:
    make: Any = boto3.client  # one helper for several services
    return make(service, endpoint_url=stack.moto_url, region_name="us-east-1")


def put(stack: EmbeddedStack, sk: str, kind: str = "keep") -> None:
    client(stack, "dynamodb").put_item(
        TableName=stack.table_name,
        Item={"pk": {"S": "P"}, "sk": {"S": sk}, "kind": {"S": kind}},
    )


def send_mail(stack: EmbeddedStack, to: str, link: str) -> None:
    message = EmailMessage()
    message["From"] = "ecrm <hello@example.org>"
    message["To"] = to
    message["Subject"] = "Please confirm"
    message.set_content(f"Confirm here: {link}\n")
    message.add_alternative(f'<p><a href="{link}">Confirm</a></p>', subtype="html")
    client(stack, "sesv2").send_email(
        FromEmailAddress="hello@example.org",
        Destination={"ToAddresses": [to]},
        Content={"Raw": {"Data": bytes(message)}},
        ConfigurationSetName="mail-test",
    )


def received() -> list[dict[str, Any]]:
    """What the recorder function got: imported under the name the stack imports it by
    (its CodeUri is on sys.path once a stack has started)."""
    records: list[dict[str, Any]] = importlib.import_module("echo_api.recorder").RECEIVED
    return records


def received_sort_keys() -> list[str]:
    return [r["dynamodb"]["NewImage"]["sk"]["S"] for r in received() if "dynamodb" in r]


def test_stream_records_reach_the_function_through_the_templates_filter(
    tmp_path: Path, template_file: Path
) -> None:
    stack = start(tmp_path / "state", template_file)
    received().clear()
    try:
        put(stack, "a")
        put(stack, "skipped", kind="other")
        put(stack, "b")
        stack.drain()
        assert received_sort_keys() == ["a", "b"]
    finally:
        stack.stop()


def test_queue_messages_are_delivered_and_a_reported_failure_comes_back(
    tmp_path: Path, template_file: Path
) -> None:
    stack = start(tmp_path / "state", template_file)
    received().clear()
    try:
        sqs = client(stack, "sqs")
        url = sqs.get_queue_url(QueueName="ecrm-local-Jobs")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="fine")
        sqs.send_message(QueueUrl=url, MessageBody="fail-once")
        stack.drain()  # waits out the 1 s visibility timeout of the failed message

        bodies = [r["body"] for r in received() if "body" in r]
        assert sorted(bodies) == ["fail-once", "fail-once", "fine"]
        record = next(r for r in received() if "body" in r)
        assert record["eventSource"] == "aws:sqs"
        assert record["eventSourceARN"].endswith(":ecrm-local-Jobs")
        assert record["attributes"]["ApproximateReceiveCount"] == "1"
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["ApproximateNumberOfMessages"] == "0"
    finally:
        stack.stop()


def test_the_outbox_lists_sent_mail_with_its_links(tmp_path: Path, template_file: Path) -> None:
    stack = start(tmp_path / "state", template_file)
    try:
        send_mail(stack, "ann@example.com", "http://127.0.0.1:3000/confirm/tok1")
        send_mail(stack, "bob@example.com", "http://127.0.0.1:3000/confirm/tok2")
        newest, oldest = stack.outbox()
        assert newest["to"] == "bob@example.com"
        assert newest["from"] == "ecrm <hello@example.org>"
        assert newest["subject"] == "Please confirm"
        assert newest["links"] == ["http://127.0.0.1:3000/confirm/tok2"]
        assert "Confirm here" in newest["text"] and "<a href=" in newest["html"]
        assert oldest["to"] == "ann@example.com"
        assert len(list((tmp_path / "state" / "outbox").glob("*.eml"))) == 2
    finally:
        stack.stop()


def test_local_data_survives_a_restart_and_fresh_empties_it(
    tmp_path: Path, template_file: Path
) -> None:
    state = tmp_path / "state"
    first = start(state, template_file)
    received().clear()
    try:
        put(first, "kept")
        send_mail(first, "ann@example.com", "http://x.example/1")
        secret_arn = json.loads((state / "endpoint.json").read_text())["environment"]
        key = client(first, "secretsmanager").get_secret_value(
            SecretId=secret_arn["SIGNING_KEY_ARN"]
        )["SecretString"]
        first.drain()
    finally:
        first.stop()
    assert received_sort_keys() == ["kept"]

    second = start(state, template_file)
    try:
        item = client(second, "dynamodb").get_item(
            TableName=second.table_name, Key={"pk": {"S": "P"}, "sk": {"S": "kept"}}
        )
        assert item["Item"]["kind"] == {"S": "keep"}
        assert [m["to"] for m in second.outbox()] == ["ann@example.com"]
        environment = json.loads((state / "endpoint.json").read_text())["environment"]
        again = client(second, "secretsmanager").get_secret_value(
            SecretId=environment["SIGNING_KEY_ARN"]
        )["SecretString"]
        assert again == key  # tokens signed before the restart still verify
        assert len(json.loads(key)["key"]) == 64
        second.drain()
        assert received_sort_keys() == ["kept"], "restored items are not replayed to streams"
    finally:
        second.stop()

    third = start(state, template_file, fresh=True)
    try:
        scan = client(third, "dynamodb").scan(TableName=third.table_name)
        assert scan["Items"] == []
        assert third.outbox() == []
    finally:
        third.stop()


def test_a_stack_that_keeps_no_state_never_scans_the_table_for_a_snapshot(
    tmp_path: Path, template_file: Path
) -> None:
    state = tmp_path / "state"
    stack = EmbeddedStack(
        state, template_path=template_file, demo_form=None, keep_state=False
    ).start()
    scans: list[str] = []
    assert stack._snapshots is not None
    stack._snapshots.dynamodb.meta.events.register(
        "before-call.dynamodb.Scan", lambda **_: scans.append("scan")
    )
    try:
        put(stack, "not kept")
        stack._save_snapshot()  # what the housekeeping thread does every 2 s
    finally:
        stack.stop()
    assert scans == [] and not (state / "table.json").exists()
