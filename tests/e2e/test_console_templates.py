"""The console's Templates screen in Chromium against `ecrm serve`: a template written from the
keyboard in the highlighted code fields is previewed before its first save, saved by the API,
previewed for a contact, a sandbox problem is shown at its line; a test send with no campaign
reaches the local outbox and one to a person who complained is refused at the field; a viewer
reads the source with no control that changes it; accessible at 1280 and 390 px without
sideways scrolling."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browsing import page_at
from tests.e2e.console import (
    admin,
    assert_fits,
    confirmed_subscriber,
    send_a_test,
    sign_in_on,
    user,
)

pytestmark = pytest.mark.e2e

ADDRESS = "tess.templates@acme.example"
HTML = '<p>Hello {{ contact.first_name }}</p>\n<a href="{{ unsubscribe_url }}">Unsubscribe</a>'


@pytest.fixture(scope="module")
def contact(stack: Any) -> str:
    """Tess signs up on the demo form with her first name and clicks the link mailed to her."""
    return confirmed_subscriber(stack, ADDRESS, first_name="Tess")


@pytest.fixture(scope="module")
def saved(stack: Any) -> str:
    """A template made through the API."""
    template = {"id": "welcome-api", "name": "Welcome", "subject": "Hi {{ contact.email }}"}
    answer = admin(stack, "POST", "/admin/templates", json={**template, "html": HTML})
    assert answer.status_code == 201, answer.text
    return "welcome-api"


def sign_in(page: Page, stack: Any, who: str = "marketer") -> None:
    sign_in_on(page, stack, "templates", "Templates", who)
    expect(page.locator("main")).to_have_attribute("data-loaded", "true")


def open_template(page: Page, template_id: str) -> None:
    page.locator("#template-list").get_by_role("button", name=template_id, exact=True).click()
    expect(page.locator("#editing")).to_be_focused()


def test_a_template_written_from_the_keyboard_is_previewed_and_a_problem_shown_at_its_line(
    page: Page, stack: Any, contact: str
) -> None:
    sign_in(page, stack)
    page.get_by_role("button", name="New template").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#editing")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Id (lower case, digits, -)")).to_be_focused()
    page.keyboard.type("welcome-keys")
    page.keyboard.press("Tab")
    page.keyboard.type("Welcome, typed")
    page.keyboard.press("Tab")
    page.keyboard.type("Welcome {{ contact.first_name }}")
    page.keyboard.press("Tab")
    expect(page.get_by_label("HTML", exact=True)).to_be_focused()
    page.keyboard.type(HTML)
    # highlighted by the library: the Jinja variable and the HTML tag are tokens of their own
    shown = page.locator('.code[data-field="html"] .code-shown')
    expect(shown.locator(".hljs-template-variable").first).to_contain_text("contact.first_name")
    expect(shown.locator(".hljs-tag").first).to_be_visible()
    # previewed before its first save: for an address only, no first name
    expect(page.locator("#preview-text")).to_contain_text("Hello")
    expect(page.locator("#preview-subject")).to_have_text("Welcome")
    page.get_by_role("button", name="Create").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#editing")).to_have_text("Template welcome-keys · version 1")
    assert admin(stack, "GET", "/admin/templates/welcome-keys").json()["name"] == "Welcome, typed"

    page.get_by_label("Preview for the contact with this address").fill(contact)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-subject")).to_have_text("Welcome Tess")
    expect(page.locator("#preview-text")).to_contain_text("Hello Tess")
    frame = page.frame_locator("#preview-html")
    expect(frame.locator("p")).to_have_text("Hello Tess")

    # a sandbox problem on line 3: the live preview shows it at that line as it is typed, the
    # caret stays where it is; saving is refused the same way, nothing saved
    html = page.get_by_label("HTML", exact=True)
    html.press("Control+End")
    page.keyboard.type("\n<p>{{ contact.__class__ }}</p>")
    expect(page.locator("#tpl-html-error")).to_contain_text("line 3")
    expect(page.locator('.code[data-field="html"] .code-lines .bad')).to_have_text("3")
    expect(html).to_be_focused()
    page.keyboard.type("!")  # still typing at the end of the line
    assert html.input_value().endswith("</p>!")
    page.keyboard.press("Backspace")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#tpl-html-error")).to_contain_text("line 3")
    expect(html).to_have_attribute("aria-invalid", "true")
    expect(page.locator('.code[data-field="html"] .code-lines .bad')).to_have_text("3")
    assert admin(stack, "GET", "/admin/templates/welcome-keys").json()["version"] == 1

    # mended, saved again: version 2 and the preview follows
    html.press("Control+End")
    for _ in range(len("\n<p>{{ contact.__class__ }}</p>")):
        page.keyboard.press("Backspace")
    page.get_by_label("Subject").fill("Welcome again {{ contact.first_name }}")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#editing")).to_have_text("Template welcome-keys · version 2")
    expect(page.locator("#preview-subject")).to_have_text("Welcome again Tess")

    # version 1 back: loaded into the fields, saved as version 3
    page.get_by_label("Versions").select_option("1")
    page.get_by_role("button", name="Load into the editor").click()
    expect(page.get_by_label("Subject")).to_have_value("Welcome {{ contact.first_name }}")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#editing")).to_have_text("Template welcome-keys · version 3")
    expect(page.locator("#preview-subject")).to_have_text("Welcome Tess")
    expect(page.get_by_label("Versions").locator("option")).to_have_count(3)


def test_a_test_send_with_no_campaign_reaches_the_outbox_and_a_refusal_is_shown_at_the_field(
    page: Page, stack: Any, saved: str
) -> None:
    me = user(stack, "marketer")["email"]
    sign_in(page, stack)
    open_template(page, saved)
    expect(page.get_by_label("To (yourself)")).to_have_value(me)
    assert send_a_test(page, stack)["subject"] == f"[Test] Hi {me}"

    # someone who reported our mail as spam: refused by name at the field, nothing sent
    spam = confirmed_subscriber(stack, "sid.spam@acme.example")
    [mail] = [m for m in stack.outbox() if m["to"] == spam]
    stack.simulate_ses_event(mail["id"], "complaint")
    stack.drain()
    page.get_by_label("To (yourself)").fill(spam)
    page.get_by_role("button", name="Send a test").click()
    expect(page.locator("#test-to-error")).to_contain_text(f"{spam} is never mailed again")
    expect(page.get_by_label("To (yourself)")).to_have_attribute("aria-invalid", "true")
    assert not [m for m in stack.outbox() if m["to"] == spam and "[Test]" in m["subject"]]

    page.get_by_label("To (yourself)").fill("not-an-address")
    page.get_by_role("button", name="Send a test").click()
    expect(page.locator("#test-to-error")).not_to_be_empty()
    expect(page.get_by_label("To (yourself)")).to_have_attribute("aria-invalid", "true")


def test_a_viewer_reads_a_template_with_no_control_that_changes_it(
    page: Page, stack: Any, saved: str
) -> None:
    sign_in(page, stack, "viewer")
    expect(page.get_by_role("button", name="New template")).to_have_count(0)
    open_template(page, saved)
    area = page.locator("#template-area")
    expect(area.get_by_role("button")).to_have_count(0)
    expect(page.get_by_label("HTML", exact=True)).not_to_be_editable()
    expect(page.get_by_label("Subject")).not_to_be_editable()
    expect(area).to_contain_text("Read only")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_templates_screen_is_accessible_and_fits_a_phone(
    browser: Browser, stack: Any, saved: str, width: int
) -> None:
    with page_at(browser, stack, width) as page:
        sign_in(page, stack)
        open_template(page, saved)
        page.get_by_role("button", name="Preview").click()
        expect(page.locator("#preview-subject")).not_to_be_empty()
        expect(page.locator("#test-form")).to_be_visible()
        assert_fits(page, width, "console-templates")


def test_markup_in_a_template_is_shown_as_text_and_never_runs_in_the_console(
    page: Page, stack: Any
) -> None:
    """T28: a template's HTML is the marketer's, and may hold anything: the console shows its
    source as text (the highlighting rebuilt as spans only) and its preview in a sandboxed
    frame, so none of it runs with the console's session."""
    trap = "<script>document.title='owned'</script><img src=x onerror=\"document.title='owned'\">"
    body = {"id": "trap", "name": "Trap", "subject": "Trap", "html": HTML + "\n" + trap}
    assert admin(stack, "POST", "/admin/templates", json=body).status_code == 201
    sign_in(page, stack)
    open_template(page, "trap")
    shown = page.locator('.code[data-field="html"] .code-shown')
    expect(shown).to_contain_text("<script>document.title='owned'</script>")
    expect(shown.locator("script, img")).to_have_count(0)
    assert shown.locator("span").count() > 0  # highlighted all the same
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-subject")).to_have_text("Trap")
    frame = page.locator("#preview-html")
    expect(frame).to_have_attribute("sandbox", "")
    assert page.title() == "Templates · ecrm console"
    assert page.frame_locator("#preview-html").locator("p").first.text_content() == "Hello "
