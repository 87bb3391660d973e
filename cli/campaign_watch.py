"""`ecrm campaigns watch`: poll a campaign until it finishes, drawing sent / delivered /
bounced / opened as bars (or one JSON line per poll). Polls back off while nothing changes and
snap back to the base interval as soon as something does."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cli.client import CONFLICT
from cli.commands import Context

if TYPE_CHECKING:  # rich is imported by the commands that draw, not at start
    from cli.progress import ProgressDisplay

FINISHED = {"done": 0, "cancelled": CONFLICT, "paused": CONFLICT}
SHOWN = ("delivered", "bounced", "opened")
BACKOFF = 1.5


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--interval", type=_seconds, default=1.0, help="seconds between polls (default 1)"
    )
    parser.add_argument(
        "--max-interval",
        type=_seconds,
        default=10.0,
        help="longest wait while nothing changes (default 10)",
    )


def watch(ctx: Context, campaign_id: str) -> int:
    interval, longest = ctx.args.interval, max(ctx.args.interval, ctx.args.max_interval)
    wait, last = interval, None
    from cli.progress import ProgressDisplay  # noqa: PLC0415 - rich, for the commands that draw

    with ProgressDisplay(enabled=not ctx.out.as_json) as display:
        bars = {name: display.add(name) for name in ("sent", *SHOWN)}
        while True:
            campaign = ctx.api.get(f"/admin/campaigns/{quote(campaign_id, safe='')}")
            state = campaign["state"]
            line = snapshot(campaign)
            done = state in FINISHED or state == "draft"
            if ctx.out.as_json:
                ctx.out.json_line({**line, "final": done})
            elif display.enabled:
                _draw(display, bars, campaign)
            elif line != last:
                ctx.out.note(f"{state}: {counts(campaign['stats'])}")
            if done:
                break
            wait = interval if line != last else min(longest, wait * BACKOFF)
            last = line
            time.sleep(wait)
    if state == "draft":
        ctx.out.note(f"campaign {campaign_id} is a draft: send or schedule it first")
        return CONFLICT
    reason = f" ({campaign.get('paused_reason')})" if state == "paused" else ""
    if not ctx.out.as_json:  # its last JSON line, marked final, was the result
        ctx.out.result(None, f"campaign {campaign_id} {state}{reason}: {counts(campaign['stats'])}")
    return FINISHED[state]


def snapshot(campaign: dict[str, Any]) -> dict[str, Any]:
    progress = campaign["progress"]
    return {
        "id": campaign["id"],
        "state": campaign["state"],
        "audience": progress["audience"],
        "processed": progress["processed"],
        "planning_complete": progress["planning_complete"],
        **campaign["stats"],
    }


def counts(stats: dict[str, Any]) -> str:
    capped = stats.get("skipped_frequency_cap") or 0
    skipped = f"{stats['skipped']} skipped" + (
        f" ({capped} by the frequency cap)" if capped else ""
    )
    return f"{stats['sent']} sent, {skipped}, {stats['failed']} failed; " + ", ".join(
        f"{stats[name]} {name}" for name in (*SHOWN, "clicked")
    )


def _draw(display: ProgressDisplay, bars: dict[str, Any], campaign: dict[str, Any]) -> None:
    progress, stats = campaign["progress"], campaign["stats"]
    audience = progress["audience"] if progress["planning_complete"] else None
    display.update(bars["sent"], completed=stats["sent"], total=audience)
    for name in SHOWN:
        display.update(bars[name], completed=stats[name], total=max(stats["sent"], 1))


def _seconds(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value
