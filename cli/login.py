"""`ecrm login`: sign in to the deployed marketer pool (Cognito `USER_PASSWORD_AUTH`, the app
client in infra/template.yaml allows it) and keep the ID token and refresh token in the
profile; `fresh_id_token` renews the ID token with `REFRESH_TOKEN_AUTH` when it has expired.
Signing in needs no AWS credentials: these Cognito calls are unsigned."""

from __future__ import annotations

import getpass
import re
import sys
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import boto3
from botocore import UNSIGNED
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from cli import config
from cli.client import AUTH, REFUSED, UNAVAILABLE, USAGE, CliError

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

_EARLY = 60  # renew a minute before expiry: a request must not carry a token that dies on the way
_REGION_IN_URL = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com")
Prompt = Callable[[str], str]


def cognito(region: str) -> CognitoIdentityProviderClient:
    return boto3.client(
        "cognito-idp", region_name=region, config=BotoConfig(signature_version=UNSIGNED)
    )


def ask_on_stderr(prompt: str) -> str:
    """Like input(), but the prompt goes to stderr: stdout is for results (`--json`)."""
    print(prompt, end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().strip()


def region_for(api_url: str, region: str | None) -> str:
    """The flag, else the region in an API Gateway URL, else the AWS default region."""
    if region:
        return region
    if found := _REGION_IN_URL.search(api_url):
        return found.group(1)
    if default := boto3.session.Session().region_name:
        return default
    raise CliError("pass --region (the marketer pool's AWS region)", USAGE, code="no_region")


def login(
    profile: str,
    api_url: str,
    client_id: str,
    username: str,
    region: str,
    *,
    password: Prompt | None = None,
    ask: Prompt | None = None,
) -> dict[str, Any]:
    """Sign in, answer the challenges a new or MFA-protected marketer meets, save the profile."""
    password = password or getpass.getpass
    ask = ask or ask_on_stderr
    client = cognito(region)
    answer = _call(
        client.initiate_auth,
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": username, "PASSWORD": password("Password: ")},
    )
    for _ in range(3):  # e.g. a new password, then an MFA code
        if "AuthenticationResult" in answer:
            break
        answer = _respond(client, client_id, username, answer, password=password, ask=ask)
    tokens = answer.get("AuthenticationResult")
    if not tokens:
        raise CliError("sign-in did not complete", AUTH, code="sign_in_incomplete")
    values = {
        "api_url": api_url.rstrip("/"),
        "region": region,
        "user_pool_client_id": client_id,
        "username": username,
        **_token_values(tokens),
    }
    config.save_profile(profile, values)
    return values


def fresh_id_token(profile: str, now: float | None = None) -> str:
    """The profile's ID token, renewed (and saved) first when it has expired."""
    values = config.load_profiles().get(profile, {})
    token, expires_at = values.get("id_token"), int(values.get("expires_at", 0))
    if token and expires_at - _EARLY > (now or time.time()):
        return str(token)
    if not values.get("refresh_token"):
        raise CliError(f"profile {profile!r} is not signed in: run `ecrm login`", AUTH)
    try:
        answer = _call(
            cognito(str(values["region"])).initiate_auth,
            AuthFlow="REFRESH_TOKEN_AUTH",
            ClientId=str(values["user_pool_client_id"]),
            AuthParameters={"REFRESH_TOKEN": str(values["refresh_token"])},
        )
    except CliError as error:
        if error.code != "sign_in_refused":
            raise
        raise CliError(
            f"the session of profile {profile!r} has ended: run `ecrm login --profile {profile}`",
            AUTH,
            code="session_ended",
        ) from None
    renewed = _token_values(answer["AuthenticationResult"])
    config.save_profile(profile, renewed)
    return str(renewed["id_token"])


def _respond(
    client: CognitoIdentityProviderClient,
    client_id: str,
    username: str,
    answer: Mapping[str, Any],
    *,
    password: Prompt,
    ask: Prompt,
) -> Any:
    challenge = answer.get("ChallengeName")
    responses = {"USERNAME": username}
    if challenge == "NEW_PASSWORD_REQUIRED":
        new = password("New password (first sign-in): ")
        if password("Repeat the new password: ") != new:
            raise CliError("the two new passwords differ", USAGE, code="password_mismatch")
        responses["NEW_PASSWORD"] = new
    elif challenge == "SOFTWARE_TOKEN_MFA":
        responses["SOFTWARE_TOKEN_MFA_CODE"] = ask("Authenticator code: ").strip()
    else:
        raise CliError(f"unsupported sign-in challenge {challenge}", AUTH, code="challenge")
    return _call(
        client.respond_to_auth_challenge,
        ChallengeName=challenge,
        ClientId=client_id,
        Session=answer.get("Session", ""),
        ChallengeResponses=responses,
    )


def _token_values(tokens: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id_token": tokens["IdToken"],
        "expires_at": int(time.time()) + int(tokens.get("ExpiresIn", 3600)),
    }
    if tokens.get("RefreshToken"):  # absent on a refresh unless the pool rotates them
        values["refresh_token"] = tokens["RefreshToken"]
    return values


def _call(operation: Callable[..., Any], **arguments: Any) -> Any:
    try:
        return operation(**arguments)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", str(error))
        if code in ("NotAuthorizedException", "UserNotFoundException"):
            raise CliError(f"sign-in refused: {message}", AUTH, code="sign_in_refused") from None
        if code in ("TooManyRequestsException", "InternalErrorException"):
            raise CliError(f"Cognito: {message}", UNAVAILABLE, code=code) from None
        if code in ("InvalidPasswordException", "InvalidParameterException"):
            raise CliError(f"Cognito: {message}", REFUSED, code=code) from None
        raise CliError(f"Cognito: {message}", AUTH, code=code or "cognito") from None
    except BotoCoreError as error:
        raise CliError(f"cannot reach Cognito: {error}", UNAVAILABLE, code="unreachable") from None
