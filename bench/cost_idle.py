"""What a month costs while nobody uses the product, per environment, from the template's
resources and the price table docs/cost.md uses (`bench.cost_prices`).

Environments: `dev` is the template's default parameters; `prod` is samconfig.toml's prod
parameters with WAF off, `prod_waf` with them as written (WAF on). A resource exists when its
condition holds for those parameters. Only resources billed by the month count: every other
type in the template is billed by use (requests, invocations, mails) and costs nothing idle;
table, bucket and log storage are apart (docs/cost.md). A type this module knows neither way
fails the measurement, so a new monthly fee cannot slip in as zero.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping

from bench.cost_prices import PRICES
from bench.figures import Figure
from local.intrinsics import Resolver, local_names
from local.template import REPO_ROOT, Resource, Template

# Billed by use only: nothing while idle (storage apart).
BY_USE = {
    "AWS::ApiGateway::Account",
    "AWS::ApiGateway::BasePathMapping",
    "AWS::ApiGateway::DomainName",
    "AWS::Athena::WorkGroup",
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudFront::ResponseHeadersPolicy",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolGroup",
    "AWS::DynamoDB::Table",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::Role",
    "AWS::Lambda::Permission",
    "AWS::Logs::LogGroup",
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::SES::ConfigurationSet",
    "AWS::SES::ConfigurationSetEventDestination",
    "AWS::SES::EmailIdentity",
    "AWS::SES::ReceiptRule",
    "AWS::SES::ReceiptRuleSet",
    "AWS::SNS::Subscription",
    "AWS::SNS::Topic",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
    "AWS::Serverless::Api",
    "AWS::Serverless::Function",
    "AWS::Serverless::LayerVersion",
    "AWS::WAFv2::WebACLAssociation",
}
GOALS = {"dev": 0.05, "prod": 3.00}


def alarm_metrics(alarm: Resource) -> int:
    """Metrics an alarm reads: one, or each MetricStat of its metric math."""
    queries = alarm.properties.get("Metrics")
    return sum(1 for q in queries if "MetricStat" in q) if queries else 1


def _monthly(resource: Resource) -> tuple[str, float]:
    """(line of the bill, USD a month) of a resource billed by the month."""
    kind, props = resource.type, resource.properties
    if kind == "AWS::CloudWatch::Alarm":
        return "CloudWatch alarms", alarm_metrics(resource) * PRICES["alarm_metric_month"]
    if kind == "AWS::CloudWatch::Dashboard":
        return "CloudWatch dashboard", PRICES["dashboard_month"]
    if kind == "AWS::SecretsManager::Secret":
        return "Secrets Manager", PRICES["secret_month"]
    if kind == "AWS::WAFv2::WebACL":
        rules = len(props.get("Rules", []))
        return "WAF", PRICES["web_acl_month"] + rules * PRICES["waf_rule_month"]
    raise ValueError(f"{resource.logical_id}: {kind} is not known to bench.cost_idle")


def samconfig_parameters(environment: str) -> dict[str, str]:
    with (REPO_ROOT / "samconfig.toml").open("rb") as source:
        text = tomllib.load(source)[environment]["deploy"]["parameters"]["parameter_overrides"]
    return {k: v.strip('"') for k, v in re.findall(r'(\w+)=("[^"]*"|\S+)', text)}


def environments() -> dict[str, dict[str, str]]:
    prod = samconfig_parameters("prod")
    return {"dev": {}, "prod": {**prod, "EnableWaf": "false"}, "prod_waf": prod}


def idle_month(template: Template, parameters: Mapping[str, str]) -> dict[str, float]:
    """USD a month by line of the bill, for the stack deployed with `parameters`."""
    names = local_names(template, parameters)
    resolver = Resolver(template, names)
    bill: dict[str, float] = {}
    for resource in template.resources():
        if resource.condition is not None and not resolver.condition(resource.condition):
            continue
        if resource.type in BY_USE:
            continue
        line, dollars = _monthly(resource)
        bill[line] = round(bill.get(line, 0.0) + dollars, 4)
    return bill


def idle_months(template: Template | None = None) -> dict[str, dict[str, float]]:
    found = template or Template.load()
    return {name: idle_month(found, params) for name, params in environments().items()}


def measure() -> list[Figure]:
    months = idle_months()
    figures = [
        Figure(f"cost.idle_month_usd.{name}", round(float(sum(bill.values())), 2), GOALS.get(name))
        for name, bill in months.items()
    ]
    return [*figures, Figure("cost.idle_month_by_item", months)]
