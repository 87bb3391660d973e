"""A journey end to end on the local stack (`ecrm serve`, embedded): a welcome series of three
mails with a branch on "opened the first" and a goal. Two people confirm their subscription;
Ann opens the first mail (a simulated SES open) and gets mail 2a, Bob does not and gets 2b;
Bob then purchases (a custom event through `POST /events`), which ends his run as a conversion,
and only Ann gets mail 3. Waits fall due by moving the stack's clock (`advance_clock`, a
test-only control of `local.clock`), not by waiting."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from local.stack import EmbeddedStack
from tests.waiting import wait_for

pytestmark = pytest.mark.slow

HOUR = 60
HTML = '<p>Hi {{ contact.email }}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>'
SENDER = {"email": "news@example.com", "name": "The ecrm team"}


def send(step_id: str, template: str, nxt: str | None) -> dict[str, Any]:
    return {
        "id": step_id,
        "type": "send",
        "template_id": template,
        "topic": "newsletter",
        "sender": SENDER,
        "next": nxt,
    }


WELCOME_SERIES = {
    "name": "Welcome series",
    "entry": {"event": "confirmed"},
    "goal": {"event": "custom_event", "name": "purchased"},
    "start": "first",
    "steps": [
        send("first", "welcome-1", "wait1"),
        {"id": "wait1", "type": "wait", "minutes": HOUR, "next": "opened"},
        {"id": "opened", "type": "branch", "if": {"opened": "first"}, "yes": "tips", "no": "nudge"},
        send("tips", "welcome-2a", "wait2"),
        send("nudge", "welcome-2b", "wait2"),
        {"id": "wait2", "type": "wait", "minutes": 2 * HOUR, "next": "third"},
        send("third", "welcome-3", None),
    ],
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
    stack: EmbeddedStack,
    method: str,
    path: str,
    body: Any = None,
    admin: bool = False,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    sent = {"Content-Type": "application/json", **(headers or {})}
    if admin:
        assert stack.authorizer is not None
        sent["Authorization"] = f"Bearer {stack.authorizer.tokens['marketer']}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(stack.api_url + path, data, sent, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            is_json = response.headers.get_content_type() == "application/json"
            return response.status, json.loads(raw) if is_json else raw
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def subjects(stack: EmbeddedStack, address: str) -> list[str]:
    return sorted(
        m["subject"] for m in stack.outbox() if m["to"] == address and "Mail" in m["subject"]
    )


def subscribe(stack: EmbeddedStack, address: str) -> None:
    status, _ = http(
        stack, "POST", "/forms/newsletter/submissions", {"email": address, "consent": True}
    )
    assert status == 202
    stack.drain()
    confirmation = next(m for m in stack.outbox() if m["to"] == address)
    token = re.sub(r".*/confirm/", "", next(u for u in confirmation["links"] if "/confirm/" in u))
    assert http(stack, "POST", f"/confirm/{token}")[0] in (200, 303)
    stack.drain()


def later(stack: EmbeddedStack, minutes: int) -> None:
    stack.advance_clock(minutes * 60 + 1)
    stack.drain()  # a tick after the move has run every entry now due, and its mail is out
    stack.drain()


def test_a_welcome_series_branches_on_the_first_open_and_stops_at_the_goal(
    stack: EmbeddedStack,
) -> None:
    for n, template in enumerate(("welcome-1", "welcome-2a", "welcome-2b", "welcome-3")):
        body = {
            "id": template,
            "name": template,
            "subject": f"Mail {n + 1} {template}",
            "html": HTML,
        }
        assert http(stack, "POST", "/admin/templates", body, admin=True)[0] == 201
    status, journey = http(stack, "POST", "/admin/journeys", WELCOME_SERIES, admin=True)
    assert status == 201, journey
    path = f"/admin/journeys/{journey['id']}"
    assert http(stack, "POST", f"{path}/publish", admin=True)[0] == 201
    status, key = http(stack, "POST", "/admin/event-keys", {"name": "shop"}, admin=True)
    assert status == 201, key

    for address in ("ann@example.com", "bob@example.com"):
        subscribe(stack, address)
    for address in ("ann@example.com", "bob@example.com"):
        wait_for(lambda a=address: subjects(stack, a), bool)  # type: ignore[misc]
        assert subjects(stack, address) == ["Mail 1 welcome-1"]

    first = next(
        m for m in stack.outbox() if m["to"] == "ann@example.com" and "Mail 1" in m["subject"]
    )
    record = stack.simulate_ses_event(first["id"], "open")
    assert record["mail"]["tags"]["journey"] == [journey["id"]]

    later(stack, HOUR)
    wait_for(lambda: subjects(stack, "bob@example.com"), lambda found: len(found) == 2)
    wait_for(lambda: subjects(stack, "ann@example.com"), lambda found: len(found) == 2)
    assert subjects(stack, "ann@example.com") == ["Mail 1 welcome-1", "Mail 2 welcome-2a"]
    assert subjects(stack, "bob@example.com") == ["Mail 1 welcome-1", "Mail 3 welcome-2b"]

    purchase = {"name": "purchased", "email": "bob@example.com"}
    headers = {"Authorization": f"Bearer {key['key']}"}
    assert http(stack, "POST", "/events", purchase, headers=headers)[0] in (200, 202)
    stack.drain()

    later(stack, 2 * HOUR)
    wait_for(lambda: subjects(stack, "ann@example.com"), lambda found: len(found) == 3)
    assert subjects(stack, "ann@example.com")[-1] == "Mail 4 welcome-3"
    assert len(subjects(stack, "bob@example.com")) == 2  # converted: no third mail

    status, stats = http(stack, "GET", f"{path}/stats", admin=True)
    assert status == 200
    steps = stats["versions"]["1"]
    assert steps["first"]["entered"] == 2 and steps["first"]["sent"] == 2
    assert steps["first"]["opened"] == 1
    assert steps["tips"]["sent"] == 1 and steps["nudge"]["sent"] == 1
    assert steps["wait2"]["converted"] == 1 and steps["third"]["sent"] == 1
    assert steps["third"]["exited"] == 1
