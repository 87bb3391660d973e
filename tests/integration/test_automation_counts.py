"""What each automation rule did, counted in the transaction of the move it counts: a stream
record delivered twice, a tick that reads a minute again, a send retried or confirmed by its
SES event twice each count once (GET /admin/automations, .../{id}/counts)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from ecrm.automations import runs as automation_runs
from ecrm.platform import clock, keys, store
from tests.integration.test_automations import (  # noqa: F401 - fixtures used by name
    ANN_ID,
    _clock,
    admin,
    create,
    interaction,
    runs,
    scheduled,
    sent,
    stream,
    template,
    tick_after,
)

VIEWER = {"sub": "v1", "email": "val@example.com", "cognito:groups": "viewers"}
ZERO = {"triggered": 0, "sent": 0, "skipped": 0, "failed": 0, "waiting": 0}


def counts(rule_id: str, claims: Any = None) -> dict[str, Any]:
    extra = {"claims": claims} if claims else {}
    status, body = admin("GET", f"/admin/automations/{rule_id}/counts", **extra)
    assert status == 200, body
    return dict(body)


def listed(rule_id: str) -> dict[str, Any]:
    status, body = admin("GET", "/admin/automations")
    assert status == 200, body
    [found] = [r for r in body["items"] if r["id"] == rule_id]
    return dict(found["counts"])


@pytest.mark.usefixtures("scheduled")
def test_a_run_is_counted_once_when_triggered_and_once_when_sent() -> None:
    again = {**runs()[0]}
    rule_id = str(again["automation_id"])
    assert counts(rule_id) == {**ZERO, "triggered": 1, "waiting": 1}
    confirmed = interaction("confirmed")
    stream([confirmed])  # the event again (the rule fired for Ann already)
    stream([confirmed])  # and the stream redelivering it
    assert counts(rule_id)["triggered"] == 1

    tick_after(61)
    tick_after(62)  # the tick reads recent minutes again
    key = {"pk": again["pk"], "sk": again["sk"]}
    assert automation_runs.run(key) == "sent"  # a duplicate due entry: already sent

    assert len(sent()) == 1
    assert counts(rule_id) == {**ZERO, "triggered": 1, "sent": 1}
    assert listed(rule_id) == counts(rule_id)
    assert counts(rule_id, claims=VIEWER)["sent"] == 1  # a viewer reads them


@pytest.mark.usefixtures("scheduled")
def test_skipped_runs_are_counted_and_an_ses_confirmation_counts_once() -> None:
    rule_id = str(runs()[0]["automation_id"])
    bob = keys.contact_id_for("bob@example.com")  # never subscribed: skipped when due
    stream([interaction("confirmed", bob)])
    [ann] = [r for r in runs() if r["contact_id"] == ANN_ID]
    store.write(
        store.Update(
            {"pk": ann["pk"], "sk": ann["sk"]},
            "SET #s = :s, claimed_at = :c",
            names={"#s": "state"},
            values={":s": "sending", ":c": clock.iso(time.time() + 61 * 60)},
        )
    )  # a worker died between SES and marking Ann's run sent
    tick_after(62)

    assert automation_runs.confirm_sent(ANN_ID, rule_id, "ses-1")
    assert not automation_runs.confirm_sent(ANN_ID, rule_id, "ses-1")  # redelivered
    assert counts(rule_id) == {**ZERO, "triggered": 2, "sent": 1, "skipped": 1}


@pytest.mark.usefixtures("template")
def test_a_new_rule_counts_nothing_and_an_unknown_rule_is_404() -> None:
    rule_id = create()
    assert counts(rule_id) == ZERO and listed(rule_id) == ZERO
    status, body = admin("GET", "/admin/automations/au_000000000000/counts")
    assert status == 404 and body["error"]["code"] == "not_found"
