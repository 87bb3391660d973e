"""The console's Team screen in Chromium against `ecrm serve`, from the keyboard alone: the admin
invites a marketer; the invitee finds Cognito's mail (the local outbox), signs in with its
temporary password and chooses their own; the admin makes them a viewer, then disables them,
and they can no longer sign in. A bad address is refused next to its field. A marketer sees no
Team link, and a forced call is refused (403). Accessible at 1280 and 390 px, no sideways
scroll."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browsing import page_at
from tests.e2e.console import assert_fits, sign_in_on, user

pytestmark = pytest.mark.e2e

INVITEE = "nia.team@example.com"
CHOSEN = "Chosen-password-42"


@pytest.fixture
def second(browser: Browser, stack: Any) -> Iterator[Page]:
    """Another browser (the invitee's), sharing nothing with the admin's."""
    with page_at(browser, stack) as page:
        yield page


def sign_in_as_admin(page: Page, stack: Any) -> None:
    sign_in_on(page, stack, "team", "Team", "admin")
    expect(page.locator("main")).to_have_attribute("data-loaded", "true")


def member(page: Page, email: str) -> Any:
    return page.locator(f'#team-list li[data-email="{email}"]')


def temporary_password(stack: Any, email: str) -> str:
    [mail] = [m for m in stack.outbox() if email in m["to"]]
    assert mail["subject"] == "Your ecrm console account"
    found = re.search(r"temporary password (\S+),", mail["text"])
    assert found, mail["text"]
    return found.group(1)


def type_sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/console/")
    expect(page.get_by_label("Email", exact=True)).to_be_focused()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")


def test_an_admin_invites_a_marketer_who_signs_in_then_is_made_a_viewer_and_disabled(
    page: Page, second: Page, stack: Any
) -> None:
    sign_in_as_admin(page, stack)
    admin_row = member(page, user(stack, "admin")["email"])
    expect(admin_row).to_contain_text("(you)")
    expect(admin_row.get_by_role("button")).to_have_count(0)  # never yourself

    # a bad address: refused next to its field, nobody invited
    page.get_by_label("Their email address").focus()
    page.keyboard.type("nia at example")
    page.keyboard.press("Enter")
    expect(page.locator("#invite-email-error")).to_contain_text("not an email address")
    expect(page.get_by_label("Their email address")).to_be_focused()

    # invited as a marketer (the role's default), from the keyboard
    page.keyboard.press("Control+A")
    page.keyboard.type(INVITEE)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Role", exact=True)).to_be_focused()
    expect(page.get_by_label("Role", exact=True)).to_have_value("marketer")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    row = member(page, INVITEE)
    expect(row.locator("h3")).to_be_focused()
    expect(row).to_contain_text("marketer · Invited")
    expect(page.locator("#status")).to_contain_text("Invited " + INVITEE)

    # the invitee: Cognito's mail, the temporary password, a password of their own
    type_sign_in(second, INVITEE, temporary_password(stack, INVITEE))
    expect(second.get_by_label("Choose a new password")).to_be_focused()
    second.keyboard.type(CHOSEN)
    second.keyboard.press("Enter")
    expect(second.get_by_role("dialog", name="Sign in")).to_be_hidden()
    expect(second.locator("#who")).to_contain_text("Marketer")
    expect(second.locator("#nav").get_by_text("Team")).to_have_count(0)

    # the admin makes them a viewer: Tab to the row's role, choose, Change role
    page.reload()
    expect(page.locator("main")).to_have_attribute("data-loaded", "true")
    row = member(page, INVITEE)
    expect(row).to_contain_text("marketer · Signed in before")
    select = row.get_by_label("Role of " + INVITEE)
    select.focus()
    page.keyboard.press("ArrowDown")  # Marketer -> Viewer
    expect(select).to_have_value("viewer")
    page.keyboard.press("Tab")
    expect(row.get_by_role("button", name="Change role")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_have_text(INVITEE + " is a viewer now.")
    expect(member(page, INVITEE)).to_contain_text("viewer · Signed in before")

    # disabled, after a confirmation whose first answer is Cancel
    row = member(page, INVITEE)
    row.get_by_role("button", name=f"Disable {INVITEE}…").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=f"Disable {INVITEE}?")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name=f"Disable {INVITEE}")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_have_count(0)
    expect(member(page, INVITEE)).to_contain_text("· disabled")
    expect(page.locator("#status")).to_have_text(INVITEE + " is disabled and signed out.")

    # they can no longer sign in
    second.evaluate("sessionStorage.clear()")
    type_sign_in(second, INVITEE, CHOSEN)
    expect(second.locator("#sign-in-error")).to_have_text(
        "This account is disabled: ask an admin to enable it."
    )


def test_a_marketer_sees_no_team_link_and_a_forced_call_is_refused(page: Page, stack: Any) -> None:
    sign_in_on(page, stack, "team", "Home")  # #/team is not a marketer's: Home instead
    expect(page.locator("#nav").get_by_text("Team")).to_have_count(0)
    forced = page.evaluate(
        """async () => {
            const token = JSON.parse(sessionStorage.getItem('ecrm-console-session')).id;
            const answer = await fetch('/admin/team', {method: 'POST',
              headers: {Authorization: 'Bearer ' + token, 'Content-Type': 'application/json'},
              body: JSON.stringify({email: 'marketer@example.com', role: 'admin'})});
            return {status: answer.status, body: await answer.json()};
        }"""
    )
    assert forced["status"] == 403
    assert forced["body"]["error"]["code"] == "forbidden"
    # still a marketer, and nobody was invited
    headers = {"Authorization": f"Bearer {stack.authorizer.tokens['admin']}"}
    found = requests.get(
        f"{stack.api_url}/admin/team",
        params={"email": "marketer@example.com"},
        headers=headers,
        timeout=30,
    ).json()["items"]
    assert [m["role"] for m in found] == ["marketer"]


@pytest.mark.parametrize("width", [1280, 390])
def test_the_team_screen_is_accessible_and_fits_a_phone(
    browser: Browser, stack: Any, width: int
) -> None:
    with page_at(browser, stack, width) as page:
        sign_in_as_admin(page, stack)
        expect(member(page, user(stack, "marketer")["email"])).to_be_visible()
        assert_fits(page, width, "console-team")
        page.locator("#team-list button.danger").first.click()  # the confirmation too
        expect(page.locator("#team-confirm")).to_be_visible()
        assert_fits(page, width)
        page.keyboard.press("Escape")
        expect(page.locator("#team-confirm")).to_have_count(0)
