"""Test sends: a campaign's (`POST /admin/campaigns/{id}/test`) and a template's with no campaign
(`POST /admin/templates/{id}/test`), sent as a campaign would send it, from the stack's sender
or one of its domain, with a topic's unsubscribe link; both refused, nothing sent, for an
address that said no; bounded per marketer and hour together; a viewer is refused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import table_items
from tests.integration.campaigns.conftest import (
    HTML,
    MARKETER,
    SENDER,
    Sent,
    admin,
    create_campaign,
    said_no,
)

TEMPLATE = {"id": "hello", "name": "Hello", "subject": "Hi {{ contact.first_name }}", "html": HTML}


def _saved() -> None:
    assert admin("POST", "/admin/templates", body=TEMPLATE)[0] == 201


def _test(body: dict[str, Any], template_id: str = "hello", **claims: str) -> tuple[int, Any]:
    path, resource = {"template_id": template_id}, "/admin/templates/{template_id}/test"
    return admin("POST", resource, path, body, claims=MARKETER | claims)


def test_a_template_is_test_sent_without_a_campaign(campaign_env: Sent) -> None:
    _saved()
    before = table_items()

    status, body = _test({"to": ["me@example.com"], "sender": SENDER, "topic": "newsletter"})

    assert status == 200, body
    assert len(body["message_ids"]) == 1
    [mail] = campaign_env.messages()
    assert mail["Subject"] == "[Test] Hi"  # an address only: no first name
    assert mail["To"] == "me@example.com" and "news@example.com" in str(mail["From"])
    assert "newsletter." in str(mail["List-Id"])
    assert campaign_env.tags == [{"test": "1"}]  # its events count on no campaign
    added = [i for i in table_items() if i not in before]
    assert {i.get("type") for i in added} <= {None, "rate_limit"}  # no campaign, no ledger


def test_by_default_it_comes_from_the_stacks_sender(campaign_env: Sent) -> None:
    _saved()
    assert _test({"to": ["me@example.com"]})[0] == 200
    [mail] = campaign_env.messages()
    from ecrm.platform.settings import settings

    assert settings().transactional_sender in str(mail["From"])


def _through_a_campaign(body: dict[str, Any]) -> tuple[int, Any]:
    path = {"campaign_id": create_campaign()}
    return admin("POST", "/admin/campaigns/{campaign_id}/test", path, body)


def _through_the_template(body: dict[str, Any]) -> tuple[int, Any]:
    _saved()
    return _test({**body, "topic": "newsletter"})


@pytest.mark.parametrize("send", [_through_a_campaign, _through_the_template])
@pytest.mark.parametrize(
    "kind", ["complaint", "bounce", "unsubscribe", "erased", "unsubscribed", "left_topic"]
)
def test_a_test_send_to_an_address_that_said_no_is_refused_and_sends_nothing(
    campaign_env: Sent, kind: str, send: Any
) -> None:
    address = said_no(kind)

    status, body = send({"to": ["boss@example.com", address, "me@example.com"]})

    assert status == 422, body
    assert body["error"]["code"] == "validation_failed"
    assert list(body["error"]["fields"]) == ["to.1"]
    assert address in body["error"]["fields"]["to.1"]
    assert campaign_env.raw == []


def test_another_domain_a_bad_topic_and_a_template_that_is_none_are_refused(
    campaign_env: Sent,
) -> None:
    _saved()
    other = {"email": "me@elsewhere.example", "name": "Me"}
    status, body = _test({"to": ["me@example.com"], "sender": other})
    assert status == 422 and set(body["error"]["fields"]) == {"sender.email"}
    assert _test({"to": ["me@example.com"], "topic": "News!"})[0] == 400  # not a slug
    assert _test({"to": ["me@example.com"]}, template_id="nothing")[0] == 404
    assert _test({"to": ["me@example.com"]}, **{"cognito:groups": "viewers"})[0] == 403
    assert campaign_env.raw == []


def test_the_hourly_bound_is_the_same_as_the_campaigns_test_sends(
    campaign_env: Sent, six_test_mails_an_hour: None
) -> None:
    _saved()
    campaign_id = create_campaign()
    path = {"campaign_id": campaign_id}
    two = {"to": ["a@example.com", "b@example.com"]}
    assert admin("POST", "/admin/campaigns/{campaign_id}/test", path, two)[0] == 200
    assert _test({"to": ["c@example.com", "d@example.com", "e@example.com"]})[0] == 200
    before = table_items()

    status, body = _test(two)  # the sixth and seventh of the hour

    assert (status, body["error"]["code"]) == (429, "rate_limited")
    assert table_items() == before and len(campaign_env.raw) == 5  # nothing sent or counted
    assert _test({"to": ["f@example.com"]})[0] == 200  # the sixth
    assert _test({"to": ["g@example.com"]})[0] == 429
    assert _test({"to": ["g@example.com"]}, sub="m2")[0] == 200  # another marketer
