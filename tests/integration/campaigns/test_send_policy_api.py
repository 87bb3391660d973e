"""`/admin/settings/sending`: the account's send policy. Off until saved; marketers change it,
viewers read it; anything refused (too big, the wrong type, a zone that is no zone, unknown or
nested keys, a stale version) is a 4xx with the stable error body and writes nothing (a body its
model refuses is the router's 400 `malformed_request`, each problem named in `fields`)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecrm.mail import send_policy_view
from ecrm.platform import keys, store
from tests.conftest import table_items
from tests.integration.campaigns.conftest import Sent, admin

PATH = "/admin/settings/sending"
VIEWER = {"sub": "v1", "email": "v@example.com", "cognito:groups": "viewers"}
GOOD = {
    "frequency_cap": {"enabled": True, "max_mails": 3, "period_days": 7},
    "quiet_hours": {"enabled": True, "start": "21:00", "end": "08:00", "time_zone": "Europe/Paris"},
}


def test_the_policy_is_off_until_saved_and_reads_back_as_saved(campaign_env: Sent) -> None:
    status, body = admin("GET", PATH)
    assert status == 200
    assert body["version"] == 0
    assert body["frequency_cap"]["enabled"] is False and body["quiet_hours"]["enabled"] is False
    assert send_policy_view.current() == send_policy_view.OFF

    status, saved = admin("PUT", PATH, body={**GOOD, "version": 0})
    assert status == 200, saved
    assert saved["version"] == 1 and saved["updated_by"] == "m1"
    assert admin("GET", PATH)[1] == saved
    stored = store.get(keys.send_policy())
    assert stored is not None and stored["quiet_hours"]["time_zone"] == "Europe/Paris"
    policy = send_policy_view.current()
    assert policy.cap == send_policy_view.FrequencyCap(3, 7)
    assert policy.quiet == send_policy_view.QuietHours(21 * 60, 8 * 60, "Europe/Paris")


def test_viewers_read_the_policy_and_cannot_change_it(campaign_env: Sent) -> None:
    assert admin("PUT", PATH, body=GOOD)[0] == 200
    status, body = admin("GET", PATH, claims=VIEWER)
    assert status == 200 and body["frequency_cap"]["max_mails"] == 3
    before = table_items()
    status, body = admin("PUT", PATH, body={**GOOD, "version": 1}, claims=VIEWER)
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = admin("PUT", PATH, body=GOOD, claims=None)
    assert status == 401
    assert table_items() == before


def test_a_stale_version_is_a_conflict_and_changes_nothing(campaign_env: Sent) -> None:
    assert admin("PUT", PATH, body=GOOD)[0] == 200
    assert admin("PUT", PATH, body={**GOOD, "version": 1})[0] == 200
    before = table_items()
    status, body = admin("PUT", PATH, body={**GOOD, "version": 1})
    assert status == 409 and body["error"]["code"] == "conflict"
    assert table_items() == before


def _with(section: str, **change: Any) -> dict[str, Any]:
    return {**GOOD, section: {**GOOD[section], **change}}


REFUSED = {
    "huge cap": (_with("frequency_cap", max_mails=10**30), "frequency_cap.max_mails"),
    "zero cap": (_with("frequency_cap", max_mails=0), "frequency_cap.max_mails"),
    "a period of years": (_with("frequency_cap", period_days=3650), "frequency_cap.period_days"),
    "negative period": (_with("frequency_cap", period_days=-7), "frequency_cap.period_days"),
    "a number as text": (_with("frequency_cap", max_mails="3"), "frequency_cap.max_mails"),
    "a fraction": (_with("frequency_cap", max_mails=2.5), "frequency_cap.max_mails"),
    "true as a number": (_with("frequency_cap", max_mails=True), "frequency_cap.max_mails"),
    "yes as true": (_with("frequency_cap", enabled="yes"), "frequency_cap.enabled"),
    "a nested value": (_with("frequency_cap", max_mails={"$gt": 1}), "frequency_cap.max_mails"),
    "an unknown key": (_with("quiet_hours", days=["mon"]), "quiet_hours.days"),
    "an unknown section": ({**GOOD, "ab_tests": {"enabled": True}}, "ab_tests"),
    "a list for a section": ({**GOOD, "quiet_hours": [1, 2]}, "quiet_hours"),
    "no zone": (_with("quiet_hours", time_zone="Mars/Olympus_Mons"), "quiet_hours.time_zone"),
    "a path": (_with("quiet_hours", time_zone="../../etc/passwd"), "quiet_hours.time_zone"),
    "an absolute path": (_with("quiet_hours", time_zone="/etc/localtime"), "quiet_hours.time_zone"),
    "a long zone": (
        _with("quiet_hours", time_zone="Europe/" + "x" * 5000),
        "quiet_hours.time_zone",
    ),
    "24:00": (_with("quiet_hours", start="24:00"), "quiet_hours.start"),
    "no minutes": (_with("quiet_hours", end="8"), "quiet_hours.end"),
    "an empty window": (_with("quiet_hours", start="08:00", end="08:00"), "quiet_hours"),
    "a huge version": ({**GOOD, "version": 10**40}, "version"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_bad_policy_is_refused_field_by_field_and_nothing_is_written(
    campaign_env: Sent, case: str
) -> None:
    assert admin("PUT", PATH, body=GOOD)[0] == 200
    before = table_items()
    body, field = REFUSED[case]
    status, answer = admin("PUT", PATH, body=body)
    assert status == 400, answer  # the body's model refused it: the router's answer
    assert set(answer["error"]) == {"code", "message", "fields"}
    assert answer["error"]["code"] == "malformed_request"
    assert field in answer["error"]["fields"], answer["error"]["fields"]
    assert table_items() == before


def test_a_body_that_is_no_json_object_is_refused(campaign_env: Sent) -> None:
    before = table_items()
    for body in ([GOOD], "frequency_cap", 3, None):
        status, answer = admin("PUT", PATH, body=json.dumps(body))  # type: ignore[arg-type]
        assert status in (400, 422) and "code" in answer["error"]
    assert table_items() == before
