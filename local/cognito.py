"""The template's Cognito user pool, made in moto for `ecrm serve`, with the console's users.

The pool, its app client and its groups are created from infra/template.yaml (so the local
pool refuses what the deployed one refuses: its password policy, its auth flows). An admin, a
marketer and a viewer are made with random, permanent passwords and kept in
`<state>/console-users.json` (0600): the same sign-in works after a restart, although moto
starts empty and the pool id changes. moto signs every pool's tokens with one key of its own
and serves it at `<moto>/<pool id>/.well-known/jwks.json`; `local.cognito_tokens` also checks
the issuer, which names the pool.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.intrinsics import STACK_NAME, LocalNames, Resolver
from local.private import write_private
from local.template import Template

USERS_FILE = "console-users.json"
# Who `ecrm serve` signs in as: group (role) and address, per console user.
CONSOLE_USERS = {
    "admin": ("admins", "admin@example.com"),
    "marketer": ("marketers", "marketer@example.com"),
    "viewer": ("viewers", "viewer@example.com"),
}
# CloudFormation's property -> CreateUserPool's parameter, where they differ or matter here.
_POOL_PARAMETERS = {
    "UserPoolName": "PoolName",
    "Policies": "Policies",
    "UsernameAttributes": "UsernameAttributes",
    "AutoVerifiedAttributes": "AutoVerifiedAttributes",
    "MfaConfiguration": "MfaConfiguration",
    "AdminCreateUserConfig": "AdminCreateUserConfig",
    "DeletionProtection": "DeletionProtection",
}
_UNSAID = {f"Require{kind}": False for kind in ("Lowercase", "Uppercase", "Numbers", "Symbols")}
_CLIENT_PARAMETERS = ("GenerateSecret", "ExplicitAuthFlows", "PreventUserExistenceErrors")


@dataclass(frozen=True)
class ConsolePool:
    """Where the console signs in, and what a token of this pool says about itself."""

    region: str
    pool_id: str
    client_id: str
    endpoint: str  # Cognito's API (locally moto's server)

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"

    @property
    def jwks_url(self) -> str:
        return f"{self.endpoint}/{self.pool_id}/.well-known/jwks.json"

    def config(self, endpoint: str | None = None) -> dict[str, str]:
        """The console's sign-in settings (`/console/config.json`): nothing secret."""
        return {
            "region": self.region,
            "user_pool_id": self.pool_id,
            "client_id": self.client_id,
            "cognito_endpoint": endpoint or self.endpoint,
        }


def create_pool(
    template: Template, names: LocalNames, client: Callable[[str], Any], endpoint: str
) -> ConsolePool | None:
    """The template's first user pool, its first app client and its groups, made in moto;
    the ids are recorded in `names` (what `!Ref` resolves to). None if the template has none."""
    resolver = Resolver(template, names)
    pool = next(template.resources("AWS::Cognito::UserPool"), None)
    if pool is None:
        return None
    cognito = client("cognito-idp")
    props = resolver.resolve(dict(pool.properties))
    args = {api: props[cfn] for cfn, api in _POOL_PARAMETERS.items() if cfn in props}
    policy = args.get("Policies", {}).get("PasswordPolicy")
    if policy is not None:  # CloudFormation's unsaid requirements are off; moto's are on
        args["Policies"]["PasswordPolicy"] = {**_UNSAID, **policy}
    args.setdefault("PoolName", f"{STACK_NAME}-{pool.logical_id}")
    created = cognito.create_user_pool(**args)["UserPool"]
    names.record(pool.logical_id, created["Id"], Arn=created["Arn"])
    client_id = ""
    for app in template.resources("AWS::Cognito::UserPoolClient"):
        props = resolver.resolve(dict(app.properties))
        made = cognito.create_user_pool_client(
            UserPoolId=props["UserPoolId"],
            ClientName=props.get("ClientName", app.logical_id),
            **{key: props[key] for key in _CLIENT_PARAMETERS if key in props},
        )["UserPoolClient"]
        names.record(app.logical_id, made["ClientId"])
        client_id = client_id or made["ClientId"]
    for group in template.resources("AWS::Cognito::UserPoolGroup"):
        props = resolver.resolve(dict(group.properties))
        cognito.create_group(
            UserPoolId=props["UserPoolId"],
            GroupName=props["GroupName"],
            Description=props.get("Description", ""),
        )
        names.record(group.logical_id, props["GroupName"])
    return ConsolePool(names.region, created["Id"], client_id, endpoint)


def add_console_users(pool: ConsolePool, client: Callable[[str], Any], state_dir: Path) -> Path:
    """An admin, a marketer and a viewer in the pool, permanent passwords from
    `console-users.json` (made, random, the first time for each). Returns the file's path."""
    path = state_dir / USERS_FILE
    known: dict[str, dict[str, str]] = (
        json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    )
    cognito = client("cognito-idp")
    users = {}
    for name, (group, address) in CONSOLE_USERS.items():
        user = known.get(name) or {"email": address, "password": random_password()}
        cognito.admin_create_user(
            UserPoolId=pool.pool_id,
            Username=user["email"],
            UserAttributes=[
                {"Name": "email", "Value": user["email"]},
                {"Name": "email_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(
            UserPoolId=pool.pool_id,
            Username=user["email"],
            Password=user["password"],
            Permanent=True,
        )
        cognito.admin_add_user_to_group(
            UserPoolId=pool.pool_id, Username=user["email"], GroupName=group
        )
        users[name] = {"email": user["email"], "password": user["password"]}
    write_private(path, json.dumps(users, indent=1))
    return path


def random_password() -> str:
    """Random, 20 characters, one of each class a policy may require (a symbol that needs no
    quoting in a shell or JSON)."""
    alphabet = string.ascii_letters + string.digits
    rest = "".join(secrets.choice(alphabet) for _ in range(16))
    return secrets.choice(string.ascii_lowercase) + secrets.choice(string.digits) + "A-" + rest
