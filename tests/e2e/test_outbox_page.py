"""The local outbox page in headless Chromium: it fits 1280 and 390 px, shows each mail's HTML
in a sandboxed frame (its scripts never run) and its text part, headers on demand, short link
labels, and a button for every SES event the CLI simulates; a hostile subject is text; the page
runs no script and loads nothing from elsewhere; axe-core finds nothing serious."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Locator, Page, expect

from local.cli import SES_EVENTS
from local.outbox_page import EVENT_LABELS

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
HOSTILE_SUBJECT = '<script>window.__xss = "subject"</script> Winter <b>sale</b>'
TOKEN = "t" * 400  # an unbroken token, as confirmation and sign-in links carry
LONG_LINK = f"https://forms.example.com/confirm/{TOKEN}?utm_source=mail&x={TOKEN}"
HTML = f"""<!doctype html><html><body>
<script>window.__xss = "html"; parent.__xss = "html";</script>
<h1 style="color: #b00">Winter sale</h1>
<p>Read the <a href="{LONG_LINK}">offer</a>.</p>
<img src="https://tracker.example.com/pixel.gif" alt="">
<form action="https://evil.example.com/"><button id="steal">Go</button></form>
</body></html>"""
TEXT = f"Winter sale\n\nRead the offer: {LONG_LINK}\n"


@pytest.fixture(scope="module")
def hostile_mail(stack: Any) -> dict[str, Any]:
    """A mail whose subject and HTML carry markup and scripts, and an unbroken token URL."""
    address = f"outbox.{uuid.uuid4().hex[:8]}@example.com"
    message = EmailMessage()
    message["From"] = "news@example.com"
    message["To"] = address
    message["Subject"] = HOSTILE_SUBJECT
    message.set_content(TEXT)
    message.add_alternative(HTML, subtype="html")
    ses: Any = boto3.client(
        "sesv2",
        endpoint_url=stack.moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    ses.send_email(
        FromEmailAddress="news@example.com",
        Destination={"ToAddresses": [address]},
        Content={"Raw": {"Data": bytes(message)}},
    )
    [found] = [m for m in stack.outbox() if m["to"] == address]
    return found


def card(page: Page, mail: dict[str, Any]) -> Locator:
    return page.get_by_role("article", name=mail["subject"])


def open_outbox(page: Page) -> None:
    page.goto("/_local/outbox")
    expect(page.get_by_role("heading", name="Outbox", level=1)).to_be_visible()


def assert_no_serious_axe_violation(page: Page) -> None:
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, results.generate_report()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_outbox_fits_the_screen_and_axe_finds_nothing_serious(
    browser: Browser, stack: Any, hostile_mail: dict[str, Any], width: int
) -> None:
    context = browser.new_context(base_url=stack.api_url, viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        open_outbox(page)
        expect(card(page, hostile_mail)).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert_no_serious_axe_violation(page)
        (ROOT / "test-results").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "test-results" / f"outbox-{width}.png"), full_page=True)
    finally:
        context.close()


def test_a_mail_shows_its_html_sandboxed_and_its_text_and_headers_on_demand(
    page: Page, hostile_mail: dict[str, Any]
) -> None:
    open_outbox(page)
    mail = card(page, hostile_mail)
    expect(mail.get_by_role("heading", level=2)).to_have_text(HOSTILE_SUBJECT)  # text, not markup

    frame = mail.locator("iframe")
    expect(frame).to_have_attribute("sandbox", "")
    expect(frame.content_frame.get_by_role("heading", name="Winter sale")).to_be_visible()
    assert page.evaluate("window.__xss") is None  # neither the subject nor the HTML ran
    [child] = [f for f in page.frames if f.url.endswith(".html")]
    assert child.evaluate("window.__xss") is None  # the frame's own script did not run either

    text = mail.get_by_text("Text part")
    expect(mail.locator("pre")).to_be_hidden()
    text.click()
    expect(mail.locator("pre")).to_contain_text("Read the offer:")

    expect(mail.get_by_text("Subject", exact=True)).to_be_hidden()
    mail.get_by_text("Headers", exact=True).focus()
    page.keyboard.press("Enter")  # from the keyboard
    expect(mail.locator("dl.headers")).to_contain_text("Content-Type")


def test_links_have_short_labels_and_keep_their_address(
    page: Page, hostile_mail: dict[str, Any]
) -> None:
    open_outbox(page)
    link = (
        card(page, hostile_mail).get_by_role("list", name="Links in this mail").get_by_role("link")
    )
    expect(link).to_have_text("forms.example.com/confirm/…?…")
    expect(link).to_have_attribute("href", LONG_LINK)


def test_every_ses_event_the_cli_offers_has_a_button_that_works_from_the_keyboard(
    page: Page, stack: Any
) -> None:
    address = f"events.{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": address, "consent": True}
    answer = requests.post(f"{stack.api_url}/forms/newsletter/submissions", json=body, timeout=10)
    assert answer.status_code == 202
    stack.drain()
    [mail] = [m for m in stack.outbox() if m["to"] == address]

    open_outbox(page)
    events = card(page, mail).get_by_role("group", name="Simulate what SES reports")
    for kind in SES_EVENTS:
        expect(events.get_by_role("button", name=EVENT_LABELS[kind], exact=True)).to_be_visible()
    expect(events.get_by_label("Link clicked")).to_contain_text("/confirm/…")

    events.get_by_role("button", name="Rejected").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_have_text(f"Simulated “Rejected” for {mail['subject']}.")
    assert page.url.endswith(f"#mail-{mail['id']}")


def test_the_page_and_the_mail_frame_have_strict_policies(
    stack: Any, hostile_mail: dict[str, Any]
) -> None:
    page = requests.get(f"{stack.api_url}/_local/outbox", timeout=10)
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert "<script" not in page.text.replace("&lt;script", "")  # the only one is escaped

    frame = requests.get(f"{stack.api_url}/_local/outbox/{hostile_mail['id']}.html", timeout=10)
    policy = frame.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy.split("; ")
    assert "script-src" not in policy and "img-src data:" in policy
