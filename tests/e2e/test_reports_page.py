"""The marketer's trends page on `ecrm serve`, in headless Chromium: visitors sign up through
the real form route (UTM sources, one of them hostile markup), one confirms from the mail,
a campaign's outcomes land in the table; the stream pumps feed the trends function, and the
page draws the four charts with data (screenshots are not blank); the hostile source is counted
as "(unlisted)", never kept as typed, and nothing on the page runs it."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import requests
from playwright.sync_api import Page

from ecrm.platform import clock, keys
from ecrm.platform.store import serialize
from tests.conftest import ROOT
from tests.e2e.pixels import ink
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

HOSTILE = '<img src=x onerror="window.__xss=1">'
SOURCES = ["google", "google", "newsletter", HOSTILE, None]
CHARTS = ("signups", "funnel", "scores", "campaigns")


def admin(stack: Any, path: str, token: str = "marketer") -> requests.Response:
    headers = {"Authorization": f"Bearer {stack.authorizer.tokens[token]}"} if token else {}
    return requests.get(f"{stack.api_url}{path}", headers=headers, timeout=10)


def _sign_up(stack: Any, address: str, source: str | None) -> None:
    body: dict[str, Any] = {
        "email": address,
        "first_name": "Tia",
        "consent": True,
        "_ts": int(time.time() * 1000) - 10_000,
    }
    if source:
        body["utm_source"] = source
    answer = requests.post(f"{stack.api_url}/forms/newsletter/submissions", json=body, timeout=10)
    assert answer.status_code == 202, answer.text


def _campaign_outcomes(dynamodb: Any, table: str) -> None:
    """A campaign as the sender and the SES events leave it: its META, a batch tally, and
    delivery, open and click interactions tagged with it."""
    now = clock.iso(clock.now())
    tally = {"type": "campaign_batch", "sent": 40, "skipped": 0, "failed": 0, "at": now}
    items = [
        {**keys.campaign("cmp_trends"), "type": "campaign", "name": "November letter"},
        {**keys.campaign_batch("cmp_trends", "0.0.0"), **tally},
    ]
    kinds = ["email_delivered"] * 30 + ["email_opened"] * 12 + ["email_clicked"] * 5
    for n, kind in enumerate(kinds):
        event = {"type": kind, "event_id": f"ses_{n}", "at": now, "campaign_id": "cmp_trends"}
        reader = {"contact_id": "trendsreader", "scanner": False}
        items.append({**keys.interaction("trendsreader", now, f"ses_{n}"), **event, **reader})
    for item in items:
        dynamodb.put_item(TableName=table, Item=serialize(item))


@pytest.fixture(scope="module")
def seeded(stack: Any, dynamodb: Any, table_name: str) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    addresses = [f"trends.{run}.{n}@acme.example" for n in range(len(SOURCES))]
    for address, source in zip(addresses, SOURCES, strict=True):
        _sign_up(stack, address, source)
    stack.drain()
    [mail] = [m for m in stack.outbox() if addresses[0] in m["to"]]
    link = next(link for link in mail["links"] if "/confirm/" in link)
    assert requests.post(link.replace("https://forms.example.com", stack.api_url), timeout=10)
    _campaign_outcomes(dynamodb, table_name)

    def look() -> dict[str, Any]:
        stack.drain()
        found: dict[str, Any] = admin(stack, "/admin/reports?days=7").json()
        return found

    def counted(found: dict[str, Any]) -> tuple[int, int]:
        return found["signups_by_source"]["total"], found["campaigns"]["totals"]["clicked"]

    report = wait_for(look, lambda found: counted(found) == (len(SOURCES), 5), every=0.2)
    assert counted(report) == (len(SOURCES), 5), report
    return dict(report)


def test_the_reports_route_counts_what_happened(stack: Any, seeded: dict[str, Any]) -> None:
    sources = {s["key"]: s["total"] for s in seeded["signups_by_source"]["series"]}
    # Only campaign labels are kept as typed; markup (or an address) counts as "(unlisted)".
    assert sources == {"google": 2, "newsletter": 1, "(unlisted)": 1, "(none)": 1}
    steps = {s["step"]: s["count"] for s in seeded["funnel"]["steps"]}
    assert steps["signed_up"] == 5 and steps["confirmed"] >= 1
    assert steps["stage:lead"] >= 5  # company addresses: 10 fit + 10 for the form
    assert seeded["scores"]["total"] >= 5
    [campaign] = seeded["campaigns"]["campaigns"]
    assert (campaign["name"], campaign["sent"], campaign["opened"]) == ("November letter", 40, 12)
    assert admin(stack, "/admin/reports", token="").status_code == 401
    assert admin(stack, "/admin/reports", token="viewer").status_code == 200  # a viewer reads


def test_the_page_draws_every_chart_with_data(
    page: Page, stack: Any, seeded: dict[str, Any]
) -> None:
    token = stack.authorizer.tokens["marketer"]
    page.goto(f"/web/reports.html#token={token}")
    page.wait_for_selector("body[data-loaded=true]")
    assert token not in page.url  # the fragment is dropped once read

    assert page.locator("#signups rect[data-series]").count() >= 4
    assert page.locator("#funnel rect[data-row]").count() >= 5
    assert page.locator("#scores rect[data-bucket]").count() == 12
    assert page.locator("#campaigns rect[data-row]").count() == 8
    assert page.locator("#campaigns td", has_text="November letter").count() == 1
    for chart in CHARTS:
        png = page.locator(f"#{chart} svg").screenshot()
        assert ink(png) > 400, f"the {chart} chart looks blank"

    # The hostile source was never kept, so never shown, and nothing ran as markup.
    assert page.locator("#signups .legend li", has_text="(unlisted)").count() == 1
    assert page.locator("#signups .legend li", has_text="onerror").count() == 0
    assert page.evaluate("window.__xss") is None
    assert page.locator("img").count() == 0
    (ROOT / "test-results").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "test-results" / "reports.png"), full_page=True)


def test_a_wrong_token_says_so_and_draws_nothing(page: Page, stack: Any) -> None:
    page.goto("/web/reports.html#token=not-a-token")
    page.wait_for_selector("#status.error")
    assert "Unauthorized" in page.locator("#status").inner_text()
    assert page.locator("svg").count() == 0
