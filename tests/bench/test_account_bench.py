"""The self-service bench area: counts per operation, never timings."""

from __future__ import annotations

import pytest

from bench import __main__ as bench_main
from bench import account_calls

pytestmark = pytest.mark.slow  # runs in `make test`; `-m 'not slow'` leaves it out


def test_account_calls_are_counted_per_operation_against_the_goal():
    figures = {figure.name: figure for figure in account_calls.measure(count=2)}

    for operation in account_calls.OPERATIONS:
        figure = figures[f"account.aws_calls.{operation}"]
        assert figure.goal == 2.0
        assert isinstance(figure.value, float) and figure.value >= 1
    by_operation = figures["account.aws_calls_by_operation"].value
    assert by_operation["samples"] == 2
    for operation, calls in by_operation["warm"].items():
        expected = figures[f"account.aws_calls.{operation}"].value
        assert sum(calls.values()) == pytest.approx(expected)
    assert "ssm.GetParameter" in by_operation["first_visit"]["session"]


def test_the_area_is_registered():
    assert bench_main.AREAS["account"] is account_calls.measure
