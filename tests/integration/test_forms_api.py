"""The forms admin API on moto: a marketer creates a form, the same definition again writes
nothing, a change is the next version, a stale or concurrent edit is a conflict with nothing
written, and a retry after a lost answer does not make a second version."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError

from ecrm.platform import aws, keys, store
from ecrm.platform.settings import settings
from tests import events
from tests.conftest import ROOT, table_items

MARKETER = {"sub": "m1", "email": "mia@example.com", "cognito:groups": "marketers"}
DEFINITION = json.loads((ROOT / "local" / "demo_form.json").read_text()) | {"id": "spring"}


def call(method: str, path: str, params: dict[str, str] | None = None, body: Any = None) -> Any:
    from capture.forms_api import lambda_handler

    event = events.api(method, path, params, body=body)
    event["requestContext"]["authorizer"] = {"claims": MARKETER}
    response = lambda_handler(event, events.LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def put(body: dict[str, Any], form_id: str = "spring") -> Any:
    return call("PUT", "/admin/forms/{form_id}", {"form_id": form_id}, body)


def forms_in_table() -> list[dict[str, Any]]:
    return [i for i in table_items() if i["type"] == "form"]


@pytest.fixture
def inject(aws_env: dict[str, str]) -> Iterator[Callable[[str, str, Callable[[], None]], None]]:
    """Run `action` once around the next DynamoDB `operation` of the function's client."""
    hooks: list[tuple[str, Any]] = []

    def _inject(operation: str, when: str, action: Callable[[], None]) -> None:
        remaining = {"n": 1}

        def hook(**_: Any) -> None:
            if remaining["n"]:
                remaining["n"] -= 1
                action()

        event = f"{'before-call' if when == 'before' else 'after-call'}.dynamodb.{operation}"
        aws.dynamodb().meta.events.register(event, hook)
        hooks.append((event, hook))

    yield _inject
    for event, hook in hooks:
        aws.dynamodb().meta.events.unregister(event, hook)


def test_create_then_the_same_definition_writes_nothing_then_a_change_is_version_2(
    aws_env: dict[str, str],
) -> None:
    assert put(DEFINITION)[0] == 201
    before = forms_in_table()
    status, same = put(DEFINITION | {"version": 1})
    assert (status, same["version"]) == (200, 1)
    assert forms_in_table() == before  # nothing written

    status, changed = put(DEFINITION | {"title": "Spring news"})
    assert (status, changed["version"], changed["title"]) == (200, 2, "Spring news")
    status, read = call("GET", "/admin/forms/{form_id}", {"form_id": "spring"})
    assert status == 200 and read["version"] == 2
    assert read["allowed_origins"] == DEFINITION["allowed_origins"]  # the admin view has them

    status, listed = call("GET", "/admin/forms")
    assert status == 200
    assert [(f["id"], f["version"]) for f in listed["items"]] == [("spring", 2)]
    # the public form route serves the new definition
    from capture.app import lambda_handler as capture

    public = capture(
        events.api("GET", "/forms/{form_id}", {"form_id": "spring"}), events.LambdaContext()
    )
    assert json.loads(public["body"])["title"] == "Spring news"


def test_listing_pages_forms_by_id(aws_env: dict[str, str]) -> None:
    for name in ("c-form", "a-form", "b-form"):
        assert put(DEFINITION | {"id": name}, form_id=name)[0] == 201
    from capture.forms_api import lambda_handler

    def listed(**query: str) -> Any:
        event = events.api("GET", "/admin/forms")
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
        event["requestContext"]["authorizer"] = {"claims": MARKETER}
        return json.loads(lambda_handler(event, events.LambdaContext())["body"])

    page = listed(limit="2")
    assert [f["id"] for f in page["items"]] == ["a-form", "b-form"] and page["next_cursor"]
    rest = listed(limit="2", cursor=page["next_cursor"])
    assert [f["id"] for f in rest["items"]] == ["c-form"] and rest["next_cursor"] is None


def test_a_stale_version_is_a_conflict_and_writes_nothing(aws_env: dict[str, str]) -> None:
    put(DEFINITION)
    put(DEFINITION | {"title": "Second"})
    before = forms_in_table()
    status, body = put(DEFINITION | {"title": "Third", "version": 1})
    assert status == 409 and body["error"]["code"] == "conflict"
    assert forms_in_table() == before


def test_a_save_racing_between_read_and_write_is_a_conflict_and_wins(
    aws_env: dict[str, str], inject: Any
) -> None:
    put(DEFINITION)

    def someone_else_saves() -> None:  # through a client of its own: no hooks on it
        racing = {**keys.form("spring"), "type": "form", **DEFINITION, "title": "Theirs"}
        boto3.client("dynamodb").put_item(
            TableName=settings().table_name, Item=store.serialize(racing | {"version": 2})
        )

    inject("GetItem", "after", someone_else_saves)
    status, body = put(DEFINITION | {"title": "Mine"})
    assert status == 409 and body["error"]["code"] == "conflict"
    [stored] = forms_in_table()
    assert (stored["title"], stored["version"]) == ("Theirs", 2)


def test_a_retry_after_a_lost_answer_makes_no_second_version(
    aws_env: dict[str, str], inject: Any
) -> None:
    def lose_the_answer() -> None:
        raise ReadTimeoutError(endpoint_url="https://dynamodb")

    inject("PutItem", "after", lose_the_answer)  # written, but the function never hears so
    status, body = put(DEFINITION)
    assert status == 503 and body["error"]["code"] == "busy_retry"
    status, retried = put(DEFINITION)
    assert (status, retried["version"]) == (200, 1)
    assert [f["version"] for f in forms_in_table()] == [1]


def test_invalid_definitions_are_refused_field_by_field_and_write_nothing(
    aws_env: dict[str, str],
) -> None:
    no_email = DEFINITION | {"fields": [{"name": "first_name", "label": "Name"}]}
    status, body = put(no_email)
    assert status == 400 and body["error"]["code"] == "malformed_request"
    assert "email" in json.dumps(body["error"]["fields"])

    status, body = put(DEFINITION | {"id": "autumn"})
    assert status == 422 and body["error"]["fields"] == {"id": "Not spring"}

    status, body = call("GET", "/admin/forms/{form_id}", {"form_id": "spring"})
    assert status == 404
    assert forms_in_table() == []


def test_the_put_answer_says_within_how_many_seconds_the_form_is_live(
    aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deployed, functions keep a copy of a form for DEFINITION_CACHE_SECONDS (60 s unless
    set): the answer says so, for `ecrm forms push` to print."""
    from capture.forms_api import lambda_handler

    def live_within(body: dict[str, Any]) -> tuple[int, list[str]]:
        event = events.api("PUT", "/admin/forms/{form_id}", {"form_id": "spring"}, body=body)
        event["requestContext"]["authorizer"] = {"claims": MARKETER}
        answer = lambda_handler(event, events.LambdaContext())
        headers = answer["multiValueHeaders"]
        return answer["statusCode"], headers["Ecrm-Live-Within-Seconds"]

    assert live_within(DEFINITION) == (201, ["60"])
    monkeypatch.setenv("DEFINITION_CACHE_SECONDS", "0")
    settings.cache_clear()
    assert live_within(DEFINITION | {"title": "Spring news"}) == (200, ["0"])


@pytest.mark.parametrize(
    "change",
    [
        {},  # read plainly (ecrm.contacts.form_plain)
        {"consent": None, "topics": [], "double_opt_in": False, "version": None},
        # URLs are the model's to read (it rewrites them)
        {"site_url": "https://www.example.com", "redirect_url": "https://example.com/thanks?a=1"},
    ],
)
def test_a_put_stores_and_answers_what_the_model_does(
    aws_env: dict[str, str], change: dict[str, Any]
) -> None:
    from ecrm.contacts import forms

    body = {k: v for k, v in (DEFINITION | change).items() if k != "id"}
    status, answer = put(body, "plain")
    model, _ = forms.replace(forms.Form.model_validate(body | {"id": "model", "version": 1}))
    assert status == 201
    assert json.dumps(answer) == json.dumps(model.model_dump(mode="json") | {"id": "plain"})
    items = {item["id"]: item for item in forms_in_table()}
    keyless = {"pk", "sk", "gsi1pk", "gsi1sk", "id"}
    assert {k: v for k, v in items["plain"].items() if k not in keyless} == {
        k: v for k, v in items["model"].items() if k not in keyless
    }
    # what the model stored is, put again as it was, unchanged (read back as the model reads it)
    assert put(body, "model") == (200, model.model_dump(mode="json"))
