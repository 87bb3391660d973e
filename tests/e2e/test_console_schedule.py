"""The console's schedule form in Chromium against `ecrm serve`: a campaign made in the wizard is
scheduled "at 09:00 in each recipient's own day" with the keyboard alone (the radio group, the
time, the day), a bad time refused by the API and shown at its field; the scheduled state read
back from the API and shown in words on a fresh screen (the list and the page, with the first
wave's moment); an A/B campaign says why the local time is not offered, and the API refuses
it anyway; accessible at 1280 and 390 px without sideways scrolling, with no CSP violation."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browsing import page_at
from tests.e2e.console import (
    admin,
    assert_fits,
    confirmed_subscriber,
    create_the_draft,
    csp_violations,
    sign_in_on,
    tab_to,
    watch_csp,
    wizard_by_keyboard,
)

pytestmark = pytest.mark.e2e

HTML = '<p>Hello {{ contact.first_name }}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>'
SENDER = {"email": "news@example.com", "name": "News"}
DAY = (datetime.now(UTC) + timedelta(days=30)).date()  # ahead everywhere, within a year
IN_WORDS = f"09:00 in each recipient's zone on {DAY.day} {DAY:%b %Y}"


@pytest.fixture(scope="module")
def parts(stack: Any) -> None:
    """A template and a segment of the newsletter (nobody need be in it: nothing is sent)."""
    template = {"id": "dawn", "name": "Dawn", "subject": "Morning, {{ contact.first_name }}"}
    assert admin(stack, "POST", "/admin/templates", json={**template, "html": HTML}).ok
    segment = {"id": "dawn-news", "name": "Morning readers", "topic": "newsletter"}
    assert admin(stack, "POST", "/admin/segments", json=segment).status_code == 201


def draft(stack: Any, name: str, **extra: Any) -> str:
    body = {"name": name, "template_id": "dawn", "segment_id": "dawn-news", "sender": SENDER}
    answer = admin(stack, "POST", "/admin/campaigns", json={**body, **extra})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


@pytest.fixture(scope="module")
def ab_draft(stack: Any, parts: None) -> str:
    ab_test = {
        "variants": [{"id": "A"}, {"id": "B", "subject": "Good morning"}],
        "test_percent": 40,
        "metric": "opens",
        "wait_hours": 4,
    }
    return draft(stack, "Morning test", ab_test=ab_test)


@pytest.fixture(scope="module")
def scheduled(stack: Any, parts: None) -> str:
    """A draft scheduled through the API at 09:00 local on DAY."""
    campaign_id = draft(stack, "Morning by the API")
    body = {"local_time": "09:00", "on": DAY.isoformat()}
    answer = admin(stack, "POST", f"/admin/campaigns/{campaign_id}/schedule", json=body)
    assert answer.status_code == 200, answer.text
    return campaign_id


@pytest.fixture(scope="module")
def waving(stack: Any, parts: None) -> str:
    """A local-time send under way: a reader without a zone (UTC, the account's default) whose
    time is an hour away, the campaign started by the tick (its first moment, UTC+14's, passed)
    and holding their wave."""
    confirmed_subscriber(stack, "wade.waves@acme.example", first_name="Wade")
    campaign_id = draft(stack, "Morning in waves")
    soon = datetime.now(UTC) + timedelta(hours=1)
    body = {"local_time": f"{soon:%H:%M}", "on": soon.date().isoformat()}
    answer = admin(stack, "POST", f"/admin/campaigns/{campaign_id}/schedule", json=body)
    assert answer.status_code == 200, answer.text
    stack.drain()  # a tick: started, planned, the wave's batch held
    shown = admin(stack, "GET", f"/admin/campaigns/{campaign_id}").json()
    assert shown["state"] == "sending" and shown["stats"]["sent"] == 0, shown
    return campaign_id


def sign_in(page: Page, stack: Any) -> None:
    watch_csp(page)
    sign_in_on(page, stack, "campaigns", "Campaigns")
    expect(page.locator("main")).to_have_attribute("data-loaded", "true")


def open_campaign(page: Page, name: str) -> None:
    page.locator("#campaign-list").get_by_role("button", name=name, exact=True).click()
    expect(page.locator("#editing")).to_be_focused()


def retype(page: Page, text: str) -> None:
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_a_local_time_send_is_scheduled_by_keyboard_a_bad_time_refused_at_its_field(
    page: Page, stack: Any, parts: None
) -> None:
    sign_in(page, stack)
    wizard_by_keyboard(page, "Morning news", "news@example.com", "Morning News")
    create_the_draft(page, "Morning news")
    # From the page's heading: the test address, Send a test, Send now, Delete, then the
    # radio group (one Tab stop, on the chosen way).
    moment = page.get_by_role("radio", name="At one moment")
    tab_to(page, moment, tabs=5)
    expect(moment).to_be_checked()
    expect(page.get_by_label("Send at (your own time zone)")).to_be_visible()
    page.keyboard.press("ArrowDown")
    local = page.get_by_role("radio", name="At a time of each recipient's own day")
    expect(local).to_be_focused()
    expect(local).to_be_checked()
    expect(page.get_by_label("Send at (your own time zone)")).to_be_hidden()
    at_time = page.get_by_label("Time of their day (HH:MM, 24 h)")
    tab_to(page, at_time)
    retype(page, "25:00")
    tab_to(page, page.get_by_label("On the day"))
    page.keyboard.type(DAY.strftime("%m%d%Y"))  # Chromium's date field, en-US: mm/dd/yyyy
    expect(page.get_by_label("On the day")).to_have_value(DAY.isoformat())
    page.keyboard.press("Enter")  # submitted: refused by the API, said at the time's field

    expect(page.locator("#schedule-local-time-error")).to_have_text(
        "Not a time: HH:MM on a 24-hour clock, such as 09:00."
    )
    expect(at_time).to_have_attribute("aria-invalid", "true")
    expect(at_time).to_be_focused()
    expect(page.locator("#campaign-state")).to_contain_text("draft")
    retype(page, "09:00")
    page.keyboard.press("Enter")

    expect(page.locator("#campaign-state")).to_contain_text("scheduled")
    expect(page.locator("#campaign-area")).to_contain_text(IN_WORDS)
    [row] = [
        c
        for c in admin(stack, "GET", "/admin/campaigns").json()["items"]
        if c["name"] == "Morning news"
    ]
    assert row["state"] == "scheduled"
    assert row["local_time"] == {"time": "09:00", "on": DAY.isoformat()}
    first = datetime.combine(DAY, time(9), UTC) - timedelta(hours=14)  # UTC+14's 09:00
    assert datetime.fromisoformat(row["scheduled_at"]) == first
    assert csp_violations(page) == []


def test_a_scheduled_local_time_send_is_shown_in_words_from_the_api(
    page: Page, stack: Any, scheduled: str
) -> None:
    sign_in(page, stack)
    first = datetime.combine(DAY, time(9), UTC) - timedelta(hours=14)
    starts = f"{first.day} {first:%b %Y}, {first:%H:%M} UTC"
    row = page.locator("#campaign-list tr", has_text="Morning by the API")
    expect(row).to_contain_text(f"scheduled{IN_WORDS}; the first wave {starts}")
    open_campaign(page, "Morning by the API")
    pairs = page.locator("#campaign-area dl.pairs")
    expect(pairs.locator("div", has_text="When")).to_contain_text(IN_WORDS)
    expect(pairs.locator("div", has_text="First wave starts")).to_contain_text(starts)
    # The form opens on the way it is scheduled, with its time and day.
    expect(page.get_by_role("radio", name="At a time of each recipient's own day")).to_be_checked()
    expect(page.get_by_label("Time of their day (HH:MM, 24 h)")).to_have_value("09:00")
    expect(page.get_by_label("On the day")).to_have_value(DAY.isoformat())
    assert csp_violations(page) == []


def test_a_local_time_send_under_way_shows_its_waves(page: Page, stack: Any, waving: str) -> None:
    local = admin(stack, "GET", f"/admin/campaigns/{waving}").json()["local_time"]
    last = datetime.fromisoformat(f"{local['on']}T{local['time']}+00:00") + timedelta(hours=12)
    sign_in(page, stack)
    row = page.locator("#campaign-list tr", has_text="Morning in waves")
    expect(row).to_contain_text("sending" + local["time"] + " in each recipient's zone on")
    open_campaign(page, "Morning in waves")
    expect(page.locator("#waves-note")).to_contain_text(
        f"each recipient when their own clock shows {local['time']} on that day"
    )
    expect(page.locator('[data-figure="sent"] dd')).to_have_text("0")
    expect(page.locator('[data-figure="eta"] dd')).to_have_text(
        f"until the last wave, {last.day} {last:%b %Y, %H:%M} UTC"
    )
    assert csp_violations(page) == []


def test_an_ab_campaign_says_why_the_local_time_is_not_offered(
    page: Page, stack: Any, ab_draft: str
) -> None:
    sign_in(page, stack)
    open_campaign(page, "Morning test")
    local = page.get_by_role("radio", name="At a time of each recipient's own day")
    expect(local).to_be_disabled()
    expect(local).to_have_accessible_description(
        "Not for an A/B test: the rest of its audience gets the winner when it is chosen,"
        " which cannot be the same hour everywhere."
    )
    expect(page.get_by_role("radio", name="At one moment")).to_be_checked()
    body = {"local_time": "09:00", "on": DAY.isoformat()}
    forced = admin(stack, "POST", f"/admin/campaigns/{ab_draft}/schedule", json=body)
    assert forced.status_code == 422 and "local_time" in forced.json()["error"]["fields"]
    assert csp_violations(page) == []


@pytest.mark.parametrize("width", [1280, 390])
def test_the_schedule_form_is_accessible_and_fits_a_phone(
    browser: Browser, stack: Any, scheduled: str, ab_draft: str, waving: str, width: int
) -> None:
    with page_at(browser, stack, width) as page:
        sign_in(page, stack)
        open_campaign(page, "Morning by the API")
        expect(page.get_by_label("On the day")).to_be_visible()
        assert_fits(page, width, "console-campaigns-schedule")
        page.get_by_role("radio", name="At one moment").check()
        expect(page.get_by_label("Send at (your own time zone)")).to_be_visible()
        assert_fits(page, width)
        open_campaign(page, "Morning test")
        expect(page.locator("#schedule-local-why")).to_be_visible()
        assert_fits(page, width)
        open_campaign(page, "Morning in waves")
        expect(page.locator("#waves-note")).to_be_visible()
        assert_fits(page, width)
        assert csp_violations(page) == []
