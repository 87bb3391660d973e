"""The experiments figures' harness, on small sizes: the cap holds under the fault sweep, and
every contact gets its mails (shapes and invariants, never timings)."""

from __future__ import annotations

import pytest

from bench import experiments

pytestmark = pytest.mark.slow  # runs in `make test`; `-m 'not slow'` leaves it out


def test_two_campaigns_and_a_journey_racing_under_faults_never_pass_the_cap() -> None:
    figure = experiments.cap_violations(contacts=80, timeout=300)
    value = figure.value
    assert figure.name == "experiments.cap_violations" and figure.meets_goal()
    assert value["violations"] == value["duplicates"] == value["unfinished"] == 0
    assert value["under_cap"] == 0
    assert value["mails"] == 2 * 80
    assert [c["state"] for c in value["campaigns"]] == ["done", "done"]
    assert value["kills"] >= 3 and value["throttles_injected"] > 0
