"""A/B tests on moto: a campaign with two variants and a holdout mails its test share split per
variant (each mail tagged with its variant), skips the holdout and holds the rest with nothing
claimed; simulated opens (bots left out) decide the winner at the tick, and the rest gets the
winner exactly once, also when a marketer's pick races the tick. Hostile definitions are
refused with nothing written."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from ecrm import due
from ecrm.campaigns import ab
from ecrm.platform import clock, keys, store
from local.faults import Faults, Kill
from tests import events
from tests.conftest import table_items
from tests.integration.campaigns.conftest import (
    SENDER,
    Sent,
    add_contacts,
    admin,
    campaign,
    create_campaign,
    run_queue,
)
from tests.integration.campaigns.test_send_faults import (
    KILL_POINTS,
    confirm_by_send_events,
    injected,  # noqa: F401 - the fixture
    later,  # noqa: F401 - the fixture
    run,
)

AUDIENCE = 60
AB_TEST = {
    "variants": [
        {"id": "A", "subject": "Our November news, {{ contact.first_name }}"},
        {"id": "B", "subject": "Last chance: November", "sender_name": "Ann from Ecrm"},
    ],
    "test_percent": 50,
    "holdout_percent": 20,
    "metric": "opens",
    "wait_hours": 4,
}


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    moment = {"t": time.time()}
    monkeypatch.setattr(clock, "now", lambda: moment["t"])

    def move(seconds: float) -> None:
        moment["t"] += seconds

    return move


def start(ab_test: dict[str, Any] | None = None) -> tuple[str, list[str]]:
    ids = add_contacts(AUDIENCE, first_name="Ann")
    create_campaign()  # the template and segment
    status, body = admin(
        "POST",
        "/admin/campaigns",
        body={
            "name": "November A/B",
            "template_id": "news",
            "segment_id": "seg-newsletter",
            "sender": SENDER,
            "ab_test": ab_test or AB_TEST,
        },
    )
    assert status == 201, body
    campaign_id = str(body["id"])
    status, body = admin(
        "POST", "/admin/campaigns/{campaign_id}/send", {"campaign_id": campaign_id}
    )
    assert status == 202, body
    return campaign_id, ids


def groups(campaign_id: str, ids: list[str]) -> dict[str, str]:
    """Each contact's group or variant, from the campaign's seed (the function under test)."""
    test = ab.AbTest.of(store.get(keys.campaign(campaign_id)) or {})
    assert test is not None
    return {c: (v if g == ab.TEST else g) or g for c in ids for g, v in [ab.assign(test, c)]}


def open_all(sent: Sent, variant: str, *, bots: bool = False) -> int:
    from mailing.ses_events import lambda_handler

    opened = 0
    now = time.time()
    for n, (tags, message) in enumerate(zip(sent.tags, sent.messages(), strict=True)):
        if tags.get("variant") != variant:
            continue
        human = {"sent_at": now - 300, "at": now - 60, "userAgent": "Mozilla/5.0 (Macintosh)"}
        timing = {"sent_at": now - 300, "at": now - 299} if bots else human  # a scanner's speed
        event = events.ses_notification(
            "open", message_id=f"m-{variant}-{n}", to=str(message["To"]), tags=tags, **timing
        )
        lambda_handler(event, events.LambdaContext())
        opened += 1
    return opened


def mailed(sent: Sent) -> Counter[str]:
    return Counter(t["contact"] for t in sent.tags)


def test_the_test_share_is_split_the_rest_waits_and_gets_the_winner_once(
    campaign_env: Sent, at: Callable[[float], None]
) -> None:
    campaign_id, ids = start()
    run_queue()
    group = groups(campaign_id, ids)

    tested = {c for c, g in group.items() if g in ("A", "B")}
    assert set(mailed(campaign_env)) == tested and set(mailed(campaign_env).values()) == {1}
    for tags, message in zip(campaign_env.tags, campaign_env.messages(), strict=True):
        assert tags["variant"] == group[tags["contact"]]
        if tags["variant"] == "B":
            assert message["Subject"] == "Last chance: November"
            assert "Ann from Ecrm" in str(message["From"])
        else:
            assert message["Subject"] == "Our November news, Ann"
    ledger = {i["contact_id"]: i for i in table_items() if i["sk"].startswith("SEND#")}
    holdout = {c for c, g in group.items() if g == ab.HOLDOUT}
    rest = {c for c, g in group.items() if g == ab.REST}
    assert holdout and rest
    assert {c for c, i in ledger.items() if i.get("reason") == "holdout"} == holdout
    assert not set(ledger) & rest  # nothing claimed for the rest
    assert {ledger[c]["variant"] for c in tested} == {"A", "B"}
    shown = campaign(campaign_id)
    assert shown["state"] == "sending"
    results = {r["id"]: r for r in shown["ab_test"]["results"]}
    assert results["A"]["sent"] + results["B"]["sent"] == len(tested)
    assert shown["ab_test"]["holdout"] == len(holdout)

    open_all(campaign_env, "A", bots=True)  # scanners: not counted
    b_opens = open_all(campaign_env, "B")
    shown = campaign(campaign_id)
    results = {r["id"]: r for r in shown["ab_test"]["results"]}
    assert results["A"]["opened"] == 0 and results["B"]["opened"] == b_opens > 0
    assert results["B"]["versus_leader"] == "the highest open rate"
    assert results["A"]["versus_leader"] in (  # the console's table says each against B
        "not enough data yet",
        shown["ab_test"]["summary"],
    )
    assert shown["stats"]["opened"] == b_opens

    at(3 * 3600)
    assert "ab_decision" not in due.tick().kinds
    at(3600 + 60)
    assert due.tick().kinds["ab_decision"] == 1
    run_queue()

    decided = campaign(campaign_id)
    assert decided["ab_test"]["decision"]["winner"] == "B"
    assert decided["ab_test"]["decision"]["decided_by"] == "tick"
    counts = mailed(campaign_env)
    assert set(counts) == tested | rest and set(counts.values()) == {1}
    rest_mails = [t for t in campaign_env.tags if t["contact"] in rest]
    assert rest_mails and all("variant" not in t for t in rest_mails)  # not counted as a test
    ledger = [i for i in table_items() if i["sk"].startswith("SEND#")]
    assert {i["variant"] for i in ledger if i["contact_id"] in rest} == {"B"}
    assert decided["state"] == "done"
    assert decided["stats"]["sent"] == len(tested | rest)
    assert decided["stats"]["skipped"] == len(holdout)
    assert due.tick().kinds.get("ab_decision") is None  # decided once


def test_a_marketer_picking_a_winner_racing_the_tick_mails_the_rest_once(
    campaign_env: Sent, at: Callable[[float], None]
) -> None:
    campaign_id, ids = start()
    run_queue()
    rest = {c for c, g in groups(campaign_id, ids).items() if g == ab.REST}
    path = {"campaign_id": campaign_id}

    status, body = admin("POST", "/admin/campaigns/{campaign_id}/winner", path, {"variant": "A"})
    assert status == 200, body
    assert body["ab_test"]["decision"]["winner"] == "A"
    assert body["ab_test"]["decision"]["decided_by"] == "marketer"
    at(4 * 3600 + 60)
    due.tick()  # the tick's decision finds it made
    status, _ = admin("POST", "/admin/campaigns/{campaign_id}/winner", path, {"variant": "A"})
    assert status == 200  # the same pick again: nothing changes
    status, body = admin("POST", "/admin/campaigns/{campaign_id}/winner", path, {"variant": "B"})
    assert status == 409 and body["error"]["code"] == "conflict"
    run_queue()

    counts = mailed(campaign_env)
    assert rest <= set(counts) and set(counts.values()) == {1}
    assert campaign(campaign_id)["ab_test"]["decision"]["winner"] == "A"
    assert campaign(campaign_id)["state"] == "done"


def test_a_winner_picked_while_a_batch_is_sending_its_test_mails_sends_that_batchs_rest_now(
    campaign_env: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pick lands after a batch read the campaign (no winner yet) and before it holds its
    rest until the test's end: the pick found no hold to release, and that batch's rest waited
    the whole test (4 hours) though a marketer had said "send the winner now"."""
    from ecrm.campaigns import waits

    campaign_id, ids = start()
    rest = {c for c, g in groups(campaign_id, ids).items() if g == ab.REST}
    hold = waits.hold
    picked: list[str] = []

    def pick_then_hold(batch: Any, until: float) -> None:
        if not picked:
            path = {"campaign_id": campaign_id}
            status, body = admin(
                "POST", "/admin/campaigns/{campaign_id}/winner", path, {"variant": "B"}
            )
            assert status == 200, body
            picked.append("B")
        hold(batch, until)

    monkeypatch.setattr(waits, "hold", pick_then_hold)
    run_queue()  # no tick: nothing but the pick releases a hold

    assert picked
    counts = mailed(campaign_env)
    assert rest <= set(counts) and set(counts.values()) == {1}
    assert campaign(campaign_id)["state"] == "done"


HOSTILE = {
    "one variant": {"variants": [{"id": "A"}]},
    "six variants": {"variants": [{"id": f"V{n}"} for n in range(6)]},
    "twice the same id": {"variants": [{"id": "A"}, {"id": "A"}]},
    "an id that is no id": {"variants": [{"id": "A#B"}, {"id": "C"}]},
    "a header in the sender name": {
        "variants": [{"id": "A", "sender_name": "x\r\nBcc: all@example.org"}, {"id": "B"}]
    },
    "a subject that is no template": {"variants": [{"id": "A", "subject": "{{ x"}, {"id": "B"}]},
    "a subject reading a secret": {
        "variants": [{"id": "A", "subject": "{{ settings.key }}"}, {"id": "B"}]
    },
    "a missing template": {"variants": [{"id": "A", "template_id": "nope"}, {"id": "B"}]},
    "no test share": {"test_percent": 0},
    "a negative share": {"holdout_percent": -5},
    "more than everyone": {"test_percent": 90, "holdout_percent": 20},
    "a share that is no number": {"test_percent": "NaN"},
    "an endless wait": {"wait_hours": 1e9},
    "an unknown metric": {"metric": "revenue"},
    "an unknown key": {"extra": 1},
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_variant_definitions_are_refused_and_nothing_is_written(
    campaign_env: Sent, name: str
) -> None:
    create_campaign()
    before = [i for i in table_items() if i.get("type") == "campaign"]
    status, body = admin(
        "POST",
        "/admin/campaigns",
        body={
            "name": "Hostile",
            "template_id": "news",
            "segment_id": "seg-newsletter",
            "sender": SENDER,
            "ab_test": {**AB_TEST, **HOSTILE[name]},
        },
    )
    assert status in (400, 422), body
    assert set(body["error"]) >= {"code", "message"}
    assert [i for i in table_items() if i.get("type") == "campaign"] == before


# No fan-out once the test share is out: the rest's batches come back from the stored pages.
PHASES = [(p, "test share") for p in sorted(KILL_POINTS)]
PHASES += [(p, "rest") for p in sorted(KILL_POINTS) if "fan-out" not in p]


@pytest.mark.parametrize(("point", "phase"), PHASES)
def test_killed_at_any_step_of_either_phase_each_recipient_gets_one_mail(
    campaign_env: Sent,
    injected: Faults,  # noqa: F811
    later: Callable[[float], None],  # noqa: F811
    point: str,
    phase: str,
) -> None:
    kill = Kill(KILL_POINTS[point].match, KILL_POINTS[point].when, KILL_POINTS[point].nth)
    campaign_id, ids = start()

    def after_kill() -> None:
        confirm_by_send_events(campaign_env)
        later(60 * 15 + 1)  # the redelivery may come after the stale-claim time

    if phase == "test share":
        injected.kills.append(kill)
    kills = run(injected, after_kill)
    later(4 * 3600 + 60)
    due.tick()
    if phase == "rest":
        injected.kills.append(kill)
    kills += run(injected, after_kill)

    assert kills == 1 and kill.fired
    group = groups(campaign_id, ids)
    counts = mailed(campaign_env)
    assert set(counts) == {c for c, g in group.items() if g != ab.HOLDOUT}
    assert set(counts.values()) == {1}
    for tags in campaign_env.tags:
        assert tags.get("variant", "A") == (group[tags["contact"]] if "variant" in tags else "A")
    done = campaign(campaign_id)
    assert done["state"] == "done", done
    assert done["stats"]["sent"] == len(counts)
    results = {r["id"]: r["sent"] for r in done["ab_test"]["results"]}
    assert results == dict(Counter(g for g in group.values() if g in ("A", "B")))
