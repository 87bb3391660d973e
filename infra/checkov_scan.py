"""`make lint`'s policy scan: checkov over infra/template.yaml, run with .venv-checkov's Python.

Every check the template does not follow is skipped in its resource's `Metadata` with a reason
(docs/security.md, "Policy scan"); any other failure fails the build.

One correction first. checkov's CloudFormation CKV_AWS_27 reads only `KmsMasterKeyId`, so a queue
encrypted with SQS-managed keys (`SqsManagedSseEnabled: true`, no KMS key, no fee) is reported
unencrypted, while the Terraform check of the same id accepts SQS-managed encryption (checkov
issues 5869 and 7381, still open in the pinned version). Here the check passes on
`SqsManagedSseEnabled: true` (a YAML boolean, not the string "true") or a `KmsMasterKeyId`, and
fails otherwise, an absent property included.
"""

from __future__ import annotations

import sys
from typing import Any

from checkov.cloudformation.checks.resource.aws.SQSQueueEncryption import SQSQueueEncryption
from checkov.common.models.enums import CheckResult
from checkov.main import Checkov

TEMPLATE = "infra/template.yaml"


def _queue_encrypted(self: SQSQueueEncryption, conf: dict[str, Any]) -> CheckResult:
    properties = conf.get("Properties") or {}
    if properties.get("SqsManagedSseEnabled") is True:
        return CheckResult.PASSED
    return super(SQSQueueEncryption, self).scan_resource_conf(conf)


def main(argv: list[str]) -> int:
    SQSQueueEncryption.scan_resource_conf = _queue_encrypted  # type: ignore[method-assign]
    arguments = ["--file", TEMPLATE, "--framework", "cloudformation", "--compact", "--quiet"]
    return int(Checkov([*arguments, "--skip-download", *argv]).run() or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
