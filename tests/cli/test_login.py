"""`ecrm login` against Cognito (moto's cognito-idp): the first sign-in sets a new password,
the tokens land in the private profile file, an expired ID token is renewed with the refresh
token, and refusals end with the authentication exit code."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from cli import config, login
from cli.client import AUTH
from cli.main import main
from tests.isolation import moto_in_process

USER = "ann@example.com"
TEMPORARY, CHOSEN = "Temporary-pass-1!", "Chosen-pass-123!"
SESSION = "session-" + "0" * 24
API = "https://abc123.execute-api.eu-west-1.amazonaws.com/v1"


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A marketer pool with the template's app client flows and one invited marketer; the
    client id is yielded. No AWS credentials: signing in must not need any."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with moto_in_process(fresh_session=True):
        admin = boto3.client(
            "cognito-idp",
            region_name="eu-west-1",
            aws_access_key_id="admin",
            aws_secret_access_key="admin",
        )
        pool_id = admin.create_user_pool(PoolName="marketers", UsernameAttributes=["email"])[
            "UserPool"
        ]["Id"]
        client_id = admin.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="cli",
            GenerateSecret=False,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        admin.admin_create_user(
            UserPoolId=pool_id,
            Username=USER,
            TemporaryPassword=TEMPORARY,
            UserAttributes=[{"Name": "email", "Value": USER}],
        )
        yield client_id


def prompts(*answers: str) -> Iterator[str]:
    return iter(answers)


def test_first_login_sets_the_new_password_and_saves_private_tokens(
    pool: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = prompts(TEMPORARY, CHOSEN, CHOSEN)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    argv = ["login", "--profile", "prod", "--api-url", API, "--user-pool-client-id", pool]
    assert main([*argv, "--username", USER, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["profile"] == "prod" and printed["region"] == "eu-west-1"  # from the URL

    path = config.profiles_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = config.load_profiles()["prod"]
    assert saved["api_url"] == API and saved["username"] == USER
    assert saved["id_token"].count(".") == 2 and saved["refresh_token"]
    assert config.resolve(profile="prod").api_url == API

    # Signing in again with just the profile reuses its settings and the password now set.
    again = prompts(CHOSEN)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(again))
    assert main(["login", "--profile", "prod"]) == 0
    assert "signed in as ann@example.com" in capsys.readouterr().out


def test_prompts_go_to_stderr_so_json_output_stays_clean(
    pool: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    answers = prompts(TEMPORARY, CHOSEN, CHOSEN)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr("sys.stdin", io.StringIO(USER + "\n"))
    assert main(["login", "--api-url", API, "--user-pool-client-id", pool, "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "E-mail: "
    assert json.loads(captured.out)["username"] == USER


def test_an_expired_id_token_is_renewed_with_the_refresh_token(pool: str) -> None:
    answers = prompts(TEMPORARY, CHOSEN, CHOSEN)
    login.login("p", API, pool, USER, "eu-west-1", password=lambda prompt: next(answers))
    first = config.load_profiles()["p"]
    assert login.fresh_id_token("p") == first["id_token"]  # still valid: no call

    config.save_profile("p", {"id_token": "old", "expires_at": 1})
    renewed = login.fresh_id_token("p")
    assert renewed not in ("old", "") and renewed.count(".") == 2
    saved = config.load_profiles()["p"]
    assert saved["id_token"] == renewed and saved["expires_at"] > first["expires_at"] - 5
    assert saved["refresh_token"] == first["refresh_token"]


def test_an_mfa_challenge_asks_for_the_authenticator_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from botocore.stub import Stubber

    cognito = login.cognito("eu-west-1")
    stub = Stubber(cognito)
    stub.add_response(
        "initiate_auth",
        {"ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": SESSION, "ChallengeParameters": {}},
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": "client-1",
            "AuthParameters": {"USERNAME": USER, "PASSWORD": CHOSEN},
        },
    )
    tokens = {"IdToken": "h.p.s", "RefreshToken": "r1", "AccessToken": "a", "ExpiresIn": 3600}
    stub.add_response(
        "respond_to_auth_challenge",
        {"AuthenticationResult": tokens},
        {
            "ChallengeName": "SOFTWARE_TOKEN_MFA",
            "ClientId": "client-1",
            "Session": SESSION,
            "ChallengeResponses": {"USERNAME": USER, "SOFTWARE_TOKEN_MFA_CODE": "123456"},
        },
    )
    monkeypatch.setattr(login, "cognito", lambda region: cognito)
    with stub:
        saved = login.login(
            "mfa", API, "client-1", USER, "eu-west-1",
            password=lambda prompt: CHOSEN, ask=lambda prompt: " 123456\n",
        )  # fmt: skip
        stub.assert_no_pending_responses()
    assert (saved["id_token"], saved["refresh_token"]) == ("h.p.s", "r1")
    assert config.load_profiles()["mfa"]["id_token"] == "h.p.s"


def test_a_revoked_refresh_token_asks_to_sign_in_again(pool: str) -> None:
    config.save_profile(
        "p",
        {
            "region": "eu-west-1",
            "user_pool_client_id": pool,
            "refresh_token": "not-a-token",
            "id_token": "old",
            "expires_at": 1,
        },
    )
    with pytest.raises(login.CliError, match="ecrm login --profile p") as refused:
        login.fresh_id_token("p")
    assert refused.value.exit_code == AUTH


def test_a_wrong_password_ends_with_the_authentication_exit_code(
    pool: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "wrong-password-1")
    argv = ["login", "--api-url", API, "--user-pool-client-id", pool, "--username", USER]
    assert main([*argv, "--json"]) == AUTH
    error = json.loads(capsys.readouterr().err)
    assert error["exit_code"] == AUTH and error["error"]["code"] == "sign_in_refused"
    assert not config.profiles_path().exists()  # nothing saved


def test_a_new_password_the_pool_refuses_is_reported(
    pool: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = prompts(TEMPORARY, "short", "short")
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    argv = ["login", "--api-url", API, "--user-pool-client-id", pool, "--username", USER]
    assert main(argv) == 1
    assert "password policy" in capsys.readouterr().err


def test_login_without_the_pool_settings_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["login", "--profile", "new"]) == 2
    assert "--user-pool-client-id" in capsys.readouterr().err


def test_a_profile_never_signed_in_says_to_run_login(tmp_path: Path) -> None:
    config.save_profile("bare", {"api_url": API})
    with pytest.raises(login.CliError, match="ecrm login") as refused:
        login.fresh_id_token("bare")
    assert refused.value.exit_code == AUTH
