"""The console's Segments screen in Chromium against `ecrm serve`: a segment built from the
keyboard, its audience counted by the API as its conditions change (with what the count read
and a few members), saved, changed and deleted; a viewer reads a segment and its count with
no control that changes it, and a forced write is refused by the API; accessible at 1280 and
390 px without sideways scrolling."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browsing import page_at
from tests.e2e.console import admin, assert_fits, confirmed_subscriber, sign_in_on

pytestmark = pytest.mark.e2e

PEOPLE = {
    "sam.segments@acme.example": "Acme",
    "sue.segments@acme.example": "Acme",
    "oli.segments@other.example": "Other",
}


@pytest.fixture(scope="module")
def people(stack: Any) -> dict[str, str]:
    """Three confirmed subscribers of the newsletter, two of them at Acme."""
    for address, company in PEOPLE.items():
        confirmed_subscriber(stack, address, company=company)
    return PEOPLE


@pytest.fixture(scope="module")
def saved(stack: Any, people: dict[str, str]) -> str:
    body = {
        "id": "acme-readers",
        "name": "Acme readers",
        "topic": "newsletter",
        "conditions": [{"kind": "field", "field": "company", "op": "eq", "value": "Acme"}],
    }
    answer = admin(stack, "POST", "/admin/segments", json=body)
    assert answer.status_code == 201, answer.text
    return "acme-readers"


def sign_in(page: Page, stack: Any, who: str = "marketer") -> None:
    sign_in_on(page, stack, "segments", "Segments", who)
    expect(page.locator("main")).to_have_attribute("data-loaded", "true")


def open_segment(page: Page, segment_id: str) -> None:
    page.locator("#segment-list").get_by_role("button", name=segment_id, exact=True).click()
    expect(page.locator("#editing")).to_be_focused()


def test_a_segment_built_from_the_keyboard_is_counted_as_its_conditions_change(
    page: Page, stack: Any, people: dict[str, str]
) -> None:
    sign_in(page, stack)
    page.get_by_role("button", name="New segment").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#editing")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Id (lower case, digits, -)")).to_be_focused()
    page.keyboard.type("acme-keys")
    page.keyboard.press("Tab")
    page.keyboard.type("Acme, typed")
    page.keyboard.press("Tab")
    page.keyboard.type("newsletter")
    # the whole topic, counted once typing pauses: what it read, a few of them
    expect(page.locator("#audience-count")).to_have_text("3 contacts")
    expect(page.locator("#audience-cost")).to_contain_text("index queries")
    expect(page.locator("#audience-cost")).to_contain_text("never a Scan")
    expect(page.locator("#audience-sample li")).to_have_count(3)

    page.keyboard.press("Tab")  # the new condition's kind: a profile field first
    expect(page.get_by_label("New condition of kind")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Add the condition
    expect(page.locator("#cond-0-kind")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.type("company")
    page.keyboard.press("Tab")  # the test: "is"
    page.keyboard.press("Tab")
    page.keyboard.type("Acme")
    expect(page.locator("#audience-count")).to_have_text("2 contacts")
    expect(page.locator("#audience-sample")).not_to_contain_text("oli.segments")

    page.get_by_role("button", name="Create").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#editing")).to_have_text("Segment acme-keys · version 1")
    stored = admin(stack, "GET", "/admin/segments/acme-keys").json()
    assert stored["conditions"] == [
        {"kind": "field", "field": "company", "op": "eq", "value": "Acme"}
    ]

    # a score range no score is in: refused at its condition; removed, renamed, saved: v2
    page.get_by_label("New condition of kind").select_option("score")
    page.get_by_role("button", name="Add the condition").click()
    page.locator("#cond-1-min").fill("5")
    page.locator("#cond-1-max").fill("1")
    expect(page.locator("#cond-1-error")).to_contain_text("min is above max")
    page.get_by_role("button", name="Remove condition 2").click()
    expect(page.locator("#audience-count")).to_have_text("2 contacts")
    page.get_by_label("Name").fill("Acme, renamed")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#editing")).to_have_text("Segment acme-keys · version 2")
    assert admin(stack, "GET", "/admin/segments/acme-keys").json()["name"] == "Acme, renamed"

    # deleted (asked twice): gone from the list and the API
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("button", name="Delete acme-keys for good").click()
    expect(page.locator("#segment-list")).not_to_contain_text("acme-keys")
    assert admin(stack, "GET", "/admin/segments/acme-keys").status_code == 404


def test_a_viewer_reads_a_segment_and_its_count_with_no_write_control(
    page: Page, stack: Any, saved: str
) -> None:
    sign_in(page, stack, "viewer")
    expect(page.get_by_role("button", name="New segment")).to_have_count(0)
    open_segment(page, saved)
    area = page.locator("#segment-area")
    expect(area.get_by_role("button")).to_have_count(0)
    expect(page.get_by_label("Name")).not_to_be_editable()
    expect(page.locator("#cond-0-value")).not_to_be_editable()
    expect(page.locator("#audience-count")).to_have_text("2 contacts")  # the saved count
    forced = page.evaluate(
        """async () => {
            const token = JSON.parse(sessionStorage.getItem('ecrm-console-session')).id;
            const answer = await fetch('/admin/segments/acme-readers', {method: 'DELETE',
              headers: {Authorization: 'Bearer ' + token}});
            return {status: answer.status, body: await answer.json()};
        }"""
    )
    assert forced["status"] == 403 and forced["body"]["error"]["code"] == "forbidden"
    assert admin(stack, "GET", f"/admin/segments/{saved}").status_code == 200


@pytest.mark.parametrize("width", [1280, 390])
def test_the_segments_screen_is_accessible_and_fits_a_phone(
    browser: Browser, stack: Any, saved: str, width: int
) -> None:
    with page_at(browser, stack, width) as page:
        sign_in(page, stack)
        open_segment(page, saved)
        expect(page.locator("#audience-count")).to_have_text("2 contacts")
        assert_fits(page, width, "console-segments")
