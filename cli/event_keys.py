"""`ecrm event-keys create|list|show|revoke`, through `/admin/event-keys`: the keys a site or a
backend sends custom events with (`POST /events`, docs/design/events.md).

`create NAME` prints the new key's secret once: store it where the source keeps its secrets
(it is never shown again; a lost key is revoked and replaced). `revoke ID` refuses the key from
its next request on (401); revoked keys stay listed.
"""

from __future__ import annotations

from typing import Any

from cli import paths
from cli.commands import Commands, Context
from cli.output import table

BASE = "/admin/event-keys"


def register(commands: Commands) -> None:
    group = commands.group("event-keys", "event-keys: the keys sources send custom events with")
    create = commands.api(
        group,
        "create",
        "create a key for one source of events (its secret is printed once)",
        _create,
        description=(__doc__ or "").split("\n\n", 1)[1].strip(),
    )
    create.add_argument("name", help="where the events come from (the shop's backend, ...)")
    commands.api(group, "list", "every key: name, hint, created, last used, revoked", _list)
    commands.api(group, "show", "one key", _show).add_argument("id")
    commands.api(group, "revoke", "refuse a key from its next request on", _revoke).add_argument(
        "id"
    )


def _state(key: dict[str, Any]) -> str:
    return f"revoked {key['revoked_at']}" if key["revoked"] else "active"


def _human(key: dict[str, Any]) -> str:
    used = key.get("last_used_at") or "never used"
    return f"{key['id']}  {key['name']}  {key['hint']}…  {used}  {_state(key)}"


def _create(ctx: Context) -> None:
    created = ctx.api.post(BASE, {"name": ctx.args.name})
    human = (
        f"{created['id']}  {created['name']}\n{created['key']}\n"
        "Keep this key now: it is never shown again."
    )
    ctx.out.result(created, human)


def _list(ctx: Context) -> None:
    found = paths.every_page(ctx.api, BASE)
    rows = [
        (k["id"], k["name"], f"{k['hint']}…", k.get("last_used_at") or "-", _state(k))
        for k in found
    ]
    human = table(rows, ("id", "name", "hint", "last used", "state")) if found else "none"
    ctx.out.result(found, human)


def _show(ctx: Context) -> None:
    key = ctx.api.get(paths.under(BASE, ctx.args.id))
    ctx.out.result(key, _human(key))


def _revoke(ctx: Context) -> None:
    key = ctx.api.delete(paths.under(BASE, ctx.args.id))
    ctx.out.result(key, _human(key))
