"""`ecrm serve` makes the template's user pool in moto, with a marketer and a viewer, and its
authorizer accepts the pool's real ID tokens as API Gateway's would: a valid one passes with its
groups as claims; an expired, forged, other pool's, other client's or access token is a 401
before any function runs; a viewer's change is the function's 403 and changes nothing."""

from __future__ import annotations

import base64
import json
import stat
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from joserfc import jwk, jwt
from moto.utilities.utils import load_resource

from local.cognito import USERS_FILE
from local.stack import EmbeddedStack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    local_stack = EmbeddedStack(tmp_path_factory.mktemp("console"), keep_state=False)
    local_stack.start()
    try:
        yield local_stack
    finally:
        local_stack.stop()


def users(stack: EmbeddedStack) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = json.loads((stack.state_dir / USERS_FILE).read_text())
    return found


def sign_in(stack: EmbeddedStack, who: str) -> dict[str, Any]:
    assert stack.console_pool is not None
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=stack.moto_url,
        region_name=stack.console_pool.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    user = users(stack)[who]
    answer = cognito.initiate_auth(
        ClientId=stack.console_pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user["email"], "PASSWORD": user["password"]},
    )
    result: dict[str, Any] = answer["AuthenticationResult"]
    return result


def call(stack: EmbeddedStack, method: str, path: str, token: str, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.request(method, stack.api_url + path, headers=headers, timeout=30, **kw)


def moto_signed(claims: dict[str, Any], key: Any = None) -> str:
    """A token signed with moto's own key (the one its JWKS publishes), saying anything."""
    key = key or jwk.RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    return jwt.encode({"kid": "dummy", "alg": "RS256"}, claims, key)


def test_the_pool_is_the_templates_and_its_users_are_written_privately(
    stack: EmbeddedStack,
) -> None:
    path = stack.state_dir / USERS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    found = users(stack)
    assert set(found) == {"admin", "marketer", "viewer"}
    assert all(len(user["password"]) >= 12 and "@" in user["email"] for user in found.values())
    assert found["marketer"]["password"] != found["viewer"]["password"]
    pool = stack.console_pool
    assert pool is not None and pool.config()["client_id"] == pool.client_id


def test_a_marketers_id_token_passes_with_its_groups(stack: EmbeddedStack) -> None:
    tokens = sign_in(stack, "marketer")
    answer = call(stack, "GET", "/admin/segments", tokens["IdToken"])
    assert answer.status_code == 200, answer.text
    created = call(
        stack,
        "POST",
        "/admin/segments",
        tokens["IdToken"],
        json={"id": "by-token", "name": "By token", "topic": "newsletter"},
    )
    assert created.status_code == 201, created.text


def test_a_viewer_reads_and_a_viewers_change_is_403_and_changes_nothing(
    stack: EmbeddedStack,
) -> None:
    token = sign_in(stack, "viewer")["IdToken"]
    before = call(stack, "GET", "/admin/segments", token)
    assert before.status_code == 200, before.text
    refused = call(
        stack, "POST", "/admin/segments", token, json={"id": "nope", "name": "No", "topic": "x"}
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert call(stack, "GET", "/admin/segments", token).json() == before.json()


def _claims(stack: EmbeddedStack, **changes: Any) -> dict[str, Any]:
    pool = stack.console_pool
    assert pool is not None
    now = int(time.time())
    claims = {
        "iss": pool.issuer,
        "aud": pool.client_id,
        "sub": "5f0c-marketer",
        "token_use": "id",
        "cognito:groups": ["marketers"],
        "iat": now,
        "exp": now + 3600,
    }
    return {**claims, **changes}


def test_a_token_signed_like_cognitos_passes(stack: EmbeddedStack) -> None:
    """The control for the refusals below: the same signer, every claim right."""
    assert call(stack, "GET", "/admin/segments", moto_signed(_claims(stack))).status_code == 200


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": int(time.time()) - 1},
        {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_another"},
        {"aud": "another-app-client"},
        {"token_use": "access"},
        {"sub": ""},
    ],
    ids=["expired", "other-pool", "other-client", "access-token", "no-subject"],
)
def test_a_token_the_pool_did_not_issue_for_the_console_now_is_401(
    stack: EmbeddedStack, changes: dict[str, Any]
) -> None:
    answer = call(stack, "GET", "/admin/segments", moto_signed(_claims(stack, **changes)))
    assert answer.status_code == 401 and answer.json() == {"message": "Unauthorized"}


def _part(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


def test_a_forged_tampered_or_unsigned_token_is_401(stack: EmbeddedStack) -> None:
    forged = moto_signed(_claims(stack), jwk.RSAKey.generate_key(2048))
    head, body, signature = sign_in(stack, "viewer")["IdToken"].split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["cognito:groups"] = ["marketers"]  # a viewer promoting themselves
    promoted = _part(json.dumps(payload).encode())
    unsigned = _part(b'{"alg":"none","kid":"dummy"}')
    for token in (
        forged,
        f"{head}.{promoted}.{signature}",
        f"{unsigned}.{promoted}.",
        "a.b.c",
        "x" * 20_000,
    ):
        answer = call(stack, "POST", "/admin/segments", token, json={"id": "f", "name": "F"})
        assert answer.status_code == 401, token[:40]


@pytest.mark.parametrize(
    "target",
    [
        "DynamoDB_20120810.Scan",
        "AWSCognitoIdentityProviderService.AdminCreateUser",
        "AWSCognitoIdentityProviderService.ListUsers",
        "",
    ],
)
def test_the_local_cognito_door_passes_only_the_consoles_own_actions(
    stack: EmbeddedStack, target: str
) -> None:
    """`/_local/cognito` (the console's Cognito endpoint under `ecrm serve`) is no way into
    moto's other services or Cognito's administration from a web page."""
    assert stack.console_pool is not None
    answer = requests.post(
        f"{stack.api_url}/_local/cognito",
        headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"},
        data=json.dumps({"TableName": stack.table_name, "UserPoolId": stack.console_pool.pool_id}),
        timeout=30,
    )
    assert answer.status_code == 400 and answer.json() == {"__type": "UnknownOperationException"}


def test_the_local_cognito_door_signs_in_as_cognito_would(stack: EmbeddedStack) -> None:
    assert stack.console_pool is not None
    user = users(stack)["viewer"]
    body = {
        "AuthFlow": "USER_PASSWORD_AUTH",
        "ClientId": stack.console_pool.client_id,
        "AuthParameters": {"USERNAME": user["email"], "PASSWORD": user["password"] + "x"},
    }
    target = "AWSCognitoIdentityProviderService.InitiateAuth"
    headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"}
    wrong = requests.post(f"{stack.api_url}/_local/cognito", headers=headers, json=body, timeout=30)
    assert wrong.status_code == 400 and "NotAuthorized" in wrong.json()["__type"]
    body["AuthParameters"]["PASSWORD"] = user["password"]
    right = requests.post(f"{stack.api_url}/_local/cognito", headers=headers, json=body, timeout=30)
    token = right.json()["AuthenticationResult"]["IdToken"]
    assert call(stack, "GET", "/admin/segments", token).status_code == 200
