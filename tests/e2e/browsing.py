"""A page as the browser tests open one: in a fresh browser context (no shared cookies or
storage) based at the stack, at a width when it matters, with deadlines for waiting on a state,
and a script error on the page failing the test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Browser, Page, expect


@contextmanager
def page_at(browser: Browser, stack: Any, width: int | None = None) -> Iterator[Page]:
    """A page `width` px wide (900 high; Playwright's 1280 x 720 without a width), closed after."""
    if width:
        context = browser.new_context(
            base_url=stack.api_url, viewport={"width": width, "height": 900}
        )
    else:
        context = browser.new_context(base_url=stack.api_url)
    # Deadlines for waiting on a state, not timings: an action or an `expect` polls until it
    # holds, and a machine whose cores are busy (CI beside other work) needs longer than 5 s
    # for a screen's first API call through the local stack, and once (a load of 11 on two
    # cores) longer than 15 s for the journey editor's.
    context.set_default_timeout(30_000)
    expect.set_options(timeout=30_000)
    page = context.new_page()
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert not script_errors, f"script errors on the page: {script_errors}"
