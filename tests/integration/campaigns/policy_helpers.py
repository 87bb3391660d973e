"""Helpers of the send policy's tests: set the policy, give contacts earlier marketing mails, an
automation rule whose runs are due now, and the mails each contact got."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ecrm.automations import rules, triggers
from ecrm.mail import send_policy_view
from ecrm.mail.senders import SenderIn
from ecrm.platform import clock, keys, store
from tests.integration.campaigns.conftest import Sent, admin

DAY = 86_400


def set_policy(
    *,
    cap: tuple[int, int] | None = None,
    quiet: tuple[str, str, str] | None = None,
) -> dict[str, Any]:
    """Through the API: `cap` (max mails, days), `quiet` (start, end, zone)."""
    body = {
        "frequency_cap": {"enabled": cap is not None}
        | ({"max_mails": cap[0], "period_days": cap[1]} if cap else {}),
        "quiet_hours": {"enabled": quiet is not None}
        | ({"start": quiet[0], "end": quiet[1], "time_zone": quiet[2]} if quiet else {}),
    }
    status, saved = admin("PUT", "/admin/settings/sending", body=body)
    assert status == 200, saved
    send_policy_view.forget_cached()
    return dict(saved)


def had_mails(contact_id: str, *days_ago: float) -> None:
    """The contact's frequency cap record as if it had marketing mails that many days ago."""
    now = clock.now()
    store.write(
        store.Put(
            {
                **keys.marketing_mails(contact_id),
                "type": "marketing_mails",
                "sends": {f"c:earlier{n}": int(now - d * DAY) for n, d in enumerate(days_ago)},
                "version": len(days_ago),
            }
        )
    )


def automation(template_id: str = "news") -> str:
    """An automation rule (on `confirmed`, no delay) sending `template_id` to the newsletter."""
    rule = rules.create(
        rules.AutomationIn(
            name="Journey",
            when=rules.When(event="confirmed"),
            template_id=template_id,
            topic="newsletter",
            sender=SenderIn(email="news@example.com", name="Ecrm News"),
            delay_minutes=0,
        )
    )
    rules.forget_cached()
    return rule.id


def due_runs(rule_id: str, contact_ids: list[str]) -> list[dict[str, str]]:
    """Fire the rule for each contact (as the stream would); the keys of the runs, due now."""
    for contact_id in contact_ids:
        triggers.schedule(triggers.Happened("confirmed", contact_id, f"ref-{contact_id}"))
    return [keys.automation_run(c, rule_id) for c in contact_ids]


def mails_per_contact(sent: Sent) -> Counter[str]:
    """Marketing mails SES accepted, per contact (their `contact` tag)."""
    return Counter(t["contact"] for t in sent.tags if "contact" in t)


def records() -> dict[str, dict[str, Any]]:
    """Every frequency cap record, by contact id (tests only: a scan)."""
    from tests.conftest import table_items

    return {
        keys.contact_id_of(i["pk"]): i for i in table_items() if i.get("type") == "marketing_mails"
    }
