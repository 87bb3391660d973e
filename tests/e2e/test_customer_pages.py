"""What a customer sees outside the script-driven pages, in headless Chromium at 1280 and 390 px:
a confirmation link used twice says "you're already subscribed" calmly; the plain form's
thank-you and problem pages carry the form's title and labels and link back to its site (from
the definition, never the request); markup in a title or label is text; the demo page and the
mails tell one story. Each page fits a phone, works from the keyboard and axe-core finds nothing
serious."""

from __future__ import annotations

import json
import uuid
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Route, expect

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DEMO_FORM = json.loads((ROOT / "local" / "demo_form.json").read_text())
HOSTILE = '<img src=x onerror="window.__xss=1">'
WIDTHS = [1280, 390]


def unique_email() -> str:
    return f"pages.{uuid.uuid4().hex[:10]}@example.com"


def assert_fits_and_accessible(page: Page, width: int, shot: str = "") -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if shot:
        (ROOT / "test-results").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "test-results" / f"{shot}-{width}.png"), full_page=True)
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, results.generate_report()


def confirmation_link(stack: Any, address: str) -> str:
    body = {"email": address, "consent": True}
    answer = requests.post(f"{stack.api_url}/forms/newsletter/submissions", json=body, timeout=10)
    assert answer.status_code == 202, answer.text
    stack.drain()
    [mail] = [m for m in stack.outbox() if m["to"] == address]
    [link] = [link for link in mail["links"] if "/confirm/" in link]
    return str(link)


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def sized(request: pytest.FixtureRequest, browser: Browser, stack: Any) -> Any:
    width = request.param
    context = browser.new_context(base_url=stack.api_url, viewport={"width": width, "height": 800})
    context.set_default_timeout(10_000)
    try:
        yield context.new_page(), width
    finally:
        context.close()


def test_a_confirmation_link_used_twice_says_already_subscribed_calmly(
    sized: tuple[Page, int], stack: Any
) -> None:
    page, width = sized
    link = confirmation_link(stack, unique_email())
    page.goto(link)
    page.get_by_role("button", name="Confirm my subscription").click()
    expect(page.get_by_role("heading", name="Subscription confirmed")).to_be_visible()

    page.go_back()  # the button page again (or the mail's link opened again)
    page.reload()
    expect(page.get_by_role("heading", name="You're already subscribed")).to_be_visible()
    expect(page.locator(".problem")).to_have_count(0)
    expect(page.get_by_role("button")).to_have_count(0)  # nothing left to press
    assert_fits_and_accessible(page, width, "already-subscribed")

    again = requests.post(link, timeout=10)  # a second click from another tab
    assert again.status_code == 200 and "You're already subscribed" in again.text


def test_the_plain_forms_problem_page_names_labels_and_links_back_to_the_site(
    browser: Browser, stack: Any
) -> None:
    for width in WIDTHS:
        context = browser.new_context(
            base_url=stack.api_url,
            java_script_enabled=False,
            viewport={"width": width, "height": 800},
        )
        try:
            page = context.new_page()
            page.route("**/", without_browser_checks)
            page.goto("/")
            page.locator("#plain-email").fill("not-an-address")
            page.locator("#plain").get_by_role("button", name="Subscribe").click()

            expect(page).to_have_title(f"Something needs attention · {DEMO_FORM['title']}")
            problems = page.locator("#problems")
            expect(problems).to_contain_text("Email:")
            expect(problems).to_contain_text("Consent: Please give your consent")
            expect(problems).not_to_contain_text("email:")
            back = page.get_by_role("link", name=f"Back to {urlsplit(stack.api_url).netloc}")
            expect(back).to_have_attribute("href", f"{stack.api_url}/")
            page.keyboard.press("Tab")
            expect(back).to_be_focused()  # the only stop: reached from the keyboard at once
            axe_page_without_script(browser, stack, page.content(), width)
        finally:
            context.close()


def without_browser_checks(route: Route) -> None:
    """The browser's own checks (`required`, `type=email`) off: what the API says is tested."""
    html = route.fetch().text().replace('<form id="plain"', '<form id="plain" novalidate')
    route.fulfill(body=html, content_type="text/html")


def axe_page_without_script(browser: Browser, stack: Any, html: str, width: int) -> None:
    """axe-core needs script: check the page a script-less visitor got in a context that runs
    it (same markup, same styles)."""
    context = browser.new_context(base_url=stack.api_url, viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.route("**/_axe", lambda route: route.fulfill(body=html, content_type="text/html"))
        page.goto("/_axe")
        assert_fits_and_accessible(page, width, "form-problem")
    finally:
        context.close()


def test_the_thank_you_page_carries_the_forms_title_and_a_link_back(
    sized: tuple[Page, int], stack: Any
) -> None:
    page, width = sized
    page.goto("/")
    page.locator("#plain-email").fill(unique_email())
    page.locator("#plain-consent").check()
    page.locator("#plain").get_by_role("button", name="Subscribe").click()

    expect(page.locator("h1#thanks")).to_have_text(DEMO_FORM["thank_you"])
    expect(page.locator("header.site")).to_have_text(DEMO_FORM["title"])
    back = page.get_by_role("link", name=f"Back to {urlsplit(stack.api_url).netloc}")
    expect(back).to_have_attribute("href", f"{stack.api_url}/")  # the demo page, on any port
    assert_fits_and_accessible(page, width, "form-thanks")


def test_markup_in_a_forms_title_and_labels_is_shown_as_text(page: Page, stack: Any) -> None:
    form_id = f"hostile-{uuid.uuid4().hex[:6]}"
    fields = [{**f, "label": f"{f['label']} {HOSTILE}"} for f in DEMO_FORM["fields"]]
    definition = {**DEMO_FORM, "id": form_id, "title": f"News {HOSTILE}", "fields": fields}
    token = stack.authorizer.tokens["marketer"]
    saved = requests.put(
        f"{stack.api_url}/admin/forms/{form_id}",
        json=definition,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert saved.status_code in (200, 201), saved.text

    def plain_form(route: Route) -> None:
        html = (
            '<!doctype html><html lang="en"><title>f</title><main><form method="post" '
            f'action="/forms/{form_id}/submissions"><input name="email" value="nope">'
            "<button>Send</button></form></main></html>"
        )
        route.fulfill(body=html, content_type="text/html")

    page.route("**/hostile-form", plain_form)
    page.goto("/hostile-form")
    page.get_by_role("button", name="Send").click()

    expect(page.locator("h1")).to_have_text("Some fields need attention.")
    expect(page.locator("header.site")).to_have_text(f"News {HOSTILE}")
    expect(page.locator("#problems")).to_contain_text(f"Email {HOSTILE}:")
    assert page.evaluate("window.__xss") is None
    assert page.locator("#problems img").count() == 0


def test_the_demo_page_and_the_confirmation_mail_tell_one_story(page: Page, stack: Any) -> None:
    address = unique_email()
    confirmation_link(stack, address)
    [mail] = [m for m in stack.outbox() if m["to"] == address]

    page.goto("/")
    brand = page.locator("header.site .brand").inner_text()
    heading = page.get_by_role("heading", level=1).inner_text()
    assert parseaddr(mail["from"])[0] == brand
    assert heading == DEMO_FORM["title"] and heading in mail["subject"]
