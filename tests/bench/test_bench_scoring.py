"""The scoring bench area: shapes and counts, never timings."""

from __future__ import annotations

import pytest

from bench import scoring
from bench.figures import Figure, report

pytestmark = pytest.mark.slow  # runs in `make test`; `-m 'not slow'` leaves it out


def test_writes_are_counted_per_contact_per_batch_and_a_redelivery_writes_nothing():
    figure = scoring.writes_per_contact_per_batch(batches=3, contacts=10)
    assert figure["value"] == 1.0
    assert figure["redelivered_batches_writes"] == 0
    assert figure["calls_by_operation"]["dynamodb.TransactWriteItems"] == figure["contact_batches"]


def test_event_rate_is_reported_with_a_lower_bound_goal():
    rate = scoring.events_per_second(count=500, rounds=1)
    assert rate["events"] == 500 and rate["events_per_second"] > 0
    document = report([Figure("s.rate", rate, 10, ("events_per_second",), at_least=True)], {})
    assert document["goals"]["s.rate"] == {"min": 10, "of": ["events_per_second"]}
    assert document["meets_goals"]["s.rate"] is True
    assert not Figure("s.slow", 5, 10, at_least=True).meets_goal()
