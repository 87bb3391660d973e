"""The experiments figures' harness, on small sizes: the cap holds under the fault sweep, and
every contact gets its mails; a time-zone send releases its waves in full, none early (shapes
and invariants, never timings)."""

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


def test_a_time_zone_send_releases_one_wave_per_zone_each_in_full_and_none_early() -> None:
    from bench import local_waves

    figure = local_waves.pace_ratio(recipients=400)
    value = figure.value
    assert figure.name == "experiments.pace_ratio"
    assert [w["sent"] for w in value["waves"]] == [100] * len(local_waves.ZONES)
    assert value["sent_before_their_wave"] == 0 and value["sent"] == 400
    # Never faster than SES allows (its stand-in throttles beyond 200 in any second).
    assert value["state"] == "done" and value["throttled"] == 0
    assert all(w["ratio"] > 0 for w in value["waves"])
