"""`ecrm campaigns ...`: list, show, create, test, send, schedule, pause, resume, cancel,
delete, watch campaigns and pick an A/B test's winner through `/admin/campaigns`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cli import campaign_watch
from cli.client import USAGE, CliError
from cli.commands import Commands, Context
from cli.output import table


def register(commands: Commands) -> None:
    group = commands.group("campaigns", "campaigns: create, send, schedule, pause, watch")
    listing = commands.api(group, "list", "campaigns, newest first", _list)
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")

    show = commands.api(group, "show", "one campaign: state, progress, stats", _show)
    show.add_argument("campaign_id")

    links = commands.api(group, "links", "clicks per link, most clicked first", _links)
    links.add_argument("campaign_id")

    create = commands.api(group, "create", "create a draft campaign", _create)
    create.add_argument("--name", required=True)
    create.add_argument("--template", required=True, help="template id")
    create.add_argument("--segment", required=True, help="segment id")
    create.add_argument("--topic", help="default: the segment's topic")
    create.add_argument("--from-email", required=True, help="sender address")
    create.add_argument("--from-name", required=True, help="sender name")
    create.add_argument("--reply-to")
    create.add_argument(
        "--ab-test", metavar="FILE", help="an A/B test as JSON (variants, test_percent, ...)"
    )

    winner = commands.api(
        group, "winner", "pick an A/B test's winner now: it goes to the rest, once", _winner
    )
    winner.add_argument("campaign_id")
    winner.add_argument("variant")

    send = commands.api(group, "send", "start sending now", _action("send"))
    send.add_argument("campaign_id")
    send.add_argument("--watch", action="store_true", help="then watch it until it finishes")
    campaign_watch.add_options(send)

    schedule = commands.api(
        group, "schedule", "send at a time, or at a time of each recipient's zone", _schedule
    )
    schedule.add_argument("campaign_id")
    when = schedule.add_mutually_exclusive_group(required=True)
    when.add_argument("--at", help="ISO time with zone: 2026-12-01T09:00+01:00")
    when.add_argument(
        "--local-time", metavar="HH:MM", help="each recipient at this time of their own zone"
    )
    schedule.add_argument("--on", metavar="YYYY-MM-DD", help="the day of --local-time")

    for verb, help in (
        ("pause", "pause sending (what was sent stays sent)"),
        ("resume", "resume a paused campaign (nobody gets it twice)"),
        ("cancel", "cancel a draft, scheduled or paused campaign"),
    ):
        commands.api(group, verb, help, _action(verb)).add_argument("campaign_id")

    test = commands.api(
        group,
        "test",
        "send the campaign now to a few addresses ([Test] subject; no ledger, no stats)",
        _test,
    )
    test.add_argument("campaign_id")
    test.add_argument(
        "--to", action="append", required=True, metavar="EMAIL", help="up to 5; repeat"
    )
    whom = test.add_mutually_exclusive_group()
    whom.add_argument("--contact", metavar="CONTACT_ID", help="personalise as this contact")
    whom.add_argument("--as-email", metavar="EMAIL", help="personalise as this address's contact")

    delete = commands.api(
        group, "delete", "delete a draft, cancelled or finished campaign (its stats too)", _delete
    )
    delete.add_argument("campaign_id")

    watch = commands.api(
        group,
        "watch",
        "live progress until the campaign finishes",
        _watch,
        description="Polls the campaign (with backoff while nothing changes) and draws bars "
        "for sent, delivered, bounced and opened; --json prints one JSON line per poll. "
        "Exits 0 when it is done, 4 when it is paused or cancelled.",
    )
    watch.add_argument("campaign_id")
    campaign_watch.add_options(watch)


def path(campaign_id: str) -> str:
    return f"/admin/campaigns/{quote(campaign_id, safe='')}"


def _list(ctx: Context) -> None:
    found: list[dict[str, Any]] = []
    cursor = None
    while len(found) < ctx.args.limit:
        page = ctx.api.get("/admin/campaigns", limit=min(100, ctx.args.limit), cursor=cursor)
        found += page["items"]
        if not (cursor := page.get("next_cursor")):
            break
    found = found[: ctx.args.limit]
    rows = [(c["id"], c["name"], c["state"], *outcome(c)) for c in found]
    header = ("id", "name", "state", "audience", "sent", "skipped", "failed", "remaining")
    ctx.out.result(found, table(rows, header) if found else "none")


def outcome(campaign: dict[str, Any]) -> tuple[int | str, int, int | str, int, int | str]:
    """Audience, sent, skipped (on purpose: suppressed, unsubscribed meanwhile..., and `N (M
    capped)` when the frequency cap skipped M), failed, and remaining; audience and remaining
    are `?` while the audience is still being planned."""
    progress, stats = campaign["progress"], campaign["stats"]
    planned = progress["planning_complete"]
    audience: int | str = progress["audience"] if planned else "?"
    remaining: int | str = max(0, progress["audience"] - progress["processed"]) if planned else "?"
    if campaign["state"] == "done":
        remaining = 0
    capped = stats.get("skipped_frequency_cap") or 0
    skipped: int | str = f"{stats['skipped']} ({capped} capped)" if capped else stats["skipped"]
    return audience, stats["sent"], skipped, stats["failed"], remaining


def _show(ctx: Context) -> None:
    campaign = ctx.api.get(path(ctx.args.campaign_id))
    ctx.out.result(campaign, describe(campaign))


def _links(ctx: Context) -> None:
    found = ctx.api.get(path(ctx.args.campaign_id) + "/links")["items"]
    rows = [(item["link"], item["clicks"]) for item in found]
    ctx.out.result(found, table(rows, ("link", "clicks")) if found else "no click yet")


def _create(ctx: Context) -> None:
    args = ctx.args
    sender = {"email": args.from_email, "name": args.from_name}
    if args.reply_to:
        sender["reply_to"] = args.reply_to
    body = {
        "name": args.name,
        "template_id": args.template,
        "segment_id": args.segment,
        "sender": sender,
    }
    if args.topic:
        body["topic"] = args.topic
    if args.ab_test:
        try:
            body["ab_test"] = json.loads(Path(args.ab_test).read_text())
        except (OSError, ValueError) as error:
            raise CliError(f"--ab-test: {error}", USAGE) from None
    campaign = ctx.api.post("/admin/campaigns", body)
    ctx.out.result(campaign, f"created campaign {campaign['id']} ({campaign['state']})")


def _test(ctx: Context) -> None:
    contact_id = ctx.args.contact
    if ctx.args.as_email:
        contact_id = ctx.api.get("/admin/contacts", email=ctx.args.as_email)["contact_id"]
    body: dict[str, Any] = {"to": ctx.args.to}
    if contact_id:
        body["contact_id"] = contact_id
    sent = ctx.api.post(path(ctx.args.campaign_id) + "/test", body)
    human = f"test sent to {', '.join(ctx.args.to)} ({len(sent['message_ids'])} mails)"
    ctx.out.result({"campaign_id": ctx.args.campaign_id, "to": ctx.args.to, **sent}, human)


def _delete(ctx: Context) -> None:
    ctx.api.delete(path(ctx.args.campaign_id))
    ctx.out.result(
        {"id": ctx.args.campaign_id, "deleted": True}, f"campaign {ctx.args.campaign_id} deleted"
    )


def _schedule(ctx: Context) -> None:
    if ctx.args.local_time:
        if not ctx.args.on:
            raise CliError("--local-time needs --on YYYY-MM-DD (the day)", USAGE)
        body = {"local_time": ctx.args.local_time, "on": ctx.args.on}
        campaign = ctx.api.post(path(ctx.args.campaign_id) + "/schedule", body)
        ctx.out.result(
            campaign,
            f"campaign {campaign['id']} goes out at {ctx.args.local_time} in each recipient's"
            f" zone on {ctx.args.on}, starting {campaign['scheduled_at']}",
        )
        return
    if ctx.args.on:
        raise CliError("--on goes with --local-time", USAGE)
    try:
        at = datetime.fromisoformat(ctx.args.at)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise CliError("--at needs an ISO time with a zone, e.g. 2026-12-01T09:00+01:00", USAGE)
    campaign = ctx.api.post(path(ctx.args.campaign_id) + "/schedule", {"at": at.isoformat()})
    ctx.out.result(campaign, f"campaign {campaign['id']} scheduled for {campaign['scheduled_at']}")


def _action(verb: str) -> Any:
    def run(ctx: Context) -> int:
        campaign = ctx.api.post(path(ctx.args.campaign_id) + f"/{verb}")
        if getattr(ctx.args, "watch", False):
            ctx.out.note(f"campaign {campaign['id']} is {campaign['state']}")
            return campaign_watch.watch(ctx, campaign["id"])
        ctx.out.result(campaign, f"campaign {campaign['id']} is {campaign['state']}")
        return 0

    return run


def _winner(ctx: Context) -> None:
    body = {"variant": ctx.args.variant}
    campaign = ctx.api.post(path(ctx.args.campaign_id) + "/winner", body)
    ctx.out.result(campaign, f"campaign {campaign['id']}: winner {ctx.args.variant}")


def ab_lines(test: dict[str, Any]) -> list[str]:
    """An A/B test's definition, results per variant and decision, for `show`."""
    when = test.get("decide_at") or f"{test['wait_hours']:g} h after the start"
    lines = [
        f"  A/B test: {test['test_percent']:g}% split over {len(test['variants'])} variants,"
        f" holdout {test['holdout_percent']:g}% ({test['holdout']} recipients so far), metric"
        f" {test['metric']}, decided {when}",
    ]
    rows = [
        (r["id"], r.get("recipients", 0), r["sent"], r["delivered"], r["opened"], r["clicked"],
         r["unsubscribed"], f"{100 * r['rate']:.1f}%")
        for r in test["results"]
    ]  # fmt: skip
    header = (
        "variant", "recipients", "sent", "delivered", "opened", "clicked", "unsubscribed", "rate"
    )  # fmt: skip
    lines += ["    " + line for line in table(rows, header).splitlines()]
    lines.append(f"  {test['summary']}")
    if decision := test.get("decision"):
        by = "by a marketer" if decision["decided_by"] == "marketer" else "when the wait ended"
        lines.append(f"  winner {decision['winner']}, chosen {by} at {decision['decided_at']}")
    return lines


def _watch(ctx: Context) -> int:
    return campaign_watch.watch(ctx, ctx.args.campaign_id)


def describe(campaign: dict[str, Any]) -> str:
    progress, stats = campaign["progress"], campaign["stats"]
    lines = [
        f"{campaign['id']}  {campaign['name']!r}  {campaign['state']}",
        f"  template {campaign['template_id']}, segment {campaign['segment_id']}, "
        f"topic {campaign['topic']}, from {campaign['sender']['email']}",
        f"  progress {progress['processed']}/{progress['audience']} ({progress['percent']}%)"
        + ("" if progress["planning_complete"] else ", audience still being planned"),
        "  " + campaign_watch.counts(stats),
    ]
    if campaign.get("ab_test"):
        lines += ab_lines(campaign["ab_test"])
    if campaign.get("paused_reason"):
        lines.append(f"  paused: {campaign['paused_reason']} {campaign.get('paused_detail') or ''}")
    if local := campaign.get("local_time"):
        lines.append(f"  at {local['time']} in each recipient's zone on {local['on']}")
    for moment in ("scheduled_at", "started_at", "finished_at"):
        if campaign.get(moment):
            lines.append(f"  {moment.removesuffix('_at')} {campaign[moment]}")
    return "\n".join(line.rstrip() for line in lines)
