"""Stored definitions are validated once, when saved (pydantic), and read back by the functions
that use them as plain values, without pydantic (issue 15 point 7): every valid definition,
written as its model writes it and read back through the table's types, is the value its model
reads (the scoring ruleset's test is tests/unit/test_scoring_rules.py)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from ecrm.automations import counts, overview, rules, triggers
from ecrm.contacts import form_view, forms, profile_schema, profile_view
from ecrm.mail import template_view, templates
from ecrm.platform import store
from ecrm.segments import conditions, definitions

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"


def through_table(item: dict[str, Any]) -> dict[str, Any]:
    """As a GetItem or Query gives it back: no nulls, numbers as int or float, sets sorted."""
    return store.deserialize(store.serialize(item))


SENDER = {"email": "News@Example.com", "name": "News"}
AUTOMATIONS = [
    json.loads((EXAMPLES / "automation-welcome.json").read_text()),
    {"name": "a", "when": {"event": "form_submitted"}, "template_id": "t", "topic": "news"},
    {
        "name": "b",
        "when": {"event": "form_submitted", "form_id": "demo"},
        "template_id": "t",
        "topic": "news",
        "sender": {**SENDER, "reply_to": "reply@example.com"},
        "delay_minutes": 0,
        "enabled": False,
    },
    {"name": "c", "when": {"event": "stage_reached", "stage": "mql"}, "template_id": "t"},
    {"name": "d", "when": {"event": "topic_added", "topic": "events"}, "delay_minutes": 1440},
    {"name": "e", "when": {"event": "custom_event", "name": "trial.started"}, "delay_minutes": 5},
]


@pytest.mark.parametrize("body", AUTOMATIONS)
def test_a_saved_automation_reads_back_as_its_model_says(body: dict[str, Any]) -> None:
    fields = {"template_id": "t", "topic": "news", "sender": SENDER, **body}
    saved = rules.Automation(
        **rules.AutomationIn.model_validate(fields).model_dump(exclude={"version"}),
        id="au_0123456789ab",
        version=3,
        created_at="2026-01-01T00:00:00Z",
        updated_at="2026-01-02T00:00:00Z",
    )
    stored = through_table(saved.to_item())
    read = triggers.Rule.from_item(stored)
    assert dataclasses.asdict(read) == rules.Automation.from_item(stored).model_dump(mode="json")
    assert triggers.fires(read, triggers.Happened("confirmed", "c1", "e1")) == (
        saved.when.event == "confirmed"
    )
    # the admin list's answer, as the router serialises it, is the model's, byte for byte
    done = counts.Counts(triggered=3, sent=1, skipped=1, waiting=1)
    listed = dataclasses.asdict(overview.CountedRule.of(read, done))
    model = rules.CountedAutomation(**rules.Automation.from_item(stored).model_dump(), counts=done)
    assert json.dumps(listed) == json.dumps(model.model_dump(mode="json", by_alias=True))


DEMO_FORM = json.loads((ROOT / "local" / "demo_form.json").read_text())
FORMS = [
    DEMO_FORM,
    json.loads((EXAMPLES / "my-form.json").read_text()),
    {
        "id": "plain",
        "title": "Plain",
        "fields": [{"name": "email", "label": "Email", "type": "email", "required": True}],
    },
    {
        **DEMO_FORM,
        "id": "everything",
        "redirect_url": "https://www.example.com/thanks?x=1",
        "site_url": "https://www.Example.com",
        "allowed_origins": ["https://a.example", "http://localhost:8080"],
        "double_opt_in": False,
        "submit_label": "Go",
        "thank_you": "Merci",
        "topics": [],
    },
]


@pytest.mark.parametrize("data", FORMS, ids=lambda d: str(d["id"]))
def test_a_saved_form_reads_back_as_its_model_says(data: dict[str, Any]) -> None:
    saved = forms.Form.model_validate({**data, "version": 4})
    stored = through_table(saved.to_item())
    read = form_view.FormView.from_item(stored)
    model = forms.Form.from_item(stored)  # how Capture read it before (validated again)
    assert read.public() == model.public()
    assert json.dumps(read.public()) == json.dumps(model.public())
    assert read.allowed_origins == tuple(model.allowed_origins)
    site = str(model.site_url) if model.site_url else None
    if site is None and model.allowed_origins:
        site = f"{model.allowed_origins[0]}/"
    assert read.site() == site and read.version == model.version == 4
    for field in model.fields:
        assert read.field(field.name) == form_view.FieldView.from_item(field.model_dump())
        assert read.label_of(field.name) == field.label
    assert read.label_of("consent") == "Consent" and read.label_of("other") == "other"
    if model.consent:
        assert read.consent is not None and read.consent.text_hash == model.consent.text_hash


DEMO_PROFILE = json.loads((ROOT / "local" / "demo_profile.json").read_text())
PROFILES = [
    DEMO_PROFILE,
    {},
    {"profile": [{"name": "phone", "label": "Phone", "type": "phone", "required": True}]},
    {
        "interests": [{"name": "likes", "label": "Likes", "type": "checkbox"}],
        "topics": [{"id": "news", "label": "News"}],  # no description: the model's default
        "consent": {"text": "Yes, mail me.", "version": "1"},
    },
]


@pytest.mark.parametrize("data", PROFILES)
def test_a_saved_profile_schema_reads_back_as_its_model_says(data: dict[str, Any]) -> None:
    saved = profile_schema.ProfileSchema.model_validate({**data, "version": 5})
    stored = through_table(saved.to_item())
    read = profile_view.ProfileView.from_item(stored)
    model = profile_schema.ProfileSchema.from_item(stored)  # how the functions read it before
    assert read.to_json() == model.model_dump(mode="json")
    assert json.dumps(read.to_json()) == json.dumps(model.model_dump(mode="json"))
    assert read.public() == model.model_dump(mode="json", exclude={"version"})
    assert read.version == model.version == 5
    for section in ("profile", "interests"):
        for field in getattr(model, section):
            found = read.field(section, field.name)
            assert found == form_view.FieldView.from_item(field.model_dump())
            assert read.field("interests" if section == "profile" else "profile", field.name) is (
                None
            )
    for topic in model.topics:
        found_topic = read.topic(topic.id)
        assert found_topic is not None and found_topic.to_json() == topic.model_dump()
    assert read.topic("no-such-topic") is None
    if model.consent:
        assert read.consent is not None and read.consent.text_hash == model.consent.text_hash
    empty = profile_view.ProfileView()  # nothing stored yet: as the model's defaults
    assert empty.to_json() == profile_schema.ProfileSchema().model_dump(mode="json")


SEGMENTS = [
    json.loads((EXAMPLES / "segment-all.json").read_text()),
    {
        "name": "every kind",
        "topic": "newsletter",
        "conditions": [
            {"kind": "field", "field": "company", "op": "eq", "value": "Acme"},
            {"kind": "field", "field": "country", "op": "in", "value": ["NL", "DE"]},
            {"kind": "field", "field": "phone", "op": "missing"},
            {"kind": "interest", "any_of": ["guides"]},
            {"kind": "interest", "field": "hobbies", "any_of": ["golf", "chess"]},
            {"kind": "topic", "all_of": ["events"], "none_of": ["offers"]},
            {"kind": "topic"},
            {"kind": "status", "in": ["subscribed", "pending"]},
            {"kind": "stage", "in": ["mql", "sql"]},
            {"kind": "score", "min": 10, "max": 99.1234567},
            {"kind": "score", "max": -5},
            {"kind": "activity", "within_days": 30},
            {"kind": "activity", "event": "engaged", "within_days": 7, "active": False},
            {"kind": "activity", "event": "custom", "name": "purchased", "within_days": 90},
        ],
    },
]


@pytest.mark.parametrize("body", SEGMENTS)
def test_a_saved_segment_reads_back_as_its_model_says(body: dict[str, Any]) -> None:
    valid = definitions.SegmentIn.model_validate({k: v for k, v in body.items() if k != "id"})
    saved = definitions.Segment(id="s1", version=2, created_at="x", updated_at="y", **dict(valid))
    stored = through_table(saved.to_item())
    read = conditions.SegmentView.from_item(stored)
    model = definitions.Segment.from_item(stored)  # how the sender read it before
    assert (read.id, read.name, read.topic, read.version) == (
        model.id,
        model.name,
        model.topic,
        model.version,
    )
    assert read.needs_score == model.needs_score
    assert len(read.conditions) == len(model.conditions)
    for view, condition in zip(read.conditions, model.conditions, strict=True):
        as_model = condition.model_dump(mode="json", by_alias=True)
        as_view = {**dataclasses.asdict(view)}
        if "in_" in as_view:
            as_view["in"] = list(as_view.pop("in_"))
        as_view = {k: list(v) if isinstance(v, tuple) else v for k, v in as_view.items()}
        assert as_view == as_model
    # and the copy a started campaign keeps (its CONTENT item) reads back the same
    snapshot = through_table({"segment": model.model_dump(mode="json", by_alias=True)})
    assert conditions.SegmentView.from_item(snapshot["segment"]) == read


@pytest.mark.parametrize("fields", [["first_name", "company"], []])
def test_a_saved_template_reads_back_as_its_model_says(fields: list[str]) -> None:
    """What a started campaign keeps of its template (`model_dump`, its CONTENT item)."""
    saved = templates.MailTemplate(
        id="news",
        name="News",
        subject="Hello {{ contact.first_name }}",
        html="<p>Hi</p>",
        text="Hi",
        text_derived=False,
        contact_fields=fields,
        version=3,
        created_at="x",
        updated_at="y",
    )
    stored = through_table({"template": saved.model_dump()})["template"]
    read = template_view.TemplateView.from_item(stored)
    model = templates.MailTemplate.model_validate(stored)  # how the sender read it before
    assert (read.id, read.subject, read.text, read.html, read.version) == (
        model.id,
        model.subject,
        model.text,
        model.html,
        model.version,
    )
    assert list(read.contact_fields) == model.contact_fields
    assert template_view.compiled(read) is templates.compiled(model)  # one compile per process


def test_a_listed_template_summary_is_the_json_its_model_gave() -> None:
    """`GET /admin/templates` reads its page plainly (the marketer API's start imports no
    pydantic): each summary is the JSON `models.TemplateSummary` made of the saved template."""
    from mailing.admin import models
    from mailing.admin import templates as route

    saved = templates.MailTemplate(
        id="news",
        name="News",
        subject="Hello",
        html="<p>Hi</p>",
        text="Hi",
        text_derived=False,
        contact_fields=[],
        version=3,
        created_at="x",
        updated_at="y",
    )
    stored = through_table(saved.to_item())
    plain = route.TemplatePage([route.TemplateSummary.of(stored)], "c")
    model = models.TemplatePage(
        items=[models.TemplateSummary.model_validate(saved.model_dump())], next_cursor="c"
    )
    assert dataclasses.asdict(plain) == model.model_dump(mode="json", by_alias=True)
    assert json.dumps(dataclasses.asdict(plain), separators=(",", ":")) == model.model_dump_json()


def test_a_listed_form_summary_is_the_json_its_model_gave() -> None:
    """`GET /admin/forms` reads its page plainly (the forms admin API's list imports no
    pydantic): each summary is the JSON `forms_models.FormSummary` made of the saved form."""
    from capture import forms_api, forms_models

    for definition in (
        demo_form_definition(),
        {**demo_form_definition(), "topics": [], "double_opt_in": False, "version": 4},
    ):
        saved = forms.Form.model_validate(definition)
        stored = through_table(saved.to_item())
        plain = forms_api.FormPage([forms_api.FormSummary.of(stored)], None)
        model = forms_models.FormPage(
            items=[
                forms_models.FormSummary.model_validate(forms.Form.from_item(stored).model_dump())
            ]
        )
        assert json.dumps(dataclasses.asdict(plain), separators=(",", ":")) == (
            model.model_dump_json()
        )


def demo_form_definition() -> dict[str, Any]:
    from local.stack import DEMO_FORM

    definition: dict[str, Any] = json.loads(DEMO_FORM.read_text(encoding="utf-8"))
    return definition


@pytest.mark.parametrize("role", ["admin", None])
def test_a_listed_team_member_is_the_json_its_model_gave(role: str | None) -> None:
    """`GET /admin/team` answers plain dataclasses (the team API's start imports no pydantic):
    the JSON `team_models.TeamPage` made of the same members."""
    from account import team_admin, team_models
    from ecrm.team.members import Member

    member = Member(
        "0" * 8 + "-0000-0000-0000-" + "0" * 12, "a@example.com", role, "confirmed", True, "x"
    )
    plain = team_admin.TeamPage([team_admin.TeamMember(**member.as_json())], None)
    model = team_models.TeamPage(items=[team_models.TeamMember.model_validate(member.as_json())])
    assert json.dumps(dataclasses.asdict(plain), separators=(",", ":")) == model.model_dump_json()
