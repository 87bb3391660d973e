"""What a custom event feeds, on moto: recorded through `POST /events`, its interaction reaches
the scoring and automations functions through the template's stream filters; a scoring rule
scores the event by its name (and says so in the explanation); an automation starts on it; a
segment selects the contacts who did it lately (from the contact item, no Scan)."""

from __future__ import annotations

from typing import Any

import pytest

from ecrm.automations import rules
from ecrm.automations.rules import AutomationIn
from ecrm.mail import templates
from ecrm.mail.templates import MailTemplateIn
from ecrm.platform import clock, keys, store
from ecrm.platform.errors import InvalidInput
from ecrm.scoring import report, rulesets, schema
from ecrm.segments import audience, conditions, definitions
from local.event_filter import matches_any
from tests import events
from tests.conftest import product_template
from tests.integration.conftest import Submit, confirm_without_mail, valid_body
from tests.integration.events_api import new_key, send

RULES = {
    "engagement": [
        {"id": "purchase", "on": "custom_event", "event": "purchased", "points": 25,
         "cap": {"count": 2, "per": "day"}},
        {"id": "form", "on": "form_submitted", "points": 1},
    ],
    "stages": [{"name": "subscriber"}, {"name": "lead", "at_least": 40}],
}  # fmt: skip


@pytest.fixture
def people(submit: Submit) -> dict[str, str]:
    """Ann and Bob, subscribed to the newsletter and confirmed: their contact ids."""
    found = {}
    for name in ("ann", "bob"):
        assert submit(valid_body(f"{name}@example.com"))["statusCode"] == 202
        found[name] = confirm_without_mail(f"{name}@example.com")
    return found


def custom_events(contact_id: str) -> list[dict[str, Any]]:
    found, _ = store.query(keys.contact(contact_id)["pk"], sk_prefix=keys.INTERACTIONS)
    return [i for i in found if i["type"] == "custom_event"]


def delivered(function: str, items: list[dict[str, Any]]) -> Any:
    """The stream records of `items` as the template's filter lets them reach `function`."""
    [found] = [f for f in product_template().functions() if f.logical_id == function]
    [source] = found.stream_sources
    records = events.stream(*items)["Records"]
    passed = [r for r in records if matches_any(source.filter_patterns, r)]
    return {"Records": passed}


def test_a_custom_event_scores_by_its_name_and_the_explanation_says_why(
    people: dict[str, str],
) -> None:
    rulesets.save(schema.validate(RULES), "mo@example.com")
    secret = new_key()["key"]
    ann = people["ann"]
    names = ["purchased", "viewed", "purchased", "purchased"]  # the third purchase: capped
    send({"events": [{"name": n, "contact_id": ann} for n in names]}, secret)
    from scoring.stream import lambda_handler

    interactions = custom_events(ann)
    stream = delivered("ScoringFunction", interactions)
    assert len(stream["Records"]) == 4  # the filter lets custom events through
    assert lambda_handler(stream, events.LambdaContext()) == {"batchItemFailures": []}
    scored = report.contact_score(ann)
    [line] = [line for line in scored["explanation"]["lines"] if line["rule"] == "purchase"]
    assert line["points_at_last_activity"] == 50
    assert line["because"] == 'each "purchased" event: 25 points, at most 2 a day'
    assert scored["stage"] == "lead"
    history = [h for h in scored["history"] if h.get("event_name") == "purchased"]
    assert len(history) == 2 and all(h["points"] == {"purchase": 25} for h in history)
    assert not [h for h in scored["history"] if h.get("event_name") == "viewed"]


@pytest.mark.parametrize(
    "rule",
    [
        {"id": "x", "on": "custom_event", "points": 5},
        {"id": "x", "on": "email_opened", "event": "purchased", "points": 5},
        {"id": "x", "on": "custom_event", "event": "Purchased!", "points": 5},
    ],
    ids=["no event name", "a name on another rule", "a bad name"],
)
def test_a_custom_event_rule_names_its_event(aws_env: dict[str, str], rule: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as refused:
        schema.validate({**RULES, "engagement": [rule]})
    assert any(path.startswith("engagement.0") for path in refused.value.fields)


def test_an_automation_starts_on_a_custom_event_of_its_name(people: dict[str, str]) -> None:
    html = '<p>Thanks</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>'
    templates.create("thanks", MailTemplateIn(name="Thanks", subject="Thanks!", html=html))
    rule = rules.create(
        AutomationIn.model_validate(
            {
                "name": "After a purchase",
                "when": {"event": "custom_event", "name": "purchased"},
                "template_id": "thanks",
                "topic": "newsletter",
                "sender": {"email": "news@example.com", "name": "ecrm"},
                "delay_minutes": 10,
            }
        )
    )
    secret = new_key()["key"]
    ann, bob = people["ann"], people["bob"]
    send({"name": "purchased", "contact_id": ann}, secret)
    send({"name": "viewed", "contact_id": bob}, secret)
    from mailing.automations import lambda_handler

    stream = delivered("AutomationsFunction", custom_events(ann) + custom_events(bob))
    assert len(stream["Records"]) == 2
    assert lambda_handler(stream, events.LambdaContext()) == {"batchItemFailures": []}
    run = store.get(keys.automation_run(ann, rule.id)) or {}
    assert run["trigger"] == "custom_event" and run["state"] == "scheduled"
    assert run["trigger_ref"] == custom_events(ann)[0]["event_id"]
    assert store.get(keys.automation_run(bob, rule.id)) is None  # another event's name
    with pytest.raises(ValueError, match="custom_event needs"):
        AutomationIn.model_validate({**rule.model_dump(), "when": {"event": "custom_event"}})


def test_a_segment_selects_who_did_an_event_lately(people: dict[str, str]) -> None:
    secret = new_key()["key"]
    send({"name": "purchased", "contact_id": people["ann"]}, secret)
    send({"name": "viewed", "contact_id": people["bob"]}, secret)

    made = iter(range(100))

    def members(**activity: Any) -> set[str]:
        condition = {"kind": "activity", "event": "custom", "within_days": 30, **activity}
        body = {"name": "Buyers", "topic": "newsletter", "conditions": [condition]}
        segment = definitions.create(f"s{next(made)}", definitions.SegmentIn.model_validate(body))
        return {m.contact_id for m in audience.count(segment, sample=10).sample}

    assert members(name="purchased") == {people["ann"]}
    assert members(name="purchased", active=False) == {people["bob"]}
    assert members(name="never") == set()
    lately = conditions.condition({"kind": "activity", "event": "custom", "name": "purchased",
                                   "within_days": 30})  # fmt: skip
    ann = store.get(keys.contact(people["ann"])) or {}
    assert conditions.holds(lately, ann, None, clock.now() + 29 * 86400)
    assert not conditions.holds(lately, ann, None, clock.now() + 31 * 86400)
    with pytest.raises(ValueError, match="names the event"):
        definitions.SegmentIn.model_validate(
            {"name": "x", "topic": "newsletter", "conditions": [{"kind": "activity",
             "event": "custom", "within_days": 3}]}
        )  # fmt: skip
