"""The marketer console is served from the web bucket behind CloudFront with its own
response-headers policy, the same policy `ecrm serve` sends (local/console_files.py): scripts and
styles from its origin only, no inline script or eval, calls to Cognito and the API only, no
framing, HSTS. Its /admin calls go to the same origin: CloudFront passes `v1/admin/*` to the API,
uncached, with the caller's Authorization, so /admin needs no CORS."""

from __future__ import annotations

import re
from typing import Any

from cli.console import API_PATH
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
    text = value["Fn::Sub"] if isinstance(value, dict) else value
    return str(text)


def test_the_console_path_has_its_own_headers_and_is_never_cached() -> None:
    config = TEMPLATE.resource("WebDistribution").properties["DistributionConfig"]
    [console] = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "console/*"]
    assert console["ResponseHeadersPolicyId"] == {"Ref": "ConsoleHeaders"}
    assert console["ViewerProtocolPolicy"] == "redirect-to-https"
    assert console["AllowedMethods"] == ["GET", "HEAD"]


CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def test_the_console_reaches_the_admin_api_on_its_own_origin_uncached_with_the_token() -> None:
    config = TEMPLATE.resource("WebDistribution").properties["DistributionConfig"]
    stage = TEMPLATE.resource("Api").properties["StageName"]
    assert f"/{stage}" == API_PATH  # what `ecrm console publish` writes in config.json
    [admin] = [b for b in config["CacheBehaviors"] if b["TargetOriginId"] == "api"]
    assert admin["PathPattern"] == f"{stage}/admin/*"  # the console's calls, not the public API
    # Never cached (an answer depends on the caller's token); Authorization reaches the API's
    # Cognito authorizer only through an origin request policy with caching disabled.
    assert admin["CachePolicyId"] == CACHING_DISABLED
    assert admin["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST  # Host stays the API's own
    every = {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
    assert set(admin["AllowedMethods"]) == every
    assert admin["ViewerProtocolPolicy"] == "https-only"  # a token never crosses in clear
    assert "ResponseHeadersPolicyId" not in admin and "ForwardedValues" not in admin
    [origin] = [o for o in config["Origins"] if o["Id"] == "api"]
    api = "${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
    assert origin["DomainName"] == {"Fn::Sub": api}
    assert origin["CustomOriginConfig"] == {
        "OriginProtocolPolicy": "https-only",
        "OriginSSLProtocols": ["TLSv1.2"],
    }
    assert "OriginPath" not in origin  # /v1/admin/x is the stage v1's /admin/x


def test_the_console_may_call_its_own_origin_cognito_and_the_import_bucket_only() -> None:
    [connect] = re.findall(r"connect-src ([^;]*);", _csp())
    assert connect.split() == [
        "'self'",
        "https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}",
        # an import's file: the presigned URL's host (global or regional name of the bucket)
        "https://${ImportBucket.DomainName}",
        "https://${ImportBucket.RegionalDomainName}",
    ]
    [local] = re.findall(r"connect-src ([^;]*);", policy(""))
    assert local.split() == ["'self'"]  # locally the API and Cognito's proxy are that origin too
    [local] = re.findall(r"connect-src ([^;]*);", policy("", uploads="http://127.0.0.1:5000"))
    assert local.split() == ["'self'", "http://127.0.0.1:5000"]  # and moto's S3 for an upload


def test_the_import_bucket_takes_a_browsers_put_from_the_consoles_origin_only() -> None:
    """The Imports screen PUTs the file to its presigned URL from the browser: the bucket's CORS
    rule allows that PUT, with the signed headers, from CloudFront's (or the web domain's)
    origin; no other method, no other site (the URL's signature is what allows the write)."""
    [rule] = TEMPLATE.resource("ImportBucket").properties["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedMethods"] == ["PUT"]
    assert rule["AllowedHeaders"] == ["content-type", "x-amz-checksum-sha256"]
    _, with_domain, without = rule["AllowedOrigins"]["Fn::If"]
    assert without == ["https://*.cloudfront.net"]
    assert with_domain == [{"Fn::Sub": "https://${WebDomainName}"}, "https://*.cloudfront.net"]


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
