"""Create the template's AWS resources through boto3: in moto's server for `ecrm serve`, or
under `mock_aws` in tests, so the local table is the deployed table's exact shape.

Supported types: DynamoDB tables, Secrets Manager secrets, SES email identities and
configuration sets, SQS queues, SNS topics, S3 buckets (with their encryption and lifecycle).
Others (functions, the Api, layers) need nothing. A template parameter of type
`AWS::SSM::Parameter::Name` names a SecureString the operator makes before deploying
(CloudFormation cannot create SecureStrings): it is made here, with a generated value.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable, Mapping
from typing import Any

from local.clients import factory
from local.intrinsics import LocalNames, Resolver
from local.template import Resource, Template

Json = Any

# Properties of AWS::SQS::Queue that CreateQueue takes as attributes of the same name.
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
)


def create_resources(
    template: Template,
    names: LocalNames,
    secret_values: Mapping[str, str] | None = None,
    endpoint_url: str | None = None,
) -> None:
    """Create every supported resource and record the names only known afterwards (a secret's
    ARN, a table's stream ARN, a queue's URL) in `names`.

    `secret_values` maps a secret's logical id to its SecretString, or an SSM parameter name
    parameter's name to its value; a missing one is generated (a secret as CloudFormation's
    GenerateSecretString would). Without `endpoint_url`, boto3's default configuration is used
    (what `mock_aws` patches).
    """
    resolver = Resolver(template, names)
    client = factory(names.region, endpoint_url)  # one client per service (they cost ~50 ms)

    creators: dict[str, Callable[[Any, Resource], None]] = {
        "AWS::DynamoDB::Table": lambda c, r: _create_table(c, r, names, resolver),
        "AWS::SecretsManager::Secret": lambda c, r: _create_secret(
            c, r, names, resolver, (secret_values or {}).get(r.logical_id)
        ),
        "AWS::SES::EmailIdentity": lambda c, r: _create_email_identity(c, r, names, client),
        "AWS::SES::ConfigurationSet": lambda c, r: c.create_configuration_set(
            ConfigurationSetName=names.refs[r.logical_id]
        ),
        "AWS::SQS::Queue": lambda c, r: _create_queue(c, r, names, resolver),
        "AWS::SNS::Topic": lambda c, r: c.create_topic(
            Name=names.attributes[(r.logical_id, "TopicName")]
        ),
        "AWS::S3::Bucket": lambda c, r: _create_bucket(c, r, names, resolver),
    }
    services = {
        "AWS::DynamoDB::Table": "dynamodb",
        "AWS::SecretsManager::Secret": "secretsmanager",
        "AWS::SES::EmailIdentity": "sesv2",
        "AWS::SES::ConfigurationSet": "sesv2",
        "AWS::SQS::Queue": "sqs",
        "AWS::SNS::Topic": "sns",
        "AWS::S3::Bucket": "s3",
    }
    wanted = [r for r in template.resources() if r.type in creators]
    # Queues first and without redrive: a redrive policy may name a queue created later.
    wanted.sort(key=lambda r: r.type != "AWS::SQS::Queue")
    for found in wanted:
        if found.condition is not None and not resolver.condition(found.condition):
            continue
        creators[found.type](client(services[found.type]), found)
    for found in template.resources("AWS::SQS::Queue"):
        _set_redrive_policy(client("sqs"), found, names, resolver)
    for parameter in secure_parameters(template):
        value = (secret_values or {}).get(parameter) or generate_key()
        client("ssm").put_parameter(
            Name=names.parameters[parameter], Value=value, Type="SecureString", Overwrite=True
        )


def secure_parameters(template: Template) -> list[str]:
    """Template parameters naming an SSM SecureString (the token signing key)."""
    return [
        name
        for name, spec in template.parameters.items()
        if spec.get("Type") == "AWS::SSM::Parameter::Name"
    ]


def generate_key() -> str:
    """A signing key as docs/deploy.md makes one: 64 URL-safe characters."""
    return secrets.token_urlsafe(48)


def _create_table(dynamodb: Any, table: Resource, names: LocalNames, resolver: Resolver) -> None:
    props = resolver.resolve(dict(table.properties))
    billing = props.get("BillingMode", "PROVISIONED")
    args: dict[str, Json] = {
        "TableName": names.refs[table.logical_id],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": billing,
    }
    if billing == "PROVISIONED":
        args["ProvisionedThroughput"] = props["ProvisionedThroughput"]
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if key in props:
            args[key] = [_index(index, billing) for index in props[key]]
    stream = props.get("StreamSpecification")
    if stream:
        # CloudFormation implies StreamEnabled; the API wants it spelled out.
        args["StreamSpecification"] = {"StreamEnabled": True, **stream}
    described = dynamodb.create_table(**args)["TableDescription"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        dynamodb.update_time_to_live(TableName=args["TableName"], TimeToLiveSpecification=ttl)
    attributes = {"Arn": described["TableArn"]}
    if "LatestStreamArn" in described:
        attributes["StreamArn"] = described["LatestStreamArn"]
    names.record(table.logical_id, **attributes)


def _index(index: Mapping[str, Json], billing: str) -> dict[str, Json]:
    wanted = {"IndexName", "KeySchema", "Projection"}
    if billing == "PROVISIONED":
        wanted.add("ProvisionedThroughput")
    return {key: value for key, value in index.items() if key in wanted}


def _create_secret(
    client: Any, secret: Resource, names: LocalNames, resolver: Resolver, value: str | None
) -> None:
    props = resolver.resolve(dict(secret.properties))
    if value is None:
        value = props.get("SecretString") or generate_secret_string(
            props.get("GenerateSecretString", {})
        )
    created = client.create_secret(
        Name=names.attributes[(secret.logical_id, "Name")], SecretString=value
    )
    names.record(secret.logical_id, created["ARN"], Id=created["ARN"])


def generate_secret_string(spec: Mapping[str, Json]) -> str:
    """What CloudFormation's GenerateSecretString produces, for the options that matter here."""
    alphabet = ""
    if not spec.get("ExcludeLowercase"):
        alphabet += string.ascii_lowercase
    if not spec.get("ExcludeUppercase"):
        alphabet += string.ascii_uppercase
    if not spec.get("ExcludeNumbers"):
        alphabet += string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += string.punctuation
    if spec.get("IncludeSpace"):
        alphabet += " "
    alphabet = "".join(c for c in alphabet if c not in spec.get("ExcludeCharacters", ""))
    password = "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32))))
    if "GenerateStringKey" not in spec:
        return password
    document = json.loads(spec.get("SecretStringTemplate", "{}"))
    document[spec["GenerateStringKey"]] = password
    return json.dumps(document)


def _create_email_identity(
    sesv2: Any, identity: Resource, names: LocalNames, client: Callable[[str], Any]
) -> None:
    address = names.refs[identity.logical_id]
    sesv2.create_email_identity(EmailIdentity=address)
    # moto accepts a sender whose address, or whose domain, is a verified identity; verifying
    # through SES v1 too keeps that true whichever API moto consults.
    ses = client("ses")
    if "@" in address:
        ses.verify_email_identity(EmailAddress=address)
    else:
        ses.verify_domain_identity(Domain=address)


def _create_queue(sqs: Any, queue: Resource, names: LocalNames, resolver: Resolver) -> None:
    props = resolver.resolve(dict(queue.properties))
    attributes = {
        key: str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
        for key in _QUEUE_ATTRIBUTES
        if key in props
    }
    name = names.attributes[(queue.logical_id, "QueueName")]
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    names.record(queue.logical_id, url, QueueUrl=url)


def _create_bucket(s3: Any, bucket: Resource, names: LocalNames, resolver: Resolver) -> None:
    cors_key = "CorsConfiguration"
    cors = bucket.properties.get(cors_key)
    # Its origins name the distribution, which has no local stand-in: see _local_cors.
    props = resolver.resolve({k: v for k, v in bucket.properties.items() if k != cors_key})
    name = names.refs[bucket.logical_id]
    s3.create_bucket(Bucket=name)
    if isinstance(cors, Mapping) and names.parameters.get("PublicBaseUrl"):  # no origin: none
        s3.put_bucket_cors(Bucket=name, CORSConfiguration=_local_cors(cors, names))
    if "BucketEncryption" in props:
        # CloudFormation's ServerSideEncryptionByDefault: the API's ApplyServerSide...
        rules = [
            {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
            for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        ]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    if "PublicAccessBlockConfiguration" in props:
        s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
        )
    lifecycle = props.get("LifecycleConfiguration", {}).get("Rules", [])
    if lifecycle:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration={"Rules": [_lifecycle_rule(r) for r in lifecycle]}
        )


def _local_cors(cors: Mapping[str, Any], names: LocalNames) -> dict[str, Any]:
    """The template's CORS rules, allowing the local console's origin (the gateway, where
    `ecrm serve` serves it, by address or as localhost) instead of the distribution's."""
    base = names.parameters.get("PublicBaseUrl", "").rstrip("/")
    origins = sorted({base, base.replace("//127.0.0.1:", "//localhost:")}) if base else []
    rules = [
        {
            "AllowedMethods": rule["AllowedMethods"],
            "AllowedOrigins": origins,
            "AllowedHeaders": rule.get("AllowedHeaders", []),
            "MaxAgeSeconds": int(rule.get("MaxAge", 0)),
        }
        for rule in cors.get("CorsRules", [])
    ]
    return {"CORSRules": rules}


def _lifecycle_rule(rule: Mapping[str, Json]) -> dict[str, Json]:
    """CloudFormation's spelling of a lifecycle rule, as the S3 API spells it."""
    converted: dict[str, Json] = {"ID": rule.get("Id", "rule"), "Status": rule["Status"]}
    converted["Filter"] = {"Prefix": rule.get("Prefix", "")}
    if "ExpirationInDays" in rule:
        converted["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    abort = rule.get("AbortIncompleteMultipartUpload")
    if abort:
        converted["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": int(abort["DaysAfterInitiation"])
        }
    return converted


def _set_redrive_policy(sqs: Any, queue: Resource, names: LocalNames, resolver: Resolver) -> None:
    policy = queue.properties.get("RedrivePolicy")
    if policy:
        sqs.set_queue_attributes(
            QueueUrl=names.refs[queue.logical_id],
            Attributes={"RedrivePolicy": json.dumps(resolver.resolve(policy))},
        )
