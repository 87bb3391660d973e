"""`ecrm forms push FILE...`, `ecrm forms list` and `ecrm forms show ID`, through the forms
admin API.

A file holds one form definition as JSON (see local/demo_form.json; `GET /admin/forms/{id}`
returns the same shape). Its `id` names the form; a `version` in the file is ignored: the push
replaces the version it has just read, so a concurrent edit is a conflict (exit 4). The API
writes nothing when the definition is the stored one, so pushing twice is one version.
Deployed, functions keep a copy of a form for up to DEFINITION_CACHE_SECONDS (60 s): the
output says when the pushed definition is live ("live within 60 s"; `ecrm serve`: at once).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cli.client import USAGE, ApiError, CliError
from cli.commands import Commands, Context
from cli.output import table

LIVE_WITHIN = "Ecrm-Live-Within-Seconds"  # the PUT's answer: functions/capture/forms_api.py


def register(commands: Commands) -> None:
    group = commands.group("forms", "form definitions")
    push = commands.api(
        group,
        "push",
        "create or replace forms from JSON files, through the API",
        _push,
        description=(__doc__ or "").split("\n\n", 1)[1].strip(),
    )
    push.add_argument("files", type=Path, nargs="+", metavar="FILE", help="a form definition")
    commands.api(group, "list", "form definitions, by id", _list)
    show = commands.api(group, "show", "one form definition (as JSON: what push takes)", _show)
    show.add_argument("id")


def read_definition(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CliError(f"{path}: not readable JSON ({error})", USAGE, code="bad_file") from None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise CliError(f'{path}: a form definition needs an "id"', USAGE, code="bad_file")
    return {k: v for k, v in data.items() if k != "version"}


def push_one(ctx: Context, definition: dict[str, Any]) -> dict[str, Any]:
    path = f"/admin/forms/{quote(definition['id'], safe='')}"
    try:
        seen: int | None = ctx.api.get(path)["version"]
    except ApiError as error:
        if error.status != 404:
            raise
        seen = None
    body = definition if seen is None else {**definition, "version": seen}
    answer = ctx.api.request("PUT", path, body)
    version = answer.body["version"]
    changed = "unchanged" if version == seen else "updated"
    action = "created" if answer.status == 201 else changed
    live = live_within(answer.headers)
    return {
        "id": definition["id"],
        "action": action,
        "version": version,
        "live_within_seconds": live,
    }


def live_within(headers: dict[str, str]) -> float | None:
    """Seconds until every function serves what was stored, as the API says (None: not said)."""
    value = next((v for k, v in headers.items() if k.lower() == LIVE_WITHIN.lower()), None)
    try:
        seconds = float(value or "")
    except ValueError:
        return None
    return int(seconds) if seconds.is_integer() else seconds


def live_note(done: list[dict[str, Any]]) -> str:
    known = [d["live_within_seconds"] for d in done if d["live_within_seconds"] is not None]
    if not known:
        return ""
    longest = max(known)
    return (
        "\nlive at once"
        if longest == 0
        else f"\nlive within {longest} s (functions keep a copy that long)"
    )


def _push(ctx: Context) -> None:
    definitions = [read_definition(path) for path in ctx.args.files]  # all readable first
    done: list[dict[str, Any]] = []
    try:
        for definition in definitions:
            try:
                done.append(push_one(ctx, definition))
            except CliError as error:
                error.message = f"form {definition['id']}: {error.message}"
                raise
    finally:
        if done:
            rows = [(d["id"], d["action"], d["version"]) for d in done]
            human = table(rows, ("form", "action", "version")) + live_note(done)
            ctx.out.result({"forms": done}, human)


def _list(ctx: Context) -> None:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = ctx.api.get("/admin/forms", limit=100, cursor=cursor)
        found += page["items"]
        if not (cursor := page.get("next_cursor")):
            break
    rows = [(f["id"], f["title"], f["version"], ",".join(f["topics"])) for f in found]
    ctx.out.result(found, table(rows, ("id", "title", "version", "topics")) if found else "none")


def _show(ctx: Context) -> None:
    found = ctx.api.get(f"/admin/forms/{quote(ctx.args.id, safe='')}")
    ctx.out.result(found, json.dumps(found, indent=2, ensure_ascii=False))
