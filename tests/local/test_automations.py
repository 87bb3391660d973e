"""An automated mailing end to end on the local stack: a marketer's rule, a confirmed double
opt-in on the stream, the schedule tick sending the welcome mail once, and SES events about it."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from local.stack import EmbeddedStack

WELCOME = {
    "id": "welcome",
    "name": "Welcome",
    "subject": "Welcome aboard",
    "html": '<p>Hello {{ contact.email }}!</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>',
}
RULE = {
    "name": "Welcome after confirmation",
    "when": {"event": "confirmed"},
    "template_id": "welcome",
    "topic": "newsletter",
    "sender": {"email": "news@example.com", "name": "The ecrm team"},
    "delay_minutes": 0,
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    local_stack = EmbeddedStack(
        tmp_path_factory.mktemp("state"), port=0, fresh=True, schedule_every=0.2, keep_state=False
    )
    local_stack.start()
    try:
        yield local_stack
    finally:
        local_stack.stop()


def http(
    stack: EmbeddedStack, method: str, path: str, body: Any = None, admin: bool = False
) -> Any:
    headers = {"Content-Type": "application/json"}
    if admin:
        assert stack.authorizer is not None
        headers["Authorization"] = f"Bearer {stack.authorizer.tokens['marketer']}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(stack.api_url + path, data, headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
            is_json = response.headers.get_content_type() == "application/json"
            return response.status, json.loads(body) if is_json else body
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def mails_to(stack: EmbeddedStack, address: str) -> list[dict[str, Any]]:
    return [m for m in stack.outbox() if m["to"] == address]


def test_a_confirmed_subscriber_gets_the_welcome_mail_once(stack: EmbeddedStack) -> None:
    assert http(stack, "POST", "/admin/templates", WELCOME, admin=True)[0] == 201
    status, rule = http(stack, "POST", "/admin/automations", RULE, admin=True)
    assert status == 201
    assert http(stack, "POST", "/admin/automations", RULE)[0] == 401  # no bearer token

    status, _ = http(
        stack,
        "POST",
        "/forms/newsletter/submissions",
        {"email": "ann@example.com", "consent": True},
    )
    assert status == 202
    stack.drain()
    [confirmation] = mails_to(stack, "ann@example.com")
    link = next(u for u in confirmation["links"] if "/confirm/" in u)
    token = re.sub(r".*/confirm/", "", link)
    assert http(stack, "POST", f"/confirm/{token}")[0] in (200, 303)
    stack.drain()  # the stream schedules the run; a later tick sends it
    stack.drain()

    welcome = [m for m in mails_to(stack, "ann@example.com") if m["subject"] == "Welcome aboard"]
    assert len(welcome) == 1
    assert welcome[0]["from"] == "The ecrm team <news@example.com>"

    record = stack.simulate_ses_event(welcome[0]["id"], "open")
    assert record["mail"]["tags"]["automation"] == [rule["id"]]

    stack.drain()
    assert (
        len([m for m in mails_to(stack, "ann@example.com") if m["subject"] == "Welcome aboard"])
        == 1
    )
