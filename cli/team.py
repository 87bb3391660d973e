"""`ecrm team list|invite|role|disable|enable`, through `/admin/team` (admins only: the API
refuses anyone else, 403). People are named by their address; the commands that change one
look them up first (`GET /admin/team?email=`), as the API addresses them by their id.

`invite EMAIL --role R` makes a console user of EMAIL with role R (admin, marketer or viewer):
Cognito mails them a temporary password, which they change on their first sign-in (locally,
the mail is in `ecrm serve`'s outbox). An admin can neither demote nor disable themselves.
"""

from __future__ import annotations

from typing import Any

from cli import paths
from cli.commands import Commands, Context
from cli.output import table

BASE = "/admin/team"
ROLES = ("admin", "marketer", "viewer")


def register(commands: Commands) -> None:
    group = commands.group("team", "team: who signs in to the console, and their role (admins)")
    commands.api(group, "list", "the console's users: address, role, status", _list)
    invite = commands.api(
        group,
        "invite",
        "invite a person by address with a role (Cognito mails a temporary password)",
        _invite,
        description=(__doc__ or "").split("\n\n", 1)[1].strip(),
    )
    invite.add_argument("email")
    invite.add_argument("--role", required=True, choices=ROLES)
    role = commands.api(group, "role", "set a user's role (not your own)", _role)
    role.add_argument("email")
    role.add_argument("role", choices=ROLES)
    commands.api(
        group, "disable", "disable a user and sign them out (not yourself)", _disable
    ).add_argument("email")
    commands.api(group, "enable", "enable a disabled user", _enable).add_argument("email")


def _human(member: dict[str, Any]) -> str:
    state = "enabled" if member["enabled"] else "disabled"
    return f"{member['email']}  {member['role'] or 'no role'}  {member['status']}  {state}"


def _list(ctx: Context) -> None:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = ctx.api.get(BASE, cursor=cursor)
        found += page["items"]
        if not (cursor := page.get("next_cursor")):
            break
    rows = [
        (m["email"], m["role"] or "-", m["status"], "yes" if m["enabled"] else "no") for m in found
    ]
    human = table(rows, ("email", "role", "status", "enabled")) if found else "none"
    ctx.out.result(found, human)


def _user_id(ctx: Context) -> str:
    [member] = ctx.api.get(BASE, email=ctx.args.email)["items"]  # 404 when there is none
    return str(member["id"])


def _invite(ctx: Context) -> None:
    member = ctx.api.post(BASE, {"email": ctx.args.email, "role": ctx.args.role})
    ctx.out.result(member, f"invited {_human(member)}")


def _role(ctx: Context) -> None:
    path = paths.under(BASE, _user_id(ctx), "role")
    member = ctx.api.put(path, {"role": ctx.args.role})
    ctx.out.result(member, _human(member))


def _disable(ctx: Context) -> None:
    member = ctx.api.post(paths.under(BASE, _user_id(ctx), "disable"))
    ctx.out.result(member, _human(member))


def _enable(ctx: Context) -> None:
    member = ctx.api.post(paths.under(BASE, _user_id(ctx), "enable"))
    ctx.out.result(member, _human(member))
