"""`/admin/team…` on moto's Cognito: an admin lists the console's users with role and status,
invites by address with a role, changes a role (exactly one group), disables (signed out too)
and enables; an admin can neither demote nor disable themselves; bad input is a 4xx and changes
nothing; a marketer or a viewer is refused (403) whatever they try, themselves included, and
Cognito is never called for them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from ecrm.platform import aws
from ecrm.platform.settings import settings
from local import clients
from local.cognito import create_pool
from local.intrinsics import local_names
from tests import events
from tests.conftest import product_template

MARKETER_EMAIL = "mo@example.com"


@pytest.fixture
def pool(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The template's pool in moto, with an admin (Ada) whose claims the tests send."""
    template = product_template()
    made = create_pool(template, local_names(template), clients.factory("us-east-1", None), "")
    assert made is not None
    monkeypatch.setenv("USER_POOL_ID", made.pool_id)
    settings.cache_clear()
    aws.reset()
    yield made.pool_id
    settings.cache_clear()


def cognito() -> Any:
    return boto3.client("cognito-idp", region_name="us-east-1")


def add_user(pool: str, email: str, group: str | None) -> dict[str, str]:
    """A confirmed user of `group`; returns the claims its ID token would carry."""
    user = cognito().admin_create_user(
        UserPoolId=pool,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}],
        TemporaryPassword="Temporary-123456",
        MessageAction="SUPPRESS",
    )["User"]
    if group:
        cognito().admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=group)
    sub = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
    return {"sub": sub, "email": email, "cognito:groups": group or ""}


@pytest.fixture
def ada(pool: str) -> dict[str, str]:
    return add_user(pool, "ada@example.com", "admins")


def call(
    method: str,
    resource: str,
    claims: dict[str, str] | None,
    user_id: str | None = None,
    body: Any = None,
    query: dict[str, str] | None = None,
) -> tuple[int, Any]:
    from account.team_admin import lambda_handler

    params = {"user_id": user_id} if user_id else None
    event = events.api(method, resource, params, body=body)
    if query:
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    if claims is not None:
        event["requestContext"]["authorizer"] = {"claims": claims}
    response = lambda_handler(event, events.LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def groups_of(pool: str, email: str) -> set[str]:
    found = cognito().admin_list_groups_for_user(UserPoolId=pool, Username=email)["Groups"]
    return {g["GroupName"] for g in found}


def user_of(pool: str, email: str) -> dict[str, Any]:
    answer: dict[str, Any] = cognito().admin_get_user(UserPoolId=pool, Username=email)
    return answer


def team(claims: dict[str, str]) -> dict[str, dict[str, Any]]:
    status, answer = call("GET", "/admin/team", claims)
    assert status == 200, answer
    return {member["email"]: member for member in answer["items"]}


def invite(claims: dict[str, str], email: str, role: str) -> tuple[int, Any]:
    return call("POST", "/admin/team", claims, body={"email": email, "role": role})


def test_an_admin_invites_a_marketer_who_is_listed_as_invited(
    pool: str, ada: dict[str, str]
) -> None:
    status, member = invite(ada, "  Mo@Example.COM ", "marketer")
    assert status == 201, member
    assert member["email"] == MARKETER_EMAIL and member["role"] == "marketer"
    assert member["status"] == "invited" and member["enabled"] is True and not member["you"]
    assert groups_of(pool, MARKETER_EMAIL) == {"marketers"}
    stored = user_of(pool, MARKETER_EMAIL)
    attributes = {a["Name"]: a["Value"] for a in stored["UserAttributes"]}
    assert attributes["email"] == MARKETER_EMAIL and attributes["email_verified"] == "true"
    listed = team(ada)
    assert listed[MARKETER_EMAIL]["role"] == "marketer"
    assert listed["ada@example.com"] | {"created_at": ""} == {
        "id": listed["ada@example.com"]["id"],
        "email": "ada@example.com",
        "role": "admin",
        "status": "invited",  # added with a temporary password above
        "enabled": True,
        "created_at": "",
        "you": True,
    }
    # one exact address
    status, found = call("GET", "/admin/team", ada, query={"email": "MO@example.com"})
    assert status == 200 and [m["email"] for m in found["items"]] == [MARKETER_EMAIL]


def test_inviting_an_address_on_the_team_is_a_conflict_and_changes_nothing(
    pool: str, ada: dict[str, str]
) -> None:
    assert invite(ada, MARKETER_EMAIL, "marketer")[0] == 201
    status, answer = invite(ada, MARKETER_EMAIL, "admin")
    assert status == 409 and answer["error"]["fields"] == {"email": "Already on the team."}
    assert groups_of(pool, MARKETER_EMAIL) == {"marketers"}


def test_a_retried_invitation_whose_role_was_not_given_is_completed(
    pool: str, ada: dict[str, str]
) -> None:
    add_user(pool, "half@example.com", None)  # created, then the group call failed
    status, member = invite(ada, "half@example.com", "viewer")
    assert status == 200 and member["role"] == "viewer"
    assert groups_of(pool, "half@example.com") == {"viewers"}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"email": "not an address", "role": "marketer"}, 422, "email"),
        ({"email": "", "role": "marketer"}, 422, "email"),
        ({"email": "a" * 250 + "@example.com", "role": "marketer"}, 422, "email"),
        ({"email": "a" * 400 + "@example.com", "role": "marketer"}, 400, "email"),
        ({"email": "new@example.com", "role": "owner"}, 422, "role"),
        ({"email": "new@example.com", "role": "Admins"}, 422, "role"),
        ({"email": "new@example.com"}, 400, "role"),
        ({"email": "new@example.com", "role": "viewer", "group": "admins"}, 400, None),
    ],
)
def test_a_bad_invitation_is_refused_at_its_field_and_nobody_is_made(
    pool: str, ada: dict[str, str], body: dict[str, str], status: int, field: str | None
) -> None:
    code, answer = call("POST", "/admin/team", ada, body=body)
    assert code == status, answer
    if field:
        assert field in answer["error"]["fields"], answer
    assert len(cognito().list_users(UserPoolId=pool)["Users"]) == 1  # Ada only


def test_an_admin_changes_a_role_to_exactly_one_group(pool: str, ada: dict[str, str]) -> None:
    _, member = invite(ada, MARKETER_EMAIL, "marketer")
    path = "/admin/team/{user_id}/role"
    status, changed = call("PUT", path, ada, member["id"], {"role": "viewer"})
    assert status == 200 and changed["role"] == "viewer"
    assert groups_of(pool, MARKETER_EMAIL) == {"viewers"}
    # two groups (a change cut short) become one; the same role again changes nothing
    cognito().admin_add_user_to_group(UserPoolId=pool, Username=MARKETER_EMAIL, GroupName="admins")
    assert call("PUT", path, ada, member["id"], {"role": "viewer"})[0] == 200
    assert groups_of(pool, MARKETER_EMAIL) == {"viewers"}
    status, answer = call("PUT", path, ada, member["id"], {"role": "boss"})
    assert status == 422 and "role" in answer["error"]["fields"]
    assert groups_of(pool, MARKETER_EMAIL) == {"viewers"}


def test_an_admin_disables_a_user_who_is_signed_out_and_enables_them(
    pool: str, ada: dict[str, str]
) -> None:
    add_user(pool, MARKETER_EMAIL, "marketers")
    client_id = cognito().list_user_pool_clients(UserPoolId=pool)["UserPoolClients"][0]["ClientId"]
    cognito().admin_set_user_password(
        UserPoolId=pool, Username=MARKETER_EMAIL, Password="Permanent-123456", Permanent=True
    )
    signed_in = cognito().initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": MARKETER_EMAIL, "PASSWORD": "Permanent-123456"},
    )["AuthenticationResult"]
    member_id = user_of(pool, MARKETER_EMAIL)["Username"]
    status, member = call("POST", "/admin/team/{user_id}/disable", ada, member_id)
    assert status == 200 and member["enabled"] is False
    with pytest.raises(cognito().exceptions.NotAuthorizedException):  # signed out everywhere
        cognito().initiate_auth(
            ClientId=client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": signed_in["RefreshToken"]},
        )
    with pytest.raises(cognito().exceptions.NotAuthorizedException):  # cannot sign in again
        cognito().initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": MARKETER_EMAIL, "PASSWORD": "Permanent-123456"},
        )
    status, member = call("POST", "/admin/team/{user_id}/enable", ada, member_id)
    assert status == 200 and member["enabled"] is True
    assert user_of(pool, MARKETER_EMAIL)["Enabled"] is True


def test_an_admin_can_neither_demote_nor_disable_themselves(pool: str, ada: dict[str, str]) -> None:
    own_id = user_of(pool, "ada@example.com")["Username"]
    for role in ("marketer", "viewer"):
        status, answer = call("PUT", "/admin/team/{user_id}/role", ada, own_id, {"role": role})
        assert status == 403 and answer["error"]["code"] == "forbidden"
        assert "role" in answer["error"]["fields"]
    status, answer = call("POST", "/admin/team/{user_id}/disable", ada, own_id)
    assert status == 403 and answer["error"]["code"] == "forbidden"
    assert groups_of(pool, "ada@example.com") == {"admins"}
    assert user_of(pool, "ada@example.com")["Enabled"] is True
    # staying an admin is allowed (nothing changes)
    assert call("PUT", "/admin/team/{user_id}/role", ada, own_id, {"role": "admin"})[0] == 200


def test_an_unknown_user_is_404(pool: str, ada: dict[str, str]) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    assert call("POST", "/admin/team/{user_id}/disable", ada, unknown)[0] == 404
    assert call("PUT", "/admin/team/{user_id}/role", ada, unknown, {"role": "viewer"})[0] == 404
    assert call("GET", "/admin/team", ada, query={"email": "nobody@example.com"})[0] == 404
    assert call("GET", "/admin/team", ada, query={"cursor": "bad cursor!"})[0] == 400


def test_a_well_formed_cursor_cognito_never_gave_is_400(pool: str, ada: dict[str, str]) -> None:
    """Found by schemathesis as the admin: Cognito refuses a token it did not issue (moto with
    its own code, `InvalidToken`), which answered 500."""
    status, body = call("GET", "/admin/team", ada, query={"cursor": "0" * 2000})
    assert (status, body["error"]["code"]) == (400, "malformed_request"), body
    assert body["error"]["fields"] == {"cursor": "Not a cursor."}


@pytest.mark.parametrize("group", ["marketers", "viewers", "", "marketers,viewers"])
def test_anyone_but_an_admin_is_refused_and_nothing_changes(
    pool: str, ada: dict[str, str], group: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    me = add_user(pool, "me@example.com", group.split(",", maxsplit=1)[0] or None)
    me["cognito:groups"] = group
    own_id = user_of(pool, "me@example.com")["Username"]
    ada_id = user_of(pool, "ada@example.com")["Username"]
    before = groups_of(pool, "me@example.com")

    def refuse() -> None:
        raise AssertionError("Cognito was called for a refused request")

    monkeypatch.setattr(aws, "cognito_idp", refuse)
    attempts = [
        ("GET", "/admin/team", None, None),
        ("POST", "/admin/team", None, {"email": "friend@example.com", "role": "admin"}),
        ("PUT", "/admin/team/{user_id}/role", own_id, {"role": "admin"}),  # promote myself
        ("PUT", "/admin/team/{user_id}/role", ada_id, {"role": "viewer"}),  # demote the admin
        ("POST", "/admin/team/{user_id}/disable", ada_id, None),
        ("POST", "/admin/team/{user_id}/enable", own_id, None),
    ]
    for method, path, user_id, body in attempts:
        status, answer = call(method, path, me, user_id, body)
        assert status == 403, (method, path, answer)
        assert answer["error"]["code"] == "forbidden"
        assert answer["error"]["message"] == "Managing the team needs the admins group."
    monkeypatch.undo()
    assert groups_of(pool, "me@example.com") == before
    assert groups_of(pool, "ada@example.com") == {"admins"}
    assert user_of(pool, "ada@example.com")["Enabled"] is True
    assert len(cognito().list_users(UserPoolId=pool)["Users"]) == 2


def test_no_sign_in_is_401(pool: str) -> None:
    status, answer = call(
        "POST", "/admin/team", None, body={"email": "x@example.com", "role": "admin"}
    )
    assert status == 401 and answer["error"]["code"] == "unauthenticated"
