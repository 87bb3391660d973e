"""The report bench area: counts, never timings."""

from __future__ import annotations

import pytest

from bench import __main__ as bench_main
from bench import trends

pytestmark = pytest.mark.slow  # runs in `make test`; `-m 'not slow'` leaves it out


def test_the_summary_reads_about_one_item_a_day_and_a_redelivery_changes_no_count() -> None:
    read, calls, writes = trends.measure_size(60)
    assert read <= trends.DAYS + 2  # the day items that exist, the gauges, the ruleset
    assert calls["Query"] == 1 and "Scan" not in calls
    assert writes["records"] > 60
    assert 1.0 < writes["value"] < 1.5  # a marker per record, plus each batch's aggregates
    assert writes["redelivery_changed_counts"] is False
    assert bench_main.AREAS["report"] is trends.measure
