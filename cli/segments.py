"""`ecrm segments list|show|put|delete|count|preview`, through `/admin/segments` (and
`/admin/segment-preview`: a segment file counted before it is put).

`put FILE` makes a segment what a JSON file says (`{"id", "name", "topic", "conditions"}`, the
shape `GET /admin/segments/{id}` returns; see examples/segment-all.json): created when missing,
replaced with the version just read when different (a concurrent edit is a conflict, exit 4),
left alone when the same after the API's own normalisation, so putting twice changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cli import paths
from cli.client import USAGE, ApiError, CliError
from cli.commands import Commands, Context
from cli.output import table

BASE = "/admin/segments"
STORED = ("version", "created_at", "updated_at")


def register(commands: Commands) -> None:
    group = commands.group("segments", "segments: who among a topic's members a campaign mails")
    listing = commands.api(group, "list", "segments, by id", _list)
    listing.add_argument("--limit", type=int, default=None, help="at most this many")
    commands.api(group, "show", "one segment: topic and conditions", _show).add_argument("id")
    put = commands.api(
        group,
        "put",
        "create or replace a segment from a JSON file (unchanged: left alone)",
        _put,
        description=(__doc__ or "").split("\n\n", 1)[1].strip(),
    )
    put.add_argument("file", type=Path, help='{"id", "name", "topic", "conditions"}')
    delete = commands.api(
        group, "delete", "delete a segment no draft/scheduled campaign or automation uses", _delete
    )
    delete.add_argument("id")
    count = commands.api(group, "count", "how many contacts the segment holds now", _count)
    count.add_argument("id")
    preview = commands.api(
        group, "preview", "count a segment file before putting it (stores nothing)", _preview
    )
    preview.add_argument("file", type=Path, help='{"name", "topic", "conditions"}')


def _list(ctx: Context) -> None:
    found = paths.every_page(ctx.api, BASE, ctx.args.limit)
    rows = [(s["id"], s["name"], s["topic"], len(s["conditions"]), s["version"]) for s in found]
    human = table(rows, ("id", "name", "topic", "conditions", "version")) if found else "none"
    ctx.out.result(found, human)


def _show(ctx: Context) -> None:
    segment = ctx.api.get(paths.under(BASE, ctx.args.id))
    lines = [
        f"{segment['id']}  {segment['name']!r}  topic {segment['topic']}  v{segment['version']}",
        *(f"  {describe_condition(c)}" for c in segment["conditions"]),
    ]
    if not segment["conditions"]:
        lines.append("  every member of the topic who may be mailed")
    ctx.out.result(segment, "\n".join(lines))


def describe_condition(condition: dict[str, Any]) -> str:
    kind = condition.get("kind", "?")
    rest = ", ".join(f"{k} {v}" for k, v in condition.items() if k != "kind" and v is not None)
    return f"{kind}: {rest}"


def read_segment(path: Path) -> dict[str, Any]:
    data = paths.read_object(path, "a segment")
    if not isinstance(data.get("id"), str):
        raise CliError(f'{path}: a segment needs an "id"', USAGE, code="bad_file")
    return {k: v for k, v in data.items() if k not in STORED}


def normalised(fields: dict[str, Any]) -> dict[str, Any] | None:
    """The fields as the API stores them (None: invalid, the API says why)."""
    from pydantic import ValidationError  # noqa: PLC0415 - pydantic only for this command

    from ecrm.segments.definitions import SegmentIn  # noqa: PLC0415

    try:
        return SegmentIn.model_validate(fields).model_dump(mode="json", by_alias=True)
    except ValidationError:
        return None


def _put(ctx: Context) -> None:
    data = read_segment(ctx.args.file)
    segment_id, fields = data["id"], {k: v for k, v in data.items() if k != "id"}
    path = paths.under(BASE, segment_id)
    try:
        stored = ctx.api.get(path)
    except ApiError as error:
        if error.status != 404:
            raise
        stored = None
    if stored is None:
        saved, action = ctx.api.post(BASE, data), "created"
    elif normalised(fields) == {k: stored.get(k) for k in ("name", "topic", "conditions")}:
        saved, action = stored, "unchanged"
    else:
        saved, action = ctx.api.put(path, {**fields, "version": stored["version"]}), "updated"
    result = {"id": segment_id, "action": action, "version": saved["version"]}
    ctx.out.result(result, f"segment {segment_id} {action} (version {saved['version']})")


def _delete(ctx: Context) -> None:
    ctx.api.delete(paths.under(BASE, ctx.args.id))
    ctx.out.result({"id": ctx.args.id, "deleted": True}, f"segment {ctx.args.id} deleted")


def _count(ctx: Context) -> None:
    found = ctx.api.get(paths.under(BASE, ctx.args.id, "count"))
    human = (
        f"{found['members']} contacts ({found['candidates']} members of the topic read;"
        f" {found['queries']} index queries, {found['items_read']} items looked up)"
    )
    if not found["complete"]:
        human += "; the preview stopped early: at least that many"
    ctx.out.result({"id": ctx.args.id, **found}, human)


def _preview(ctx: Context) -> None:
    data = read_segment_draft(ctx.args.file)
    found = ctx.api.post("/admin/segment-preview", data)
    human = (
        f"{found['members']} contacts ({found['candidates']} members of the topic read;"
        f" {found['queries']} index queries, {found['items_read']} items looked up)"
    )
    if not found["complete"]:
        human += "; the preview stopped early: at least that many"
    ctx.out.result(found, human)


def read_segment_draft(path: Path) -> dict[str, Any]:
    data = paths.read_object(path, "a segment")
    return {k: v for k, v in data.items() if k in ("name", "topic", "conditions")}
