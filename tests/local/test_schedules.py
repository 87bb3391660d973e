"""Schedule ticks in the local stack: every `Type: Schedule` / `ScheduleV2` function runs on a
timer with the event EventBridge would deliver; a failing tick is parked in the function's
OnFailure queue, as Lambda's asynchronous invocation does."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import boto3

from local.stack import EmbeddedStack
from local.template import Template
from tests.local.conftest import HERE, TEST_TEMPLATE
from tests.waiting import wait_for

SCHEDULED = """
  TickFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: echo_api.ticker.lambda_handler
      EventInvokeConfig:
        MaximumRetryAttempts: 0
        DestinationConfig:
          OnFailure: {Type: SQS, Destination: !GetAtt FailedRecords.Arn}
      Events:
        Tick:
          Type: Schedule
          Properties: {Schedule: rate(1 minute)}
        Hourly:
          Type: ScheduleV2
          Properties: {ScheduleExpression: rate(2 hours), State: DISABLED}
"""


def write(folder: Path) -> Path:
    path = folder / "template.yaml"
    text = (TEST_TEMPLATE + SCHEDULED).replace(
        "CodeUri: fake_functions/", f"CodeUri: {HERE / 'fake_functions'}/"
    )
    path.write_text(text)
    return path


def ticker() -> Any:
    return importlib.import_module("echo_api.ticker")


def test_the_template_reader_sees_schedules_and_their_rates() -> None:
    template = Template.from_string(TEST_TEMPLATE + SCHEDULED, HERE)
    [function] = [f for f in template.functions() if f.logical_id == "TickFunction"]
    tick, hourly = function.schedule_sources
    assert (tick.expression, tick.rate_seconds, tick.enabled) == ("rate(1 minute)", 60.0, True)
    assert (hourly.rate_seconds, hourly.enabled) == (7200.0, False)


def test_a_schedule_function_ticks_every_n_seconds(tmp_path: Path, moto_url: str) -> None:
    stack = EmbeddedStack(
        tmp_path / "state", template_path=write(tmp_path), demo_form=None, schedule_every=0.1
    ).start()
    try:
        ticker().TICKS.clear()
        ticks = wait_for(lambda: list(ticker().TICKS), lambda found: len(found) >= 3)
        assert len(ticks) >= 3  # the 2-hourly schedule is disabled: only the minute one ticks
        event = ticks[-1]
        assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
        assert event["resources"][0].startswith("arn:aws:events:us-east-1:")
        assert event["time"].endswith("Z") and event["detail"] == {}
    finally:
        stack.stop()


def test_drain_waits_for_a_tick_that_started_after_it(tmp_path: Path, moto_url: str) -> None:
    stack = EmbeddedStack(
        tmp_path / "state", template_path=write(tmp_path), demo_form=None, schedule_every=30
    ).start()
    try:
        # The first tick runs at start; the next one would be 30 s away.
        before = len(wait_for(lambda: list(ticker().TICKS)))
        stack.drain(timeout=60)
        assert len(ticker().TICKS) > before
    finally:
        stack.stop()


def test_a_failing_tick_is_parked_in_the_on_failure_queue(tmp_path: Path, moto_url: str) -> None:
    ticker().FAIL["on"] = True
    stack = EmbeddedStack(
        tmp_path / "state", template_path=write(tmp_path), demo_form=None, schedule_every=30
    ).start()
    try:
        stack.drain(timeout=60)
        sqs = boto3.client("sqs", endpoint_url=stack.moto_url, region_name="us-east-1")
        url = sqs.get_queue_url(QueueName="ecrm-local-FailedRecords")["QueueUrl"]
        [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
        record = json.loads(message["Body"])
        assert record["requestContext"]["condition"] == "RetriesExhausted"
        assert record["requestPayload"]["detail-type"] == "Scheduled Event"
    finally:
        ticker().FAIL["on"] = False
        stack.stop()
