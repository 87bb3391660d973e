"""`ecrm campaigns ...` against `ecrm serve`: create, send and watch a campaign to the end
(bars off a terminal: one line per change, JSON lines with --json), pause/resume refusals with
the conflict exit code, and schedule's own usage checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from local.stack import EmbeddedStack
from tests.cli.conftest import Ecrm
from tests.waiting import wait_for

AUDIENCE = 15
DRAFTS = 8  # A/B drafts made before one has every group (see start_ab_test)


@pytest.fixture(scope="module")
def campaign_parts(stack: EmbeddedStack) -> dict[str, str]:
    """A template, a segment of the newsletter topic, and AUDIENCE subscribed contacts."""
    from cli.client import ApiClient
    from ecrm.platform import keys, store

    items: list[dict[str, Any]] = []
    for n in range(AUDIENCE):
        address = f"watch{n}@example.org"
        contact_id = keys.contact_id_for(address)
        items += [
            {
                **keys.contact(contact_id),
                "type": "contact",
                "email": address,
                "status": "subscribed",
                "topics": {"newsletter"},
            },
            {**keys.topic_membership(contact_id, "newsletter"), "type": "topic_membership"},
        ]
    store.batch_put(items)
    token = json.loads((stack.state_dir / "admin-tokens.json").read_text())["marketer"]
    api = ApiClient(stack.api_url, token)
    html = '<p>News</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>'
    api.post("/admin/templates", {"id": "watched", "name": "W", "subject": "News", "html": html})
    api.post("/admin/segments", {"id": "watched", "name": "W", "topic": "newsletter"})
    return {"template": "watched", "segment": "watched"}


def create(ecrm: Ecrm, parts: dict[str, str], name: str) -> str:
    run = ecrm(
        "campaigns", "create", "--name", name, "--template", parts["template"],
        "--segment", parts["segment"], "--from-email", "news@example.com", "--from-name", "News",
        "--json",
    )  # fmt: skip
    assert run.code == 0, run.err
    created = run.json()
    assert isinstance(created, dict) and created["state"] == "draft"
    return str(created["id"])


def test_send_then_watch_to_the_end_prints_one_json_line_per_poll(
    ecrm: Ecrm, campaign_parts: dict[str, str], stack: EmbeddedStack
) -> None:
    campaign_id = create(ecrm, campaign_parts, "Watched")
    run = ecrm("campaigns", "send", campaign_id, "--watch", "--interval", "0.1", "--json")
    assert run.code == 0, run.err
    lines = run.lines()
    assert all(isinstance(line, dict) for line in lines)
    final = lines[-1]
    assert isinstance(final, dict)
    assert final["final"] is True and final["state"] == "done"
    assert final["sent"] == final["audience"] == AUDIENCE
    assert [line["final"] for line in lines if isinstance(line, dict)][:-1] == [False] * (
        len(lines) - 1
    )
    sent_seen = [line["sent"] for line in lines if isinstance(line, dict)]
    assert sent_seen == sorted(sent_seen)  # counts only grow

    # Watching a finished campaign, for people: its summary, at once, exit 0.
    again = ecrm("campaigns", "watch", campaign_id)
    assert again.code == 0
    assert again.out.startswith(f"campaign {campaign_id} done: {AUDIENCE} sent, 0 skipped")
    assert f"done: {AUDIENCE} sent" in again.err  # the line per change, off a terminal

    # SES reports a delivery and an open of one message (`ecrm outbox event`, the local
    # helper): watch counts them.
    [message] = [m for m in stack.outbox() if m["to"] == "watch0@example.org"]
    for kind in ("delivery", "open"):
        simulated = ecrm("outbox", "event", message["id"], kind, "--state", str(stack.state_dir))
        assert simulated.code == 0, simulated.err
    counted = ecrm("campaigns", "watch", campaign_id, "--json").lines()[-1]
    assert isinstance(counted, dict)
    assert (counted["delivered"], counted["opened"], counted["bounced"]) == (1, 1, 0)

    shown = ecrm("campaigns", "show", campaign_id)
    assert shown.code == 0 and "done" in shown.out and f"{AUDIENCE}/{AUDIENCE}" in shown.out
    listed = ecrm("campaigns", "list", "--json")
    assert listed.code == 0
    assert any(c["id"] == campaign_id for c in listed.json())  # type: ignore[attr-defined]


def test_a_finished_campaign_cannot_be_paused_exit_4_with_the_api_message(
    ecrm: Ecrm, campaign_parts: dict[str, str]
) -> None:
    campaign_id = create(ecrm, campaign_parts, "Draft")
    watching = ecrm("campaigns", "watch", campaign_id, "--json")
    assert watching.code == 4 and watching.lines()[-1]["state"] == "draft"  # type: ignore[index]

    paused = ecrm("campaigns", "pause", campaign_id, "--json")
    assert paused.code == 4 and paused.out == ""
    error = json.loads(paused.err)
    assert error["error"]["status"] == 409 and error["error"]["code"] == "conflict"
    assert "draft" in error["error"]["message"]

    human = ecrm("campaigns", "resume", campaign_id)
    assert human.code == 4
    assert human.err.startswith("ecrm campaigns resume: A campaign that is draft cannot be")

    cancelled = ecrm("campaigns", "cancel", campaign_id)
    assert cancelled.code == 0 and cancelled.out.strip().endswith("is cancelled")


def test_schedule_needs_a_time_with_a_zone_and_an_existing_campaign(
    ecrm: Ecrm, campaign_parts: dict[str, str]
) -> None:
    campaign_id = create(ecrm, campaign_parts, "Later")
    paris = timezone(timedelta(hours=1))
    at = (datetime.now(paris) + timedelta(days=30)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    naive = ecrm("campaigns", "schedule", campaign_id, "--at", at.replace(tzinfo=None).isoformat())
    assert naive.code == 2 and "zone" in naive.err
    scheduled = ecrm("campaigns", "schedule", campaign_id, "--at", at.isoformat(), "--json")
    assert scheduled.code == 0, scheduled.err
    shown = scheduled.json()
    assert isinstance(shown, dict) and shown["state"] == "scheduled"
    assert datetime.fromisoformat(shown["scheduled_at"]) == at
    missing = ecrm("campaigns", "show", "0123456789abcdef", "--json")
    assert missing.code == 1 and json.loads(missing.err)["error"]["status"] == 404


def test_schedule_at_a_local_time_mails_whose_time_has_passed_at_once_through_ecrm_serve(
    ecrm: Ecrm, campaign_parts: dict[str, str]
) -> None:
    campaign_id = create(ecrm, campaign_parts, "Local")
    # The contacts have no zone and the account none: UTC, where this time has just passed.
    passed = datetime.now(UTC) - timedelta(minutes=10)
    hh_mm, day = passed.strftime("%H:%M"), passed.date().isoformat()
    no_day = ecrm("campaigns", "schedule", campaign_id, "--local-time", hh_mm)
    assert no_day.code == 2 and "--on" in no_day.err
    both = ecrm("campaigns", "schedule", campaign_id, "--local-time", hh_mm, "--at", "x")
    assert both.code == 2
    gone = ecrm("campaigns", "schedule", campaign_id, "--local-time", hh_mm, "--on", "2020-01-01")
    assert gone.code == 1 and "passed" in gone.err

    run = ecrm("campaigns", "schedule", campaign_id, "--local-time", hh_mm, "--on", day, "--json")

    assert run.code == 0, run.err
    shown = run.json()
    assert isinstance(shown, dict) and shown["local_time"] == {"time": hh_mm, "on": day}

    def look() -> dict[str, Any]:
        found = ecrm("campaigns", "show", campaign_id, "--json").json()
        assert isinstance(found, dict)
        return found

    done = wait_for(look, lambda found: found["state"] == "done")
    assert done["state"] == "done" and done["stats"]["sent"] == AUDIENCE
    human = ecrm("campaigns", "show", campaign_id)
    assert f"at {hh_mm} in each recipient's zone on {day}" in human.out


def test_without_credentials_campaign_commands_exit_3(ecrm: Ecrm) -> None:
    run = ecrm("campaigns", "list", auth=False)
    assert run.code == 3 and "ecrm login" in run.err


def start_ab_test(
    ecrm: Ecrm, parts: dict[str, str], tmp_path: Any, subjects: tuple[str, str]
) -> str:
    """An A/B campaign (variants A and B with these subjects, 60% tested on opens, a 4-hour
    wait) made and sent with `ecrm`: its id.

    Each recipient's group comes from the campaign's random seed, so one of the AUDIENCE's two
    test groups is empty about once in a hundred drafts (0.7 ** 15 each), the rest once in
    2,000 (0.6 ** 15): such a draft, which these tests cannot read a variant's opens or the
    winner's sending from, is deleted and another one made."""
    variants = [{"id": v, "subject": s} for v, s in zip("AB", subjects, strict=True)]
    spec = tmp_path / "ab.json"
    spec.write_text(
        json.dumps({"variants": variants, "test_percent": 60, "metric": "opens", "wait_hours": 4})
    )
    for _ in range(DRAFTS):
        run = ecrm(
            "campaigns", "create", "--name", "AB", "--template", parts["template"],
            "--segment", parts["segment"], "--from-email", "news@example.com",
            "--from-name", "News", "--ab-test", str(spec), "--json",
        )  # fmt: skip
        assert run.code == 0, run.err
        campaign_id = str(run.json()["id"])  # type: ignore[call-overload]
        tested = variant_groups(campaign_id)
        if all(tested.values()) and sum(tested.values()) < AUDIENCE:  # no holdout: the rest
            assert ecrm("campaigns", "send", campaign_id).code == 0
            return campaign_id
        assert ecrm("campaigns", "delete", campaign_id).code == 0
    raise AssertionError(f"{DRAFTS} drafts in a row left a group empty")


def variant_groups(campaign_id: str) -> dict[str, int]:
    """How many of the AUDIENCE each variant's test group holds (`ecrm.campaigns.ab.assign`
    with the campaign's stored seed)."""
    from ecrm.campaigns import ab
    from ecrm.platform import keys, store

    test = ab.AbTest.of(store.get(keys.campaign(campaign_id)) or {})
    assert test is not None
    groups = [
        ab.assign(test, keys.contact_id_for(f"watch{n}@example.org")) for n in range(AUDIENCE)
    ]
    return {v.id: groups.count((ab.TEST, v.id)) for v in test.variants}


def open_the_test_mails(
    ecrm: Ecrm, stack: EmbeddedStack, campaign_id: str, variant: str, subject: str
) -> int:
    """Once the whole test share is counted, SES reports an open of each of `variant`'s mails
    (`ecrm outbox event`); how many. Each batch counts its own test mails as it ends, so a
    count read while the test share goes out may be partial: the wait is for every variant's
    whole test group (waiting for the first count instead, then for as many mails, waited out
    the 120 s deadline whenever a later batch's mails had come in meanwhile)."""
    expected = variant_groups(campaign_id)

    def tested() -> dict[str, int]:
        shown = ecrm("campaigns", "show", campaign_id, "--json").json()
        results = shown["ab_test"]["results"]  # type: ignore[call-overload,index]
        return {r["id"]: r["sent"] for r in results}

    def mails() -> list[dict[str, Any]]:
        return [m for m in stack.outbox() if m["subject"] == subject]

    # The test share's tally comes after its mails: then every one of them is in the outbox.
    assert wait_for(tested, lambda found: found == expected) == expected
    sent = expected[variant]
    assert sent > 0 and len(wait_for(mails, lambda found: len(found) == sent)) == sent
    for message in mails():
        opened = ecrm("outbox", "event", message["id"], "open", "--state", str(stack.state_dir))
        assert opened.code == 0, opened.err
    return sent


def watch_to_the_end(ecrm: Ecrm, campaign_id: str) -> dict[str, Any]:
    """`ecrm campaigns watch --json`'s last line."""
    run = ecrm("campaigns", "watch", campaign_id, "--interval", "0.2", "--json")
    assert run.code == 0, run.err
    last = run.lines()[-1]
    assert isinstance(last, dict)
    return last


def test_an_ab_campaign_through_ecrm_serve_shows_its_variants_and_takes_a_picked_winner(
    ecrm: Ecrm, campaign_parts: dict[str, str], stack: EmbeddedStack, tmp_path: Any
) -> None:
    campaign_id = start_ab_test(ecrm, campaign_parts, tmp_path, ("News", "Other news"))
    open_the_test_mails(ecrm, stack, campaign_id, "B", "Other news")
    shown = ecrm("campaigns", "show", campaign_id)
    assert shown.code == 0 and "A/B test: 60% split over 2 variants" in shown.out
    assert "variant" in shown.out and ("not enough data yet" in shown.out or "B's" in shown.out)
    assert "holdout 0% (0 recipients so far)" in shown.out
    results = ecrm("campaigns", "show", campaign_id, "--json").json()["ab_test"]["results"]  # type: ignore[call-overload,index]
    assert {r["id"]: r["recipients"] for r in results} == variant_groups(campaign_id)
    assert all(r["recipients"] == r["sent"] > 0 for r in results)  # each one mailed
    rows = {line.split()[0]: line.split() for line in shown.out.splitlines()[1:] if line.strip()}
    assert rows["variant"][:3] == ["variant", "recipients", "sent"]
    for result in results:  # the table's columns are the API's figures
        assert rows[result["id"]][1:3] == [str(result["recipients"]), str(result["sent"])]

    picked = ecrm("campaigns", "winner", campaign_id, "B")
    assert picked.code == 0, picked.err
    other = ecrm("campaigns", "winner", campaign_id, "A")
    assert other.code == 4  # already B
    finished = watch_to_the_end(ecrm, campaign_id)
    assert finished["state"] == "done"
    assert "winner B, chosen by a marketer" in ecrm("campaigns", "show", campaign_id).out


def test_an_ab_campaigns_opens_decide_its_winner_when_the_wait_ends_through_ecrm_serve(
    ecrm: Ecrm, campaign_parts: dict[str, str], stack: EmbeddedStack, tmp_path: Any
) -> None:
    """B's test mails are opened, A's are not; the stack's clock moves past the 4-hour wait
    (`advance_clock`, local only) and the schedule tick decides B and mails it to the rest.
    Last in the module: the stack's clock stays ahead."""
    subjects = ("Plain news", "Opened news")
    campaign_id = start_ab_test(ecrm, campaign_parts, tmp_path, subjects)
    b_tested = open_the_test_mails(ecrm, stack, campaign_id, "B", subjects[1])
    assert "winner" not in ecrm("campaigns", "show", campaign_id).out

    stack.advance_clock(4 * 3600 + 60)
    finished = watch_to_the_end(ecrm, campaign_id)
    assert finished["state"] == "done"
    assert "winner B, chosen when the wait ended" in ecrm("campaigns", "show", campaign_id).out
    mails = [m for m in stack.outbox() if m["subject"] in subjects]
    assert sorted(m["to"] for m in mails) == sorted(
        f"watch{n}@example.org" for n in range(AUDIENCE)
    )  # each recipient once
    b_mails = sum(m["subject"] == subjects[1] for m in mails)
    assert b_mails > b_tested  # the rest got B; A went to its test share only
