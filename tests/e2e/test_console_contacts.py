"""The console's Contacts screen in Chromium against `ecrm serve`: a contact found by its exact
address shows its profile, topics, consent records, score with its explanation and newest
interactions, and downloads as JSON; an unknown or malformed address is answered next to the
field; a viewer reads the same page with no control that changes anything; accessible at 1280
and 390 px, from the keyboard."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browsing import page_at
from tests.e2e.console import assert_accessible, assert_fits, confirmed_subscriber, sign_in_on

pytestmark = pytest.mark.e2e

ADDRESS = "ann.console@acme.example"


@pytest.fixture(scope="module")
def contact(stack: Any) -> str:
    """Ann signs up on the demo form and clicks the link mailed to her."""
    return confirmed_subscriber(stack, ADDRESS, first_name="Ann")


@pytest.fixture(scope="module")
def members(stack: Any, contact: str) -> list[str]:
    """Ten more confirmed members of the demo form's topic, besides Ann."""
    addresses = [f"member{n}@example.org" for n in range(10)]
    for address in addresses:
        body = {"email": address, "consent": True}
        answer = requests.post(
            f"{stack.api_url}/forms/newsletter/submissions", json=body, timeout=30
        )
        assert answer.status_code == 202, answer.text
    stack.drain()
    for mail in stack.outbox():
        if any(address in mail["to"] for address in addresses):
            [link] = [link for link in mail["links"] if "/confirm/" in link]
            assert requests.post(link, timeout=30).status_code == 200
    stack.drain()
    return [contact, *addresses]


def sign_in(page: Page, stack: Any, who: str = "marketer") -> None:
    sign_in_on(page, stack, "contacts", "Contacts", who)


def find(page: Page, address: str) -> None:
    """From the keyboard: the field has the focus when the screen opens."""
    expect(page.get_by_label("Email address (exact)")).to_be_focused()
    page.keyboard.type(address)
    page.keyboard.press("Enter")


def test_a_contact_page_shows_consents_score_and_interactions(
    page: Page, stack: Any, contact: str, tmp_path: Path
) -> None:
    sign_in(page, stack)
    find(page, "  ANN.Console@ACME.example ")  # read as a submission reads it
    article = page.locator("#contact")
    expect(article.get_by_role("heading", name=contact)).to_be_focused()
    expect(article).to_contain_text("subscribed")
    expect(article).to_contain_text("first name")
    expect(article).to_contain_text("Ann")
    expect(article.locator(".records li")).to_have_count(1)
    expect(article.locator(".records")).to_contain_text("I agree to receive the ecrm newsletter")
    expect(article.locator(".records")).to_contain_text("link mailed to the address")
    expect(article.locator("tr[data-rule=confirmed]")).to_be_visible()
    expect(article.locator(".timeline")).to_contain_text("form submitted")
    expect(article.locator(".timeline")).to_contain_text("confirmed")

    with page.expect_download() as downloading:
        article.get_by_role("link", name="Download as JSON").click()
    saved = tmp_path / "contact.json"
    downloading.value.save_as(saved)
    document = json.loads(saved.read_text())
    assert document["contact"]["email"] == contact and document["score"]["stage"]
    assert contact not in page.url  # the address stays out of the page's own address


@pytest.mark.parametrize(
    ("typed", "said"),
    [("nobody@example.com", "No contact has this address."), ("not-an-address", "@")],
)
def test_an_unknown_or_malformed_address_is_answered_next_to_the_field(
    page: Page, stack: Any, typed: str, said: str
) -> None:
    sign_in(page, stack)
    find(page, typed)
    field = page.get_by_label("Email address (exact)")
    expect(page.locator("#find-email-error")).to_contain_text(said)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    expect(page.locator("#contact")).to_have_count(0)


def test_a_viewer_reads_a_contact_with_no_control_that_changes_it(
    page: Page, stack: Any, contact: str
) -> None:
    sign_in(page, stack, "viewer")
    find(page, contact)
    article = page.locator("#contact")
    expect(article.get_by_role("heading", name=contact)).to_be_visible()
    expect(article.get_by_role("button")).to_have_count(0)
    expect(article).not_to_contain_text("Erasing")
    expect(page.locator("main").get_by_role("button")).to_have_text(["Find", "List"])  # reads


def test_a_topics_members_page_by_page_and_each_opens_its_contact(
    page: Page, stack: Any, members: list[str]
) -> None:
    sign_in(page, stack)
    page.get_by_label("List the members of a").select_option("topic")
    page.get_by_label("Id").fill("newsletter")
    page.get_by_label("Per page").select_option("10")
    page.get_by_role("button", name="List", exact=True).click()
    rows = page.locator("#members tbody tr")
    count = page.locator("#list-count")
    expect(count).to_have_attribute("data-pages", "1")
    assert 0 < rows.count() <= 10  # a page holds at most 10, and may come back short
    more = page.get_by_role("button", name="Next page")
    pages = 1
    while more.is_visible() and pages < 20:  # the topic index is sharded: a page reads a few
        more.click()
        pages += 1
        expect(count).to_have_attribute("data-pages", str(pages))
    expect(count).to_contain_text("all of them")
    shown = rows.locator("button[data-email]").all_text_contents()
    assert sorted(shown) == sorted(members)  # each once, nobody else
    rows.get_by_role("button", name=members[3]).click()
    expect(page.locator("#contact").get_by_role("heading", name=members[3])).to_be_focused()


def test_an_unknown_segment_is_answered_next_to_the_field(page: Page, stack: Any) -> None:
    sign_in(page, stack)
    page.get_by_label("List the members of a").select_option("segment")
    page.get_by_label("Id").fill("no-such-segment")
    page.get_by_role("button", name="List", exact=True).click()
    expect(page.locator("#list-name-error")).not_to_be_empty()
    expect(page.get_by_label("Id")).to_have_attribute("aria-invalid", "true")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_contact_page_is_accessible_and_fits_a_phone(
    browser: Browser, stack: Any, contact: str, width: int
) -> None:
    with page_at(browser, stack, width) as page:
        sign_in(page, stack)
        find(page, contact)
        expect(page.locator("#contact")).to_be_visible()
        page.get_by_label("Id").fill("newsletter")
        page.get_by_role("button", name="List", exact=True).click()
        expect(page.locator("#list-count")).to_have_attribute("data-pages", "1")
        assert_fits(page, width, "console-contacts")


def test_a_marketer_erases_a_contact_by_typing_its_address_from_the_keyboard(
    page: Page, stack: Any
) -> None:
    """Last in the module: Eve signs up (not confirmed: she is in no topic's list); the dialog
    keeps the focus, a wrong address is refused next to the field and erases nothing, Escape
    cancels, the right one erases her; a viewer's DELETE is refused."""
    eve = "eve.erase@example.org"
    body = {"email": eve, "first_name": "Eve", "consent": True}
    answer = requests.post(f"{stack.api_url}/forms/newsletter/submissions", json=body, timeout=30)
    assert answer.status_code == 202, answer.text
    stack.drain()
    sign_in(page, stack)
    find(page, eve)
    article = page.locator("#contact")
    expect(article.get_by_role("heading", name=eve)).to_be_focused()
    contact_id = article.locator("dd").nth(5).text_content()

    opener = article.get_by_role("button", name="Erase this contact…")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Erase this contact?")
    field = dialog.get_by_label("Type the contact's address to confirm")
    expect(field).to_be_focused()
    behind = """() => {
        const focused = document.activeElement;
        return focused !== document.body && !focused.closest('dialog');
    }"""
    for key in ["Tab"] * 5 + ["Shift+Tab"] * 5:  # never reach the page behind the dialog
        page.keyboard.press(key)
        assert not page.evaluate(behind), key
    field.focus()
    page.keyboard.press("Escape")  # cancels; the focus goes back to the button
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()

    page.keyboard.press("Enter")
    page.keyboard.type("eve.erase@example.com")  # a slip
    page.keyboard.press("Enter")
    expect(dialog.locator("#erase-email-error")).to_contain_text("exactly")
    expect(field).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    viewer = requests.delete(  # what a stolen viewer token can do, with the right address
        f"{stack.api_url}/admin/contacts/{contact_id}",
        json={"email": eve},
        headers={"Authorization": f"Bearer {stack.authorizer.tokens['viewer']}"},
        timeout=30,
    )
    assert viewer.status_code == 403, viewer.text
    found = requests.get(
        f"{stack.api_url}/admin/contacts",
        params={"email": eve},
        headers={"Authorization": f"Bearer {stack.authorizer.tokens['marketer']}"},
        timeout=30,
    )
    assert found.status_code == 200  # nothing erased

    field.fill(" EVE.erase@example.org ")
    page.keyboard.press("Enter")
    expect(page.locator("#erased")).to_be_focused()
    expect(page.locator("#erased")).to_contain_text("is erased")
    expect(dialog).to_have_count(0)
    assert eve not in page.url
    page.get_by_label("Email address (exact)").press("Enter")  # the address is still there
    expect(page.locator("#find-email-error")).to_contain_text("No contact has this address.")
