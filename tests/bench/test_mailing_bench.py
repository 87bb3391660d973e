"""The campaign figures' harness, on small sizes: shapes and invariants, never timings."""

from __future__ import annotations

import pytest

from bench import mailing

pytestmark = pytest.mark.slow  # runs in `make test`; `-m 'not slow'` leaves it out


def test_render_figure_compares_with_the_standard_library() -> None:
    figure = mailing.render_per_second(count=200)
    assert figure.name == "mailing.render_per_second" and figure.at_least
    assert figure.value["messages"] == 200
    assert (
        figure.value["messages_per_second"] > 0 and figure.value["stdlib_messages_per_second"] > 0
    )


def test_audience_reads_one_contact_per_member_and_never_scans() -> None:
    counted, scans = mailing.audience(members=30)
    assert counted.value["members"] == 30 and counted.value["table_contacts"] == 300
    assert counted.value["scan_calls"] == 0 and scans.value == 0
    assert counted.value["items_read_per_member"] == 1.0
    assert counted.meets_goal() and scans.meets_goal()


def test_pace_sends_every_recipient_once_without_throttles() -> None:
    ratio, throttles = mailing.pace(recipients=120)
    assert ratio.value["sent"] == ratio.value["campaign_sent"] == 120
    assert ratio.value["state"] == "done" and throttles.value == 0


def test_faults_leave_no_recipient_twice_or_never() -> None:
    figure = mailing.duplicates_after_faults(recipients=40)
    assert figure.value["duplicates"] == 0 and figure.value["lost"] == 0
    assert figure.value["kills"] >= 3 and figure.value["state"] == "done"
