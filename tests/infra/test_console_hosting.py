"""The marketer console is served from the web bucket behind CloudFront with its own
response-headers policy, the same policy `ecrm serve` sends (local/console_files.py): scripts and
styles from its origin only, no inline script or eval, calls to Cognito and the API only, no
framing, HSTS."""

from __future__ import annotations

import re
from typing import Any

from local.console_files import policy
from local.template import Template
from tests.conftest import ROOT

TEMPLATE = Template.load(ROOT / "infra" / "template.yaml")


def _headers() -> dict[str, Any]:
    found: dict[str, Any] = TEMPLATE.resource("ConsoleHeaders").properties[
        "ResponseHeadersPolicyConfig"
    ]["SecurityHeadersConfig"]
    return found


def _csp() -> str:
    value = _headers()["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    text = value["Fn::Sub"][0] if isinstance(value, dict) else value
    return str(text)


def test_the_console_path_has_its_own_headers_and_is_never_cached() -> None:
    config = TEMPLATE.resource("WebDistribution").properties["DistributionConfig"]
    [console] = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "console/*"]
    assert console["ResponseHeadersPolicyId"] == {"Ref": "ConsoleHeaders"}
    assert console["ViewerProtocolPolicy"] == "redirect-to-https"
    assert console["AllowedMethods"] == ["GET", "HEAD"]


def test_the_deployed_policy_is_strict_and_the_local_one_is_the_same_but_for_connect_src() -> None:
    deployed = _csp()
    assert "unsafe-inline" not in deployed and "unsafe-eval" not in deployed
    assert "frame-ancestors 'none'" in deployed and "script-src 'self';" in deployed
    headers = _headers()
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["ContentTypeOptions"]["Override"] is True

    def without_connect(text: str) -> str:
        return re.sub(r"connect-src [^;]*;", "", text)

    assert without_connect(deployed) == without_connect(policy(""))
    assert "https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}" in deployed
