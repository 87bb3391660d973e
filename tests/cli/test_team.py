"""`ecrm team` against `ecrm serve`: an admin invites a person (the invitation Cognito would
mail is in the local outbox, with its temporary password, which signs in once and must be
changed), lists the team, changes a role, disables and enables; a marketer's every team
command is refused (403, exit 3) and changes nothing."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import boto3

from local.stack import EmbeddedStack
from tests.cli.conftest import Ecrm, Run

INVITEE = "nia.team@example.com"


def as_admin(stack: EmbeddedStack, *argv: str) -> Run:
    token = json.loads((stack.state_dir / "admin-tokens.json").read_text())["admin"]
    done = subprocess.run(
        [sys.executable, "-m", "cli", "--api-url", stack.api_url, f"--token={token}", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def cognito(stack: EmbeddedStack) -> Any:
    return boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=stack.moto_url)


def groups_of(stack: EmbeddedStack, email: str) -> set[str]:
    assert stack.console_pool is not None
    found = cognito(stack).admin_list_groups_for_user(
        UserPoolId=stack.console_pool.pool_id, Username=email
    )["Groups"]
    return {g["GroupName"] for g in found}


def test_an_admin_invites_changes_the_role_disables_and_enables(stack: EmbeddedStack) -> None:
    pool = stack.console_pool
    assert pool is not None
    invited = as_admin(stack, "--json", "team", "invite", INVITEE, "--role", "marketer")
    assert invited.code == 0, invited.err
    assert invited.json() | {"id": "", "created_at": ""} == {
        "id": "",
        "email": INVITEE,
        "role": "marketer",
        "status": "invited",
        "enabled": True,
        "created_at": "",
        "you": False,
    }
    # the mail Cognito would send, in the outbox: the template's words, the temporary password
    [mail] = [m for m in stack.outbox() if INVITEE in m["to"]]
    assert mail["subject"] == "Your ecrm console account"
    found = re.search(r"temporary password (\S+),", mail["text"])
    assert found and INVITEE in mail["text"]
    client = cognito(stack)
    challenge = client.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": INVITEE, "PASSWORD": found.group(1)},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"

    listed = as_admin(stack, "team", "list")
    assert listed.code == 0 and re.search(
        rf"{re.escape(INVITEE)}\s+marketer\s+invited\s+yes", listed.out
    )
    assert re.search(r"admin@example.com\s+admin\s+confirmed\s+yes", listed.out)

    role = as_admin(stack, "team", "role", INVITEE, "viewer")
    assert role.code == 0 and "viewer" in role.out
    assert groups_of(stack, INVITEE) == {"viewers"}

    disabled = as_admin(stack, "--json", "team", "disable", INVITEE)
    assert disabled.code == 0 and disabled.json()["enabled"] is False
    enabled = as_admin(stack, "--json", "team", "enable", INVITEE)
    assert enabled.code == 0 and enabled.json()["enabled"] is True

    again = as_admin(stack, "team", "invite", INVITEE, "--role", "admin")
    assert again.code == 4 and "409" in again.err and "Already on the team" in again.err
    unknown = as_admin(stack, "team", "disable", "nobody.team@example.com")
    assert unknown.code == 1 and "404" in unknown.err
    bad = as_admin(stack, "team", "invite", "not-an-address", "--role", "viewer")
    assert bad.code == 1 and "422" in bad.err and "email" in bad.err


def test_a_marketer_can_neither_list_nor_invite_nor_promote(
    stack: EmbeddedStack, ecrm: Ecrm
) -> None:
    before = groups_of(stack, "marketer@example.com")
    for argv in (
        ("team", "list"),
        ("team", "invite", "friend.team@example.com", "--role", "admin"),
        ("team", "role", "marketer@example.com", "admin"),
        ("team", "disable", "admin@example.com"),
    ):
        run = ecrm(*argv)
        assert run.code == 3, (argv, run.err)  # authentication and permission
        assert "403 forbidden" in run.err and "admins group" in run.err
    assert groups_of(stack, "marketer@example.com") == before == {"marketers"}
    assert not [m for m in stack.outbox() if "friend.team" in m["to"]]
