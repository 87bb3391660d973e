"""A campaign on `ecrm serve`, through the HTTP gateway with the local marketer token: scheduled,
started by the schedule tick, fanned out through the queue pump, in the outbox once each."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from local.stack import EmbeddedStack
from tests.waiting import wait_for


def test_a_scheduled_campaign_is_sent_by_the_local_stack(tmp_path: Path, moto_url: str) -> None:
    state = tmp_path / "state"
    stack = EmbeddedStack(state, schedule_every=0.3, keep_state=False).start()
    try:
        token = json.loads((state / "admin-tokens.json").read_text())["marketer"]

        def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
            request = urllib.request.Request(
                stack.api_url + path,
                method=method,
                data=None if body is None else json.dumps(body).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return response.status, json.loads(response.read() or b"null")
            except urllib.error.HTTPError as error:
                return error.code, json.loads(error.read() or b"null")

        from ecrm.platform import keys, store

        items = []
        for n in range(12):
            address = f"local{n}@example.org"
            contact_id = keys.contact_id_for(address)
            items += [
                {
                    **keys.contact(contact_id),
                    "type": "contact",
                    "email": address,
                    "status": "subscribed",
                    "topics": {"newsletter"},
                    "f_first_name": f"Lou {n}",
                },
                {**keys.topic_membership(contact_id, "newsletter"), "type": "topic_membership"},
            ]
        store.batch_put(items)
        html = '<p>Hi {{ contact.first_name }}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>'
        template = {"id": "t", "name": "T", "subject": "Hi {{ contact.first_name }}", "html": html}
        assert call("POST", "/admin/templates", template)[0] == 201
        assert (
            call("POST", "/admin/segments", {"id": "s", "name": "S", "topic": "newsletter"})[0]
            == 201
        )
        sender = {"email": "news@example.com", "name": "News"}
        status, created = call(
            "POST",
            "/admin/campaigns",
            {"name": "C", "template_id": "t", "segment_id": "s", "sender": sender},
        )
        assert status == 201
        # Whole seconds: "now + 1 s" could be 0.05 s ahead, and past by the time a busy machine
        # answered (the API refuses a past time). 5 s is at least 4 ahead; the wait polls.
        at = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 5))
        path = f"/admin/campaigns/{created['id']}"
        status, scheduled = call("POST", path + "/schedule", {"at": at})
        assert (status, scheduled.get("state")) == (200, "scheduled"), scheduled

        def campaign() -> tuple[int, Any]:
            stack.drain(timeout=60)  # what the schedule tick and the queue pump started
            return call("GET", path)

        status, done = wait_for(campaign, lambda answer: answer[1].get("state") == "done")
        assert status == 200 and done["state"] == "done" and done["stats"]["sent"] == 12
        mails = [m for m in stack.outbox() if m["to"].startswith("local")]
        assert sorted(m["to"] for m in mails) == sorted(f"local{n}@example.org" for n in range(12))
        assert all("/unsubscribe/" in " ".join(m["links"]) for m in mails)
    finally:
        stack.stop()
