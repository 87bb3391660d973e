"""The AWS list prices docs/cost.md uses (US East, N. Virginia, us-east-1; read 2026-11-28 from
the pages named beside each), shared by `bench.cost_estimate` (traffic) and `bench.cost_idle`
(what exists while nobody uses the product)."""

from __future__ import annotations

# USD. Source pages (us-east-1):
PRICES = {
    # https://aws.amazon.com/api-gateway/pricing/ (REST APIs, first 333 million a month)
    "api_request": 3.50 / 1e6,
    # https://aws.amazon.com/lambda/pricing/ (x86, first 6 billion GB-s a month)
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second": 0.0000166667,
    # https://aws.amazon.com/dynamodb/pricing/on-demand/ (Standard table class)
    "write_request_unit": 0.625 / 1e6,
    "read_request_unit": 0.125 / 1e6,
    "storage_gb_month": 0.25,
    "pitr_gb_month": 0.20,
    # https://aws.amazon.com/ses/pricing/ (outbound mail)
    "ses_mail": 0.10 / 1000,
    # https://aws.amazon.com/sns/pricing/ (publishes; deliveries to Lambda are not charged)
    "sns_publish": 0.50 / 1e6,
    # https://aws.amazon.com/eventbridge/pricing/ (custom events)
    "eventbridge_event": 1.00 / 1e6,
    # https://aws.amazon.com/sqs/pricing/ (standard queue requests)
    "sqs_request": 0.40 / 1e6,
    # https://aws.amazon.com/secrets-manager/pricing/ (the signing key's former home)
    "secret_month": 0.40,
    # https://aws.amazon.com/systems-manager/pricing/ (standard parameters, SecureString with
    # the AWS managed key: no monthly fee; standard throughput API calls are free)
    "ssm_standard_parameter_month": 0.0,
    # https://aws.amazon.com/cloudwatch/pricing/
    # Standard resolution, per metric an alarm reads (a metric math alarm reads several).
    "alarm_metric_month": 0.10,
    "dashboard_month": 3.00,
    "log_ingest_gb": 0.50,
    # https://aws.amazon.com/waf/pricing/
    "web_acl_month": 5.00,
    "waf_rule_month": 1.00,
    "waf_request": 0.60 / 1e6,
}
