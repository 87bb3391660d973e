"""`ecrm automations list|show|counts|put|enable|disable|migrate`, through `/admin/automations`
(the API has no delete: a rule is disabled instead, and its runs stay on the contacts).

`migrate ID` (or `--all`) makes rules one-step journeys (`ecrm journeys`): idempotent, so a
rule migrated already answers its journey again and `--all` may be run again after a failure.

`put FILE` makes a rule what a JSON file says (the shape `GET /admin/automations/{id}`
returns, without `id` to create one; see examples/automation-welcome.json). The rule is found
by the file's `id`, else by its `name`: created when none has it, replaced with the version
just read when different (a concurrent edit is a conflict, exit 4), left alone when the same,
so putting twice changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cli import paths
from cli.client import USAGE, CliError
from cli.commands import Commands, Context
from cli.output import table

BASE = "/admin/automations"
STORED = ("version", "created_at", "updated_at", "counts", "migrated_to", "migrated_at")
COUNTS = ("triggered", "sent", "skipped", "failed")


def register(commands: Commands) -> None:
    group = commands.group("automations", 'automated mailings: "when <event> send <template>"')
    commands.api(group, "list", "every automation rule", _list)
    commands.api(group, "show", "one rule", _show).add_argument("id")
    commands.api(
        group, "counts", "what a rule did: triggered, sent, skipped", _counts
    ).add_argument("id")
    put = commands.api(
        group,
        "put",
        "create or replace a rule from a JSON file (unchanged: left alone)",
        _put,
        description=(__doc__ or "").split("\n\n", 1)[1].strip(),
    )
    put.add_argument("file", type=Path, help="the rule, as JSON")
    migrate = commands.api(group, "migrate", "make rules one-step journeys", _migrate)
    which = migrate.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", help="the rule")
    which.add_argument("--all", action="store_true", help="every rule not migrated yet")
    for verb, help in (
        ("enable", "let a rule fire again"),
        ("disable", "stop a rule firing (runs already due are skipped)"),
    ):
        commands.api(group, verb, help, _switch(verb == "enable")).add_argument("id")


def when(rule: dict[str, Any]) -> str:
    condition = rule["when"]
    detail = [v for k, v in condition.items() if k != "event" and v]
    return " ".join([condition["event"], *map(str, detail)])


def _list(ctx: Context) -> None:
    found = ctx.api.get(BASE)["items"]
    rows = [
        (
            r["id"],
            r["name"],
            when(r),
            r["template_id"],
            r["delay_minutes"],
            f"journey {r['migrated_to']}" if r.get("migrated_to") else r["enabled"],
            *(r.get("counts", {}).get(c, 0) for c in COUNTS),
        )
        for r in found
    ]
    header = ("id", "name", "when", "template", "delay (min)", "enabled", *COUNTS)
    ctx.out.result(found, table(rows, header) if found else "none")


def _show(ctx: Context) -> None:
    rule = ctx.api.get(paths.under(BASE, ctx.args.id))
    state = "enabled" if rule["enabled"] else "disabled"
    if rule.get("migrated_to"):
        state = f"migrated to journey {rule['migrated_to']} (runs already due finish)"
    human = (
        f"{rule['id']}  {rule['name']!r}  {state}, version {rule['version']}\n"
        f"  when {when(rule)}, after {rule['delay_minutes']} min: send {rule['template_id']}"
        f" (topic {rule['topic']}, from {rule['sender']['email']})"
    )
    ctx.out.result(rule, human)


def _counts(ctx: Context) -> None:
    found = ctx.api.get(paths.under(BASE, ctx.args.id, "counts"))
    human = ", ".join(f"{found[c]} {c}" for c in (*COUNTS, "waiting"))
    ctx.out.result(found, f"automation {ctx.args.id}: {human}")


def _migrate(ctx: Context) -> None:
    if ctx.args.all:
        ids = [r["id"] for r in ctx.api.get(BASE)["items"] if not r.get("migrated_to")]
    else:
        ids = [ctx.args.id]
    done = [ctx.api.post(paths.under(BASE, rule_id, "migrate"), None) for rule_id in ids]
    lines = [
        f"automation {m['automation_id']} "
        + ("was migrated already to" if m["already"] else "is now")
        + f" journey {m['journey_id']}"
        + ("" if m["rule_enabled"] else " (stopped: the rule was disabled)")
        for m in done
    ]
    ctx.out.result({"items": done}, "\n".join(lines) or "no rule left to migrate")


def _fields(rule: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rule.items() if k not in (*STORED, "id")}


def normalised(fields: dict[str, Any]) -> dict[str, Any] | None:
    """The fields as the API stores them (None: invalid, the API says why)."""
    from pydantic import ValidationError  # noqa: PLC0415 - pydantic only for this command

    from ecrm.automations.rules import AutomationIn  # noqa: PLC0415

    try:
        return AutomationIn.model_validate(fields).model_dump(mode="json", exclude={"version"})
    except ValidationError:
        return None


def _put(ctx: Context) -> None:
    data = paths.read_object(ctx.args.file, "a rule")
    if not isinstance(data.get("name"), str):
        raise CliError(f'{ctx.args.file}: a rule needs a "name"', USAGE, code="bad_file")
    fields = _fields(data)
    if isinstance(data.get("id"), str):
        stored = ctx.api.get(paths.under(BASE, data["id"]))
    else:
        existing = ctx.api.get(BASE)["items"]
        stored = next((r for r in existing if r["name"] == data["name"]), None)
    if stored is None:
        saved, action = ctx.api.post(BASE, fields), "created"
    elif normalised(fields) == normalised(_fields(stored)):
        saved, action = stored, "unchanged"
    else:
        body = {**fields, "version": stored["version"]}
        saved, action = ctx.api.put(paths.under(BASE, stored["id"]), body), "updated"
    result = {"id": saved["id"], "action": action, "version": saved["version"]}
    ctx.out.result(result, f"automation {saved['id']} {action} (version {saved['version']})")


def _switch(enabled: bool) -> Any:
    def run(ctx: Context) -> None:
        path = paths.under(BASE, ctx.args.id)
        rule = ctx.api.get(path)
        if rule["enabled"] != enabled:
            rule = ctx.api.put(
                path, {**_fields(rule), "enabled": enabled, "version": rule["version"]}
            )
        state = "enabled" if enabled else "disabled"
        ctx.out.result(rule, f"automation {rule['id']} is {state} (version {rule['version']})")

    return run
