"""The console's Forms screen in Chromium against `ecrm serve`: a form created from the keyboard
(its fields, a choice field moved up, consent, topics, origins) is stored by the API as typed,
its live preview is drawn by web/ecrm-form.js itself under the console's strict CSP, and its
embed snippet can be copied; a refusal of the API shows next to the field it names; a viewer
reads a form with no control that changes it, and a write forced past the screen is refused;
accessible at 1280 and 390 px without sideways scrolling."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browsing import page_at
from tests.e2e.console import admin, assert_fits, sign_in_on

pytestmark = pytest.mark.e2e


def sign_in(page: Page, stack: Any, who: str = "marketer") -> None:
    sign_in_on(page, stack, "forms", "Forms", who)
    expect(page.locator("main")).to_have_attribute("data-loaded", "true")


def open_form(page: Page, form_id: str) -> None:
    page.locator("#form-list").get_by_role("button", name=form_id, exact=True).click()
    expect(page.locator("#editing")).to_be_focused()


def type_into(page: Page, label: str, text: str) -> None:
    """Tab until the control labelled `label` has the focus, then type `text`."""
    for _ in range(40):
        if page.evaluate("document.activeElement.labels?.[0]?.textContent") == label:
            page.keyboard.type(text)
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"no control labelled {label!r} reached with Tab")


def test_a_form_created_from_the_keyboard_is_previewed_by_the_embed_script_and_stored(
    page: Page, stack: Any
) -> None:
    sign_in(page, stack)
    page.get_by_role("button", name="New form").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#editing")).to_have_text("New form")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Id (lower case, digits, -)")).to_be_focused()
    page.keyboard.type("webinar")
    page.keyboard.press("Tab")
    page.keyboard.type("Join the webinar")
    # the email field is there already; add a choice field, then a name field
    page.get_by_role("button", name="Add a field").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#field-1-name")).to_be_focused()
    page.keyboard.type("role")
    page.keyboard.press("Tab")
    page.keyboard.type("Your role")
    page.keyboard.press("Tab")
    page.keyboard.press("End")  # the type: the last one, then up to "one choice"
    for _ in range(2):
        page.keyboard.press("ArrowUp")
    expect(page.locator("#field-1-type")).to_have_value("choice")
    page.locator("#field-1-choices").focus()
    page.keyboard.type("marketing\nsales")
    page.get_by_role("button", name="Add a field").focus()
    page.keyboard.press("Enter")
    page.keyboard.type("first_name")
    page.keyboard.press("Tab")
    page.keyboard.type("First name")
    # the name field moves up, before the role
    page.locator("#field-2 [data-move=up]").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#field-1-name")).to_have_value("first_name")
    expect(page.locator("#field-2-name")).to_have_value("role")
    page.get_by_label("Consent text (empty: no consent box)").focus()
    page.keyboard.type("Mail me about the webinar.")
    page.keyboard.press("Tab")
    page.keyboard.type("2026-12")
    page.keyboard.press("Tab")
    page.keyboard.type("events")
    type_into(
        page,
        "Allowed origins (one per line, e.g. https://www.example.com)",
        "https://www.example.com",
    )
    type_into(page, "Button label", "")
    page.keyboard.press("Control+A")
    page.keyboard.type("Count me in")

    # the live preview: drawn by ecrm-form.js from what the fields hold, before any save
    preview = page.locator("#form-preview")
    expect(preview.get_by_role("button", name="Count me in")).to_be_visible()
    expect(preview.get_by_label("First name")).to_be_visible()
    expect(preview.get_by_label("Your role")).to_be_visible()
    expect(preview.locator("select option")).to_have_text(["Choose…", "marketing", "sales"])
    expect(preview.get_by_label("Mail me about the webinar.")).to_be_visible()
    assert page.evaluate("typeof window.ecrmForm.preview") == "function"
    preview.get_by_role("button", name="Count me in").click()
    expect(page.locator("#form-preview-said")).to_have_text("A preview: nothing is sent.")

    page.get_by_role("button", name="Create").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#editing")).to_have_text("Form webinar · version 1")
    stored = admin(stack, "GET", "/admin/forms/webinar").json()
    assert [f["name"] for f in stored["fields"]] == ["email", "first_name", "role"]
    assert stored["fields"][2]["choices"] == ["marketing", "sales"]
    assert stored["consent"] == {"text": "Mail me about the webinar.", "version": "2026-12"}
    assert stored["topics"] == ["events"] and stored["double_opt_in"] is True
    assert stored["allowed_origins"] == ["https://www.example.com"]
    assert stored["submit_label"] == "Count me in"

    # the snippet: selectable, copied with its button, and it names this form and the script
    snippet = page.get_by_label("Snippet")
    assert 'data-ecrm-form="webinar"' in snippet.input_value()
    assert f'<script src="{stack.api_url}/web/ecrm-form.js" defer>' in snippet.input_value()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy the snippet").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#embed-said")).to_contain_text("Copied")
    assert 'data-ecrm-form="webinar"' in page.evaluate("navigator.clipboard.readText()")

    # edited: the title, saved as version 2; a bad field name is refused next to it
    page.locator("#field-1-name").fill("First Name")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#field-1-name-error")).not_to_be_empty()
    expect(page.locator("#field-1-name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#field-1-name")).to_be_focused()
    page.locator("#field-1-name").fill("first_name")
    page.get_by_label("Title").fill("Join our webinar")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#editing")).to_have_text("Form webinar · version 2")
    assert admin(stack, "GET", "/admin/forms/webinar").json()["title"] == "Join our webinar"


def test_a_definition_the_api_refuses_as_a_whole_says_why(page: Page, stack: Any) -> None:
    sign_in(page, stack)
    page.get_by_role("button", name="New form").click()
    page.get_by_label("Id (lower case, digits, -)").fill("no-email")
    page.get_by_label("Title").fill("No email")
    page.locator("#field-0 button", has_text="Remove").click()
    page.get_by_role("button", name="Add a field").click()
    page.locator("#field-0-name").fill("first_name")
    page.locator("#field-0-label").fill("First name")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#form-problem")).to_contain_text("exactly one required email field")
    assert admin(stack, "GET", "/admin/forms/no-email").status_code == 404


@pytest.fixture(scope="module")
def saved(stack: Any) -> str:
    body = {
        "title": "Saved",
        "fields": [{"name": "email", "label": "Email", "type": "email", "required": True}],
        "allowed_origins": ["https://www.example.com"],
    }
    assert admin(stack, "PUT", "/admin/forms/saved", json=body).status_code == 201
    return "saved"


def test_a_viewer_reads_a_form_with_no_write_control_and_a_forced_write_is_refused(
    page: Page, stack: Any, saved: str
) -> None:
    sign_in(page, stack, "viewer")
    expect(page.get_by_role("button", name="New form")).to_have_count(0)
    open_form(page, saved)
    expect(page.locator("#form-definition button")).to_have_count(0)
    expect(page.get_by_label("Title")).not_to_be_editable()
    expect(page.locator("#form-preview").get_by_label("Email")).to_be_visible()
    assert 'data-ecrm-form="saved"' in page.get_by_label("Snippet").input_value()
    # a write forced with the viewer's own session: the API refuses it, nothing changes
    refused = page.evaluate(
        """async () => {
            const { api } = await import('/console/api.js');
            try { await api('/admin/forms/saved', { method: 'PUT', body: { title: 'Forced',
                fields: [{ name: 'email', label: 'Email', type: 'email', required: true }] } });
                  return 'written'; }
            catch (error) { return error.status + ' ' + error.code; }
        }"""
    )
    assert refused == "403 forbidden"
    assert admin(stack, "GET", "/admin/forms/saved").json()["title"] == "Saved"


@pytest.mark.parametrize("width", [1280, 390])
def test_the_forms_screen_is_accessible_and_fits_a_phone(
    browser: Browser, stack: Any, saved: str, width: int
) -> None:
    with page_at(browser, stack, width) as page:
        sign_in(page, stack)
        open_form(page, saved)
        expect(page.locator("#form-preview").get_by_label("Email")).to_be_visible()
        assert_fits(page, width, "console-forms")
