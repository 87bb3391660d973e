"""Functions running at once in the local runtime publish their own metrics, as in Lambda."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import pytest

from local.intrinsics import LocalNames
from local.lambda_runtime import LambdaRuntime
from local.template import Function, Template

MODULE = "metered_functions"
# Two functions, two services. `first` adds its metric, then waits while `second` adds and flushes
# its own; `first` flushes when it returns. One process-wide set published both under `second`.
SOURCE = """
import threading

from aws_lambda_powertools.metrics import Metrics, MetricUnit

first_metrics = Metrics(namespace="test", service="first")
second_metrics = Metrics(namespace="test", service="second")
ADDED = threading.Event()
FLUSHED = threading.Event()


@first_metrics.log_metrics
def first(event, context):
    first_metrics.add_metric(name="FirstCounted", unit=MetricUnit.Count, value=1)
    ADDED.set()
    assert FLUSHED.wait(10)


@second_metrics.log_metrics
def second(event, context):
    assert ADDED.wait(10)
    second_metrics.add_metric(name="SecondCounted", unit=MetricUnit.Count, value=1)
"""


def _function(name: str, code_dir: Path) -> Function:
    return Function(
        logical_id=f"{name.title()}Function",
        handler=f"{MODULE}.{name}",
        environment={},
        properties={},
        api_routes=(),
        stream_sources=(),
        queue_sources=(),
        code_dir=code_dir,
        layer_logical_ids=(),
    )


def test_two_functions_flushing_at_once_each_publish_only_their_own_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / f"{MODULE}.py").write_text(SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    monkeypatch.delenv("POWERTOOLS_DEV", raising=False)
    runtime = LambdaRuntime(Template({"Resources": {}}, tmp_path), LocalNames(parameters={}))
    first, second = _function("first", tmp_path), _function("second", tmp_path)
    try:
        runtime.handler(first)  # imported once, before either thread needs it
        module = sys.modules[MODULE]
        first_thread = threading.Thread(target=runtime.invoke, args=(first, {}))
        first_thread.start()
        runtime.invoke(second, {})
        module.FLUSHED.set()
        first_thread.join(10)
        assert not first_thread.is_alive()
    finally:
        sys.modules.pop(MODULE, None)

    published = {}
    for line in capsys.readouterr().out.splitlines():
        blob = json.loads(line)
        names = [m["Name"] for d in blob["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]]
        published[blob["service"]] = names
    assert published == {"first": ["FirstCounted"], "second": ["SecondCounted"]}
