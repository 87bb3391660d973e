"""Local physical names for the template's resources, and a resolver of the intrinsic
functions (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::If`, ...) against them.

A few values exist only once moto has created the resource (a secret's ARN carries a random
suffix, a table's stream ARN a timestamp): `local.resources` records them with `record`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from local.template import Template

Json = Any
STACK_NAME = "ecrm-local"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
LOCAL_API_ID = "local"


class _NoValue:
    """`AWS::NoValue`: the property it stands for is dropped."""


NO_VALUE = _NoValue()


@dataclass
class LocalNames:
    parameters: dict[str, str]
    region: str = REGION
    account_id: str = ACCOUNT_ID
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)

    def record(self, logical_id: str, ref: str | None = None, **attributes: str) -> None:
        if ref is not None:
            self.refs[logical_id] = ref
        for name, value in attributes.items():
            self.attributes[(logical_id, name)] = value

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"


def local_names(
    template: Template, parameter_overrides: Mapping[str, str] | None = None
) -> LocalNames:
    """Deterministic local names: `<stack>-<LogicalId>` unless the template names the resource."""
    parameters = {name: str(spec.get("Default", "")) for name, spec in template.parameters.items()}
    # Overrides of parameters the template does not declare are ignored, as CloudFormation
    # would refuse them.
    parameters.update(
        {k: v for k, v in (parameter_overrides or {}).items() if k in template.parameters}
    )
    names = LocalNames(parameters)
    resolver = Resolver(template, names)
    for found in template.resources():
        namer = _NAMERS.get(found.type)
        if namer is None:
            continue

        def own_name(key: str, default: str, props: Mapping[str, Json] = found.properties) -> str:
            return str(resolver.resolve(props[key])) if key in props else default

        namer(names, found.logical_id, own_name)
    return names


OwnName = Callable[[str, str], str]


def _table(names: LocalNames, logical: str, own_name: OwnName) -> None:
    table = own_name("TableName", f"{STACK_NAME}-{logical}")
    names.record(logical, table, Arn=names.arn("dynamodb", f"table/{table}"))


def _secret(names: LocalNames, logical: str, own_name: OwnName) -> None:
    # The name is a valid SecretId until creation records the real ARN.
    secret = own_name("Name", f"{STACK_NAME}/{logical}")
    names.record(logical, secret, Name=secret)


def _queue(names: LocalNames, logical: str, own_name: OwnName) -> None:
    # Ref is the queue URL, recorded once the queue exists.
    queue = own_name("QueueName", f"{STACK_NAME}-{logical}")
    names.record(logical, queue, Arn=names.arn("sqs", queue), QueueName=queue)


def _topic(names: LocalNames, logical: str, own_name: OwnName) -> None:
    topic = own_name("TopicName", f"{STACK_NAME}-{logical}")
    arn = names.arn("sns", topic)
    names.record(logical, arn, TopicArn=arn, TopicName=topic)


def _bucket(names: LocalNames, logical: str, own_name: OwnName) -> None:
    bucket = own_name("BucketName", f"{STACK_NAME}-{logical}".lower())
    names.record(logical, bucket, Arn=f"arn:aws:s3:::{bucket}")


def _function(names: LocalNames, logical: str, own_name: OwnName) -> None:
    function = own_name("FunctionName", f"{STACK_NAME}-{logical}")
    names.record(logical, function, Arn=names.arn("lambda", f"function:{function}"))


_NAMERS: dict[str, Callable[[LocalNames, str, OwnName], None]] = {
    "AWS::DynamoDB::Table": _table,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::SQS::Queue": _queue,
    "AWS::SNS::Topic": _topic,
    "AWS::S3::Bucket": _bucket,
    "AWS::SES::ConfigurationSet": lambda names, logical, own_name: names.record(
        logical, own_name("Name", f"{STACK_NAME}-{logical}".lower())
    ),
    "AWS::SES::EmailIdentity": lambda names, logical, own_name: names.record(
        logical, own_name("EmailIdentity", logical)
    ),
    "AWS::Serverless::Function": _function,
    "AWS::Serverless::Api": lambda names, logical, _: names.record(
        logical, LOCAL_API_ID, RootResourceId="root"
    ),
    "AWS::Serverless::LayerVersion": lambda names, logical, _: names.record(
        logical, names.arn("lambda", f"layer:{STACK_NAME}-{logical}:1")
    ),
}


class Resolver:
    def __init__(self, template: Template, names: LocalNames) -> None:
        self.template = template
        self.names = names

    def resolve(self, value: Json) -> Json:
        if isinstance(value, list):
            return [v for v in (self.resolve(item) for item in value) if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            function = _FUNCTIONS.get(key)
            # An IAM statement's `Condition` block is data, a string `Condition` is a reference.
            if function is not None and (key != "Condition" or isinstance(argument, str)):
                return function(self, argument)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template.conditions[name]))

    def ref(self, name: str) -> Json:
        pseudo = {
            "AWS::Region": self.names.region,
            "AWS::AccountId": self.names.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": STACK_NAME,
            "AWS::StackId": self.names.arn("cloudformation", f"stack/{STACK_NAME}/local"),
            "AWS::NoValue": NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.names.parameters:
            return self.names.parameters[name]
        return self.names.refs.get(name, name)

    def get_att(self, argument: Json) -> str:
        parts = argument.split(".", 1) if isinstance(argument, str) else argument
        logical, attribute = str(parts[0]), str(self.resolve(parts[1]))
        try:
            return self.names.attributes[(logical, attribute)]
        except KeyError:
            raise KeyError(f"no local value for !GetAtt {logical}.{attribute}") from None

    def sub(self, argument: Json) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        local_values = {k: self.resolve(v) for k, v in variables.items()}

        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if token.startswith("!"):  # "${!Literal}" stays "${Literal}"
                return "${" + token[1:] + "}"
            if token in local_values:
                return str(local_values[token])
            if "." in token:
                return self.get_att(token)
            return str(self.ref(token))

        return re.sub(r"\$\{([^}]+)\}", replace, text)


def _if(resolver: Resolver, argument: Json) -> Json:
    name, when_true, when_false = argument
    return resolver.resolve(when_true if resolver.condition(name) else when_false)


def _select(resolver: Resolver, argument: Json) -> Json:
    index, items = argument
    return resolver.resolve(items)[int(resolver.resolve(index))]


_FUNCTIONS: dict[str, Any] = {
    "Ref": lambda r, a: r.ref(a),
    "Fn::GetAtt": lambda r, a: r.get_att(a),
    "Fn::Sub": lambda r, a: r.sub(a),
    "Fn::If": _if,
    "Fn::Join": lambda r, a: str(a[0]).join(str(v) for v in r.resolve(a[1])),
    "Fn::Select": _select,
    "Fn::Split": lambda r, a: str(r.resolve(a[1])).split(a[0]),
    "Fn::Equals": lambda r, a: r.resolve(a[0]) == r.resolve(a[1]),
    "Fn::Not": lambda r, a: not r.resolve(a[0]),
    "Fn::And": lambda r, a: all(r.resolve(v) for v in a),
    "Fn::Or": lambda r, a: any(r.resolve(v) for v in a),
    "Condition": lambda r, a: r.condition(a),
}
