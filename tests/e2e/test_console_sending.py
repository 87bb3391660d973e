"""The console's Sending policy screen in Chromium against `ecrm serve`: a marketer turns on a
frequency cap and quiet hours with the keyboard alone, the API's refusals shown next to their
fields (an unknown zone, an empty window), then saves and reads the policy back (the API's
answer, and the screen opened again); someone else's save in between is a conflict said with a
way to load the current policy; a viewer reads it with nothing to change, and a forced PUT is
refused; accessible at 1280 and 390 px without sideways scrolling, with no CSP violation."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browsing import page_at
from tests.e2e.console import (
    admin,
    assert_fits,
    csp_violations,
    forced_write,
    press,
    sign_in_on,
    tab_to,
    watch_csp,
)

pytestmark = pytest.mark.e2e
PATH = "/admin/settings/sending"


def sign_in(page: Page, stack: Any, who: str = "marketer") -> None:
    watch_csp(page)
    sign_in_on(page, stack, "sending", "Sending policy", who)
    expect(page.locator("main")).to_have_attribute("data-loaded", "true")


def retype(page: Page, text: str) -> None:
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_a_marketer_sets_the_policy_by_keyboard_refusals_at_their_fields(
    page: Page, stack: Any
) -> None:
    sign_in(page, stack)
    expect(page.locator("#policy-saved")).to_have_text("Never saved: both rules are off.")
    page.locator("main h1").focus()
    tab_to(page, page.get_by_label("Cap marketing mail per contact"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_label("At most (mails)"))
    retype(page, "4")
    tab_to(page, page.get_by_label("In any (days)"))
    retype(page, "10")
    tab_to(page, page.get_by_label("Hold marketing mail during quiet hours"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_label("From (HH:MM, 24 h)"))
    retype(page, "21:30")
    tab_to(page, page.get_by_label("Until (HH:MM, 24 h)"))
    retype(page, "21:30")
    zone = page.get_by_label("Account time zone")
    tab_to(page, zone)
    retype(page, "Mars/Olympus_Mons")
    page.keyboard.press("Enter")  # Save: refused at the field, which takes the focus
    expect(page.locator("#quiet-zone-error")).to_contain_text("not a known IANA time zone")
    expect(zone).to_have_attribute("aria-invalid", "true")
    expect(zone).to_be_focused()
    retype(page, "Europe/Paris")
    page.keyboard.press("Enter")  # the window as a whole: said at its end
    end = page.get_by_label("Until (HH:MM, 24 h)")
    expect(page.locator("#quiet-end-error")).to_contain_text("start and end must differ")
    expect(end).to_be_focused()
    expect(page.locator("#quiet-zone-error")).to_have_text("")
    assert admin(stack, "GET", PATH).json()["version"] == 0  # nothing written

    retype(page, "07:45")
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_have_text("Saved: version 1.")
    expect(page.locator("#quiet-end-error")).to_have_text("")
    expect(end).not_to_have_attribute("aria-invalid", "true")
    stored = admin(stack, "GET", PATH).json()
    assert stored["frequency_cap"] == {"enabled": True, "max_mails": 4, "period_days": 10}
    assert stored["quiet_hours"] == {
        "enabled": True,
        "start": "21:30",
        "end": "07:45",
        "time_zone": "Europe/Paris",
    }
    assert stored["version"] == 1

    page.reload()  # read back by the screen
    expect(page.locator("main")).to_have_attribute("data-loaded", "true")
    expect(page.locator("#policy-saved")).to_contain_text("Version 1, saved")
    expect(page.get_by_label("Cap marketing mail per contact")).to_be_checked()
    expect(page.get_by_label("At most (mails)")).to_have_value("4")
    expect(page.get_by_label("In any (days)")).to_have_value("10")
    expect(page.get_by_label("From (HH:MM, 24 h)")).to_have_value("21:30")
    expect(page.get_by_label("Until (HH:MM, 24 h)")).to_have_value("07:45")
    expect(page.get_by_label("Account time zone")).to_have_value("Europe/Paris")
    assert csp_violations(page) == []


def test_someone_elses_save_in_between_is_a_conflict_with_a_way_back(
    page: Page, stack: Any
) -> None:
    sign_in(page, stack)
    version = admin(stack, "GET", PATH).json()["version"]
    theirs = {
        "frequency_cap": {"enabled": True, "max_mails": 2, "period_days": 7},
        "quiet_hours": {"enabled": False, "start": "22:00", "end": "07:00", "time_zone": "UTC"},
        "version": version,
    }
    assert admin(stack, "PUT", PATH, json=theirs).status_code == 200
    page.get_by_label("At most (mails)").fill("9")
    press(page, "Save")
    expect(page.locator("#policy-problem")).to_contain_text("changed since you loaded it")
    reload = page.get_by_role("button", name="Load the current policy")
    expect(reload).to_be_focused()
    assert admin(stack, "GET", PATH).json()["frequency_cap"]["max_mails"] == 2  # theirs kept
    page.keyboard.press("Enter")
    expect(page.locator("#policy-saved")).to_be_focused()
    expect(page.locator("#policy-saved")).to_contain_text(f"Version {version + 1}, saved")
    expect(page.get_by_label("At most (mails)")).to_have_value("2")
    page.get_by_label("At most (mails)").fill("3")
    press(page, "Save")
    expect(page.locator("#status")).to_have_text(f"Saved: version {version + 2}.")
    assert admin(stack, "GET", PATH).json()["frequency_cap"]["max_mails"] == 3
    assert csp_violations(page) == []


def test_a_viewer_reads_the_policy_and_a_forced_save_is_refused(page: Page, stack: Any) -> None:
    sign_in(page, stack, "viewer")
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    expect(page.get_by_label("At most (mails)")).to_be_disabled()
    expect(page.get_by_label("Account time zone")).to_be_disabled()
    expect(page.locator("main")).to_contain_text("Read only")
    before = admin(stack, "GET", PATH).json()
    body = {k: before[k] for k in ("frequency_cap", "quiet_hours", "version")}
    forced = forced_write(page, "PUT", PATH, {**body, "frequency_cap": {"enabled": False}})
    assert forced["status"] == 403 and forced["body"]["error"]["code"] == "forbidden"
    assert admin(stack, "GET", PATH).json() == before


@pytest.mark.parametrize("width", [1280, 390])
def test_the_sending_policy_screen_is_accessible_and_fits_a_phone(
    browser: Browser, stack: Any, width: int
) -> None:
    with page_at(browser, stack, width) as page:
        sign_in(page, stack)
        assert_fits(page, width, "console-sending")
        page.get_by_label("Account time zone").fill("Nowhere/At_all")
        press(page, "Save")  # with a refusal shown too
        expect(page.locator("#quiet-zone-error")).not_to_be_empty()
        assert_fits(page, width)
        assert csp_violations(page) == []
