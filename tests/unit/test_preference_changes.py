"""Reading a preference-center change against the schema and the stored contact."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecrm.account import preference_changes, preferences
from ecrm.contacts.profile_schema import ProfileSchema
from ecrm.contacts.profile_view import ProfileView
from ecrm.platform.errors import InvalidInput
from tests.conftest import ROOT

SCHEMA = ProfileView.from_item(
    ProfileSchema.model_validate(
        json.loads((ROOT / "local" / "demo_profile.json").read_text())
    ).to_item()
)
CONTACT: dict[str, Any] = {
    "email": "ann@example.com",
    "status": "subscribed",
    "topics": ["newsletter"],
    "f_first_name": "Ann",
    "f_interests": ["guides"],
}


def read(raw: dict[str, Any], contact: dict[str, Any] | None = None) -> Any:
    return preference_changes.read(SCHEMA, raw, contact or CONTACT)


def test_only_what_differs_is_a_change() -> None:
    changes = read({"profile": {"first_name": " Ann "}, "interests": {"interests": ["guides"]}})
    assert not changes


def test_values_are_normalised_and_emptied_fields_removed() -> None:
    changes = read({"profile": {"first_name": "  Annie  Lee ", "company": ""}})
    assert changes.values == {"first_name": "Annie Lee"}
    assert changes.removed == []  # company was never set: nothing to remove
    assert read({"interests": {"interests": []}}).removed == ["interests"]


def test_topics_are_computed_from_what_the_contact_receives() -> None:
    changes = read({"topics": {"events": True, "newsletter": False}})
    assert (changes.topics, changes.joined, changes.left) == (
        {"events"},
        ["events"],
        ["newsletter"],
    )
    unsubscribed = {**CONTACT, "status": "unsubscribed"}
    again = read({"topics": {"newsletter": True}}, unsubscribed)
    assert again.joined == ["newsletter"]  # receiving nothing, so ticking it joins it


def test_a_topic_the_contact_has_but_the_schema_dropped_may_stay_ticked() -> None:
    legacy = {**CONTACT, "topics": ["newsletter", "retired"]}
    assert not read({"topics": {"retired": True}}, legacy)


def test_every_problem_is_named() -> None:
    with pytest.raises(InvalidInput) as raised:
        read(
            {
                "profile": {"first_name": "<x>", "nope": "1"},
                "interests": {"role": "astronaut"},
                "topics": {"launches": True, "events": 1},
                "email": "x",
                "subscribed": True,
                "extra": 1,
            }
        )
    assert set(raised.value.fields) == {
        "profile.first_name",
        "profile.nope",
        "interests.role",
        "topics.launches",
        "topics.events",
        "email",
        "subscribed",
        "extra",
    }


def test_unsubscribing_from_everything_cannot_join_topics() -> None:
    with pytest.raises(InvalidInput) as raised:
        read({"subscribed": False, "topics": {"events": True}})
    assert "subscribed" in raised.value.fields
    assert read({"subscribed": False}).unsubscribe_all
    assert not read({"subscribed": False}, {**CONTACT, "status": "unsubscribed"})


def test_the_address_is_a_pending_change_or_cancels_one() -> None:
    assert read({"email": "Ann.New@Example.ORG"}).new_email == "ann.new@example.org"
    pending = {**CONTACT, "pending_email": "ann.new@example.org"}
    assert read({"email": "ann@example.com"}, pending).cancel_email_change
    assert not read({"email": "ann.new@example.org"}, pending)  # already pending


@pytest.mark.parametrize(
    ("if_match", "matches"),
    [
        ('"7"', True),
        ("*", True),
        ('"1", "7"', True),
        ('W/"7"', False),
        ("7", False),
        ('"8"', False),
    ],
)
def test_if_match_compares_strong_entity_tags(if_match: str, matches: bool) -> None:
    assert preferences._matches(if_match, 7) is matches
