"""`ecrm sending show|set`: the account's send policy for marketing mail, through
`/admin/settings/sending` (docs/design/sending-policy.md).

`set` changes only what its options name and keeps the rest: it reads the policy, applies the
options and saves it with the version read (exit 4 if someone changed it meanwhile). For example
`ecrm sending set --cap 3/7` (at most 3 marketing mails per contact in any 7 days),
`ecrm sending set --quiet-hours 21:00-08:00 --zone Europe/Paris`, `--no-cap`, `--no-quiet-hours`.
Transactional mail (confirmations, sign-in links) and test sends are never capped or held.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from cli.client import USAGE, CliError
from cli.commands import Commands, Context

PATH = "/admin/settings/sending"
_CAP = re.compile(r"^(\d{1,4})/(\d{1,4})$")
_HOURS = re.compile(r"^(\d\d:\d\d)-(\d\d:\d\d)$")


def register(commands: Commands) -> None:
    group = commands.group("sending", "the send policy: frequency cap and quiet hours")
    commands.api(group, "show", "the frequency cap and quiet hours in force", _show)
    change = commands.api(
        group,
        "set",
        "change the frequency cap or quiet hours (what is not named stays)",
        _set,
        description=(__doc__ or "").split("\n\n", 1)[1].strip(),
    )
    cap = change.add_mutually_exclusive_group()
    cap.add_argument("--cap", metavar="N/DAYS", help="at most N marketing mails in any DAYS days")
    cap.add_argument("--no-cap", action="store_true", help="turn the frequency cap off")
    quiet = change.add_mutually_exclusive_group()
    quiet.add_argument("--quiet-hours", metavar="HH:MM-HH:MM", help="e.g. 21:00-08:00")
    quiet.add_argument("--no-quiet-hours", action="store_true", help="turn quiet hours off")
    change.add_argument("--zone", help="quiet hours' zone for contacts without their own")


def describe(policy: dict[str, Any]) -> str:
    cap, quiet = policy["frequency_cap"], policy["quiet_hours"]
    lines = [f"send policy version {policy.get('version', 0)}"]
    if policy.get("updated_at"):
        lines[0] += f", {policy['updated_at']}"
    state = "on" if cap["enabled"] else "off"
    lines.append(
        f"frequency cap  {state}: at most {cap['max_mails']} marketing mails per contact"
        f" in any {cap['period_days']} days"
    )
    state = "on" if quiet["enabled"] else "off"
    lines.append(
        f"quiet hours    {state}: {quiet['start']}-{quiet['end']} local time"
        f" (contacts without a zone: {quiet['time_zone']})"
    )
    return "\n".join(lines)


def _show(ctx: Context) -> None:
    policy = ctx.api.get(PATH)
    ctx.out.result(policy, describe(policy))


def changed(policy: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """The body to PUT: the policy read, with the options applied (usage errors as CliError)."""
    cap, quiet = dict(policy["frequency_cap"]), dict(policy["quiet_hours"])
    if args.cap:
        found = _CAP.match(args.cap)
        if not found:
            raise CliError("--cap is N/DAYS, e.g. 3/7", USAGE, code="usage")
        cap |= {"enabled": True, "max_mails": int(found[1]), "period_days": int(found[2])}
    if args.no_cap:
        cap["enabled"] = False
    if args.quiet_hours:
        found = _HOURS.match(args.quiet_hours)
        if not found:
            raise CliError("--quiet-hours is HH:MM-HH:MM, e.g. 21:00-08:00", USAGE, code="usage")
        quiet |= {"enabled": True, "start": found[1], "end": found[2]}
    if args.no_quiet_hours:
        quiet["enabled"] = False
    if args.zone:
        quiet["time_zone"] = args.zone
    return {"frequency_cap": cap, "quiet_hours": quiet, "version": policy.get("version", 0)}


def _set(ctx: Context) -> None:
    args = ctx.args
    if not (args.cap or args.no_cap or args.quiet_hours or args.no_quiet_hours or args.zone):
        raise CliError("name what to change: --cap, --no-cap, --quiet-hours, ...", USAGE)
    saved = ctx.api.put(PATH, changed(ctx.api.get(PATH), args))
    ctx.out.result(saved, describe(saved))
