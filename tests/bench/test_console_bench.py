"""The console bench area: API calls and bytes are asserted, never the timing (reported only)."""

from __future__ import annotations

from typing import Any

import pytest

from bench import __main__ as bench_main
from bench import console

# Chromium against a whole local stack: a few seconds
pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def test_the_console_bench_counts_calls_per_screen_and_the_bytes_of_the_first_load(
    browser: Any,
) -> None:
    """In the test process's Chromium (`python -m bench` starts its own: no second sync
    Playwright can start in a process while one lives)."""
    assert bench_main.AREAS["console"] is console.measure
    figures = {figure.name: figure for figure in console.measure(browser)}
    calls = figures["console.api_calls_per_screen"]
    assert calls.value["home"] == 1 and calls.value["contacts"] == 0, calls.value
    assert calls.value["templates"] == 1, calls.value  # the list
    assert calls.value["forms"] == 1, calls.value  # the list
    assert calls.value["imports"] == 1, calls.value  # the profile's fields
    assert calls.meets_goal()
    transfer = figures["console.transfer_kb"]
    assert transfer.value > 5 and transfer.meets_goal(), transfer.value  # every module counted
    assert isinstance(figures["console.first_load_ms"].value, int)
