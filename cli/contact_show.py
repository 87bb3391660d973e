"""`ecrm contacts show EMAIL`: one contact as a marketer needs it, from its address: id, status,
topics, profile, consent records, score with its explanation, stage, last interactions.

Two reads: `GET /admin/contacts?email=` (the address read as a submission reads it, so case and
spaces do not matter) and `GET /admin/contacts/{id}/score`. `--json` prints the first answer
with the second under `score` (its timeline left out: it is `interactions`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from cli.client import USAGE, CliError
from cli.commands import Commands, Context

_DETAIL = ("name", "form_id", "campaign_id", "automation_id", "topic", "topics", "url", "source")


def register(commands: Commands) -> None:
    group = commands.group("contacts", "contacts: look one up, import a CSV file, export")
    show = commands.api(
        group,
        "show",
        "one contact from its address: status, topics, consent, score, stage, interactions",
        _show,
        description=(__doc__ or "").split("\n\n", 1)[1].strip(),
    )
    show.add_argument("email", help="the contact's address (as typed: case does not matter)")
    show.add_argument(
        "--interactions", type=int, default=10, help="how many of the newest to print (10)"
    )
    erase = commands.api(
        group,
        "erase",
        "erase a contact on its request: every item but the suppression and a dated record",
        _erase,
        description="Finds the contact of EMAIL, then erases it (`DELETE /admin/contacts/{id}`, "
        "the address as the typed confirmation): its profile, consents, topics, interactions, "
        "scores, and what campaigns hold about it. The address is never mailed again unless "
        "its owner signs up and confirms again. Cannot be undone: needs --yes.",
    )
    erase.add_argument("email", help="the contact's address (as typed: case does not matter)")
    erase.add_argument("--yes", action="store_true", help="yes, erase it (cannot be undone)")
    commands.api(
        group,
        "fields",
        "the profile's fields (what an import's columns may fill), interests and topics",
        _fields,
    )


def _show(ctx: Context) -> None:
    contact = ctx.api.get("/admin/contacts", email=ctx.args.email)
    score = ctx.api.get(f"/admin/contacts/{quote(contact['contact_id'], safe='')}/score")
    score.pop("timeline", None)
    score.pop("contact_id", None)
    found = {**contact, "score": score}
    ctx.out.result(found, describe(found, ctx.args.interactions))


def _erase(ctx: Context) -> None:
    """`ecrm contacts erase EMAIL --yes`: the address is the typed confirmation the API checks."""
    if not ctx.args.yes:
        raise CliError("erasing cannot be undone: add --yes to erase", USAGE, code="not_confirmed")
    contact = ctx.api.get("/admin/contacts", email=ctx.args.email)
    path = f"/admin/contacts/{quote(contact['contact_id'], safe='')}"
    erased = ctx.api.request("DELETE", path, {"email": ctx.args.email}).body
    found = {"contact_id": contact["contact_id"], **erased}
    ctx.out.result(found, f"{contact['email']} erased ({erased['items']} items)")


def _fields(ctx: Context) -> None:
    schema = ctx.api.get("/admin/profile-schema")
    lines = [
        f"{f['name']:<20} {f['type']:<13} {f['label']}"
        for f in schema["profile"] + schema["interests"]
    ]
    lines += [f"topic {t['id']:<14} {t['label']}" for t in schema["topics"]]
    ctx.out.result(schema, "\n".join(lines) or "no profile field yet")


def describe(contact: dict[str, Any], interactions: int = 10) -> str:
    score = contact["score"]
    receiving = ", ".join(contact["receiving"]) or "nothing"
    lines = [
        f"{contact['email']}  (contact {contact['contact_id']})",
        f"  status      {contact['status']} (created {contact.get('created_at') or '?'})",
        f"  topics      {', '.join(contact['topics']) or 'none'} (receiving {receiving})",
    ]
    if profile := contact.get("profile"):
        lines.append("  profile     " + ", ".join(f"{k}={v}" for k, v in sorted(profile.items())))
    since = f" since {score['stage_since']}" if score.get("stage_since") else ""
    lines.append(f"  stage       {score['stage']}{since}")
    lines.append(f"  score       {score['score']} (ruleset v{score.get('ruleset_version', 0)})")
    for line in score["explanation"]["lines"]:
        decay = f", decay {line['decay']}" if line.get("decay") else ""
        because = f"  ({line['because']})" if line.get("because") else ""
        lines.append(f"    {line['points']:>8}  {line['kind']:<10} {line['rule']}{decay}{because}")
    consents = contact["consents"]
    lines.append("  consent records (newest first)" if consents else "  no consent record")
    lines += [f"    {_consent(c)}" for c in contact["consents"]]
    shown = contact["interactions"][:interactions]
    lines.append("  last interactions" if shown else "  no interaction")
    lines += [f"    {i.get('at', '?')}  {i.get('type', '?')}{_detail(i)}" for i in shown]
    return "\n".join(lines)


def _consent(record: dict[str, Any]) -> str:
    parts = [str(record.get("given_at") or record.get("at") or "?")]
    if record.get("form_id"):
        parts.append(f"form {record['form_id']}")
    if record.get("source"):
        parts.append(f"source {record['source']!r}")
    if record.get("consent_version"):
        parts.append(f"consent text {record['consent_version']}")
    if record.get("topics"):
        parts.append("topics " + ",".join(record["topics"]))
    if record.get("confirmed_at"):
        parts.append(f"confirmed {record['confirmed_at']}")
    elif record.get("awaiting_confirmation"):
        parts.append("awaiting confirmation of " + ",".join(record["awaiting_confirmation"]))
    return "  ".join(parts)


def _detail(interaction: dict[str, Any]) -> str:
    found = []
    for name in _DETAIL:
        value = interaction.get(name)
        if value:
            shown = ",".join(map(str, value)) if isinstance(value, list) else str(value)
            found.append(f"{name.removesuffix('_id')} {shown}")
    return ("  " + "  ".join(found)) if found else ""
