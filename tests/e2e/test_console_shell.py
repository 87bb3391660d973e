"""The marketer console's shell in Chromium against `ecrm serve`: sign in with the users the
stack wrote to `console-users.json` (keyboard only), one navigation where only working screens
are links, Home's figures from the reports API (nothing counted yet: each chart says so), a
viewer's read-only console, tokens refreshed before they expire, sign-out revoking them, an
ended session asking to sign in again over the screen, strict headers. Home with figures and
charts, at 1280 and 390 px: test_console_home.py."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from playwright.sync_api import Page, Request, Route, expect

from tests.e2e.console import user

pytestmark = pytest.mark.e2e

# Every screen of issue 16 works: each is a link (Team for admins only).
SCREENS = [
    "Home",
    "Contacts",
    "Forms",
    "Templates",
    "Segments",
    "Campaigns",
    "Automations",
    "Journeys",
    "Scoring",
    "Sending policy",
    "Imports",
]


def sign_in(page: Page, stack: Any, who: str = "marketer") -> None:
    """From the keyboard alone: the dialog opens focused on the email field."""
    page.goto("/console/")
    expect(page.get_by_role("dialog", name="Sign in")).to_be_visible()
    expect(page.get_by_label("Email")).to_be_focused()
    details = user(stack, who)
    page.keyboard.type(details["email"])
    page.keyboard.press("Tab")
    page.keyboard.type(details["password"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Sign in")).to_be_hidden()
    expect(page.locator("main[data-loaded=true]")).to_be_visible()


def session(page: Page) -> dict[str, Any]:
    kept: dict[str, Any] = json.loads(
        page.evaluate("sessionStorage.getItem('ecrm-console-session')") or "null"
    )
    return kept


def cognito(stack: Any) -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=stack.moto_url,
        region_name=stack.console_pool.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_a_marketer_signs_in_from_the_keyboard_and_sees_home(page: Page, stack: Any) -> None:
    requested: list[Request] = []
    page.on("request", lambda request: requested.append(request))  # noqa: PLW0108 - Playwright refuses a bound builtin
    sign_in(page, stack)

    expect(page.locator("#who")).to_contain_text(user(stack, "marketer")["email"])
    expect(page.locator("#who")).to_contain_text("Marketer")
    nav = page.get_by_role("navigation", name="Console")
    expect(nav.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Contacts")).to_be_visible()
    expect(nav.get_by_role("link", name="Templates")).to_be_visible()
    for name in SCREENS:
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(nav.locator(".later")).to_have_count(0)  # nothing is "not yet available" any more
    expect(nav.get_by_text("Team")).to_have_count(0)  # admins only
    for figure in ("today-signups", "period-signups", "period-sent", "period-opened"):
        expect(page.locator(f"[data-figure={figure}] dd")).to_have_text("0")
    expect(page.get_by_role("heading", name="Last 30 days")).to_be_visible()
    # nothing counted yet: each chart says so instead of drawing nothing
    for chart in ("signups", "list", "mails", "funnel", "campaigns"):
        expect(page.locator(f"#{chart} .empty")).not_to_be_empty()
    expect(page.locator("#charts svg")).to_have_count(0)

    page.get_by_role("radio", name="7 days").check()
    expect(page.get_by_role("heading", name="Last 7 days")).to_be_visible()
    tokens = session(page)
    assert tokens["id"] and tokens["refresh"]
    # the template editor and its library load with the Templates screen only
    assert not [r.url for r in requested if "templates.js" in r.url or "/vendor/" in r.url]
    for request in requested:  # no token ever in an address
        assert tokens["id"] not in request.url and tokens["refresh"] not in request.url
        assert user(stack, "marketer")["password"] not in request.url
    api_calls = [r for r in requested if "/admin/" in r.url]
    assert api_calls and all(
        r.headers["authorization"] == f"Bearer {tokens['id']}" for r in api_calls[-1:]
    )


def test_a_wrong_password_says_so_and_nothing_is_kept(page: Page, stack: Any) -> None:
    page.goto("/console/")
    page.get_by_label("Email").fill(user(stack, "marketer")["email"])
    page.get_by_label("Password").fill("not-the-password-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(page.get_by_label("Password")).to_be_focused()
    assert session(page) is None


def test_a_viewer_gets_no_write_control_and_the_api_refuses_a_forced_write(
    page: Page, stack: Any
) -> None:
    sign_in(page, stack, "viewer")
    expect(page.locator("#who")).to_contain_text("read only")
    main = page.locator("main")
    expect(main.get_by_role("button")).to_have_count(0)
    expect(main.get_by_role("textbox")).to_have_count(0)
    forced = page.evaluate(
        """async () => {
            const token = JSON.parse(sessionStorage.getItem('ecrm-console-session')).id;
            const answer = await fetch('/admin/segments', {method: 'POST',
              headers: {Authorization: 'Bearer ' + token, 'Content-Type': 'application/json'},
              body: JSON.stringify({id: 'forced', name: 'Forced', topic: 'newsletter'})});
            return {status: answer.status, body: await answer.json()};
        }"""
    )
    assert forced["status"] == 403 and forced["body"]["error"]["code"] == "forbidden"
    marketer_token = cognito(stack).initiate_auth(
        ClientId=stack.console_pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": user(stack, "marketer")["email"],
            "PASSWORD": user(stack, "marketer")["password"],
        },
    )["AuthenticationResult"]["IdToken"]
    segments = requests.get(
        f"{stack.api_url}/admin/segments",
        headers={"Authorization": f"Bearer {marketer_token}"},
        timeout=30,
    ).json()
    assert "forced" not in json.dumps(segments)


def test_tokens_are_refreshed_before_they_expire(page: Page, stack: Any) -> None:
    sign_in(page, stack)
    before = session(page)
    # As if the hour had nearly passed: the console refreshes at once (5 minutes ahead).
    page.evaluate(
        """() => {
            const kept = JSON.parse(sessionStorage.getItem('ecrm-console-session'));
            kept.expiresAt = Date.now() + 60 * 1000;
            sessionStorage.setItem('ecrm-console-session', JSON.stringify(kept));
        }"""
    )
    with page.expect_request(
        lambda r: (
            r.method == "POST"
            and "/_local/cognito" in r.url
            and "REFRESH_TOKEN_AUTH" in (r.post_data or "")
        )
    ):
        page.reload()
    expect(page.locator("main[data-loaded=true]")).to_be_visible()
    page.wait_for_function(
        "(old) => JSON.parse(sessionStorage.getItem('ecrm-console-session')).id !== old",
        arg=before["id"],
    )
    after = session(page)
    assert after["refresh"] == before["refresh"] and after["expiresAt"] > before["expiresAt"]
    expect(page.get_by_role("dialog", name="Sign in")).to_be_hidden()  # no sign-in asked


def test_sign_out_revokes_the_refresh_token(page: Page, stack: Any) -> None:
    sign_in(page, stack)
    refresh_token = session(page)["refresh"]
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("dialog", name="Sign in")).to_be_visible()
    expect(page.locator("#sign-in-reason")).to_have_text("You are signed out.")
    assert session(page) is None
    with pytest.raises(ClientError) as refused:
        cognito(stack).initiate_auth(
            ClientId=stack.console_pool.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token},
        )
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_an_ended_session_asks_to_sign_in_over_the_screen_and_keeps_it(
    page: Page, stack: Any
) -> None:
    sign_in(page, stack)
    ended: list[str] = []

    def once_unauthorized(route: Route) -> None:
        if ended:
            route.continue_()
            return
        ended.append(route.request.url)  # API Gateway's answer to an expired ID token
        route.fulfill(
            status=401, content_type="application/json", body='{"message": "Unauthorized"}'
        )

    page.route("**/admin/reports?*", once_unauthorized)
    page.get_by_role("radio", name="90 days").check()
    dialog = page.get_by_role("dialog", name="Sign in")
    expect(dialog).to_be_visible()
    expect(page.locator("#sign-in-reason")).to_contain_text("what you typed is kept")
    assert session(page) is None  # the ended tokens are dropped
    details = user(stack, "marketer")
    page.get_by_label("Password").fill(details["password"])  # the email is still there
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("radio", name="90 days")).to_be_checked()  # the screen was kept
    expect(page.get_by_role("heading", name="Last 90 days")).to_be_visible()
    assert len(ended) == 1


def test_the_console_has_strict_headers_and_a_fixed_redirect(stack: Any) -> None:
    for path in ("/console/", "/console/main.js", "/console/config.json"):
        answer = requests.get(stack.api_url + path, timeout=30)
        assert answer.status_code == 200, path
        policy = answer.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
    config = requests.get(stack.api_url + "/console/config.json", timeout=30).json()
    assert set(config) == {
        *("region", "user_pool_id", "client_id", "cognito_endpoint", "api"),
        *("form_script", "form_api"),  # the Forms screen's embed snippet
    }
    moved = requests.get(
        stack.api_url + "/console?next=https://evil.example", allow_redirects=False, timeout=30
    )
    assert (moved.status_code, moved.headers["Location"]) == (308, "/console/")
    # The console's files only under its own headers: not through /web/ without them.
    assert requests.get(stack.api_url + "/web/console/index.html", timeout=30).status_code == 404
    for hostile in ("/console/../secrets.json", "/console/%2e%2e/%2e%2e/pyproject.toml"):
        assert requests.get(stack.api_url + hostile, timeout=30).status_code == 404


def test_a_new_users_first_sign_in_sets_their_password(page: Page, stack: Any) -> None:
    """An admin made the user with a temporary password (docs/deploy.md section 4): the console
    asks for a new one, Cognito checks it against the pool's policy, and the user is in."""
    address, temporary = "new.marketer@example.com", "Temporary-pass-1"
    pool = cognito(stack)
    pool.admin_create_user(
        UserPoolId=stack.console_pool.pool_id,
        Username=address,
        TemporaryPassword=temporary,
        UserAttributes=[
            {"Name": "email", "Value": address},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )
    pool.admin_add_user_to_group(
        UserPoolId=stack.console_pool.pool_id, Username=address, GroupName="marketers"
    )
    page.goto("/console/")
    page.get_by_label("Email").fill(address)
    page.get_by_label("Password").fill(temporary)
    page.keyboard.press("Enter")
    new_password = page.get_by_label("Choose a new password (12 characters or more)")
    expect(new_password).to_be_focused()
    page.keyboard.type("short")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).not_to_be_empty()  # the pool's policy, in Cognito's words
    new_password.fill("A-much-longer-passphrase-2")
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Sign in")).to_be_hidden()
    # (moto's ID token after a challenge names the user by id, not by the email AWS puts there)
    expect(page.locator("#who")).to_contain_text("Marketer")
    expect(page.locator("main[data-loaded=true]")).to_be_visible()


def test_the_sign_in_dialog_keeps_the_focus_from_the_keyboard(page: Page, stack: Any) -> None:
    """A modal dialog: Tab and Shift+Tab never reach the page behind it, Escape does not skip it."""
    page.goto("/console/")
    expect(page.get_by_label("Email")).to_be_focused()
    outside = """() => {
        const focused = document.activeElement;
        return focused !== document.body && !focused.closest('dialog');
    }"""
    for key in ["Tab"] * 6 + ["Shift+Tab"] * 6:
        page.keyboard.press(key)
        assert not page.evaluate(outside), key
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Sign in")).to_be_visible()
