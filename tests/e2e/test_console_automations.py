"""The console's Automations screen in Chromium against `ecrm serve`: an automation created from
the keyboard (a refusal next to the control it names first), fired by a subscriber's
confirmation and sent by the schedule tick, disabled, and its counts (triggered, sent) read
in the list and on its page; a rule made a journey from the keyboard (a question first), the
contact it mailed before not mailed again and the next one mailed by the journey, the rule's
counts still shown; a viewer sees no write control and a forced write (an edit, a migration)
is refused by the API; accessible at 1280 and 390 px without sideways scrolling."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from local.stack import EmbeddedStack
from tests.e2e.browsing import page_at
from tests.e2e.console import (
    admin,
    assert_accessible,
    assert_fits,
    confirmed_subscriber,
    forced_write,
    sign_in_on,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

WELCOME = {
    "id": "au-welcome",
    "name": "Welcome",
    "subject": "Welcome aboard",
    "html": '<p>Hello!</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>',
}
RULE = {
    "name": "Made by the API",
    "when": {"event": "stage_reached", "stage": "mql"},
    "template_id": "au-welcome",
    "topic": "newsletter",
    "sender": {"email": "news@example.com", "name": "News"},
    "delay_minutes": 1440,
}


@pytest.fixture(scope="module")
def stack(state_dir: Path) -> Iterator[EmbeddedStack]:
    """The schedule tick every 0.2 s (not each minute): a due run is sent in a moment."""
    local_stack = EmbeddedStack(state_dir, port=0, fresh=True, schedule_every=0.2, keep_state=False)
    local_stack.start()
    try:
        yield local_stack
    finally:
        local_stack.stop()


@pytest.fixture(scope="module")
def welcome(stack: Any) -> str:
    assert admin(stack, "POST", "/admin/templates", json=WELCOME).status_code == 201
    return "au-welcome"


@pytest.fixture(scope="module")
def saved(stack: Any, welcome: str) -> str:
    answer = admin(stack, "POST", "/admin/automations", json=RULE)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def sign_in(page: Page, stack: Any, who: str = "marketer") -> None:
    sign_in_on(page, stack, "automations", "Automations", who)
    expect(page.locator("main")).to_have_attribute("data-loaded", "true")


def row(page: Page, name: str) -> Any:
    return page.locator("#automation-list tbody tr").filter(has_text=name)


def test_an_automation_made_from_the_keyboard_fires_is_disabled_and_shows_its_counts(
    page: Page, stack: Any, welcome: str
) -> None:
    sign_in(page, stack)
    page.get_by_role("button", name="New automation").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#editing")).to_have_text("New automation")
    expect(page.locator("#editing")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Name", exact=True)).to_be_focused()
    page.keyboard.type("Welcome, typed")
    page.keyboard.press("Tab")  # When: a subscriber confirms (the first choice)
    expect(page.get_by_label("When", exact=True)).to_be_focused()
    page.keyboard.press("Tab")  # the form, stage and topic of other events are hidden
    expect(page.get_by_label("Send the template (id)")).to_be_focused()
    page.keyboard.type("no-such-template")
    page.keyboard.press("Tab")
    page.keyboard.type("newsletter")
    page.keyboard.press("Tab")
    page.keyboard.type("news@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type("News")
    page.keyboard.press("Tab")  # replies: none
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("0")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Enabled: it fires from the moment it is created")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Create")).to_be_focused()
    page.keyboard.press("Enter")

    # the API's refusal next to the template, which keeps the caret
    expect(page.locator("#au-template-error")).to_have_text("No such template.")
    expect(page.get_by_label("Send the template (id)")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type(welcome)
    page.keyboard.press("Enter")  # submits the form
    expect(page.locator("#editing")).to_have_text("Automation Welcome, typed · version 1")
    expect(page.locator("#automation-counts [data-count=triggered] dd")).to_have_text("0")
    [stored] = [
        r
        for r in admin(stack, "GET", "/admin/automations").json()["items"]
        if r["name"] == "Welcome, typed"
    ]
    assert stored["when"] == {
        "event": "confirmed",
        "form_id": None,
        "stage": None,
        "topic": None,
        "name": None,
    }
    assert stored["enabled"] is True and stored["template_id"] == welcome

    # a subscriber confirms: the rule fires, the tick sends the welcome mail
    address = "ann.automations@acme.example"
    confirmed_subscriber(stack, address)
    mails = wait_for(
        lambda: [m for m in stack.outbox() if m["subject"] == "Welcome aboard"], timeout=60
    )
    assert [m["to"] for m in mails] == [address]
    counts = wait_for(
        lambda: admin(stack, "GET", f"/admin/automations/{stored['id']}/counts").json(),
        lambda c: c["sent"] == 1,
    )
    assert counts["triggered"] == 1 and counts["sent"] == 1

    # disabled from the keyboard; the page and the list show it with its counts
    page.get_by_role("button", name="Disable").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#editing")).to_have_text("Automation Welcome, typed · version 2")
    expect(page.locator("#au-state")).to_contain_text("Disabled")
    expect(page.get_by_role("button", name="Enable")).to_be_visible()
    assert admin(stack, "GET", f"/admin/automations/{stored['id']}").json()["enabled"] is False
    page.get_by_role("button", name="Close").focus()
    page.keyboard.press("Enter")
    line = row(page, "Welcome, typed")
    expect(line.locator("[data-state]")).to_have_text("disabled")
    expect(line.locator("[data-count=triggered]")).to_have_text("1")
    expect(line.locator("[data-count=sent]")).to_have_text("1")

    # disabled, it fires no more: a second confirmation counts nothing
    confirmed_subscriber(stack, "bob.automations@acme.example")
    line.get_by_role("button", name="Welcome, typed").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#automation-counts [data-count=triggered] dd")).to_have_text("1")
    expect(page.locator("#automation-counts [data-count=sent] dd")).to_have_text("1")


def test_a_viewer_reads_an_automation_with_no_write_control(
    page: Page, stack: Any, saved: str
) -> None:
    sign_in(page, stack, "viewer")
    expect(page.get_by_role("button", name="New automation")).to_have_count(0)
    row(page, "Made by the API").get_by_role("button", name="Made by the API").click()
    expect(page.locator("#editing")).to_have_text("Automation Made by the API · version 1")
    area = page.locator("#automation-area")
    expect(area.get_by_role("button")).to_have_count(0)
    expect(page.get_by_label("Name", exact=True)).not_to_be_editable()
    expect(page.get_by_label("Stage", exact=True)).to_have_value("mql")
    expect(page.locator("#automation-counts [data-count=triggered] dd")).to_have_text("0")
    forced = page.evaluate(
        """async (id) => {
            const token = JSON.parse(sessionStorage.getItem('ecrm-console-session')).id;
            const answer = await fetch('/admin/automations/' + id, {method: 'PUT',
              headers: {Authorization: 'Bearer ' + token, 'Content-Type': 'application/json'},
              body: JSON.stringify({enabled: false})});
            return {status: answer.status, body: await answer.json()};
        }""",
        saved,
    )
    assert forced["status"] == 403 and forced["body"]["error"]["code"] == "forbidden"
    assert admin(stack, "GET", f"/admin/automations/{saved}").json()["enabled"] is True
    migrating = forced_write(page, "POST", f"/admin/automations/{saved}/migrate")
    assert migrating["status"] == 403
    assert admin(stack, "GET", f"/admin/automations/{saved}").json()["migrated_to"] is None


def test_a_rule_made_a_journey_from_the_keyboard_mails_each_contact_once(
    page: Page, stack: Any
) -> None:
    template = {**WELCOME, "id": "au-journey", "subject": "Hello from a journey"}
    assert admin(stack, "POST", "/admin/templates", json=template).status_code == 201
    body = {**RULE, "name": "Becomes a journey", "when": {"event": "confirmed"}, "delay_minutes": 0}
    made = admin(stack, "POST", "/admin/automations", json={**body, "template_id": "au-journey"})
    rule_id = made.json()["id"]
    journey_id = "jo_" + rule_id.removeprefix("au_")

    def mailed() -> list[str]:
        return [m["to"] for m in stack.outbox() if m["subject"] == "Hello from a journey"]

    ann, bob = "ann.migrated@acme.example", "bob.migrated@acme.example"
    confirmed_subscriber(stack, ann)  # the rule fires and mails Ann
    assert wait_for(mailed) == [ann]

    sign_in(page, stack)
    row(page, "Becomes a journey").get_by_role("button", name="Becomes a journey").focus()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Make it a journey").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Make this automation a journey?")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    assert_accessible(page)
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Make it a journey")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#au-state")).to_contain_text(f"Now the journey {journey_id}")
    expect(page.locator("#automation-area").get_by_role("button")).to_have_count(1)  # Close
    expect(page.get_by_label("Name", exact=True)).not_to_be_editable()
    expect(page.locator("#automation-counts [data-count=triggered] dd")).to_have_text("1")
    expect(row(page, "Becomes a journey").locator("[data-state]")).to_have_text(
        f"journey {journey_id}"
    )
    journey = admin(stack, "GET", f"/admin/journeys/{journey_id}").json()
    assert journey["live_version"] == 1 and journey["migrated_from"] == rule_id

    # the next contact is mailed by the journey; the rule's counts stay as they were
    confirmed_subscriber(stack, bob)
    assert sorted(wait_for(mailed, lambda m: len(m) > 1)) == [ann, bob]
    counts = admin(stack, "GET", f"/admin/automations/{rule_id}/counts").json()
    assert counts["triggered"] == 1 and counts["sent"] == 1


@pytest.mark.parametrize("width", [1280, 390])
def test_the_automations_screen_is_accessible_and_fits_a_phone(
    browser: Browser, stack: Any, saved: str, width: int
) -> None:
    with page_at(browser, stack, width) as page:
        sign_in(page, stack)
        assert_fits(page, width)  # the list (its picture is the rule's page below)
        row(page, "Made by the API").get_by_role("button", name="Made by the API").click()
        expect(page.locator("#automation-counts")).to_be_visible()
        assert_fits(page, width, "console-automations")
