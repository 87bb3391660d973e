"""Pure rules of what follows a send: scanner detection, campaign health, automation triggers,
and the token in an inbound unsubscribe mail."""

from __future__ import annotations

from typing import Any

import pytest

from ecrm.automations import triggers
from ecrm.automations.rules import Automation
from ecrm.automations.triggers import Happened
from ecrm.campaigns import health
from ecrm.mail import scanners
from ecrm.platform import keys

PERSON = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15"


@pytest.mark.parametrize(
    ("ip", "agent", "after", "scanner"),
    [
        ("192.0.2.1", PERSON, 120.0, False),
        ("192.0.2.1", PERSON, 3.0, True),  # on delivery: a gateway
        ("192.0.2.1", "Mozilla/5.0 (compatible; Barracuda Sentinel)", 120.0, True),
        ("192.0.2.1", "python-requests/2.32", 120.0, True),
        ("192.0.2.1", "", 120.0, True),  # no user agent: no person
        ("17.58.1.1", PERSON, 120.0, True),  # Apple Mail Privacy Protection
        ("40.107.1.1", PERSON, 120.0, True),  # Microsoft EOP
        ("2001:db8::1", PERSON, 120.0, False),
        ("not an ip", PERSON, 120.0, False),
        (None, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) GoogleImageProxy", 120.0, False),
    ],
)
def test_scanners_are_told_from_people(
    ip: str | None, agent: str, after: float, scanner: bool
) -> None:
    found = scanners.is_scanner(ip=ip, user_agent=agent, seconds_after_send=after, window=10)
    assert found is scanner


@pytest.mark.parametrize(
    ("counters", "verdict"),
    [
        ({"delivered": 1000, "complained": 1}, None),  # 0.1 %: at the line, not past it
        ({"delivered": 1000, "complained": 2}, "complaint_rate"),
        ({"delivered": 499, "complained": 10}, None),  # too few to be a rate
        ({"sent": 500, "delivered": 470, "bounced": 25}, None),  # 5 %
        ({"sent": 500, "delivered": 470, "bounced": 26}, "bounce_rate"),
        ({"delivered": 480, "bounced": 30}, "bounce_rate"),  # no `sent` yet: delivered + bounced
        ({}, None),
    ],
)
def test_campaign_health_is_judged_on_a_sample(
    counters: dict[str, int], verdict: str | None
) -> None:
    found = health.unhealthy(counters, min_sample=500)
    assert (found[0] if found else None) == verdict


def rule(**when: Any) -> triggers.Rule:
    """A rule as saved, read back as the stream consumer reads it."""
    saved = Automation.model_validate(
        {
            "id": "au_000000000001",
            "name": "r",
            "when": when,
            "template_id": "t",
            "topic": "newsletter",
            "sender": {"email": "news@example.com", "name": "News"},
            "version": 1,
            "created_at": "x",
            "updated_at": "x",
        }
    )
    return triggers.Rule.from_item(saved.to_item())


def membership(**extra: Any) -> dict[str, Any]:
    return {
        **keys.topic_membership("c1", "newsletter"),
        "type": "topic_membership",
        "topic": "newsletter",
        **extra,
    }


def test_stream_images_become_trigger_events() -> None:
    submitted = {"type": "form_submitted", "contact_id": "c1", "event_id": "e1", "form_id": "f"}
    assert triggers.happened(submitted, None) == Happened("form_submitted", "c1", "e1", form_id="f")
    staged = {"type": "stage_changed", "contact_id": "c1", "event_id": "e2", "to_stage": "mql"}
    assert triggers.happened(staged, None) == Happened("stage_reached", "c1", "e2", stage="mql")
    joined = membership()
    left = {k: v for k, v in joined.items() if not k.startswith("gsi1")}
    assert triggers.happened(joined, None) is not None
    assert triggers.happened(joined, left) is not None
    assert triggers.happened(joined, joined) is None  # a member submitting again
    assert triggers.happened(left, joined) is None  # leaving
    assert triggers.happened({"type": "email_opened", "contact_id": "c1"}, None) is None


def test_rules_fire_on_their_own_event_only() -> None:
    event = Happened("form_submitted", "c1", "e1", form_id="newsletter")
    assert triggers.fires(rule(event="form_submitted"), event)
    assert triggers.fires(rule(event="form_submitted", form_id="newsletter"), event)
    assert not triggers.fires(rule(event="form_submitted", form_id="other"), event)
    assert not triggers.fires(rule(event="confirmed"), event)
    staged = Happened("stage_reached", "c1", "e2", stage="lead")
    assert not triggers.fires(rule(event="stage_reached", stage="mql"), staged)
    added = Happened("topic_added", "c1", "TOPIC#events", topic="events")
    assert triggers.fires(rule(event="topic_added", topic="events"), added)
    bought = triggers.happened(
        {"type": "custom_event", "contact_id": "c1", "event_id": "ev_1", "name": "purchased"}, None
    )
    assert bought == Happened("custom_event", "c1", "ev_1", name="purchased")
    assert triggers.fires(rule(event="custom_event", name="purchased"), bought)
    assert not triggers.fires(rule(event="custom_event", name="viewed"), bought)
    assert not triggers.fires(rule(event="confirmed"), bought)


@pytest.mark.parametrize(
    ("subject", "token"),
    [("abc.def", "abc.def"), ("Re: abc.def", "abc.def"), ("  abc.def \r\n", "abc.def"), ("", "")],
)
def test_the_token_is_the_last_word_of_the_subject(subject: str, token: str) -> None:
    from mailing.inbound import token_in

    assert token_in(subject) == token
