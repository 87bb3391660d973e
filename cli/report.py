"""`ecrm report [--days 90]`: the trends a marketer sees on the reports page, as tables in the
terminal (`GET /admin/reports`: sign-ups by source and by form, the funnel, contacts per stage,
the score distribution, campaign results). `--only SECTION` reads one report of its own
(`GET /admin/reports/signups|funnel|scores|campaigns`). `--json` prints the API's answer as
it is."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from cli.commands import Commands, Context
from cli.output import table

MAX_DAYS = 366  # as the API (ecrm.trends.report.MAX_DAYS)
BAR_WIDTH = 30
SECTIONS = ("signups", "funnel", "scores", "campaigns")
OUTCOMES = ("sent", "delivered", "opened", "clicked", "bounced", "complained", "unsubscribed")


def register(commands: Commands) -> None:
    report = commands.api(
        commands.top,
        "report",
        "trends of the last days: sign-ups, funnel, scores, campaigns",
        _report,
        description=(__doc__ or "").strip(),
    )
    report.add_argument("--days", type=_days, default=90, help="days up to today (UTC), 1-366")
    report.add_argument("--only", choices=SECTIONS, help="one report (its own API route)")
    report.add_argument(
        "--by", choices=("source", "form"), default="source", help="--only signups: split by"
    )


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"a number of days from 1 to {MAX_DAYS}")
    return days


def _report(ctx: Context) -> None:
    days, only = ctx.args.days, ctx.args.only
    if only is None:
        summary = ctx.api.get("/admin/reports", days=days)
        ctx.out.result(summary, render(summary))
        return
    query: dict[str, Any] = {} if only == "scores" else {"days": days}
    if only == "signups":
        query["by"] = ctx.args.by
    section = ctx.api.get(f"/admin/reports/{only}", **query)
    human = {
        "signups": lambda: _signups(section, ctx.args.by),
        "funnel": lambda: _funnel(section),
        "scores": lambda: _scores(section),
        "campaigns": lambda: _campaigns(section),
    }[only]()
    ctx.out.result(section, human)


def bar(value: int, largest: int) -> str:
    """A bar of block characters, proportional to `largest` (at least one block for non-zero)."""
    if value <= 0 or largest <= 0:
        return ""
    return "█" * max(1, round(value / largest * BAR_WIDTH))


def _bars(rows: Sequence[tuple[str, int]], header: Sequence[str]) -> str:
    largest = max((n for _, n in rows), default=0)
    return table([(label, n, bar(n, largest)) for label, n in rows], [*header, ""])


def _signups(section: dict[str, Any], by: str) -> str:
    title = f"Sign-ups by {by}"
    if not section["series"]:
        return f"{title}: none"
    rows = [(s["key"], s["total"]) for s in section["series"]]
    return f"{title} ({section['total']})\n" + _bars(rows, [by, "sign-ups"])


def _funnel(funnel: dict[str, Any]) -> str:
    return (
        "Funnel\n"
        + _bars([(s["label"], s["count"]) for s in funnel["steps"]], ["step", "count"])
        + f"\n(unsubscribed in the window: {funnel['unsubscribed']})\n\n"
        + "Contacts per stage now\n"
        + _bars([(s["stage"], s["contacts"]) for s in funnel["stages_now"]], ["stage", "contacts"])
    )


def _scores(scores: dict[str, Any]) -> str:
    return f"Score distribution ({scores['total']} scored contacts)\n" + _bars(
        [(b["label"], b["contacts"]) for b in scores["buckets"]], ["score", "contacts"]
    )


def _campaigns(campaigns: dict[str, Any]) -> str:
    text = "Campaign results\n" + _bars(
        [(o, campaigns["totals"].get(o, 0)) for o in OUTCOMES], ["outcome", "count"]
    )
    if campaigns["campaigns"]:
        rows = [
            [c.get("name") or c["campaign_id"], *(c.get(o, 0) for o in OUTCOMES)]
            for c in campaigns["campaigns"]
        ]
        text += "\n\n" + table(rows, ["campaign", *OUTCOMES])
    return text


def render(summary: dict[str, Any]) -> str:
    days = summary["signups_by_source"]["days"]
    parts = [
        f"Trends of the last {summary['days']} days ({days[0]} to {days[-1]}, UTC)",
        _signups(summary["signups_by_source"], "source"),
        _signups(summary["signups_by_form"], "form"),
        _funnel(summary["funnel"]),
        _scores(summary["scores"]),
        _campaigns(summary["campaigns"]),
    ]
    return "\n\n".join(parts)
