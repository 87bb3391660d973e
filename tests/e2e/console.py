"""What the console's browser tests share: its users, signing in on a screen, the axe-core and
phone-width checks, and a subscriber who confirmed through the demo form."""

from __future__ import annotations

import json
from typing import Any

import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from local.cognito import USERS_FILE
from tests.e2e import console_shots


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


def assert_fits(page: Page, width: int, shot: str) -> None:
    """The screen as shown at `width`: accessible, no sideways scroll; at 1280 px its picture
    is saved as `shot` (`console_shots`)."""
    assert_accessible(page)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    if width == 1280:
        console_shots.save(page, shot)


def confirmed_subscriber(stack: Any, address: str, **fields: Any) -> str:
    """`address` signs up on the demo form (with `fields`) and clicks the link mailed to it."""
    body = {"email": address, "consent": True, **fields}
    submitted = requests.post(
        f"{stack.api_url}/forms/newsletter/submissions", json=body, timeout=30
    )
    assert submitted.status_code == 202, submitted.text
    stack.drain()
    [mail] = [m for m in stack.outbox() if address in m["to"]]
    [link] = [link for link in mail["links"] if "/confirm/" in link]
    assert requests.post(link, timeout=30).status_code == 200
    stack.drain()
    return address
