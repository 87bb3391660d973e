"""The console's Campaigns screen in Chromium against `ecrm serve`: a campaign made through the
wizard from the keyboard (template, segment, sender, a review with the audience and the
preview), test-sent (found in the outbox), sent and watched until done; opens and clicks
simulated from the outbox show in its results and its clicks per link; a scheduled campaign
is cancelled; a viewer sees no write control and a forced write is refused by the API;
accessible at 1280 and 390 px without sideways scrolling."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browsing import page_at
from tests.e2e.console import (
    admin,
    assert_fits,
    confirmed_subscribers,
    create_the_draft,
    forced_write,
    send_a_test,
    send_and_watch_done,
    sign_in_on,
    simulate,
    user,
    wizard_by_keyboard,
)

pytestmark = pytest.mark.e2e

OFFER = "https://shop.example.com/offer"
HTML = (
    f'<p>Hello {{{{ contact.first_name }}}}, see <a href="{OFFER}?utm_source=news">the offer</a>.'
    "</p>"
    '<a href="{{ unsubscribe_url }}">Unsubscribe</a>'
)
PEOPLE = ("cara.campaigns@acme.example", "cody.campaigns@acme.example")


@pytest.fixture(scope="module")
def parts(stack: Any) -> None:
    """Two confirmed subscribers, a template with a link, a segment of the newsletter."""
    confirmed_subscribers(stack, {a: {"first_name": a.split(".")[0].title()} for a in PEOPLE})
    template = {"id": "spring", "name": "Spring", "subject": "Spring for {{ contact.first_name }}"}
    assert admin(stack, "POST", "/admin/templates", json={**template, "html": HTML}).ok
    segment = {"id": "all-news", "name": "All readers", "topic": "newsletter"}
    assert admin(stack, "POST", "/admin/segments", json=segment).status_code == 201


@pytest.fixture(scope="module")
def draft(stack: Any, parts: None) -> str:
    body = {
        "name": "Made by the API",
        "template_id": "spring",
        "segment_id": "all-news",
        "sender": {"email": "news@example.com", "name": "News"},
    }
    answer = admin(stack, "POST", "/admin/campaigns", json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


@pytest.fixture(scope="module")
def sent(stack: Any, parts: None) -> str:
    """A campaign sent through the API, to the end; delivered, one open and one click."""
    body = {
        "name": "Sent by the API",
        "template_id": "spring",
        "segment_id": "all-news",
        "sender": {"email": "news@example.com", "name": "News"},
    }
    before = {m["id"] for m in stack.outbox()}
    campaign_id = str(admin(stack, "POST", "/admin/campaigns", json=body).json()["id"])
    assert admin(stack, "POST", f"/admin/campaigns/{campaign_id}/send").status_code == 202
    stack.drain()
    simulate(stack, [m for m in stack.outbox() if m["id"] not in before], opened=1, link=OFFER)
    return campaign_id


def sign_in(page: Page, stack: Any, who: str = "marketer") -> None:
    sign_in_on(page, stack, "campaigns", "Campaigns", who)
    expect(page.locator("main")).to_have_attribute("data-loaded", "true")


def open_campaign(page: Page, name: str) -> None:
    page.locator("#campaign-list").get_by_role("button", name=name, exact=True).click()
    expect(page.locator("#editing")).to_be_focused()


def test_a_campaign_made_in_the_wizard_is_tested_sent_and_its_results_shown(
    page: Page, stack: Any, parts: None
) -> None:
    me = user(stack, "marketer")["email"]
    sign_in(page, stack)
    wizard_by_keyboard(page, "Spring news", "news@example.com", "Spring News")
    expect(page.locator("#wiz-audience")).to_have_text("2 contacts would get it now")
    expect(page.locator("#wiz-subject")).to_contain_text("Subject: Spring for")
    expect(page.frame_locator("#wiz-preview").get_by_role("link", name="the offer")).to_be_visible()
    create_the_draft(page, "Spring news")
    expect(page.get_by_label("Send a test to (yourself)")).to_have_value(me)
    proof = send_a_test(page, stack)
    assert proof["subject"].startswith("[Test] Spring for")

    mails = send_and_watch_done(page, stack, 2)
    assert sorted(m["to"] for m in mails) == sorted(PEOPLE)
    simulate(stack, mails, opened=2, link=OFFER)

    page.get_by_role("button", name="Refresh the results").focus()
    page.keyboard.press("Enter")
    outcomes = page.locator("#outcomes")
    expect(outcomes.locator('[data-row="delivered"] td.figure')).to_have_text("2 (100%)")
    expect(outcomes.locator('[data-row="opened"] td.figure')).to_have_text("2 (100%)")
    expect(outcomes.locator('[data-row="clicked"] td.figure')).to_have_text("1 (50%)")
    expect(outcomes.locator('[data-row="bounced"] td.figure')).to_have_text("0 (0%)")
    expect(page.locator("#links").locator(f'[data-row="{OFFER}"] td.figure')).to_have_text("1")

    page.get_by_label("Show campaigns in").select_option("done")
    expect(page.locator("#campaign-list tbody tr")).to_have_count(1)
    expect(page.locator("#campaign-list")).to_contain_text("Spring news")


def test_a_draft_is_scheduled_then_cancelled(page: Page, stack: Any, draft: str) -> None:
    sign_in(page, stack)
    open_campaign(page, "Made by the API")
    at = page.get_by_label("Send at (your own time zone)")
    at.fill("2031-05-01T09:30")  # more than a year ahead: refused next to the field
    page.get_by_role("button", name="Schedule").click()
    expect(page.locator("#schedule-at-error")).to_have_text("not in the next 365 days")
    expect(at).to_have_attribute("aria-invalid", "true")
    at.fill((datetime.now() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Schedule").click()
    expect(page.locator("#campaign-state")).to_contain_text("scheduled")
    assert admin(stack, "GET", f"/admin/campaigns/{draft}").json()["scheduled_at"]
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("#campaign-state")).to_contain_text("cancelled")
    assert admin(stack, "GET", f"/admin/campaigns/{draft}").json()["state"] == "cancelled"


def test_a_viewer_sees_no_write_control_and_a_forced_send_is_refused(
    page: Page, stack: Any, parts: None
) -> None:
    body = {
        "name": "Viewer's view",
        "template_id": "spring",
        "segment_id": "all-news",
        "sender": {"email": "news@example.com", "name": "News"},
    }
    campaign_id = admin(stack, "POST", "/admin/campaigns", json=body).json()["id"]
    sign_in(page, stack, "viewer")
    expect(page.get_by_role("button", name="New campaign")).to_have_count(0)
    open_campaign(page, "Viewer's view")
    area = page.locator("#campaign-area")
    expect(area.get_by_role("button")).to_have_count(0)
    expect(area.get_by_role("textbox")).to_have_count(0)
    expect(area).to_contain_text("Read only")
    forced = forced_write(page, "POST", f"/admin/campaigns/{campaign_id}/send")
    assert forced["status"] == 403 and forced["body"]["error"]["code"] == "forbidden"
    assert admin(stack, "GET", f"/admin/campaigns/{campaign_id}").json()["state"] == "draft"


@pytest.mark.parametrize("width", [1280, 390])
def test_the_campaigns_screen_is_accessible_and_fits_a_phone(
    browser: Browser, stack: Any, sent: str, width: int
) -> None:
    with page_at(browser, stack, width) as page:
        sign_in(page, stack)
        open_campaign(page, "Sent by the API")
        expect(page.locator("#links")).to_be_visible()
        assert_fits(page, width, "console-campaigns")
        page.get_by_role("button", name="New campaign").click()
        expect(page.get_by_label("Campaign name")).to_be_visible()
        assert_fits(page, width, "console-campaigns-wizard")
