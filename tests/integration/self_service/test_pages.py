"""The preference center's page, script and styles are served by the API itself (the only web
host once deployed), under a policy that allows exactly them."""

from __future__ import annotations

import pytest

from tests.integration.self_service.conftest import account, header


def test_the_page_is_html_with_a_strict_content_security_policy(aws_env: dict[str, str]) -> None:
    page = account("GET", "/preferences")

    assert page["statusCode"] == 200
    assert header(page, "Content-Type").startswith("text/html")
    policy = header(page, "Content-Security-Policy")
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert header(page, "Referrer-Policy") == "no-referrer"
    body = page["body"]
    assert '<script src="preferences/app.js" defer></script>' in body  # relative: works under /v1
    assert '<label for="link-email">Your email address</label>' in body
    assert 'role="status"' in body and 'role="alert"' in body
    assert "<script>" not in body  # no inline script: the policy would refuse it


@pytest.mark.parametrize(
    ("resource", "content_type", "marker"),
    [
        ("/preferences/app.js", "text/javascript", "sessionStorage"),
        ("/preferences/app.css", "text/css", "max-width"),
    ],
)
def test_the_script_and_styles_are_served_with_their_types(
    aws_env: dict[str, str], resource: str, content_type: str, marker: str
) -> None:
    asset = account("GET", resource)

    assert asset["statusCode"] == 200
    assert header(asset, "Content-Type").startswith(content_type)
    assert header(asset, "X-Content-Type-Options") == "nosniff"
    assert marker in asset["body"]


def test_the_script_never_builds_html_from_data(aws_env: dict[str, str]) -> None:
    script = account("GET", "/preferences/app.js")["body"]
    for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert risky not in script, risky


def test_the_plain_pages_carry_the_brand_the_mails_come_from(aws_env: dict[str, str]) -> None:
    from ecrm.platform.settings import settings

    brand = settings().transactional_sender_name
    page = account("GET", "/unsubscribe/{token}", {"token": "not-a-token"})

    assert page["statusCode"] == 401
    assert f'<header class="site"><p>{brand}</p></header>' in page["body"]
    assert f"<title>Something needs attention · {brand}</title>" in page["body"]
