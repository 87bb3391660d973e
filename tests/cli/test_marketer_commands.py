"""The commands that reach the rest of the marketer API, against `ecrm serve`: segments,
templates (list, show, preview, test, delete), campaigns (test, delete, sent/skipped/remaining
apart), automations (and their migration to journeys), scoring (show, versions, re-score job),
forms show, one report; `--json` on the local helpers; a reader that goes away ends a command
quietly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from local.stack import EmbeddedStack
from tests.cli.conftest import Ecrm

TOPIC = "cmd-news"  # its own topic: other modules' contacts stay out of the counts
SUBSCRIBED = ["cmd0@example.org", "cmd1@example.org"]
SUPPRESSED = ["cmd2@example.org", "cmd3@example.org"]  # members a send skips on purpose
HTML = '<p>Hi {{ contact.first_name }}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>'


@pytest.fixture(scope="module")
def people(stack: EmbeddedStack) -> None:
    from ecrm.contacts import suppression
    from ecrm.platform import clock, keys, store

    items: list[dict[str, Any]] = []
    for n, address in enumerate(SUBSCRIBED + SUPPRESSED):
        contact_id = keys.contact_id_for(address)
        items += [
            {
                **keys.contact(contact_id),
                "type": "contact",
                "contact_id": contact_id,
                "email": address,
                "status": "subscribed",
                "topics": {TOPIC},
                "f_first_name": f"Cmd{n}",
            },
            {**keys.topic_membership(contact_id, TOPIC), "type": "topic_membership"},
        ]
    store.batch_put(items)
    at = clock.iso(clock.now())
    for address in SUPPRESSED:
        store.write(suppression.suppress(address, "bounced", at))


def _json(run: Any) -> Any:
    assert run.code == 0, run.err
    return run.json()


def _file(tmp_path: Path, name: str, data: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def _one_mail(name: str, entry: dict[str, Any], **more: Any) -> dict[str, Any]:
    """A journey of one send step, the module's template on its topic, entered by `entry`."""
    send = {
        "id": "hello",
        "type": "send",
        "template_id": "cmd",
        "topic": TOPIC,
        "sender": {"email": "news@example.com", "name": "News"},
    }
    return {"name": name, "entry": entry, **more, "start": "hello", "steps": [send]}


def test_segments_put_list_show_count_delete(ecrm: Ecrm, people: None, tmp_path: Path) -> None:
    segment = {"id": "cmd-all", "name": "Everyone", "topic": TOPIC}
    put = _json(ecrm("segments", "put", _file(tmp_path, "s.json", segment), "--json"))
    assert put == {"id": "cmd-all", "action": "created", "version": 1}
    again = _json(ecrm("segments", "put", _file(tmp_path, "s.json", segment), "--json"))
    assert again["action"] == "unchanged" and again["version"] == 1
    renamed = {**segment, "name": "All of them"}
    assert _json(ecrm("segments", "put", _file(tmp_path, "s.json", renamed), "--json")) == {
        "id": "cmd-all",
        "action": "updated",
        "version": 2,
    }
    assert "cmd-all" in [s["id"] for s in _json(ecrm("segments", "list", "--json"))]
    shown = ecrm("segments", "show", "cmd-all")
    assert shown.code == 0 and "'All of them'" in shown.out and f"topic {TOPIC}" in shown.out
    counted = _json(ecrm("segments", "count", "cmd-all", "--json"))
    assert counted["candidates"] == len(SUBSCRIBED + SUPPRESSED) and counted["complete"] is True
    drafted = _json(ecrm("segments", "preview", _file(tmp_path, "s.json", renamed), "--json"))
    saved = {k: v for k, v in counted.items() if k != "id"}
    assert {**drafted, "sample": []} == {**saved, "sample": []}
    assert len(drafted["sample"]) == min(10, counted["members"])

    assert _json(ecrm("segments", "delete", "cmd-all", "--json"))["deleted"] is True
    gone = ecrm("segments", "show", "cmd-all", "--json")
    assert gone.code == 1 and json.loads(gone.err)["error"]["code"] == "not_found"


@pytest.fixture(scope="module")
def parts(ecrm_module: Ecrm, people: None, tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("templates")
    (folder / "cmd.json").write_text('{"subject": "Hi {{ contact.first_name }}"}')
    (folder / "cmd.html").write_text(HTML)
    assert ecrm_module("templates", "push", str(folder)).code == 0
    segment = folder / "segment.json"
    segment.write_text(json.dumps({"id": "cmd", "name": "Cmd", "topic": TOPIC}))
    assert ecrm_module("segments", "put", str(segment)).code == 0


@pytest.fixture(scope="module")
def ecrm_module(stack: EmbeddedStack) -> Ecrm:
    """The `ecrm` fixture for module-wide fixtures."""
    from tests.cli.conftest import Run

    token = json.loads((stack.state_dir / "admin-tokens.json").read_text())["marketer"]

    def run(*argv: str) -> Run:
        done = subprocess.run(
            [sys.executable, "-m", "cli", "--api-url", stack.api_url, f"--token={token}", *argv],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    return run


def _draft(ecrm: Ecrm, name: str) -> str:
    run = ecrm(
        "campaigns", "create", "--name", name, "--template", "cmd", "--segment", "cmd",
        "--from-email", "news@example.com", "--from-name", "News", "--json",
    )  # fmt: skip
    return str(_json(run)["id"])


def test_templates_list_show_preview_and_delete(ecrm: Ecrm, parts: None) -> None:
    listed = _json(ecrm("templates", "list", "--json"))
    assert "cmd" in [t["id"] for t in listed]
    shown = ecrm("templates", "show", "cmd", "--html")
    assert shown.code == 0 and "Unsubscribe</a>" in shown.out and "version 1" in shown.out
    preview = _json(ecrm("templates", "preview", "cmd", "--email", SUBSCRIBED[0], "--json"))
    assert preview["subject"] == "Hi Cmd0" and "Hi Cmd0" in preview["text"]

    # A draft campaign holds the template: deleting it is a conflict (exit 4), nothing goes.
    campaign_id = _draft(ecrm, "Holds")
    held = ecrm("templates", "delete", "cmd", "--json")
    assert held.code == 4 and json.loads(held.err)["error"]["code"] == "in_use"
    assert _json(ecrm("campaigns", "delete", campaign_id, "--json"))["deleted"] is True
    missing = ecrm("campaigns", "show", campaign_id, "--json")
    assert missing.code == 1


def test_a_template_is_test_sent_without_a_campaign_and_a_suppressed_address_refused(
    ecrm: Ecrm, parts: None, stack: EmbeddedStack
) -> None:
    tested = _json(ecrm("templates", "test", "cmd", "--to", "qa-tpl@example.com", "--json"))
    assert len(tested["message_ids"]) == 1
    [mail] = [m for m in stack.outbox() if m["to"] == "qa-tpl@example.com"]
    assert mail["subject"] == "[Test] Hi"
    refused = ecrm("templates", "test", "cmd", "--to", SUPPRESSED[0], "--topic", TOPIC, "--json")
    assert refused.code != 0 and json.loads(refused.err)["error"]["fields"] == {
        "to.0": f"{SUPPRESSED[0]} is never mailed again: it bounced."
    }


def test_campaign_test_send_and_list_shows_sent_skipped_remaining(
    ecrm: Ecrm, parts: None, stack: EmbeddedStack
) -> None:
    campaign_id = _draft(ecrm, "Split")
    tested = _json(ecrm("campaigns", "test", campaign_id, "--to", "qa@example.com", "--json"))
    assert len(tested["message_ids"]) == 1
    [mail] = [m for m in stack.outbox() if m["to"] == "qa@example.com"]
    assert mail["subject"].startswith("[Test]")
    # The local helper answers --json too (it was a usage error).
    event = ecrm(
        "outbox", "event", mail["id"], "delivery", "--state", str(stack.state_dir), "--json"
    )
    assert event.code == 0, event.err
    assert isinstance(json.loads(event.out), dict) and len(event.out.strip().splitlines()) == 1

    sent = ecrm("campaigns", "send", campaign_id, "--watch", "--interval", "0.1", "--json")
    assert sent.code == 0, sent.err
    listed = ecrm("campaigns", "list")
    assert listed.code == 0
    header, *rows = listed.out.splitlines()
    assert header.split() == [
        "id", "name", "state", "audience", "sent", "skipped", "failed", "remaining"
    ]  # fmt: skip
    [row] = [r.split() for r in rows if r.startswith(campaign_id)]
    assert row == [campaign_id, "Split", "done", "4", "2", "2", "0", "0"]
    assert _json(ecrm("campaigns", "links", campaign_id, "--json")) == []
    assert "no click yet" in ecrm("campaigns", "links", campaign_id).out


def test_automations_put_list_show_disable_enable(ecrm: Ecrm, parts: None, tmp_path: Path) -> None:
    rule = {
        "name": "Cmd welcome",
        "when": {"event": "confirmed"},
        "template_id": "cmd",
        "topic": TOPIC,
        "sender": {"email": "news@example.com", "name": "News"},
        "delay_minutes": 5,
    }
    created = _json(ecrm("automations", "put", _file(tmp_path, "a.json", rule), "--json"))
    assert created["action"] == "created" and created["id"].startswith("au_")
    again = _json(ecrm("automations", "put", _file(tmp_path, "a.json", rule), "--json"))
    assert again == {**created, "action": "unchanged"}
    assert created["id"] in [r["id"] for r in _json(ecrm("automations", "list", "--json"))]
    shown = ecrm("automations", "show", created["id"])
    assert shown.code == 0 and "when confirmed, after 5 min: send cmd" in shown.out

    disabled = _json(ecrm("automations", "disable", created["id"], "--json"))
    assert disabled["enabled"] is False and disabled["version"] == 2
    enabled = _json(ecrm("automations", "enable", created["id"], "--json"))
    assert enabled["enabled"] is True and enabled["version"] == 3
    counts = ecrm("automations", "counts", created["id"])
    assert counts.code == 0 and "0 triggered, 0 sent, 0 skipped, 0 failed, 0 waiting" in counts.out


def test_automations_migrate_one_then_all_and_a_migrated_rule_is_no_longer_edited(
    ecrm: Ecrm, parts: None, tmp_path: Path
) -> None:
    rule = {
        "name": "Cmd migrated",
        "when": {"event": "custom_event", "name": "cmd.trial"},
        "template_id": "cmd",
        "topic": TOPIC,
        "sender": {"email": "news@example.com", "name": "News"},
        "delay_minutes": 0,
    }
    rule_id = _json(ecrm("automations", "put", _file(tmp_path, "m.json", rule), "--json"))["id"]
    journey_id = "jo_" + rule_id.removeprefix("au_")

    moved = ecrm("automations", "migrate", rule_id)
    assert moved.code == 0, moved.err
    assert moved.out.strip() == f"automation {rule_id} is now journey {journey_id}"
    [again] = _json(ecrm("automations", "migrate", rule_id, "--json"))["items"]
    assert again["already"] is True and again["journey_id"] == journey_id
    assert "live: version 1" in ecrm("journeys", "show", journey_id).out
    assert f"migrated to journey {journey_id}" in ecrm("automations", "show", rule_id).out

    every = _json(ecrm("automations", "migrate", "--all", "--json"))["items"]
    assert rule_id not in [m["automation_id"] for m in every]
    assert all(r["migrated_to"] for r in _json(ecrm("automations", "list", "--json")))
    assert ecrm("automations", "migrate", "--all").out.strip() == "no rule left to migrate"

    changed = ecrm("automations", "put", _file(tmp_path, "m.json", {**rule, "delay_minutes": 5}))
    assert changed.code == 4 and journey_id in changed.err
    assert ecrm("automations", "migrate").code == 2  # an id or --all


def test_a_journey_entered_by_a_segment_enrolls_its_members_at_publish(
    ecrm: Ecrm, parts: None, stack: EmbeddedStack, tmp_path: Path
) -> None:
    journey = _one_mail("Cmd segment welcome", {"segment": "cmd"})
    missing = ecrm(
        "journeys", "put", _file(tmp_path, "j.json", {**journey, "entry": {"segment": "no"}})
    )
    assert missing.code == 1 and "entry.segment" in missing.err
    journey["entry"] = {"segment": "cmd", "joiners": True}  # and who joins it later
    journey_id = _json(ecrm("journeys", "put", _file(tmp_path, "j.json", journey), "--json"))["id"]
    assert _json(ecrm("journeys", "publish", journey_id, "--json"))["version"] == 1
    assert "entry segment cmd + joiners" in ecrm("journeys", "show", journey_id).out
    stack.drain()  # the enrollment pages, then the runs' first sends, through the journey queue
    stats = _json(ecrm("journeys", "stats", journey_id, "--json"))
    hello = stats["versions"]["1"]["hello"]
    assert hello["entered"] == len(SUBSCRIBED + SUPPRESSED), hello
    assert hello["sent"] == len(SUBSCRIBED) and hello["skipped"] == len(SUPPRESSED), hello


def test_a_journey_entered_on_a_date_field_is_put_published_and_shown(
    ecrm: Ecrm, parts: None, tmp_path: Path
) -> None:
    journey = _one_mail(
        "Cmd birthday",
        {"date_field": "birthday", "days": -7, "every_year": True},
        reentry={"mode": "again_after", "days": 300},
    )
    not_a_date = {**journey, "entry": {**journey["entry"], "date_field": "company"}}
    refused = ecrm("journeys", "put", _file(tmp_path, "j.json", not_a_date))
    assert refused.code == 1 and "entry.date_field" in refused.err
    journey_id = _json(ecrm("journeys", "put", _file(tmp_path, "j.json", journey), "--json"))["id"]
    assert _json(ecrm("journeys", "publish", journey_id, "--json"))["version"] == 1
    assert "entry date birthday -7 yearly" in ecrm("journeys", "show", journey_id).out
    assert "date birthday -7 yearly" in ecrm("journeys", "list").out
    assert ecrm("journeys", "stop", journey_id).code == 0


def test_scoring_show_versions_and_the_rescore_job(ecrm: Ecrm, tmp_path: Path) -> None:
    current = _json(ecrm("scoring", "show", "--json"))
    assert {"fit", "engagement", "stages"} <= set(current)
    checked = ecrm("scoring", "check", _file(tmp_path, "r.json", current))
    assert checked.code == 0 and "the ruleset is valid (nothing saved)" in checked.out
    bad = {**current, "stages": []}
    refused = ecrm("scoring", "check", _file(tmp_path, "bad.json", bad))
    assert refused.code == 1 and "stages" in refused.err
    human = ecrm("scoring", "show", "--version", "0")
    assert human.code == 0 and "stages: subscriber" in human.out
    assert isinstance(_json(ecrm("scoring", "versions", "--json")), list)
    job = _json(ecrm("scoring", "rescore", "--json"))
    read = _json(ecrm("scoring", "job", job["job_id"], "--json"))
    assert read["job_id"] == job["job_id"]
    resumed = ecrm("scoring", "resume", job["job_id"])
    assert resumed.code == 0 and job["job_id"] in resumed.out


def test_forms_show_and_one_report(ecrm: Ecrm) -> None:
    form = _json(ecrm("forms", "show", "newsletter", "--json"))
    assert form["id"] == "newsletter"
    funnel = _json(ecrm("report", "--only", "funnel", "--days", "7", "--json"))
    assert "steps" in funnel and "stages_now" in funnel
    signups = ecrm("report", "--only", "signups", "--by", "form")
    assert signups.code == 0 and signups.out.startswith("Sign-ups by form")


def _closed_stdout(stack: EmbeddedStack, *argv: str) -> subprocess.CompletedProcess[str]:
    """`ecrm ARGV | head -0`, deterministic: the reading end is closed before the command
    writes, so its first result line meets a broken pipe."""
    token = json.loads((stack.state_dir / "admin-tokens.json").read_text())["marketer"]
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-m", "cli", "--api-url", stack.api_url, f"--token={token}", *argv],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)


@pytest.mark.parametrize("argv", [("forms", "list"), ("scoring", "show", "--json")], ids=" ".join)
def test_a_reader_going_away_ends_the_command_quietly(
    stack: EmbeddedStack, argv: tuple[str, ...]
) -> None:
    done = _closed_stdout(stack, *argv)
    assert done.stderr == ""  # no traceback
    assert done.returncode == 0


def test_journeys_put_takes_every_kind_of_step_and_names_a_refused_one(
    ecrm: Ecrm, parts: None, tmp_path: Path
) -> None:
    sender = {"email": "news@example.com", "name": "News"}
    is_sales = {"kind": "field", "field": "role", "op": "eq", "value": "sales"}
    journey = {
        "name": "Cmd every step",
        "entry": {"event": "custom_event", "name": "cmd.signup"},
        "start": "morning",
        "steps": [
            {"id": "morning", "type": "wait_until", "time": "09:00", "next": "tag"},
            {"id": "tag", "type": "update", "set": {"role": "sales"}, "next": "tell"},
            {"id": "tell", "type": "notify", "to": ["webhook"], "label": "cmd", "next": "hear"},
            {
                "id": "hear",
                "type": "wait_for",
                "event": {"event": "custom_event", "name": "cmd.viewed"},
                "timeout_minutes": 60,
                "next": "sales",
                "on_timeout": None,
            },
            {
                "id": "sales",
                "type": "branch",
                "if": {"conditions": [is_sales]},
                "yes": "mail",
                "no": None,
            },
            {"id": "mail", "type": "send", "template_id": "cmd", "topic": TOPIC, "sender": sender},
        ],
    }
    saved = _json(ecrm("journeys", "put", _file(tmp_path, "j.json", journey), "--json"))
    shown = ecrm("journeys", "show", saved["id"])
    for line in ("morning: wait_until", "tag: update", "tell: notify", "hear: wait_for"):
        assert line in shown.out, shown.out
    journey["steps"][1]["set"] = {"role": "astronaut"}
    refused = ecrm("journeys", "put", _file(tmp_path, "j.json", journey))
    assert refused.code == 1 and "steps.1.set.role" in refused.err
