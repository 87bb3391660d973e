"""The harness itself: shapes and counts, never timings."""

from __future__ import annotations

import json

import pytest

from bench import __main__ as bench_main
from bench import capture_calls
from bench.figures import Figure, report

pytestmark = pytest.mark.slow  # runs in `make test`; `-m 'not slow'` leaves it out

SCENARIOS = {*capture_calls.WARM, "first_call", "retry_with_idempotency_key"}


def test_capture_calls_are_counted_per_scenario_and_per_operation():
    figures = {figure.name: figure for figure in capture_calls.measure(count=5)}

    per_submission = figures["capture.aws_calls_per_submission"]
    assert per_submission.value.keys() >= SCENARIOS
    for scenario in SCENARIOS:
        value = per_submission.value[scenario]
        assert isinstance(value, int | float) and value > 0, scenario
    assert per_submission.value["samples_per_scenario"] == 5
    assert per_submission.goal == 1.0 and per_submission.judged == capture_calls.WARM

    by_operation = figures["capture.aws_calls_by_operation"].value
    assert by_operation.keys() == per_submission.value.keys() - {"samples_per_scenario"}
    for scenario, operations in by_operation.items():
        assert operations.get("dynamodb.TransactWriteItems", 0) > 0, scenario
        assert sum(operations.values()) == pytest.approx(per_submission.value[scenario])


def test_report_judges_each_figure_against_its_goal():
    figures = [
        Figure("a.calls", {"x": 1, "y": 2, "info": 9}, 2, ("x", "y")),
        Figure("a.ratio", 1.7, 1.5),
        Figure("a.missing", None, 3),
        Figure("a.info", {"ms": 12.5}),
    ]

    document = json.loads(json.dumps(report(figures, {})))

    assert {"cpu_count", "python"} <= document["machine"].keys()
    assert document["a.calls"] == {"x": 1, "y": 2, "info": 9}
    assert document["goals"]["a.calls"] == {"max": 2, "of": ["x", "y"]}
    assert document["meets_goals"] == {"a.calls": True, "a.ratio": False, "a.missing": False}
    assert "errors" not in document


def test_main_prints_one_json_object_and_keeps_product_output_off_stdout(monkeypatch, capfd):
    def noisy_area() -> list[Figure]:
        print('{"level": "INFO", "message": "a product log line"}')
        return [Figure("noisy.count", 3, 5)]

    def broken_area() -> list[Figure]:
        raise RuntimeError("no stack")

    monkeypatch.setattr(bench_main, "AREAS", {"noisy": noisy_area, "broken": broken_area})

    assert bench_main.main([]) == 1

    document = json.loads(capfd.readouterr().out)
    assert document["noisy.count"] == 3
    assert document["meets_goals"] == {"noisy.count": True}
    assert document["errors"] == {"broken": "RuntimeError: no stack"}
