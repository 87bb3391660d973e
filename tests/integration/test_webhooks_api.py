"""`/admin/webhooks…`: a marketer registers an https endpoint and sees its signing secret once
(the table keeps only a salt it is derived from with the stack's webhook key), lists, updates,
rotates and deletes it; a viewer reads but never writes; a URL webhooks may not reach (not https, a
private, loopback, link-local or mapped address, a name resolving to one, credentials, another
port) is a 422 naming `url`, and nothing is written."""

from __future__ import annotations

import json
import time

import pytest

from ecrm.platform import keys, store
from ecrm.webhooks import endpoints, sealing
from tests.conftest import table_items
from tests.integration.webhooks_world import VIEWER, admin, new_webhook, resolver

pytestmark = pytest.mark.usefixtures("aws_env", "resolver")
__all__ = ["resolver"]


def test_a_marketer_registers_an_endpoint_whose_secret_is_shown_once_and_never_stored() -> None:
    created = new_webhook()
    secret = created.pop("secret")
    assert secret.startswith("whsec_") and len(secret) == len("whsec_") + 43
    assert created["url"] == "https://hooks.example.com/ecrm" and created["enabled"] is True
    assert created["events"] == ["form.submitted", "event.custom"]
    assert created["secret_hint"] == secret[:10] and created["last_status"] is None
    assert secret not in json.dumps(table_items(), default=repr)  # sealed, never plain
    item = store.get(keys.webhook(created["id"])) or {}
    assert sealing.secret(created["id"], item["secret_salt"]) == secret
    status, listed = admin("GET", "/admin/webhooks", VIEWER)
    assert status == 200 and listed == {"items": [created], "next_cursor": None}
    status, shown = admin("GET", "/admin/webhooks/{webhook_id}", VIEWER, webhook_id=created["id"])
    assert status == 200 and shown == created and "secret" not in shown


def test_a_salt_copied_onto_another_endpoint_derives_another_secret_and_the_key_matters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = new_webhook(), new_webhook()
    salt = (store.get(keys.webhook(first["id"])) or {})["secret_salt"]
    assert sealing.secret(second["id"], salt) != first["secret"]
    assert sealing.secret(first["id"], salt) == first["secret"]
    sealing.forget_cached()
    monkeypatch.setattr(sealing, "_webhook_key", lambda: b"a table thief's guess")
    assert sealing.secret(first["id"], salt) != first["secret"]


def test_a_viewer_can_neither_create_update_rotate_nor_delete() -> None:
    made = new_webhook()
    before = table_items()
    body = {"url": "https://hooks.example.com/x", "events": ["form.submitted"]}
    assert admin("POST", "/admin/webhooks", VIEWER, body=body)[0] == 403
    path = "/admin/webhooks/{webhook_id}"
    assert admin("PUT", path, VIEWER, webhook_id=made["id"], body=body)[0] == 403
    assert admin("POST", path + "/rotate", VIEWER, webhook_id=made["id"])[0] == 403
    assert admin("DELETE", path, VIEWER, webhook_id=made["id"])[0] == 403
    assert admin("GET", "/admin/webhooks", None)[0] == 401
    assert table_items() == before


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/ecrm",
        "https://127.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[fd00::1]/hook",
        "https://10.1.2.3/hook",
        "https://2130706433/hook",  # 127.0.0.1 as one number: resolves to nothing here
        "https://localhost/hook",
        "https://inside.example.com/hook",  # resolves to 10.0.0.7
        "https://metadata.example.com/",  # resolves to 169.254.169.254
        "https://mixed.example.com/",  # one public and one loopback address
        "https://mapped.example.com/",  # resolves to ::ffff:127.0.0.1
        "https://ula.example.com/",  # resolves to fd00::1
        "https://user:pass@hooks.example.com/hook",
        "https://hooks.example.com:8080/hook",
        "https://hooks.example.com/a#frag",
        "https://nowhere.example.com/",  # does not resolve
        "https://hooks.example.com/a b",
        "ftp://hooks.example.com/",
        "",
        "https://" + "a" * 2050 + ".com/",
    ],
)
def test_a_url_webhooks_may_not_reach_is_refused_and_nothing_is_written(url: str) -> None:
    status, answer = admin(
        "POST", "/admin/webhooks", body={"url": url, "events": ["form.submitted"]}
    )
    assert status == 422, answer
    assert set(answer["error"]["fields"]) == {"url"} and answer["error"]["code"]
    assert table_items() == []


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://hooks.example.com/", "events": []},
        {"url": "https://hooks.example.com/", "events": ["contact.exploded"]},
        {"url": "https://hooks.example.com/", "events": ["event.custom", "event.custom"]},
        {"url": "https://hooks.example.com/", "events": "event.custom"},
        {"url": "https://hooks.example.com/", "events": ["event.custom"], "secret": "mine"},
        {"url": "https://hooks.example.com/", "events": ["event.custom"], "description": 7},
        {"url": 5, "events": ["event.custom"]},
    ],
)
def test_a_bad_body_is_a_422_naming_each_field_and_nothing_is_written(body: dict) -> None:  # type: ignore[type-arg]
    status, answer = admin("POST", "/admin/webhooks", body=body)
    assert status == 422 and answer["error"]["fields"], answer
    assert table_items() == []


def test_an_update_rechecks_the_url_and_keeps_the_secret() -> None:
    made = new_webhook()
    path = "/admin/webhooks/{webhook_id}"
    before = store.get(keys.webhook(made["id"]))
    bad = {"url": "https://169.254.169.254/", "events": ["event.custom"]}
    status, answer = admin("PUT", path, webhook_id=made["id"], body=bad)
    assert status == 422 and set(answer["error"]["fields"]) == {"url"}
    assert store.get(keys.webhook(made["id"])) == before
    good = {"url": "https://v6.example.com/in", "events": ["contact.unsubscribed"]}
    good["enabled"] = False
    status, updated = admin("PUT", path, webhook_id=made["id"], body=good)
    assert status == 200 and updated["url"] == good["url"] and updated["enabled"] is False
    assert updated["secret_hint"] == made["secret_hint"]


def test_rotating_answers_a_new_secret_once_and_the_old_one_signs_for_a_day() -> None:
    made = new_webhook()
    status, rotated = admin("POST", "/admin/webhooks/{webhook_id}/rotate", webhook_id=made["id"])
    assert status == 200 and rotated["secret"] != made["secret"]
    assert rotated["secret_hint"] == rotated["secret"][:10] and rotated["secret_rotated_at"]
    item = store.get(keys.webhook(made["id"])) or {}
    now = time.time()
    assert endpoints.live_secrets(item, now) == [rotated["secret"], made["secret"]]
    assert endpoints.live_secrets(item, now + endpoints.PREVIOUS_SECONDS + 1) == [rotated["secret"]]
    assert rotated["secret"] not in json.dumps(table_items(), default=repr)


def test_deleting_removes_the_endpoint_and_a_second_delete_is_a_404() -> None:
    made = new_webhook()
    path = "/admin/webhooks/{webhook_id}"
    assert admin("DELETE", path, webhook_id=made["id"]) == (
        200,
        {"id": made["id"], "deleted": True},
    )
    assert store.get(keys.webhook(made["id"])) is None
    assert admin("DELETE", path, webhook_id=made["id"])[0] == 404
    assert admin("GET", path, webhook_id=made["id"])[0] == 404
    assert admin("GET", path, webhook_id="whk_nothex")[0] == 400
