"""The fault sweep of `test_send_faults`, with the frequency cap on: killed at every step and
redelivered, throttled by SES, each recipient under the cap still gets exactly one mail, each
one over it none, and each send is counted once (a retry replaces its own count)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from local.faults import Faults, Kill, Throttle
from tests.conftest import table_items
from tests.integration.campaigns.conftest import Sent, add_contacts, campaign, create_campaign
from tests.integration.campaigns.policy_helpers import had_mails, records, set_policy
from tests.integration.campaigns.test_send_faults import (
    KILL_POINTS,
    confirm_by_send_events,
    injected,  # noqa: F401 - the fixture
    later,  # noqa: F401 - the fixture
    run,
)
from tests.integration.campaigns.test_send_faults import admin as marketer

AUDIENCE, FULL = 20, 5


def start() -> tuple[str, list[str]]:
    ids = add_contacts(AUDIENCE, first_name="Ann")
    set_policy(cap=(1, 7))
    for contact_id in ids[:FULL]:
        had_mails(contact_id, 2)
    campaign_id = create_campaign()
    status, body = marketer(
        "POST", "/admin/campaigns/{campaign_id}/send", {"campaign_id": campaign_id}
    )
    assert status == 202, body
    return campaign_id, ids


def assert_capped_exactly(campaign_id: str, ids: list[str], sent: Sent) -> None:
    mailed = Counter(t["contact"] for t in sent.tags)
    assert set(mailed) == set(ids[FULL:]) and set(mailed.values()) == {1}
    done = campaign(campaign_id)
    assert done["state"] == "done", done
    assert done["stats"]["sent"] == AUDIENCE - FULL
    assert done["stats"]["skipped"] == done["stats"]["skipped_frequency_cap"] == FULL
    counted = records()
    for contact_id in ids[FULL:]:
        assert set(counted[contact_id]["sends"]) == {f"c:{campaign_id}"}
    capped = {i["contact_id"] for i in table_items() if i.get("reason") == "frequency_cap"}
    assert capped == set(ids[:FULL])


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_killed_at_any_step_with_the_cap_on_nobody_is_lost_mailed_twice_or_over_the_cap(
    campaign_env: Sent,
    injected: Faults,  # noqa: F811
    later: Callable[[float], None],  # noqa: F811
    point: str,
) -> None:
    kill = Kill(KILL_POINTS[point].match, KILL_POINTS[point].when, KILL_POINTS[point].nth)
    campaign_id, ids = start()
    injected.kills.append(kill)
    injected.throttles.append(Throttle("sesv2", "SendEmail", "TooManyRequestsException", every=6))

    def after_kill() -> None:
        confirm_by_send_events(campaign_env)
        later(60 * 15 + 1)  # the redelivery may come after the stale-claim time

    assert run(injected, after_kill) == 1 and kill.fired
    assert_capped_exactly(campaign_id, ids, campaign_env)
