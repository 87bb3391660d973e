"""Hardening and operations in the template, checked over every function, queue and route, so
what is added later is held to the same rules: logs with retention, alarms (opt-in, on in prod)
that watch every function's errors and throttles, every stream consumer's iterator age and every
queue (itself or its dead-letter queue), a DLQ on every asynchronous path, throttled public
writes, data retained in prod, and the deploy parameters and outputs docs/deploy.md uses."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from typing import Any

import pytest

from local.template import Function, Resource, Template
from tests.conftest import ROOT
from tests.infra.aws_calls import ASYNC_EVENT_TYPES, logical_id

TEMPLATE = Template.load()
FUNCTIONS = TEMPLATE.functions()
IN_PROD = {"Fn::If": ["IsProd", "Retain", "Delete"]}


def _ids(functions: list[Function]) -> list[str]:
    return [f.logical_id for f in functions]


def _raw(logical: str) -> dict[str, Any]:
    body: dict[str, Any] = TEMPLATE.document["Resources"][logical]
    return body


def _alarms() -> list[Resource]:
    return list(TEMPLATE.resources("AWS::CloudWatch::Alarm"))


def _alarm_metrics(alarm: Resource) -> list[tuple[str, str, dict[str, str | None]]]:
    """(namespace, metric, {dimension: logical id}) of each metric the alarm reads."""
    props = alarm.properties
    stats = [props] if "MetricName" in props else []
    stats += [
        {**query["MetricStat"]["Metric"]}
        for query in props.get("Metrics", [])
        if "MetricStat" in query
    ]
    return [
        (
            stat["Namespace"],
            stat["MetricName"],
            {d["Name"]: logical_id(d["Value"]) for d in stat.get("Dimensions", [])},
        )
        for stat in stats
    ]


def _watching(namespace: str, metric: str, dimension: str, target: str) -> list[Resource]:
    """Alarms reading `metric` of `target`, or of every resource (no dimension)."""
    return [
        alarm
        for alarm in _alarms()
        for ns, name, dims in _alarm_metrics(alarm)
        if (ns, name) == (namespace, metric) and (not dims or dims.get(dimension) == target)
    ]


def _missing_alarm(kind: str, target: str, namespace: str, metric: str, dimension: str) -> str:
    value = f"!GetAtt {target}.QueueName" if dimension == "QueueName" else f"!Ref {target}"
    return (
        f"no alarm watches {target}'s {kind}: add a MetricStat of {namespace} {metric} with "
        f"Dimensions [{{Name: {dimension}, Value: {value}}}] to the metric math of the alarm "
        "that watches the others of its kind in the template's operations section, and its "
        "lines to the Dashboard"
    )


# --- logs --------------------------------------------------------------------------------------


@pytest.mark.parametrize("function", FUNCTIONS, ids=_ids(FUNCTIONS))
def test_function_logs_to_a_log_group_with_retention(function: Function) -> None:
    group = logical_id(function.properties.get("LoggingConfig", {}).get("LogGroup"))
    assert group, f"{function.logical_id} has no LoggingConfig.LogGroup (Globals sets one)"
    found = TEMPLATE.resource(group)
    assert found.type == "AWS::Logs::LogGroup"
    assert found.properties.get("RetentionInDays"), group


# --- alarms ------------------------------------------------------------------------------------


@pytest.mark.parametrize("function", FUNCTIONS, ids=_ids(FUNCTIONS))
def test_function_errors_and_throttles_raise_alarms(function: Function) -> None:
    for metric in ("Errors", "Throttles"):
        assert _watching("AWS/Lambda", metric, "FunctionName", function.logical_id), _missing_alarm(
            metric, function.logical_id, "AWS/Lambda", metric, "FunctionName"
        )


STREAM_CONSUMERS = [f for f in FUNCTIONS if f.stream_sources]


@pytest.mark.parametrize("function", STREAM_CONSUMERS, ids=_ids(STREAM_CONSUMERS))
def test_stream_consumer_iterator_age_raises_an_alarm(function: Function) -> None:
    assert _watching("AWS/Lambda", "IteratorAge", "FunctionName", function.logical_id), (
        _missing_alarm(
            "IteratorAge", function.logical_id, "AWS/Lambda", "IteratorAge", "FunctionName"
        )
    )


def _dead_letter_queues() -> set[str]:
    """Queues that only receive what failed: on-failure destinations, DeadLetterQueue targets,
    SNS subscription and SQS redrive targets."""
    found: set[str] = set()
    for function in FUNCTIONS:
        found |= {logical_id(s.on_failure_destination) or "" for s in function.stream_sources}
        invoke = function.properties.get("EventInvokeConfig", {}).get("DestinationConfig", {})
        found.add(logical_id(invoke.get("OnFailure", {}).get("Destination")) or "")
        found.add(logical_id(function.properties.get("DeadLetterQueue", {}).get("TargetArn")) or "")
        for event in function.properties.get("Events", {}).values():
            redrive = event.get("Properties", {}).get("RedrivePolicy", {})
            found.add(logical_id(redrive.get("deadLetterTargetArn")) or "")
    for queue in TEMPLATE.resources("AWS::SQS::Queue"):
        redrive = queue.properties.get("RedrivePolicy", {})
        found.add(logical_id(redrive.get("deadLetterTargetArn")) or "")
    queues = {q.logical_id for q in TEMPLATE.resources("AWS::SQS::Queue")}
    return found & queues


DLQS = sorted(_dead_letter_queues())
QUEUES = sorted(q.logical_id for q in TEMPLATE.resources("AWS::SQS::Queue"))


def test_there_are_dead_letter_queues_to_watch() -> None:
    assert "TransactionalMailDLQ" in DLQS


@pytest.mark.parametrize("queue", DLQS)
def test_dead_letter_queue_depth_above_zero_raises_an_alarm(queue: str) -> None:
    metric = "ApproximateNumberOfMessagesVisible"
    [alarm] = _watching("AWS/SQS", metric, "QueueName", queue) or [None]
    assert alarm, _missing_alarm("depth", queue, "AWS/SQS", metric, "QueueName")
    assert alarm.properties["Threshold"] == 0
    assert alarm.properties["ComparisonOperator"] == "GreaterThanThreshold"


@pytest.mark.parametrize("queue", QUEUES)
def test_every_queue_is_watched_itself_or_through_its_dead_letter_queue(queue: str) -> None:
    redrive = TEMPLATE.resource(queue).properties.get("RedrivePolicy", {})
    watched = logical_id(redrive.get("deadLetterTargetArn")) or queue
    assert _watching("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", watched), queue


def test_no_alarm_exists_in_a_default_stack_and_prod_turns_the_pack_on() -> None:
    assert TEMPLATE.parameters["EnableAlarms"]["Default"] == "false"
    assert TEMPLATE.conditions["HasAlarms"] == {"Fn::Equals": [{"Ref": "EnableAlarms"}, "true"]}
    for alarm in _alarms():
        assert alarm.condition in {"HasAlarms", "HasProdAlarms"}, alarm.logical_id
    prod = dict(_overrides(_samconfig()["prod"]["deploy"]["parameters"]["parameter_overrides"]))
    assert prod["EnableAlarms"] == "true"


def test_a_metric_math_alarm_reads_at_most_ten_metrics_and_returns_one_series() -> None:
    for alarm in _alarms():
        queries = alarm.properties.get("Metrics", [])
        if queries:
            assert len([q for q in queries if "MetricStat" in q]) <= 10, alarm.logical_id
            assert [q.get("ReturnData") for q in queries].count(True) == 1, alarm.logical_id


def test_mail_reputation_raises_alarms_at_5_percent_bounces_and_0_1_percent_complaints() -> None:
    thresholds = {
        a.properties.get("MetricName"): a.properties.get("Threshold")
        for a in _alarms()
        if a.properties.get("Namespace") == "AWS/SES" and a.condition == "HasAlarms"
    }
    assert thresholds.get("Reputation.BounceRate") == 0.05
    assert thresholds.get("Reputation.ComplaintRate") == 0.001


def test_every_alarm_notifies_the_alarm_topic_which_mails_the_alarm_email() -> None:
    for alarm in _alarms():
        actions = [logical_id(a) for a in alarm.properties.get("AlarmActions", [])]
        assert "AlarmTopic" in actions, alarm.logical_id
    subscription = TEMPLATE.resource("AlarmEmailSubscription")
    assert subscription.condition == "HasAlarmEmail"
    assert subscription.properties["Endpoint"] == {"Ref": "AlarmEmail"}


def test_the_dashboard_is_opt_in() -> None:
    assert TEMPLATE.resource("Dashboard").condition == "HasDashboard"
    assert TEMPLATE.parameters["EnableDashboard"]["Default"] == "false"


def _dashboard_body() -> str:
    body = TEMPLATE.resource("Dashboard").properties["DashboardBody"]
    text = body["Fn::Sub"] if isinstance(body, dict) else body
    assert isinstance(text, str)
    # The body is JSON once CloudFormation substitutes ${...}.
    json.loads(re.sub(r"\$\{[^}]+\}", "x", text))
    return text


@pytest.mark.parametrize("function", FUNCTIONS, ids=_ids(FUNCTIONS))
def test_dashboard_shows_every_function(function: Function) -> None:
    assert "${" + function.logical_id + "}" in _dashboard_body(), (
        f"add {function.logical_id}'s Errors, Throttles and Duration lines to the Dashboard"
    )


@pytest.mark.parametrize("queue", DLQS)
def test_dashboard_shows_every_dead_letter_queue(queue: str) -> None:
    assert "${" + queue + ".QueueName}" in _dashboard_body(), f"add {queue} to the Dashboard"


# --- dead letters on every asynchronous path ----------------------------------------------------


def _invoked_asynchronously_by_services() -> set[str]:
    """Functions another service (SES, S3, EventBridge...) may invoke, per Lambda::Permission."""
    found: set[str] = set()
    for permission in TEMPLATE.resources("AWS::Lambda::Permission"):
        principal = str(permission.properties.get("Principal", ""))
        if principal and not principal.startswith("apigateway."):
            found.add(logical_id(permission.properties.get("FunctionName")) or "")
    return found


ASYNC = [
    f
    for f in FUNCTIONS
    if f.logical_id in _invoked_asynchronously_by_services()
    or any(e.get("Type") in ASYNC_EVENT_TYPES for e in f.properties.get("Events", {}).values())
]


@pytest.mark.parametrize("function", ASYNC, ids=_ids(ASYNC))
def test_asynchronously_invoked_function_parks_failed_events_in_a_dlq(function: Function) -> None:
    on_failure = (
        function.properties.get("EventInvokeConfig", {})
        .get("DestinationConfig", {})
        .get("OnFailure", {})
    )
    dead_letter = function.properties.get("DeadLetterQueue", {})
    assert on_failure.get("Destination") or dead_letter.get("TargetArn"), (
        f"{function.logical_id} is invoked asynchronously: give it EventInvokeConfig "
        "DestinationConfig OnFailure (or DeadLetterQueue) to a queue with a depth alarm"
    )
    for name, event in function.properties.get("Events", {}).items():
        if event.get("Type") == "SNS":
            assert event["Properties"].get("RedrivePolicy"), (function.logical_id, name)


QUEUE_CONSUMERS = [f for f in FUNCTIONS if f.queue_sources]


@pytest.mark.parametrize("function", QUEUE_CONSUMERS, ids=_ids(QUEUE_CONSUMERS))
def test_queue_consumers_source_queue_redrives_to_a_dlq(function: Function) -> None:
    for source in function.queue_sources:
        assert source.report_batch_item_failures, function.logical_id
        queue = TEMPLATE.resource(source.source_logical_id or "")
        redrive = queue.properties.get("RedrivePolicy", {})
        assert logical_id(redrive.get("deadLetterTargetArn")), (queue.logical_id, "RedrivePolicy")


# --- data and edge ----------------------------------------------------------------------------


def test_data_is_encrypted_recoverable_and_protected_in_prod() -> None:
    [table] = list(TEMPLATE.resources("AWS::DynamoDB::Table"))
    assert table.properties["SSESpecification"]["SSEEnabled"] is True
    assert table.properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
    assert table.properties["DeletionProtectionEnabled"] == {"Fn::If": ["IsProd", True, False]}
    assert TEMPLATE.conditions["IsProd"] == {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}


STATEFUL = ("AWS::DynamoDB::Table", "AWS::Cognito::UserPool")


@pytest.mark.parametrize(
    "resource", [r.logical_id for r in TEMPLATE.resources() if r.type in STATEFUL]
)
def test_stateful_resources_are_retained_in_prod(resource: str) -> None:
    body = _raw(resource)
    for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
        assert body.get(policy) in (IN_PROD, "Retain"), (resource, policy)


def _method_settings() -> list[dict[str, Any]]:
    return list(TEMPLATE.resource("Api").properties.get("MethodSettings", []))


def _encoded(path: str) -> str:
    return "/" + path.replace("/", "~1")


PUBLIC_WRITES = sorted(
    {
        (route.method, route.path)
        for function in FUNCTIONS
        for route in function.api_routes
        if route.authorizer is None and route.method in {"POST", "PUT", "PATCH", "DELETE"}
    }
)


@pytest.mark.parametrize("route", PUBLIC_WRITES, ids=[f"{m} {p}" for m, p in PUBLIC_WRITES])
def test_public_write_route_has_its_own_lower_throttle(route: tuple[str, str]) -> None:
    method, path = route
    settings = {(s["ResourcePath"], s["HttpMethod"]): s for s in _method_settings()}
    own = settings.get((_encoded(path), method))
    assert own, (
        f"{method} {path} is public and writes: add a MethodSettings entry to the Api with "
        f'ResourcePath "{_encoded(path)}", HttpMethod {method}, ThrottlingRateLimit and '
        "ThrottlingBurstLimit (!Ref SubmissionRateLimit / SubmissionBurstLimit)"
    )
    assert own.get("ThrottlingRateLimit") and own.get("ThrottlingBurstLimit"), route
    stage = settings[("/*", "*")]
    for limit in ("ThrottlingRateLimit", "ThrottlingBurstLimit"):
        parameter = own[limit].get("Ref") if isinstance(own[limit], dict) else None
        value = TEMPLATE.parameters[parameter]["Default"] if parameter else own[limit]
        assert value <= stage[limit], (route, limit)


def test_optional_waf_rate_limits_each_ip_on_the_api_stage() -> None:
    acl = TEMPLATE.resource("ApiWebAcl")
    assert acl.condition == "HasWaf" and acl.properties["Scope"] == "REGIONAL"
    [rule] = acl.properties["Rules"]
    assert rule["Action"] == {"Block": {}}
    assert rule["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    association = TEMPLATE.resource("ApiWebAclAssociation")
    assert association.condition == "HasWaf"
    assert (
        "/restapis/${Api}/stages/${Api.Stage}" in association.properties["ResourceArn"]["Fn::Sub"]
    )


def test_functions_and_layer_share_one_architecture_and_runtime() -> None:
    layer = TEMPLATE.resource("SharedLayer")
    metadata = _raw("SharedLayer")["Metadata"]
    for function in FUNCTIONS:
        [architecture] = function.properties["Architectures"]
        assert layer.properties["CompatibleArchitectures"] == [architecture]
        assert metadata["BuildArchitecture"] == architecture
        assert metadata["BuildMethod"] == function.properties["Runtime"]


# --- deploy parameters, outputs, environments ----------------------------------------------------

DEPLOY_PARAMETERS = {
    "Stage",
    "SendingDomain",
    "TransactionalSender",
    "BulkSender",
    "AllowedOrigins",
    "AlarmEmail",
    "CustomDomainName",
    "CertificateArn",
    "EnableWaf",
}


def test_template_takes_the_deploy_parameters_and_gives_the_outputs() -> None:
    assert set(TEMPLATE.parameters) >= DEPLOY_PARAMETERS
    assert set(TEMPLATE.document["Outputs"]) >= {"ApiUrl", "EmbedScriptUrl", "TableName"}


def _samconfig() -> dict[str, Any]:
    with (ROOT / "samconfig.toml").open("rb") as source:
        return tomllib.load(source)


def _overrides(text: str) -> Iterator[tuple[str, str]]:
    for pair in re.findall(r'(\w+)=("[^"]*"|\S+)', text):
        yield pair[0], pair[1].strip('"')


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_samconfig_deploys_each_environment_with_known_parameters(environment: str) -> None:
    deploy = _samconfig()[environment]["deploy"]["parameters"]
    overrides = dict(_overrides(deploy["parameter_overrides"]))
    assert overrides["Stage"] == environment
    assert set(overrides) <= set(TEMPLATE.parameters), set(overrides) - set(TEMPLATE.parameters)
    assert deploy["stack_name"].endswith(environment)
    assert "CAPABILITY_AUTO_EXPAND" in deploy["capabilities"]  # AWS::LanguageExtensions


def test_samconfig_builds_the_template_in_infra() -> None:
    build = _samconfig()["default"]["build"]["parameters"]
    assert build["template_file"] == "infra/template.yaml"
