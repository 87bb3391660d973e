"""A campaign's A/B test from the console, in Chromium against `ecrm serve`: a marketer sets up
two variants, a test share, a holdout, the metric and the wait in the wizard with the keyboard
alone (a variant added and removed again; a share the API refuses shown at its field, on its
step), sends it, reads the variants' table (checked cell by cell against the API's answer as
simulated opens come in), and sends variant B to the rest from the keyboard after a dialog: the
rest get B once, the decision is the marketer's. A viewer sees the table and no action (a
forced pick is refused); accessible at 1280 and 390 px, no sideways scroll, no CSP violation."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browsing import page_at
from tests.e2e.console import (
    admin,
    assert_fits,
    confirmed_subscribers,
    create_the_draft,
    csp_violations,
    forced_write,
    press,
    press_and_wait,
    sign_in_on,
    tab_to,
    watch_csp,
    wizard_by_keyboard,
)

pytestmark = pytest.mark.e2e

PEOPLE = [f"ab{n}.reader@acme.example" for n in range(12)]
B_SUBJECT = "Last chance, {{ contact.first_name }}"
HTML = '<p>Hello {{ contact.first_name }}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>'
AB_TEST = {
    "variants": [{"id": "A"}, {"id": "B", "subject": "Last chance", "sender_name": "Ann"}],
    "test_percent": 40,
    "holdout_percent": 10,
    "metric": "opens",
    "wait_hours": 4,
}


@pytest.fixture(scope="module")
def parts(stack: Any) -> None:
    """Twelve confirmed subscribers, a template, a segment of the newsletter."""
    confirmed_subscribers(stack, {a: {"first_name": f"Reader{n}"} for n, a in enumerate(PEOPLE)})
    template = {"id": "trial", "name": "Trial", "subject": "Trial for {{ contact.first_name }}"}
    assert admin(stack, "POST", "/admin/templates", json={**template, "html": HTML}).ok
    segment = {"id": "ab-news", "name": "A/B readers", "topic": "newsletter"}
    assert admin(stack, "POST", "/admin/segments", json=segment).status_code == 201


@pytest.fixture(scope="module")
def testing(stack: Any, parts: None) -> str:
    """An A/B campaign made and started through the API, in its test phase."""
    body = {
        "name": "Tested by the API",
        "template_id": "trial",
        "segment_id": "ab-news",
        "sender": {"email": "news@example.com", "name": "News"},
        "ab_test": AB_TEST,
    }
    answer = admin(stack, "POST", "/admin/campaigns", json=body)
    assert answer.status_code == 201, answer.text
    campaign_id = str(answer.json()["id"])
    assert admin(stack, "POST", f"/admin/campaigns/{campaign_id}/send").status_code == 202
    stack.drain()
    return campaign_id


def sign_in(page: Page, stack: Any, who: str = "marketer") -> None:
    watch_csp(page)
    sign_in_on(page, stack, "campaigns", "Campaigns", who)
    expect(page.locator("main")).to_have_attribute("data-loaded", "true")


def open_campaign(page: Page, name: str) -> None:
    page.locator("#campaign-list").get_by_role("button", name=name, exact=True).click()
    expect(page.locator("#editing")).to_be_focused()


def retype(page: Page, text: str) -> None:
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def ab_step(page: Page) -> None:
    """The wizard's A/B step from its heading: two variants (B: its subject and sender name; a
    third added, then removed), 95 % tested and 10 % held out (too much: the API refuses it),
    opens, 4 hours; the focus left on Next."""
    tab_to(page, page.get_by_label("Test variants on part of the audience"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_label("Subject of A"))
    tab_to(page, page.get_by_label("Template of A"))
    tab_to(page, page.get_by_label("Sender name of A"))
    tab_to(page, page.get_by_label("Subject of B"))
    page.keyboard.type(B_SUBJECT)
    tab_to(page, page.get_by_label("Template of B"))
    tab_to(page, page.get_by_label("Sender name of B"))
    page.keyboard.type("Ann from Ecrm")
    tab_to(page, page.get_by_role("button", name="Add a variant"))
    page.keyboard.press("Enter")
    expect(page.get_by_label("Subject of C")).to_be_focused()
    page.keyboard.type("A third way")
    tab_to(page, page.get_by_role("button", name="Remove variant C"), tabs=3)
    page.keyboard.press("Enter")
    expect(page.get_by_label("Subject of C")).to_have_count(0)
    expect(page.get_by_role("button", name="Add a variant")).to_be_focused()
    tab_to(page, page.get_by_label("Test share (% of the audience)"))
    retype(page, "95")
    tab_to(page, page.get_by_label("Holdout (%, optional)"))
    retype(page, "10")
    tab_to(page, page.get_by_label("Wait (hours)"))
    retype(page, "4")
    tab_to(page, page.get_by_label("The winner is the best"))
    page.keyboard.press("ArrowUp")  # clicks -> opens
    tab_to(page, page.get_by_role("button", name="Next"), tabs=2)  # past Back


def row(page: Page, variant: str) -> Any:
    return page.locator(f'#ab-results tr[data-variant="{variant}"]')


def assert_table_is_the_apis(page: Page, stack: Any, campaign_id: str) -> dict[str, Any]:
    """Each variant's row says what the API says (its test recipients, sent, delivered,
    opened, clicked, the rate, the confidence); the API's answer."""
    shown = admin(stack, "GET", f"/admin/campaigns/{campaign_id}").json()["ab_test"]
    best = max(r["rate"] for r in shown["results"])
    for result in shown["results"]:
        for key in ("recipients", "sent", "delivered", "opened", "clicked"):
            cell = row(page, result["id"]).locator(f'td.figure[data-cell="{key}"]')
            expect(cell).to_have_text(str(result[key]))
        rate = f"{round(result['rate'] * 100, 1):g}%"
        expect(row(page, result["id"]).locator('[data-cell="rate"]')).to_have_text(rate)
        gap = f"\N{MINUS SIGN}{round((best - result['rate']) * 100, 1):g} points"
        gap = "best" if result["rate"] == best else gap
        expect(row(page, result["id"]).locator('[data-cell="difference"]')).to_have_text(gap)
        confidence = row(page, result["id"]).locator('[data-cell="confidence"]')
        expect(confidence).to_have_text(result["versus_leader"])
    expect(page.locator("#ab-results caption")).to_have_text("Variants: " + shown["summary"])
    return dict(shown)


def test_an_ab_campaign_is_set_up_sent_and_its_winner_picked_from_the_keyboard(
    page: Page, stack: Any, parts: None
) -> None:
    sign_in(page, stack)
    wizard_by_keyboard(page, "Trial A/B", "news@example.com", "News", ab_test=ab_step)
    review = page.locator("#wiz-review")
    expect(review).to_contain_text("2 variants to 95% of the audience (47.5% each), 10% held out")
    press(page, "Create the draft")  # refused: back to the A/B step, said at the share
    expect(page.locator("#wiz-step-3")).to_be_visible()
    share = page.get_by_label("Test share (% of the audience)")
    expect(share).to_be_focused()
    expect(page.locator("#wiz-ab-test-error")).to_contain_text("add up to more than 100")
    retype(page, "40")
    page.keyboard.press("Enter")
    expect(page.locator("#wiz-step-4")).to_be_focused()
    expect(review).to_contain_text(
        "2 variants to 40% of the audience (20% each), 10% held out; after 4 h the best open"
        " rate goes to the rest"
    )
    expect(review).to_contain_text("subject “" + B_SUBJECT + "”, sender name Ann from Ecrm")
    create_the_draft(page, "Trial A/B")
    expect(page.locator("#ab-state")).to_have_attribute("data-ab-state", "not-started")
    [made] = [
        c
        for c in admin(stack, "GET", "/admin/campaigns").json()["items"]
        if c["name"] == "Trial A/B"
    ]
    variants = [{k: v for k, v in x.items() if v is not None} for x in made["ab_test"]["variants"]]
    assert variants == [
        {"id": "A"},
        {"id": "B", "subject": B_SUBJECT, "sender_name": "Ann from Ecrm"},
    ]
    assert (made["ab_test"]["test_percent"], made["ab_test"]["holdout_percent"]) == (40, 10)
    assert (made["ab_test"]["metric"], made["ab_test"]["wait_hours"]) == ("opens", 4)

    before = {m["id"] for m in stack.outbox()}
    press_and_wait(page, "Send now", "/send")
    stack.drain()
    expect(page.locator("#ab-state")).to_have_attribute("data-ab-state", "testing")
    tested = [m for m in stack.outbox() if m["id"] not in before]
    for mail in tested:
        stack.simulate_ses_event(mail["id"], "delivery")
        if mail["subject"].startswith("Last chance"):  # variant B opened by all
            stack.simulate_ses_event(mail["id"], "open")
    stack.drain()
    shown = admin(stack, "GET", f"/admin/campaigns/{made['id']}").json()["ab_test"]
    assert sum(r["sent"] for r in shown["results"]) == len(tested)
    expect(row(page, "B").locator('[data-cell="opened"]')).to_have_text(
        str(next(r["opened"] for r in shown["results"] if r["id"] == "B"))
    )  # the page's poll has read it
    assert_table_is_the_apis(page, stack, made["id"])

    pick = page.get_by_role("button", name="Send variant B to the rest now")
    pick.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Send variant B to the rest now?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()  # the safe answer first
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Send variant B to the rest")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#ab-state")).to_contain_text("Winner B (chosen by a marketer")
    stack.drain()
    expect(page.locator("#ab-state")).to_have_attribute("data-ab-state", "winner-sent")
    expect(page.get_by_role("button", name="Send variant A to the rest now")).to_have_count(0)
    expect(row(page, "B").locator("th")).to_have_text("B (winner)")

    decided = admin(stack, "GET", f"/admin/campaigns/{made['id']}").json()
    assert decided["ab_test"]["decision"]["winner"] == "B"
    assert decided["ab_test"]["decision"]["decided_by"] == "marketer"
    rest = [m for m in stack.outbox() if m["id"] not in before and m not in tested]
    held_out = decided["ab_test"]["holdout"]
    assert len(tested) + len(rest) + held_out == len(PEOPLE)
    assert all(m["subject"].startswith("Last chance, Reader") for m in rest)
    mailed = [m["to"] for m in tested + rest]
    assert len(mailed) == len(set(mailed))  # each once
    assert_table_is_the_apis(page, stack, made["id"])
    assert csp_violations(page) == []


def test_a_viewer_reads_the_variants_with_no_action_and_a_forced_pick_is_refused(
    page: Page, stack: Any, testing: str
) -> None:
    sign_in(page, stack, "viewer")
    open_campaign(page, "Tested by the API")
    expect(page.locator("#ab-state")).to_have_attribute("data-ab-state", "testing")
    expect(page.locator("#ab-results tbody tr")).to_have_count(2)
    expect(page.locator("#ab-test").get_by_role("button")).to_have_count(0)
    forced = forced_write(page, "POST", f"/admin/campaigns/{testing}/winner", {"variant": "A"})
    assert forced["status"] == 403 and forced["body"]["error"]["code"] == "forbidden"
    assert admin(stack, "GET", f"/admin/campaigns/{testing}").json()["ab_test"]["decision"] is None
    assert csp_violations(page) == []


@pytest.mark.parametrize("width", [1280, 390])
def test_the_ab_screens_are_accessible_and_fit_a_phone(
    browser: Browser, stack: Any, testing: str, width: int
) -> None:
    with page_at(browser, stack, width) as page:
        sign_in(page, stack)
        open_campaign(page, "Tested by the API")
        expect(page.locator("#ab-results")).to_be_visible()
        assert_fits(page, width, "console-campaigns-ab")
        page.get_by_role("button", name="Send variant A to the rest now").click()
        expect(page.get_by_role("dialog")).to_be_visible()
        assert_fits(page, width)
        page.keyboard.press("Escape")  # nothing picked
        expect(page.get_by_role("dialog")).to_have_count(0)
        page.get_by_role("button", name="New campaign").click()
        page.get_by_label("Campaign name").fill("Looked at")
        page.get_by_label("Template", exact=True).select_option("trial")
        page.get_by_role("button", name="Next").click()
        page.get_by_label("Segment (who gets it)").select_option("ab-news")
        page.get_by_role("button", name="Next").click()
        page.get_by_label("From address").fill("news@example.com")
        page.get_by_label("From name").fill("News")
        page.get_by_role("button", name="Next").click()
        page.get_by_label("Test variants on part of the audience").check()
        page.get_by_role("button", name="Add a variant").click()
        expect(page.get_by_label("Subject of C")).to_be_visible()
        assert_fits(page, width, "console-campaigns-ab-wizard")
        assert csp_violations(page) == []
    assert admin(stack, "GET", f"/admin/campaigns/{testing}").json()["ab_test"]["decision"] is None
