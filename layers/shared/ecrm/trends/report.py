"""The marketer's reports, read from the aggregate items only: a window of day items (one
Query, at most one item a day), the gauges item, the ruleset's stage order (cached) and the
names of a few campaigns. A 90-day summary reads at most 90 + 1 + 1 + `TOP_CAMPAIGNS` items,
however many contacts and events the table holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from ecrm.platform import clock, keys, store
from ecrm.scoring import rulesets
from ecrm.trends import counting

TOP_SERIES = 7  # sources or forms drawn one by one; the rest are summed as "(other)"
TOP_CAMPAIGNS = 6
MAX_DAYS = 366
OTHER = "(other)"
By = Literal["source", "form"]


@dataclass(frozen=True)
class Window:
    days: list[str]  # oldest first, ending today (UTC)
    items: dict[str, dict[str, Any]]  # day -> its counters (days with no activity are absent)

    def series(self, group: str, name: str) -> list[int]:
        return [int(self.items.get(day, {}).get(group, {}).get(name, 0)) for day in self.days]

    def totals(self, group: str) -> dict[str, int]:
        summed: dict[str, int] = {}
        for item in self.items.values():
            for name, n in (item.get(group) or {}).items():
                summed[name] = summed.get(name, 0) + int(n)
        return summed


def window(days: int, *, now: float | None = None) -> Window:
    today = datetime.fromtimestamp(clock.now() if now is None else now, UTC).date()
    span = [(today - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]
    # Newest first, one item a day at most: `days` items cover the window whatever the gaps
    # (more than one page only when day items are large: a Query page stops at 1 MB).
    found: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    while len(found) < days:
        page, start = store.query(
            keys.TRENDS,
            sk_prefix=keys.TREND_DAY_PREFIX,
            newest_first=True,
            limit=days - len(found),
            start=start,
        )
        found += page
        if not start:
            break
    first = span[0]
    items = {}
    for item in found:
        day = str(item["sk"]).removeprefix(keys.TREND_DAY_PREFIX)
        if first <= day <= span[-1]:
            items[day] = item
    return Window(span, items)


def _gauges() -> dict[str, Any]:
    return store.get(keys.trend_gauges(), consistent=False) or {}


# --- sections ------------------------------------------------------------------------------
def signups(days: int, by: By = "source", *, now: float | None = None) -> dict[str, Any]:
    return _signups(window(days, now=now), by)


def _signups(win: Window, by: By) -> dict[str, Any]:
    group = counting.SIGNUPS_BY_SOURCE if by == "source" else counting.SIGNUPS_BY_FORM
    totals = win.totals(group)
    ranked = sorted(totals, key=lambda name: (-totals[name], name))
    shown, rest = ranked[:TOP_SERIES], ranked[TOP_SERIES:]
    series = [
        {"key": name, "counts": win.series(group, name), "total": totals[name]} for name in shown
    ]
    if rest:
        others = [win.series(group, name) for name in rest]
        summed = [sum(column) for column in zip(*others, strict=True)]
        series.append({"key": OTHER, "counts": summed, "total": sum(summed)})
    return {
        "days": win.days,
        "by": by,
        "series": series,
        "total": sum(totals.values()),
    }


def funnel(days: int, *, now: float | None = None) -> dict[str, Any]:
    return _funnel(window(days, now=now), _gauges())


def _funnel(win: Window, gauges: Mapping[str, Any]) -> dict[str, Any]:
    stages = rulesets.current().stage_names()
    now_in = {name: int(n) for name, n in (gauges.get(counting.STAGE) or {}).items() if int(n)}
    order = stages + sorted(set(now_in) - set(stages))  # stages of older rulesets last
    totals, entered = win.totals(counting.TOTALS), win.totals(counting.STAGE_ENTERED)
    steps = [
        {"step": "signed_up", "label": "Signed up", "count": totals.get("signups", 0)},
        {"step": "confirmed", "label": "Confirmed", "count": totals.get("confirmed", 0)},
    ]
    steps += [
        {"step": f"stage:{name}", "label": f"Reached {name}", "count": entered.get(name, 0)}
        for name in stages[1:]
    ]
    daily = {"signed_up": "signups", "confirmed": "confirmed", "unsubscribed": "unsubscribed"}
    return {
        "days": len(win.days),
        "steps": steps,
        "unsubscribed": totals.get("unsubscribed", 0),
        # The same counters a day at a time (the console's Home draws them as lines).
        "per_day": {name: win.series(counting.TOTALS, key) for name, key in daily.items()},
        "stages_now": [{"stage": name, "contacts": now_in.get(name, 0)} for name in order],
    }


def scores() -> dict[str, Any]:
    return _scores(_gauges())


def _scores(gauges: Mapping[str, Any]) -> dict[str, Any]:
    counted = gauges.get(counting.SCORE_BUCKET) or {}
    low, high, width = counting.BUCKET_LOWEST, counting.BUCKET_HIGHEST, counting.BUCKET_WIDTH
    buckets = []
    for start in range(low, high + width, width):
        label = f"{start} to {start + width}"
        if start in (low, high):
            label = "below 0" if start == low else f"{high} or more"
        contacts = int(counted.get(str(start), 0))
        buckets.append({"from": start, "label": label, "contacts": contacts})
    return {"buckets": buckets, "total": sum(b["contacts"] for b in buckets)}


def campaigns(days: int, *, now: float | None = None) -> dict[str, Any]:
    return _campaigns(window(days, now=now))


def _campaigns(win: Window) -> dict[str, Any]:
    groups = {outcome: counting.campaign_group(outcome) for outcome in counting.CAMPAIGN_OUTCOMES}
    per_day = {
        outcome: [sum(column) for column in zip(*_columns(win, group), strict=True)]
        for outcome, group in groups.items()
    }
    by_campaign: dict[str, dict[str, int]] = {}
    for outcome, group in groups.items():
        for campaign_id, n in win.totals(group).items():
            by_campaign.setdefault(campaign_id, dict.fromkeys(groups, 0))[outcome] = n
    top = sorted(by_campaign, key=lambda c: (-by_campaign[c]["sent"], c))[:TOP_CAMPAIGNS]
    names = _campaign_names(top)
    return {
        "days": win.days,
        "outcomes": per_day,
        "totals": {outcome: sum(counts) for outcome, counts in per_day.items()},
        "campaigns": [{"campaign_id": c, "name": names.get(c), **by_campaign[c]} for c in top],
    }


def _columns(win: Window, group: str) -> list[list[int]]:
    """One row per key of `group` seen in the window (and a row of zeros for none)."""
    names = win.totals(group)
    return [win.series(group, name) for name in names] or [[0] * len(win.days)]


def _campaign_names(campaign_ids: list[str]) -> dict[str, str]:
    if not campaign_ids:
        return {}
    found = store.batch_get(
        [keys.campaign(c) for c in campaign_ids], consistent=False, attributes=["name"]
    )
    return {keys.campaign_id_of(pk): str(item.get("name", "")) for (pk, _), item in found.items()}


def summary(days: int, *, now: float | None = None) -> dict[str, Any]:
    """Every section from one read of the window (what the page and `ecrm report` show)."""
    win, gauges = window(days, now=now), _gauges()
    return {
        "days": days,
        "signups_by_source": _signups(win, "source"),
        "signups_by_form": _signups(win, "form"),
        "funnel": _funnel(win, gauges),
        "scores": _scores(gauges),
        "campaigns": _campaigns(win),
    }
