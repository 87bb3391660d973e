"""Deleting templates, segments and campaigns through the marketer API: nothing that a draft or
scheduled campaign or an automation still uses can go (409 `in_use`, nothing written); a
campaign goes only when draft, cancelled or done."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecrm.platform import keys, store
from tests import events
from tests.conftest import table_items
from tests.integration.campaigns.conftest import (
    HTML,
    MARKETER,
    SENDER,
    Sent,
    add_contacts,
    admin,
    create_campaign,
    run_queue,
)

TEMPLATE = {"name": "Other", "subject": "Hi", "html": HTML}


def delete(resource: str, path: dict[str, str]) -> tuple[int, Any]:
    return admin("DELETE", resource, path)


def delete_template() -> tuple[int, Any]:
    return delete("/admin/templates/{template_id}", {"template_id": "news"})


def delete_segment() -> tuple[int, Any]:
    return delete("/admin/segments/{segment_id}", {"segment_id": "seg-newsletter"})


def delete_campaign(campaign_id: str) -> tuple[int, Any]:
    return delete("/admin/campaigns/{campaign_id}", {"campaign_id": campaign_id})


def post(campaign_id: str, action: str, body: dict[str, Any] | None = None) -> int:
    status, _ = admin(
        "POST", f"/admin/campaigns/{{campaign_id}}/{action}", {"campaign_id": campaign_id}, body
    )
    return status


def test_a_template_or_segment_of_a_draft_campaign_cannot_be_deleted(campaign_env: Sent) -> None:
    create_campaign()
    before = table_items()

    for status, body in (delete_template(), delete_segment()):
        assert status == 409
        assert body["error"]["code"] == "in_use"
    assert table_items() == before


@pytest.mark.parametrize("action", ["cancel", "delete", "send"])
def test_once_the_campaign_starts_is_cancelled_or_deleted_both_can_go(
    campaign_env: Sent, action: str
) -> None:
    add_contacts(3)
    campaign_id = create_campaign()
    if action == "delete":
        assert delete_campaign(campaign_id)[0] == 204
    else:
        assert post(campaign_id, action) in (200, 202)
        run_queue()

    assert delete_template()[0] == 204
    assert delete_segment()[0] == 204
    assert store.get(keys.mail_template("news")) is None
    assert store.get(keys.segment("seg-newsletter")) is None
    assert delete_template()[0] == 404


def test_two_draft_campaigns_hold_until_both_let_go(campaign_env: Sent) -> None:
    first, second = create_campaign(), create_campaign()
    assert delete_campaign(first)[0] == 204
    assert delete_template()[0] == 409
    assert post(second, "cancel") == 200
    assert delete_template()[0] == 204


def test_a_template_an_automation_sends_cannot_be_deleted(campaign_env: Sent) -> None:
    draft = create_campaign()  # creates the template
    rule = {
        "name": "Welcome",
        "when": {"event": "confirmed"},
        "template_id": "news",
        "topic": "newsletter",
        "sender": SENDER,
    }
    status, created = automation("POST", "/admin/automations", body=rule)
    assert status == 201, created
    assert delete_campaign(draft)[0] == 204

    status, body = delete_template()

    assert status == 409 and body["error"]["code"] == "in_use"
    path = {"automation_id": created["id"]}
    other = {**rule, "template_id": "other", "version": created["version"]}
    assert admin("POST", "/admin/templates", body={**TEMPLATE, "id": "other"})[0] == 201
    assert automation("PUT", "/admin/automations/{automation_id}", path, other)[0] == 200
    assert delete_template()[0] == 204  # the rule moved to another template
    status, body = delete("/admin/templates/{template_id}", {"template_id": "other"})
    assert status == 409 and body["error"]["code"] == "in_use"


def automation(
    method: str, resource: str, path: dict[str, str] | None = None, body: Any = None
) -> tuple[int, Any]:
    from mailing.automations_api import lambda_handler

    event = events.api(method, resource, path, body=body)
    event["requestContext"]["authorizer"] = {"claims": MARKETER}
    response = lambda_handler(event, events.LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def test_a_campaign_that_is_scheduled_sending_or_paused_is_not_deleted(
    campaign_env: Sent,
) -> None:
    campaign_id = create_campaign()
    status, _ = admin(
        "POST",
        "/admin/campaigns/{campaign_id}/schedule",
        {"campaign_id": campaign_id},
        {"at": _in_a_day()},
    )
    assert status == 200
    before = table_items()

    status, body = delete_campaign(campaign_id)

    assert status == 409 and body["error"]["code"] == "conflict"
    assert table_items() == before


def test_deleting_a_done_campaign_removes_it_and_its_snapshot(campaign_env: Sent) -> None:
    add_contacts(2)
    campaign_id = create_campaign()
    assert post(campaign_id, "send") == 202
    run_queue()

    assert delete_campaign(campaign_id)[0] == 204

    assert store.get(keys.campaign(campaign_id)) is None
    assert store.get(keys.campaign_content(campaign_id)) is None
    assert admin("GET", "/admin/campaigns/{campaign_id}", {"campaign_id": campaign_id})[0] == 404
    assert delete_campaign(campaign_id)[0] == 404
    left = [i for i in table_items() if i["pk"] == f"CAMPAIGN#{campaign_id}"]
    assert left and all("expires_at" in i for i in left)  # ledger and pages expire by TTL


def _in_a_day() -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) + timedelta(days=1)).isoformat()
