from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from ecrm.contacts import submission
from ecrm.contacts.form_view import FormView
from ecrm.contacts.forms import Form
from ecrm.platform.errors import InvalidInput

DEMO = json.loads((Path(__file__).parents[2] / "local" / "demo_form.json").read_text())


@pytest.fixture
def form() -> FormView:
    """The demo form as saved, read back as Capture reads it."""
    return FormView.from_item(Form.model_validate(DEMO).to_item())


def test_a_valid_submission_is_normalised(form: FormView) -> None:
    sub = submission.read(
        form,
        {
            "email": " Ann@Example.com ",
            "first_name": " Ann ",
            "interests": ["events", "guides", "events"],
            "consent": "on",
            "utm_source": "ad",
        },
    )
    assert sub.email == "ann@example.com"
    assert sub.profile == {"first_name": "Ann", "interests": ["events", "guides"]}
    assert sub.consent_given and sub.tracking == {"utm_source": "ad"}


def test_every_problem_is_named_at_once(form: FormView) -> None:
    with pytest.raises(InvalidInput) as raised:
        submission.read(
            form, {"email": "x", "company": "c" * 121, "interests": "golf", "admin": "1"}
        )
    assert set(raised.value.fields) == {"email", "company", "interests", "admin", "consent"}


@pytest.mark.parametrize("value", [{"nested": 1}, 42, None, ["a", "b"]])
def test_text_fields_take_only_text(form: FormView, value: Any) -> None:
    with pytest.raises(InvalidInput) as raised:
        submission.read(form, {"email": "a@example.com", "consent": True, "company": value})
    assert "company" in raised.value.fields


def test_empty_optional_fields_are_left_out(form: FormView) -> None:
    sub = submission.read(form, {"email": "a@example.com", "consent": True, "company": "  "})
    assert sub.profile == {}


@pytest.mark.parametrize(
    "change",
    [
        {"fields": [{"name": "name", "label": "Name"}]},  # no email field
        {"fields": [*DEMO["fields"], {"name": "email", "label": "Again", "type": "email"}]},
        {"fields": [*DEMO["fields"], {"name": "consent", "label": "Reserved"}]},
        {"fields": [*DEMO["fields"], {"name": "pick", "label": "Pick", "type": "choice"}]},
        {"id": "../etc/passwd"},
        {"allowed_origins": ["https://ok.example/path"]},
    ],
)
def test_inconsistent_form_definitions_are_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Form.model_validate({**DEMO, **change})


def test_bot_signals_read_honeypot_and_render_time() -> None:
    signals = submission.bot_signals({"_hp": "x", "_ts": "1700000000000"})
    assert signals.honeypot_filled and signals.rendered_at_ms == 1_700_000_000_000
    assert not submission.bot_signals({"_hp": ""}).honeypot_filled
    assert submission.bot_signals({"_ts": 1_700_000_000_000}).rendered_at_ms == 1.7e12
    assert submission.bot_signals({"_ts": "soon"}).rendered_at_ms is None


@pytest.mark.parametrize("rendered_at", [10**3999, "1e999", float("nan"), ["-inf"]])
def test_a_render_time_no_clock_can_show_is_refused_not_an_overflow(rendered_at: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        submission.bot_signals({"_ts": rendered_at})
    assert set(refused.value.fields) == {"_ts"}


def test_a_date_field_is_read_as_yyyy_mm_dd_and_a_bad_one_is_named() -> None:
    form = FormView.from_item(
        Form.model_validate(
            {
                "id": "birthdays",
                "title": "Birthdays",
                "fields": [
                    {"name": "email", "label": "Email", "type": "email", "required": True},
                    {"name": "birthday", "label": "Birthday", "type": "date"},
                    {"name": "renewal", "label": "Renewal", "type": "date"},
                ],
            }
        ).to_item()
    )
    sub = submission.read(form, {"email": "a@example.com", "birthday": " 1990-05-17 "})
    assert sub.profile == {"birthday": "1990-05-17"}
    with pytest.raises(InvalidInput) as raised:
        submission.read(
            form, {"email": "a@example.com", "birthday": "1990-02-30", "renewal": "17.05.2026"}
        )
    assert set(raised.value.fields) == {"birthday", "renewal"}
    assert "YYYY-MM-DD" in raised.value.fields["birthday"]
