"""What the console's browser tests share: its users, signing in on a screen, the axe-core and
phone-width checks (on a page of `browsing.page_at`), a subscriber who confirmed through the
demo form, and the steps the screens' tests and the whole journey (`test_console_journey.py`)
both take: importing a CSV, the campaign wizard from the keyboard, sending and simulating what
recipients did, a write forced with the session of the signed-in user."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

from local.cognito import USERS_FILE
from tests.e2e import console_shots

BAD_LINES = (12, 40)  # the file lines of contacts_file's bad rows (the header is line 1)
SOURCE = "Trade fair 2026, stand 4"


def admin(
    stack: Any, method: str, path: str, who: str = "marketer", **kw: Any
) -> requests.Response:
    """An `/admin` call with `who`'s bearer token (`admin-tokens.json`), outside the browser."""
    headers = {"Authorization": f"Bearer {stack.authorizer.tokens[who]}"}
    return requests.request(method, f"{stack.api_url}{path}", headers=headers, timeout=30, **kw)


def user(stack: Any, who: str) -> dict[str, str]:
    """`who`'s sign-in details, as `ecrm serve` wrote them (marketer, viewer)."""
    found: dict[str, str] = json.loads((stack.state_dir / USERS_FILE).read_text())[who]
    return found


def sign_in_on(page: Page, stack: Any, screen: str, heading: str, who: str = "marketer") -> None:
    """Open `#/<screen>` and sign in over it as `who`; returns once its heading shows."""
    details = user(stack, who)
    page.goto(f"/console/#/{screen}")
    page.get_by_label("Email", exact=True).fill(details["email"])
    page.get_by_label("Password").fill(details["password"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()


def assert_accessible(page: Page) -> None:
    """axe-core finds no serious or critical violation on the page as it is."""
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, results.generate_report()


def assert_fits(page: Page, width: int, shot: str | None = None) -> None:
    """The screen as shown at `width` (`browsing.page_at`): accessible, no sideways scroll; at
    1280 px its picture is saved as `shot` if named (`console_shots`)."""
    assert_accessible(page)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    if width == 1280 and shot:
        console_shots.save(page, shot)


def watch_csp(page: Page) -> None:
    """Record the page's Content-Security-Policy violations (`csp_violations`), from its next
    navigation on: what the policy blocked never shows as a script error."""
    page.add_init_script(
        "window.__csp = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )


def csp_violations(page: Page) -> list[str]:
    found: list[str] = page.evaluate("window.__csp || []")
    return found


def confirmed_subscriber(stack: Any, address: str, **fields: Any) -> str:
    """`address` signs up on the demo form (with `fields`) and clicks the link mailed to it."""
    confirmed_subscribers(stack, {address: fields})
    return address


def confirmed_subscribers(stack: Any, people: dict[str, dict[str, Any]]) -> None:
    """Each address signs up on the demo form (with its fields) and clicks the link mailed to
    it: all the sign-ups, then all the clicks (two drains, not two per person)."""
    for address, fields in people.items():
        body = {"email": address, "consent": True, **fields}
        submitted = requests.post(
            f"{stack.api_url}/forms/newsletter/submissions", json=body, timeout=30
        )
        assert submitted.status_code == 202, submitted.text
    stack.drain()
    mails = stack.outbox()
    for address in people:
        [mail] = [m for m in mails if address in m["to"]]
        [link] = [link for link in mail["links"] if "/confirm/" in link]
        assert requests.post(link, timeout=30).status_code == 200
    stack.drain()


def forced_write(page: Page, method: str, path: str, body: Any = None) -> dict[str, Any]:
    """A write sent with the signed-in user's own ID token, as a console with its controls
    removed would send it: the API's status and body."""
    answer: dict[str, Any] = page.evaluate(
        """async ([method, path, body]) => {
            const token = JSON.parse(sessionStorage.getItem('ecrm-console-session')).id;
            const headers = {Authorization: 'Bearer ' + token, 'Content-Type': 'application/json'};
            const answer = await fetch(path, {method, headers,
              body: body === null ? undefined : JSON.stringify(body)});
            return {status: answer.status, body: await answer.json()};
        }""",
        [method, path, body],
    )
    return answer


def contacts_file(folder: Path) -> Path:
    """50 contacts at Acme; the rows on BAD_LINES have no valid address (one not an address,
    one a value short)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["E-mail", "First name", "Company", "Notes"])
    for line in range(2, 52):
        row = [f"imp{line}@acme.example", f"Name {line}", "Acme, Inc.", "kept out"]
        if line == BAD_LINES[0]:
            row[0] = "not-an-address"
        if line == BAD_LINES[1]:
            row = row[:2]
        writer.writerow(row)
    path = folder / "contacts.csv"
    path.write_text(out.getvalue())
    return path


def catch_file_choosers(page: Page) -> None:
    """Playwright turns on catching the file chooser when a listener is added, without waiting
    for it: added before signing in, long before a key opens the chooser (`choose`)."""
    page.on("filechooser", lambda _: None)


def choose(page: Page, path: Path) -> None:
    """On Imports, the file chosen from the keyboard: Space on the focused file control."""
    expect(page.get_by_label("CSV file")).to_be_focused()
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(path))
    expect(page.locator("#import-rows")).to_be_visible()


def import_chosen(page: Page) -> None:
    """On Imports, `contacts_file` chosen: Company mapped, the newsletter, the source, Import;
    returns once its bad rows show."""
    page.get_by_label("Column “Company” fills").select_option("company")
    page.get_by_label("The ecrm newsletter (newsletter)").check()
    page.get_by_label("Where these people consented").fill(SOURCE)
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#bad-rows tbody tr")).to_have_count(2, timeout=60_000)


def tab_to(page: Page, target: Locator, tabs: int = 1) -> None:
    """Tab `tabs` times from the focused control: `target` has the focus."""
    for _ in range(tabs):
        page.keyboard.press("Tab")
    expect(target).to_be_focused()


def wizard_by_keyboard(
    page: Page,
    name: str,
    sender: str,
    sender_name: str,
    ab_test: Callable[[Page], None] | None = None,
) -> None:
    """On Campaigns, a draft made in the wizard with the keyboard alone: the first template and
    segment offered, `sender`, no A/B test unless `ab_test` fills that step (from its focused
    heading, leaving the focus on Next); returns at the review (step 5), before the draft is
    created."""
    press(page, "New campaign")
    expect(page.locator("#editing")).to_have_text("New campaign")
    tab_to(page, page.get_by_label("Campaign name"))
    page.keyboard.type(name)
    page.keyboard.press("Enter")  # Next: refused, no template chosen, said at the field
    expect(page.locator("#wiz-template-error")).to_have_text("Choose a template.")
    expect(page.get_by_label("Template", exact=True)).to_be_focused()
    page.keyboard.press("ArrowDown")
    next_step = page.get_by_role("button", name="Next")
    tab_to(page, next_step)
    page.keyboard.press("Enter")
    expect(page.locator("#wiz-step-1")).to_be_focused()
    tab_to(page, page.get_by_label("Segment (who gets it)"))
    page.keyboard.press("ArrowDown")
    tab_to(page, next_step, tabs=2)  # past Back
    page.keyboard.press("Enter")
    expect(page.locator("#wiz-step-2")).to_be_focused()
    tab_to(page, page.get_by_label("From address"))
    page.keyboard.type(sender)
    tab_to(page, page.get_by_label("From name"))
    page.keyboard.type(sender_name)
    page.keyboard.press("Enter")
    expect(page.locator("#wiz-step-3")).to_be_focused()
    if ab_test:
        ab_test(page)
    else:
        tab_to(page, next_step, tabs=3)  # past the A/B test's box, unchecked, and Back
    page.keyboard.press("Enter")
    expect(page.locator("#wiz-step-4")).to_be_focused()


def create_the_draft(page: Page, name: str) -> None:
    """The wizard's review: Create the draft, from the keyboard; on its page, step 6."""
    page.get_by_role("button", name="Create the draft").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#editing")).to_have_text(f"Campaign {name}")
    expect(page.locator("#wizard-next")).to_contain_text("Step 6 of 6")
    expect(page.locator("#campaign-state")).to_contain_text("draft")


def press(page: Page, button: str) -> None:
    page.get_by_role("button", name=button).focus()
    page.keyboard.press("Enter")


def press_and_wait(page: Page, button: str, answered: str) -> None:
    """Press `button` from the keyboard and wait for the API's answer to the page's write whose
    address ends with `answered`: only then has the write reached the stack, so a drain after
    this call sees it (pressing and draining at once raced the browser's request)."""

    def the_write(response: Any) -> bool:
        return response.request.method != "GET" and response.url.endswith(answered)

    with page.expect_response(the_write) as answer:
        press(page, button)
    assert answer.value.ok, (answer.value.status, answer.value.text())


def send_a_test(page: Page, stack: Any) -> dict[str, Any]:
    """Send a test to the signed-in marketer (the field's default), from the keyboard: the
    page says so, and the mail found in the outbox."""
    me = user(stack, "marketer")["email"]
    press(page, "Send a test")
    expect(page.locator("#test-said")).to_contain_text("Sent to " + me)
    stack.drain()
    [proof] = [m for m in stack.outbox() if me in m["to"]]
    return proof


def send_and_watch_done(page: Page, stack: Any, sent: int) -> list[dict[str, Any]]:
    """On a draft's page, Send now from the keyboard, the queues drained, the page followed to
    done; the mails it sent (from the outbox)."""
    before = {m["id"] for m in stack.outbox()}
    press_and_wait(page, "Send now", "/send")
    stack.drain()
    expect(page.locator("#campaign-state")).to_contain_text("done")
    expect(page.locator('[data-figure="sent"] dd')).to_have_text(str(sent))
    expect(page.locator('[data-figure="remaining"] dd')).to_have_text("0")
    return [m for m in stack.outbox() if m["id"] not in before]


def simulate(stack: Any, mails: list[dict[str, Any]], opened: int, link: str) -> None:
    """Every mail delivered, the first `opened` opened, the first one's `link` clicked (as the
    outbox's buttons simulate SES's events)."""
    for index, mail in enumerate(mails):
        stack.simulate_ses_event(mail["id"], "delivery")
        if index < opened:
            stack.simulate_ses_event(mail["id"], "open")
    [clicked] = [x for x in mails[0]["links"] if x.startswith(link)]
    stack.simulate_ses_event(mails[0]["id"], "click", link=clicked)
    stack.drain()
