"""`ecrm forms push FILE...` and `ecrm forms list`, through the forms admin API.

A file holds one form definition as JSON (see local/demo_form.json; `GET /admin/forms/{id}`
returns the same shape). Its `id` names the form; a `version` in the file is ignored: the push
replaces the version it has just read, so a concurrent edit is a conflict (exit 4). The API
writes nothing when the definition is the stored one, so pushing twice is one version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cli.client import USAGE, ApiError, CliError
from cli.commands import Commands, Context
from cli.output import table


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
    return {"id": definition["id"], "action": action, "version": version}


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
            ctx.out.result({"forms": done}, table(rows, ("form", "action", "version")))


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
