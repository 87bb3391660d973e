"""The console's Home in Chromium against `ecrm serve`: visitors sign up through the capture API
(one confirms from the mail), and Home's trends charts show them, in their tables of figures
(visually hidden, for screen readers) as in their bars; the period is chosen from the keyboard,
each choice one read of the reports API; accessible and without sideways scroll at 1280 and
390 px. The charts are the Trends page's own (web/console/trends.js): test_reports_page.py
tests them there. Home with nothing counted: test_console_shell.py's first test."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browsing import page_at
from tests.e2e.console import (
    admin,
    assert_fits,
    confirmed_subscriber,
    sign_in_on,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

SOURCE = "home-test"  # a campaign label: counted as typed


def table_of(page: Page, chart: str) -> dict[str, dict[str, str]]:
    """A chart's table of figures: {row's name: {column's name: figure}}."""
    found: dict[str, dict[str, str]] = page.evaluate(
        """(chart) => {
            const table = document.querySelector(`#${chart} .visually-hidden table`);
            const head = [...table.tHead.rows[0].cells].map((cell) => cell.textContent);
            return Object.fromEntries([...table.tBodies[0].rows].map((row) => [
                row.cells[0].textContent,
                Object.fromEntries(
                    [...row.cells].slice(1).map((cell, i) => [head[i + 1], cell.textContent])
                ),
            ]));
        }""",
        chart,
    )
    return found


@pytest.fixture(scope="module")
def today(stack: Any) -> str:
    """Three visitors from SOURCE sign up on the demo form, one confirms: today's date (UTC) as
    the reports name it, once the trend counters have counted them."""
    for n in range(2):
        body = {"email": f"visitor{n}.home@acme.example", "consent": True, "utm_source": SOURCE}
        answer = requests.post(
            f"{stack.api_url}/forms/newsletter/submissions", json=body, timeout=30
        )
        assert answer.status_code == 202, answer.text
    confirmed_subscriber(stack, "hana.home@acme.example", utm_source=SOURCE)

    def look() -> dict[str, Any]:
        stack.drain()
        found: dict[str, Any] = admin(stack, "GET", "/admin/reports?days=7").json()
        return found

    def counted(report: dict[str, Any]) -> tuple[int, int]:
        return report["signups_by_source"]["total"], sum(report["funnel"]["per_day"]["confirmed"])

    report = wait_for(look, lambda found: counted(found) == (3, 1), every=0.2)
    assert counted(report) == (3, 1), report
    return str(report["signups_by_source"]["days"][-1])


def test_the_charts_show_the_sign_ups_and_the_period_is_chosen_from_the_keyboard(
    page: Page, stack: Any, today: str
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    sign_in_on(page, stack, "home", "Home")
    expect(page.locator("main")).to_have_attribute("data-loaded", "true")
    assert [u for u in requested if "/admin/" in u] == [f"{stack.api_url}/admin/reports?days=30"]

    assert table_of(page, "signups")[today] == {SOURCE: "3"}
    expect(page.locator(f"#signups rect[data-series={SOURCE}]")).to_have_count(1)  # today's
    expect(page.locator("#signups .legend li")).to_have_text([f"{SOURCE} (3)"])
    # its colour set through the CSSOM, which the console's policy (no inline style) allows
    swatch = page.locator("#signups .legend .swatch")
    expect(swatch).to_have_css("background-color", "rgb(29, 107, 79)")
    day = table_of(page, "list")[today]
    assert (day["Signed up"], day["Confirmed"], day["Unsubscribed"]) == ("3", "1", "0")
    expect(page.locator("#list polyline[data-series=confirmed]")).to_have_count(1)
    funnel = table_of(page, "funnel")
    assert (funnel["Signed up"]["Contacts"], funnel["Confirmed"]["Contacts"]) == ("3", "1")
    expect(page.locator("#mails .empty")).to_contain_text("No campaign mail in these days")

    # One Tab stop into the period, its focus shown; the arrows choose
    page.locator("main").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("radio", name="30 days")).to_be_focused()
    shown = "getComputedStyle(document.activeElement.closest('label')).outlineStyle"
    assert page.evaluate(shown) == "solid"
    requested.clear()
    page.keyboard.press("ArrowLeft")
    seven = page.get_by_role("radio", name="7 days")
    expect(seven).to_be_checked()
    expect(seven).to_be_focused()
    expect(page.get_by_role("heading", name="Trends over 7 days")).to_be_visible()
    expect(page.locator("main")).to_have_attribute("data-loaded", "true")
    assert table_of(page, "signups")[today] == {SOURCE: "3"}
    assert [u for u in requested if "/admin/" in u] == [f"{stack.api_url}/admin/reports?days=7"]

    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="90 days")).to_be_checked()
    expect(page.get_by_role("heading", name="Trends over 90 days")).to_be_visible()
    first = admin(stack, "GET", "/admin/reports?days=90").json()["signups_by_source"]["days"][0]
    expect(page.locator("#signups svg text", has_text=first)).to_have_count(1)  # the axis
    assert table_of(page, "signups")[today] == {SOURCE: "3"}


@pytest.mark.parametrize("width", [1280, 390])
def test_home_is_accessible_and_fits_a_phone(
    browser: Browser, stack: Any, today: str, width: int
) -> None:
    with page_at(browser, stack, width) as page:
        page.goto("/console/")
        expect(page.get_by_role("dialog", name="Sign in")).to_be_visible()
        assert_fits(page, width)  # the sign-in dialog
        sign_in_on(page, stack, "home", "Home")
        expect(page.locator("[data-figure=today-signups] dd")).to_have_text("3")
        for chart in ("signups", "list", "funnel"):
            expect(page.locator(f"#{chart} svg")).to_be_visible()
            box = page.locator(f"#{chart} svg").bounding_box()
            assert box and box["width"] <= width
        assert_fits(page, width, "console-home")
