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

from ecrm.automations import rules, triggers
from ecrm.contacts import form_view, forms
from ecrm.platform import store

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
    assert read.site() == model.site() and read.version == model.version == 4
    for field in model.fields:
        assert read.field(field.name) == form_view.FieldView.from_item(field.model_dump())
        assert read.label_of(field.name) == model.label_of(field.name)
    assert read.label_of("consent") == model.label_of("consent")
    if model.consent:
        assert read.consent is not None and read.consent.text_hash == model.consent.text_hash
