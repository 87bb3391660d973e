"""`ecrm webhooks create|list|show|update|rotate|delete`, through `/admin/webhooks`: the https
endpoints contact events are POSTed to, signed (docs/design/webhooks.md).

`create URL --events T,T` prints the endpoint's signing secret once: give it to the receiver
now (it is never shown again; `rotate ID` makes a new one, the old one signing too for a day).
`list` and `show` give each endpoint's last delivery: when, the HTTP status, the error.
"""

from __future__ import annotations

from typing import Any

from cli import paths
from cli.commands import Commands, Context
from cli.output import table

BASE = "/admin/webhooks"
TYPES = (
    "form.submitted, contact.confirmed, contact.unsubscribed, contact.stage_changed, "
    "automation.mail_delivered, event.custom, journey.step"
)


def register(commands: Commands) -> None:
    group = commands.group("webhooks", "webhooks: https endpoints contact events are sent to")
    create = commands.api(
        group,
        "create",
        "register an endpoint (its signing secret is printed once)",
        _create,
        description=(__doc__ or "").split("\n\n", 1)[1].strip(),
    )
    create.add_argument("url", help="an https URL on port 443 of a public host")
    create.add_argument("--events", required=True, help=f"comma-separated, of: {TYPES}")
    create.add_argument("--description", default="", help="what receives them")
    commands.api(group, "list", "every endpoint with its last delivery", _list)
    commands.api(group, "show", "one endpoint", _show).add_argument("id")
    update = commands.api(group, "update", "change the URL, event types or state", _update)
    update.add_argument("id")
    update.add_argument("--url")
    update.add_argument("--events", help="comma-separated event types")
    update.add_argument("--description")
    state = update.add_mutually_exclusive_group()
    state.add_argument("--enable", dest="enabled", action="store_const", const=True)
    state.add_argument("--disable", dest="enabled", action="store_const", const=False)
    commands.api(group, "rotate", "a new signing secret (printed once)", _rotate).add_argument("id")
    commands.api(group, "delete", "stop sending to an endpoint", _delete).add_argument("id")


def _events(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _last(hook: dict[str, Any]) -> str:
    if not hook.get("last_attempt_at"):
        return "never attempted"
    status = hook.get("last_status") or "no answer"
    error = f" ({hook['last_error']})" if hook.get("last_error") else ""
    return f"{hook['last_attempt_at']} {status}{error}"


def _human(hook: dict[str, Any]) -> str:
    state = "enabled" if hook["enabled"] else "disabled"
    return (
        f"{hook['id']}  {hook['url']}  {state}\n"
        f"events: {', '.join(hook['events'])}\n"
        f"secret: {hook['secret_hint']}…  last delivery: {_last(hook)}"
        f"  failures in a row: {hook['failures_in_a_row']}"
    )


def _with_secret(ctx: Context, hook: dict[str, Any]) -> None:
    human = f"{_human(hook)}\n{hook['secret']}\nKeep this secret now: it is never shown again."
    ctx.out.result(hook, human)


def _create(ctx: Context) -> None:
    body = {"url": ctx.args.url, "events": _events(ctx.args.events)}
    if ctx.args.description:
        body["description"] = ctx.args.description
    _with_secret(ctx, ctx.api.post(BASE, body))


def _list(ctx: Context) -> None:
    found = paths.every_page(ctx.api, BASE)
    rows = [
        (h["id"], h["url"], ",".join(h["events"]), "on" if h["enabled"] else "off", _last(h))
        for h in found
    ]
    human = table(rows, ("id", "url", "events", "state", "last delivery")) if found else "none"
    ctx.out.result(found, human)


def _show(ctx: Context) -> None:
    hook = ctx.api.get(paths.under(BASE, ctx.args.id))
    ctx.out.result(hook, _human(hook))


def _update(ctx: Context) -> None:
    current = ctx.api.get(paths.under(BASE, ctx.args.id))
    body = {
        "url": ctx.args.url or current["url"],
        "events": _events(ctx.args.events) if ctx.args.events else current["events"],
        "description": current["description"]
        if ctx.args.description is None
        else ctx.args.description,
        "enabled": current["enabled"] if ctx.args.enabled is None else ctx.args.enabled,
    }
    hook = ctx.api.put(paths.under(BASE, ctx.args.id), body)
    ctx.out.result(hook, _human(hook))


def _rotate(ctx: Context) -> None:
    _with_secret(ctx, ctx.api.post(paths.under(BASE, ctx.args.id) + "/rotate", {}))


def _delete(ctx: Context) -> None:
    answer = ctx.api.delete(paths.under(BASE, ctx.args.id))
    ctx.out.result(answer, f"{ctx.args.id} deleted")
