"""The marketer console in Chromium against `ecrm serve` (in this process): how long its first
screen takes, what its first load transfers, and how many API calls each screen's first view
makes (issue 16's budgets).

- `console.first_load_ms`: a signed-in admin opens `/console/` (the session already in
  `sessionStorage`, as after a sign-in): navigation start to Home's figures drawn, by the
  page's own clock (`performance.now()`), the median of a few loads.
- `console.transfer_kb`: the JavaScript and CSS of that load, gzipped (what CloudFront's
  compression sends; `ecrm serve` does not compress).
- `console.api_calls_per_screen`: `/admin` requests of each working screen's first view, and
  their maximum.
"""

from __future__ import annotations

import gzip
import json
import logging
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

import boto3

from bench.figures import Figure

log = logging.getLogger(__name__)

FIRST_LOAD_GOAL_MS = 1000
TRANSFER_GOAL_KB = 250
CALLS_GOAL = 4
LOADS = 5
CHROMIUM = Path("/usr/bin/chromium")
# The screens that work (web/console/main.js SCREENS).
SCREENS = (
    "home",
    "contacts",
    "templates",
    "segments",
    "forms",
    "campaigns",
    "imports",
    "automations",
    "journeys",
    "scoring",
    "sending",
    "team",
)


def _session_script(stack: Any) -> str:
    """Puts the tokens an admin's sign-in leaves in sessionStorage (web/console/session.js)
    before the page's own script runs (an admin sees every screen, Team too)."""
    pool = stack.console_pool
    user = json.loads((stack.state_dir / "console-users.json").read_text())["admin"]
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=stack.moto_url,
        region_name=pool.region,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    result = cognito.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user["email"], "PASSWORD": user["password"]},
    )["AuthenticationResult"]
    tokens = json.dumps(
        {
            "id": result["IdToken"],
            "access": result["AccessToken"],
            "refresh": result["RefreshToken"],
        }
    )
    kept = f"Object.assign({tokens}, {{expiresAt: Date.now() + 3600000}})"
    store = f"sessionStorage.setItem('ecrm-console-session', JSON.stringify({kept}));"
    return f"try {{ {store} }} catch (e) {{}}"  # about:blank has no sessionStorage


def _in_chromium(stack: Any, executable: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - the dev extra's

    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            return _measure(stack, browser)
        finally:
            browser.close()


def _measure(stack: Any, browser: Any) -> dict[str, Any]:
    context = browser.new_context(base_url=stack.api_url)
    context.add_init_script(_session_script(stack))
    requested: list[str] = []
    bodies: dict[str, bytes] = {}
    try:
        page = context.new_page()
        page.on("request", lambda request: requested.append(request.url))
        loads = []
        for _ in range(LOADS):
            page.goto("about:blank")  # a new document each time (a fragment alone is not)
            page.goto("/console/#/home")
            page.wait_for_selector("main[data-loaded=true]")
            loads.append(page.evaluate("performance.now()"))
        for url in {u for u in requested if u.endswith((".js", ".css"))}:
            bodies[url] = page.request.get(url).body()
        calls = {}
        for screen in SCREENS:
            page.goto("about:blank")
            requested.clear()
            page.goto(f"/console/#/{screen}")
            page.wait_for_selector("main h1")
            page.wait_for_load_state("networkidle")
            calls[screen] = sum("/admin/" in url for url in requested)
    finally:
        context.close()
    transfer = sum(len(gzip.compress(body, 6)) for body in bodies.values()) / 1024
    return {
        "first_load_ms": round(statistics.median(loads)),
        "transfer_kb": round(transfer, 1),
        "calls": {**calls, "max": max(calls.values())},
    }


def measure(browser: Any = None) -> list[Figure]:
    """The figures, in `browser` (a Playwright Chromium; the tests' own) or one started here."""
    from local.stack import EmbeddedStack  # noqa: PLC0415

    executable = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    if browser is None and not executable:
        log.warning("console: no Chromium (apt-get install chromium): not measured")
        return [
            Figure("console.first_load_ms", None, FIRST_LOAD_GOAL_MS),
            Figure("console.transfer_kb", None, TRANSFER_GOAL_KB),
            Figure("console.api_calls_per_screen", None, CALLS_GOAL, ("max",)),
        ]
    with tempfile.TemporaryDirectory() as state:
        stack = EmbeddedStack(Path(state), fresh=True, keep_state=False).start()
        try:
            found = _measure(stack, browser) if browser else _in_chromium(stack, str(executable))
        finally:
            stack.stop()
    log.info("console: %s", found)
    return [
        Figure("console.first_load_ms", found["first_load_ms"], FIRST_LOAD_GOAL_MS),
        Figure("console.transfer_kb", found["transfer_kb"], TRANSFER_GOAL_KB),
        Figure("console.api_calls_per_screen", found["calls"], CALLS_GOAL, ("max",)),
    ]
