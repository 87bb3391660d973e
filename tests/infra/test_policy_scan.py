"""The policy scan (checkov in `make lint`, infra/checkov_scan.py) and what it holds the template
to: every check not followed is skipped in its resource's Metadata with a one-line reason and
listed in docs/security.md; queue encryption and the access log are never skipped; the choices
the scan cannot read (TLS with a web domain, versioning per bucket) are checked here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from local.template import Template
from tests.conftest import ROOT

TEMPLATE = Template.load()
NEVER_SKIPPED = {"CKV_AWS_27", "CKV_AWS_76"}


def _skips() -> Iterator[tuple[str, str, Any]]:
    for logical, body in TEMPLATE.document["Resources"].items():
        for skip in body.get("Metadata", {}).get("checkov", {}).get("skip", []):
            yield logical, skip.get("id"), skip.get("comment")


SKIPS = list(_skips())


def _policy_scan_section() -> str:
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    match = re.search(r"^## Policy scan.*?(?=^## )", text, re.M | re.S)
    assert match, "docs/security.md has no '## Policy scan' section"
    return match.group(0)


def test_every_skip_names_a_check_and_gives_a_one_line_reason() -> None:
    assert SKIPS
    for logical, check, comment in SKIPS:
        assert re.fullmatch(r"CKV2?_AWS_\d+", str(check)), (logical, check)
        assert isinstance(comment, str) and 20 <= len(comment) <= 130, (logical, check)
        assert "\n" not in comment


def test_queue_encryption_and_the_access_log_are_never_skipped() -> None:
    assert not [(logical, check) for logical, check, _ in SKIPS if check in NEVER_SKIPPED]


def test_docs_list_every_skipped_check_and_no_other() -> None:
    section = _policy_scan_section()
    documented = set(re.findall(r"^\| (CKV2?_AWS_\d+) \|", section, re.M))
    assert documented == {check for _, check, _ in SKIPS}


def test_every_queue_is_encrypted_with_sqs_managed_keys() -> None:
    queues = list(TEMPLATE.resources("AWS::SQS::Queue"))
    assert queues
    for queue in queues:
        assert queue.properties.get("SqsManagedSseEnabled") is True, queue.logical_id


def test_a_web_domain_requires_tls_1_2_and_the_default_certificate_is_otherwise_used() -> None:
    config = TEMPLATE.resource("WebDistribution").properties["DistributionConfig"]
    condition, custom, default = config["ViewerCertificate"]["Fn::If"]
    assert condition == "HasWebDomain"
    assert custom["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert custom["SslSupportMethod"] == "sni-only"
    assert custom["AcmCertificateArn"] == {"Ref": "WebCertificateArn"}
    assert default == {"CloudFrontDefaultCertificate": True}
    assert config["Aliases"]["Fn::If"][:2] == ["HasWebDomain", [{"Ref": "WebDomainName"}]]
    # The domain takes effect only with its certificate.
    both = TEMPLATE.conditions["HasWebDomain"]["Fn::And"]
    assert {"Fn::Not": [{"Fn::Equals": [{"Ref": "WebCertificateArn"}, ""]}]} in both


def test_the_api_custom_domain_requires_tls_1_2() -> None:
    assert TEMPLATE.resource("ApiDomain").properties["SecurityPolicy"] == "TLS_1_2"


def _lifecycle(logical: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = (
        TEMPLATE.resource(logical).properties.get("LifecycleConfiguration", {}).get("Rules", [])
    )
    return rules


@pytest.mark.parametrize("bucket", ["ImportBucket", "AnalyticsBucket"])
def test_buckets_of_personal_data_expire_it_and_keep_no_versions(bucket: str) -> None:
    props = TEMPLATE.resource(bucket).properties
    assert "VersioningConfiguration" not in props
    assert all(rule.get("ExpirationInDays") for rule in _lifecycle(bucket))


def test_the_web_bucket_keeps_old_versions_of_the_script_for_a_while() -> None:
    props = TEMPLATE.resource("WebBucket").properties
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert any(rule.get("NoncurrentVersionExpiration") for rule in _lifecycle("WebBucket"))
