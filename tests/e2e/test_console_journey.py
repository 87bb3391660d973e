"""The whole marketer journey of issue 16, in one go, in Chromium against `ecrm serve`: signed
in with the user `ecrm serve` printed (console-users.json), a CSV of 50 contacts with 2 bad
rows imported and its bad rows shown by line; a segment built and its count followed; a
template written, previewed before its first save and for an imported contact, a sandbox
problem shown at its line, test-sent to the marketer (found in the outbox); the campaign
made in the wizard with the keyboard alone, sent and followed to done; opens and clicks
simulated from the local outbox page and shown in its results. Then the same browser signs
out and in as the viewer: no screen offers a write control, and a write forced with the
viewer's session is refused by the API. Each screen's own module tests the rest of it
(refusals, versions, accessibility)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.console import (
    BAD_LINES,
    admin,
    catch_file_choosers,
    choose,
    contacts_file,
    create_the_draft,
    forced_write,
    import_chosen,
    press,
    send_a_test,
    send_and_watch_done,
    sign_in_on,
    user,
    wizard_by_keyboard,
)

pytestmark = pytest.mark.e2e

OFFER = "https://shop.example.com/spring"
HTML = (
    f'<p>Hello {{{{ contact.first_name }}}}, see <a href="{OFFER}?utm_source=news">the offer</a>.'
    '</p>\n<a href="{{ unsubscribe_url }}">Unsubscribe</a>'
)
AUDIENCE = 9  # "Name 1…" of lines 10 to 19, but for bad line 12
# A control that changes something, by its name, on any screen (reading ones: Find, List,
# Preview for a viewer is none, Next page, Refresh the results, Copy the snippet, Show).
WRITES = re.compile(
    r"^(New |Create|Save|Delete|Send|Schedule|Pause|Resume|Cancel|Erase|Import|Invite|Change"
    r" role|Enable|Disable|Re-score|Add|Remove|Load into|Publish|Stop|Edit)"
)


def go(page: Page, screen: str) -> None:
    """A screen opened from the navigation, once it has read what it shows."""
    page.get_by_role("navigation").get_by_role("link", name=screen, exact=True).click()
    expect(page.get_by_role("heading", name=screen, level=1)).to_be_visible()
    if screen != "Contacts":
        expect(page.locator("main")).to_have_attribute("data-loaded", "true")


def import_contacts(page: Page, folder: Path) -> None:
    choose(page, contacts_file(folder))
    import_chosen(page)
    expect(page.locator("#import-done")).to_have_text("Imported")
    expect(page.locator("#import-figures div", has_text="Imported")).to_contain_text("48")
    bad = page.locator("#bad-rows tbody tr")
    for index, line in enumerate(BAD_LINES):
        expect(bad.nth(index).locator("td").first).to_have_text(str(line))


def build_segment(page: Page) -> None:
    press(page, "New segment")
    page.get_by_label("Id (lower case, digits, -)").fill("journey")
    page.get_by_label("Name").fill("Names from 1")
    page.get_by_label("Topic (its members are the candidates)").fill("newsletter")
    expect(page.locator("#audience-count")).to_have_text("48 contacts")
    press(page, "Add the condition")  # a profile field first
    page.locator("#cond-0-field").fill("first_name")
    page.locator("#cond-0-op").select_option("starts_with")
    page.locator("#cond-0-value").fill("Name 1")
    expect(page.locator("#audience-count")).to_have_text(f"{AUDIENCE} contacts")
    expect(page.locator("#audience-sample")).to_contain_text("imp10@acme.example")
    press(page, "Create")
    expect(page.locator("#editing")).to_have_text("Segment journey · version 1")


def write_template(page: Page) -> None:
    press(page, "New template")
    page.get_by_label("Id (lower case, digits, -)").fill("spring-journey")
    page.get_by_label("Name").fill("Spring")
    page.get_by_label("Subject").fill("Spring for {{ contact.first_name }}")
    html = page.get_by_label("HTML", exact=True)
    html.fill(HTML)
    expect(page.locator("#preview-text")).to_contain_text("Hello")  # before its first save
    press(page, "Create")
    expect(page.locator("#editing")).to_have_text("Template spring-journey · version 1")
    page.get_by_label("Preview for the contact with this address").fill("imp13@acme.example")
    press(page, "Preview")
    expect(page.locator("#preview-subject")).to_have_text("Spring for Name 13")
    expect(page.frame_locator("#preview-html").locator("p")).to_contain_text("Hello Name 13")
    # a sandbox problem on line 3, shown there as it is typed; taken out again
    html.press("Control+End")
    html.press_sequentially("\n{{ ''.__class__ }}")
    expect(page.locator("#tpl-html-error")).to_contain_text("line 3")
    expect(page.locator('.code[data-field="html"] .code-lines .bad')).to_have_text("3")
    html.fill(HTML)
    expect(page.locator("#tpl-html-error")).to_be_empty()


def simulate_from_the_outbox(page: Page, mails: list[dict[str, Any]]) -> None:
    """On the local outbox page: the first two mails delivered and opened, the first one's
    offer clicked."""
    page.goto("/_local/outbox")
    for index, mail in enumerate(mails[:2]):
        events = page.get_by_role("article", name=mail["subject"]).get_by_role(
            "group", name="Simulate what SES reports"
        )
        kinds = ["Delivered", "Opened"] + (["Clicked"] if index == 0 else [])
        for kind in kinds:
            if kind == "Clicked":
                [link] = [x for x in mail["links"] if x.startswith(OFFER)]
                events.get_by_label("Link clicked").select_option(link)
            events.get_by_role("button", name=kind, exact=True).click()
            expect(page.get_by_role("status")).to_have_text(
                f"Simulated “{kind}” for {mail['subject']}."
            )
            events = page.get_by_role("article", name=mail["subject"]).get_by_role(
                "group", name="Simulate what SES reports"
            )


def test_a_marketer_imports_targets_writes_sends_and_reads_the_results_then_a_viewer_reads(
    page: Page, stack: Any, tmp_path: Path
) -> None:
    me = user(stack, "marketer")["email"]
    catch_file_choosers(page)
    sign_in_on(page, stack, "imports", "Imports")
    expect(page.locator("#who")).to_contain_text(me)
    expect(page.locator("main")).to_have_attribute("data-loaded", "true")
    import_contacts(page, tmp_path)

    go(page, "Segments")
    build_segment(page)
    go(page, "Templates")
    write_template(page)
    assert send_a_test(page, stack)["subject"].startswith("[Test] Spring for")

    go(page, "Campaigns")
    wizard_by_keyboard(page, "Spring journey", "news@example.com", "Spring News")
    expect(page.locator("#wiz-audience")).to_have_text(f"{AUDIENCE} contacts would get it now")
    expect(page.locator("#wiz-subject")).to_contain_text("Subject: Spring for")
    create_the_draft(page, "Spring journey")
    mails = send_and_watch_done(page, stack, AUDIENCE)
    assert sorted(m["to"] for m in mails) == sorted(
        f"imp{n}@acme.example" for n in range(10, 20) if n not in BAD_LINES
    )
    campaign_url = page.url

    simulate_from_the_outbox(page, mails)
    for mail in mails[2:]:
        stack.simulate_ses_event(mail["id"], "delivery")
    stack.drain()
    page.goto(campaign_url)
    page.locator("#campaign-list").get_by_role("button", name="Spring journey").click()
    outcomes = page.locator("#outcomes")
    expect(outcomes.locator('[data-row="delivered"] td.figure')).to_have_text("9 (100%)")
    expect(outcomes.locator('[data-row="opened"] td.figure')).to_have_text("2 (22.2%)")
    expect(outcomes.locator('[data-row="clicked"] td.figure')).to_have_text("1 (11.1%)")
    expect(page.locator("#links").locator(f'[data-row="{OFFER}"] td.figure')).to_have_text("1")

    # the viewer, in the same browser: no screen offers a write, a forced one is refused
    page.get_by_role("button", name="Sign out").click()
    viewer = user(stack, "viewer")
    page.get_by_label("Email", exact=True).fill(viewer["email"])
    page.get_by_label("Password").fill(viewer["password"])
    page.keyboard.press("Enter")
    expect(page.locator("#who")).to_contain_text("read only")
    opened = {"Templates": "spring-journey", "Segments": "journey", "Campaigns": "Spring journey"}
    screens = page.get_by_role("navigation").get_by_role("link")
    names = screens.all_inner_texts()
    assert "Team" not in names and len(names) == 11
    for screen in names:
        go(page, screen)
        if screen in opened:
            page.locator("main").get_by_role("button", name=opened[screen], exact=True).click()
            expect(page.locator("#editing")).to_be_focused()
        expect(page.locator("main").get_by_role("button", name=WRITES)).to_have_count(0)
        expect(page.locator("main").locator("[contenteditable]")).to_have_count(0)
    refused = forced_write(page, "POST", "/admin/campaigns/x/send")
    assert refused["status"] == 403 and refused["body"]["error"]["code"] == "forbidden"
    refused = forced_write(page, "DELETE", "/admin/templates/spring-journey")
    assert refused["status"] == 403
    assert admin(stack, "GET", "/admin/templates/spring-journey").status_code == 200
