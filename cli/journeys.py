"""`ecrm journeys list|show|put|publish|stop|stats|version`, through `/admin/journeys`.

`put FILE` makes a journey's draft what a JSON file says (the fields of `POST /admin/journeys`;
with `id` to replace that journey's draft, else found by `name`: created when none has it,
replaced with the version just read, a concurrent edit being a conflict, exit 4). Nothing
reaches contacts until `publish ID` makes the draft a version; runs in flight finish on theirs.
An `entry` of `{"segment": ID}` enters that saved segment's members when a version is published
(`"joiners": true`: and those who join it later); `{"date_field": F, "days": N, "every_year":
B}` enters each day the contacts whose date field F is N days from it (before it when N < 0).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cli import paths
from cli.client import USAGE, CliError
from cli.commands import Commands, Context
from cli.output import table

BASE = "/admin/journeys"
STORED = (
    "id",
    "version",
    "created_at",
    "updated_at",
    "live_version",
    "published_versions",
    "migrated_from",
)
COLUMNS = (
    "entered",
    "waiting",
    "passed",
    "exited",
    "converted",
    "woken",
    "timed_out",
    "sent",
    "opened",
    "clicked",
)


def register(commands: Commands) -> None:
    group = commands.group("journeys", "multi-step mailings: sends, waits, branches, a goal")
    commands.api(group, "list", "every journey", _list)
    commands.api(group, "show", "one journey's draft and live version", _show).add_argument("id")
    put = commands.api(
        group,
        "put",
        "create or replace a journey's draft from a JSON file",
        _put,
        description=(__doc__ or "").split("\n\n", 1)[1].strip(),
    )
    put.add_argument("file", type=Path, help="the journey, as JSON")
    commands.api(group, "publish", "make the draft a new live version", _publish).add_argument("id")
    commands.api(group, "stop", "stop entries (runs in flight finish)", _stop).add_argument("id")
    commands.api(group, "stats", "what each step did, per version", _stats).add_argument("id")
    version = commands.api(group, "version", "one published version", _version)
    version.add_argument("id")
    version.add_argument("number", type=int)


def _entry(entry: dict[str, Any]) -> str:
    """An event's name, `segment <id>` (its members entered at publish; `+ joiners`: and
    those who join it later), or `date <field> <days>` (each day, the contacts whose date is
    that many days away: `+3`, `-7`, `+0`; `yearly`: every year)."""
    if "date_field" in entry:
        yearly = " yearly" if entry.get("every_year") else ""
        return f"date {entry['date_field']} {int(entry['days']):+d}{yearly}"
    if "segment" not in entry:
        return str(entry["event"])
    return f"segment {entry['segment']}" + (" + joiners" if entry.get("joiners") else "")


def _list(ctx: Context) -> None:
    found = ctx.api.get(BASE)["items"]
    rows = [
        (j["id"], j["name"], _entry(j["entry"]), len(j["steps"]), j.get("live_version") or "-")
        for j in found
    ]
    header = ("id", "name", "entry", "steps", "live version")
    ctx.out.result(found, table(rows, header) if found else "none")


def _show(ctx: Context) -> None:
    journey = ctx.api.get(paths.under(BASE, ctx.args.id))
    live = journey.get("live_version")
    lines = [
        f"{journey['id']}  {journey['name']!r}  "
        + (f"live: version {live}" if live else "not live")
        + f", draft edit {journey['version']}",
        f"  entry {_entry(journey['entry'])}, start {journey['start']}",
    ]
    lines += [f"  {s['id']}: {s['type']}" for s in journey["steps"]]
    ctx.out.result(journey, "\n".join(lines))


def _put(ctx: Context) -> None:
    data = paths.read_object(ctx.args.file, "a journey")
    if not isinstance(data.get("name"), str):
        raise CliError(f'{ctx.args.file}: a journey needs a "name"', USAGE, code="bad_file")
    fields = {k: v for k, v in data.items() if k not in STORED}
    if isinstance(data.get("id"), str):
        stored = ctx.api.get(paths.under(BASE, data["id"]))
    else:
        stored = next((j for j in ctx.api.get(BASE)["items"] if j["name"] == data["name"]), None)
    if stored is None:
        saved, action = ctx.api.post(BASE, fields), "created"
    else:
        body = {**fields, "version": stored["version"]}
        saved, action = ctx.api.put(paths.under(BASE, stored["id"]), body), "updated"
    result = {"id": saved["id"], "action": action, "version": saved["version"]}
    ctx.out.result(result, f"journey {saved['id']} {action} (draft edit {saved['version']})")


def _publish(ctx: Context) -> None:
    published = ctx.api.post(paths.under(BASE, ctx.args.id, "publish"), None)
    ctx.out.result(published, f"journey {ctx.args.id}: version {published['version']} is live")


def _stop(ctx: Context) -> None:
    journey = ctx.api.post(paths.under(BASE, ctx.args.id, "stop"), None)
    ctx.out.result(journey, f"journey {ctx.args.id} stopped: no one enters, runs in flight finish")


def _version(ctx: Context) -> None:
    found = ctx.api.get(paths.under(BASE, ctx.args.id, "versions", str(ctx.args.number)))
    steps = ", ".join(f"{s['id']} ({s['type']})" for s in found["steps"])
    ctx.out.result(found, f"{found['journey_id']} version {found['version']}: {steps}")


def _stats(ctx: Context) -> None:
    found: dict[str, Any] = ctx.api.get(paths.under(BASE, ctx.args.id, "stats"))
    blocks = []
    for version, steps in found["versions"].items():
        rows = [(step, *(c.get(k, 0) for k in COLUMNS)) for step, c in sorted(steps.items())]
        blocks.append(f"version {version}\n" + table(rows, ("step", *COLUMNS)))
    ctx.out.result(found, "\n\n".join(blocks) if blocks else "no run yet")
