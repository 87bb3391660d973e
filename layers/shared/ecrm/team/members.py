"""The console's users, in the stack's Cognito user pool: what admins do on the Team screen.

A role is exactly one of the pool's groups (`admins`, `marketers`, `viewers`); a user of none
signs in but may call nothing. Every change goes through Cognito's admin actions only (the
function is granted those on its pool, nothing else):

- invite: AdminCreateUser with the address as user name and verified `email` (Cognito mails it
  the temporary password; in AWS the API never sees it), then AdminAddUserToGroup. A retry of
  an invitation whose group was not added yet completes it; an address already on the team
  with a role is a conflict, and is never mailed twice.
- role: the new group is added before the others are removed, so a failure in between leaves
  the user with two roles (the strongest counts) and a retry finishes; never with none.
- disable: AdminDisableUser, then AdminUserGlobalSignOut (its refresh tokens are revoked; an ID
  token already issued lasts until it expires, at most an hour, as for any Cognito client).

An admin can neither demote nor disable themselves: the caller is an enabled admin, so the
team always keeps one. Input is checked before any call; a refusal changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from ecrm.platform import aws, normalise
from ecrm.platform.errors import (
    Busy,
    Conflict,
    Forbidden,
    InvalidInput,
    MalformedRequest,
    NotFound,
)
from ecrm.platform.settings import settings

ROLES = {"admin": "admins", "marketer": "marketers", "viewer": "viewers"}
_STRONGEST_FIRST = ("admin", "marketer", "viewer")
# Cognito's user status, as the console says it.
_STATUS = {"FORCE_CHANGE_PASSWORD": "invited", "CONFIRMED": "confirmed"}
MAX_EMAIL = 254
PAGE = 60  # ListUsers' largest page
_GROUP_PAGES = 20  # a role's members read per listing: 1,200 at most
_TOKEN = re.compile(r"[A-Za-z0-9+/=_\-.:]{1,4096}")
_BUSY = {"TooManyRequestsException", "LimitExceededException", "InternalErrorException"}


@dataclass(frozen=True)
class Member:
    id: str  # Cognito's user name (a UUID in a pool whose users sign in by address)
    email: str
    role: str | None
    status: str  # invited, confirmed, or Cognito's own word lower-cased
    enabled: bool
    created_at: str
    you: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "role": self.role,
            "status": self.status,
            "enabled": self.enabled,
            "created_at": self.created_at,
            "you": self.you,
        }


def valid_email(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("Type the person's address.", {"email": "Type an address."})
    if len(value) > MAX_EMAIL:
        message = f"At most {MAX_EMAIL} characters."
        raise InvalidInput("The address is too long.", {"email": message})
    try:
        return normalise.email(value)
    except normalise.NotNormalisable as error:
        message = "This is not an email address."
        raise InvalidInput(message, {"email": f"{message} ({error})"}) from error


def valid_role(value: Any) -> str:
    if value not in ROLES:
        names = ", ".join(ROLES)
        raise InvalidInput(f"The role is one of {names}.", {"role": f"One of {names}."})
    return str(value)


def page(caller: str, cursor: str | None = None) -> tuple[list[Member], str | None]:
    """A page of the pool's users, with their role; `caller` (a `sub`) is marked `you`."""
    if cursor is not None and not _TOKEN.fullmatch(cursor):
        raise MalformedRequest("The cursor is not valid.", {"cursor": "Not a cursor."})
    args: dict[str, Any] = {"UserPoolId": _pool(), "Limit": PAGE}
    if cursor:
        args["PaginationToken"] = cursor
    with _refused(cursor_field=True):
        answer = aws.cognito_idp().list_users(**args)
    roles = _roles()
    users = [_member(user, roles, caller) for user in answer.get("Users", [])]
    return users, answer.get("PaginationToken") or None


def invite(email: Any, role: Any, caller: str) -> tuple[Member, bool]:
    """`email` invited as `role`; (the member, True) when created, False when a retry found
    the invitation made but its role not yet given."""
    address, role = valid_email(email), valid_role(role)
    try:
        with _refused():
            aws.cognito_idp().admin_create_user(
                UserPoolId=_pool(),
                Username=address,
                UserAttributes=[
                    {"Name": "email", "Value": address},
                    {"Name": "email_verified", "Value": "true"},
                ],
                DesiredDeliveryMediums=["EMAIL"],
            )
        created = True
    except _Exists:
        if _groups(address):
            raise Conflict(
                "This address is on the team already: change its role instead.",
                {"email": "Already on the team."},
            ) from None
        created = False
    with _refused():
        aws.cognito_idp().admin_add_user_to_group(
            UserPoolId=_pool(), Username=address, GroupName=ROLES[role]
        )
    return get(address, caller), created


def get(user: str, caller: str) -> Member:
    return _lookup(user, caller)[0]


def set_role(user: str, role: Any, caller: str) -> Member:
    role = valid_role(role)
    target, groups = _lookup(user, caller)
    if target.you and role != "admin":
        raise Forbidden(
            "You cannot change your own role: another admin can.",
            {"role": "Not your own: another admin can change it."},
        )
    wanted = ROLES[role]
    if groups != {wanted}:
        with _refused():
            aws.cognito_idp().admin_add_user_to_group(
                UserPoolId=_pool(), Username=target.id, GroupName=wanted
            )
            for group in groups - {wanted}:
                aws.cognito_idp().admin_remove_user_from_group(
                    UserPoolId=_pool(), Username=target.id, GroupName=group
                )
    return get(target.id, caller)


def disable(user: str, caller: str) -> Member:
    target = get(user, caller)
    if target.you:
        raise Forbidden("You cannot disable yourself: another admin can.")
    with _refused():
        aws.cognito_idp().admin_disable_user(UserPoolId=_pool(), Username=target.id)
        # By the address the user signs in with (Cognito takes it as the user name; moto,
        # whose sessions remember the name signed in with, needs it).
        aws.cognito_idp().admin_user_global_sign_out(
            UserPoolId=_pool(), Username=target.email or target.id
        )
    return get(target.id, caller)


def enable(user: str, caller: str) -> Member:
    target = get(user, caller)
    with _refused():
        aws.cognito_idp().admin_enable_user(UserPoolId=_pool(), Username=target.id)
    return get(target.id, caller)


# --- Cognito ---------------------------------------------------------------------------------


class _Exists(Exception):
    """AdminCreateUser: the address is a user already."""


def _pool() -> str:
    pool = settings().user_pool_id
    if not pool:
        raise RuntimeError("USER_POOL_ID is not set")
    return pool


@contextmanager
def _refused(cursor_field: bool = False) -> Iterator[None]:
    """Cognito's refusals as the API's (calls are spelled out, for tests/infra/aws_calls)."""
    try:
        yield
    except ClientError as error:
        raise _refusal(error, cursor_field) from error


def _refusal(error: ClientError, cursor_field: bool) -> Exception:
    code = error.response.get("Error", {}).get("Code", "")
    if code == "UserNotFoundException":
        return NotFound("No such user on the team.")
    if code == "UsernameExistsException":
        return _Exists()
    if code in _BUSY:
        return Busy("Cognito is busy, please retry.")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if cursor_field and status == 400:  # a token Cognito never gave, whatever it names it
        return MalformedRequest("The cursor is not valid.", {"cursor": "Not a cursor."})
    if code == "InvalidParameterException":
        return InvalidInput("Cognito refused the address.", {"email": "Not accepted by Cognito."})
    return error


def _groups(user: str) -> set[str]:
    """The user's role groups (other groups of the pool are not roles)."""
    with _refused():
        answer = aws.cognito_idp().admin_list_groups_for_user(
            UserPoolId=_pool(), Username=user, Limit=60
        )
    return {group["GroupName"] for group in answer.get("Groups", [])} & set(ROLES.values())


def _lookup(user: str, caller: str) -> tuple[Member, set[str]]:
    with _refused():
        answer = aws.cognito_idp().admin_get_user(UserPoolId=_pool(), Username=user)
    groups = _groups(user)
    return _member(answer, {}, caller, groups=groups), groups


def _roles() -> dict[str, str]:
    """User name -> the strongest role among the pool's role groups."""
    found: dict[str, str] = {}
    for role in reversed(_STRONGEST_FIRST):  # the strongest is written last
        token = None
        for _ in range(_GROUP_PAGES):
            args: dict[str, Any] = {"UserPoolId": _pool(), "GroupName": ROLES[role], "Limit": 60}
            if token:
                args["NextToken"] = token
            with _refused():
                answer = aws.cognito_idp().list_users_in_group(**args)
            found |= {user["Username"]: role for user in answer.get("Users", [])}
            token = answer.get("NextToken")
            if not token:
                break
    return found


def _member(
    user: Mapping[str, Any], roles: dict[str, str], caller: str, groups: set[str] | None = None
) -> Member:
    attributes = user.get("Attributes") or user.get("UserAttributes") or []
    values = {a["Name"]: a.get("Value", "") for a in attributes}
    name = str(user["Username"])
    if groups is not None:
        role = next((r for r in _STRONGEST_FIRST if ROLES[r] in groups), None)
    else:
        role = roles.get(name)
    status = str(user.get("UserStatus", ""))
    created = user.get("UserCreateDate")  # a datetime from boto3
    return Member(
        id=name,
        email=values.get("email", ""),
        role=role,
        status=_STATUS.get(status, status.lower()),
        enabled=bool(user.get("Enabled", True)),
        created_at=created.isoformat() if isinstance(created, datetime) else str(created or ""),
        you=bool(caller) and values.get("sub") == caller,
    )
