"""`ecrm sending show|set` against `ecrm serve`, and a campaign sent through the local stack with
the frequency cap on: the contacts who had their mail are skipped, and `campaigns show` and
`list` say how many the cap skipped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local.stack import EmbeddedStack
from tests.cli.conftest import Ecrm

TOPIC = "cap-news"
PEOPLE = [f"cap{n}@example.org" for n in range(5)]
HAD_THEIR_MAIL = PEOPLE[:2]
HTML = '<p>Hi {{ contact.first_name }}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>'


def _json(run: Any) -> Any:
    assert run.code == 0, run.err
    return run.json()


def test_show_and_set_change_only_what_they_name(ecrm: Ecrm) -> None:
    shown = ecrm("sending", "show")
    assert shown.code == 0, shown.err
    assert "frequency cap  off" in shown.out and "quiet hours    off" in shown.out

    capped = _json(ecrm("sending", "set", "--cap", "2/7", "--json"))
    assert capped["frequency_cap"] == {"enabled": True, "max_mails": 2, "period_days": 7}
    quiet = _json(
        ecrm("sending", "set", "--quiet-hours", "21:30-07:45", "--zone", "Europe/Paris", "--json")
    )
    assert quiet["frequency_cap"]["enabled"] is True  # kept
    assert quiet["quiet_hours"] == {
        "enabled": True,
        "start": "21:30",
        "end": "07:45",
        "time_zone": "Europe/Paris",
    }
    off = ecrm("sending", "set", "--no-quiet-hours", "--no-cap")
    assert off.code == 0 and "frequency cap  off" in off.out and "quiet hours    off" in off.out
    assert "21:30-07:45" in off.out  # the window is kept for next time


def test_a_bad_value_is_refused_by_the_api_naming_the_field_and_a_bad_option_is_usage(
    ecrm: Ecrm,
) -> None:
    before = _json(ecrm("sending", "show", "--json"))
    refused = ecrm("sending", "set", "--zone", "Mars/Olympus_Mons", "--json")
    assert refused.code == 1
    assert "quiet_hours.time_zone" in json.loads(refused.err)["error"]["fields"]
    assert ecrm("sending", "set", "--cap", "3/0", "--json").code == 1
    assert ecrm("sending", "set", "--cap", "three", "--json").code == 2
    assert ecrm("sending", "set", "--quiet-hours", "9pm-8am").code == 2
    assert ecrm("sending", "set").code == 2
    assert _json(ecrm("sending", "show", "--json")) == before


@pytest.fixture
def audience(stack: EmbeddedStack, ecrm: Ecrm, tmp_path: Path) -> None:
    from ecrm.platform import clock, keys, store

    items: list[dict[str, Any]] = []
    for n, address in enumerate(PEOPLE):
        contact_id = keys.contact_id_for(address)
        items += [
            {
                **keys.contact(contact_id),
                "type": "contact",
                "contact_id": contact_id,
                "email": address,
                "status": "subscribed",
                "topics": {TOPIC},
                "f_first_name": f"Cap{n}",
            },
            {**keys.topic_membership(contact_id, TOPIC), "type": "topic_membership"},
        ]
        if address in HAD_THEIR_MAIL:
            items.append(
                {
                    **keys.marketing_mails(contact_id),
                    "type": "marketing_mails",
                    "sends": {"c:yesterday": int(clock.now() - 86_400)},
                    "version": 1,
                }
            )
    store.batch_put(items)
    (tmp_path / "cap.json").write_text('{"subject": "Hi {{ contact.first_name }}"}')
    (tmp_path / "cap.html").write_text(HTML)
    assert ecrm("templates", "push", str(tmp_path)).code == 0
    segment = tmp_path / "segment.json"
    segment.write_text(json.dumps({"id": "cap", "name": "Cap", "topic": TOPIC}))
    assert ecrm("segments", "put", str(segment)).code == 0


def test_a_campaign_on_the_local_stack_skips_who_had_their_mail_and_says_so(
    ecrm: Ecrm, audience: None, stack: EmbeddedStack
) -> None:
    assert ecrm("sending", "set", "--cap", "1/7", "--no-quiet-hours").code == 0
    try:
        created = ecrm(
            "campaigns", "create", "--name", "Capped", "--template", "cap", "--segment", "cap",
            "--from-email", "news@example.com", "--from-name", "News", "--json",
        )  # fmt: skip
        campaign_id = str(_json(created)["id"])
        sent = ecrm("campaigns", "send", campaign_id, "--watch", "--interval", "0.1", "--json")
        assert sent.code == 0, sent.err
        shown = _json(ecrm("campaigns", "show", campaign_id, "--json"))
        assert shown["state"] == "done"
        assert shown["stats"]["sent"] == 3
        assert shown["stats"]["skipped"] == shown["stats"]["skipped_frequency_cap"] == 2
        told = ecrm("campaigns", "show", campaign_id)
        assert "2 skipped (2 by the frequency cap)" in told.out
        [row] = [r for r in ecrm("campaigns", "list").out.splitlines() if campaign_id in r]
        assert "2 (2 capped)" in row
        mailed = {m["to"] for m in stack.outbox() if m["subject"].startswith("Hi Cap")}
        assert mailed == set(PEOPLE) - set(HAD_THEIR_MAIL)
    finally:
        assert ecrm("sending", "set", "--no-cap").code == 0
