"""The counts docs/cost.md prices: per form submission, per confirmation click, per campaign
mail (`bench.cost_campaign`) and per SES event about a sent mail, how many API requests,
Lambda invocations (per function), AWS calls (per operation), DynamoDB read and write request
units, mails sent and stream records result; and from the template, what exists while nobody
uses the product (functions, alarms; the idle month itself: `bench.cost_idle`).

Method: every function's real handler runs in this process against moto (`mock_aws`, the
template's resources), with the union of the functions' environments and warm caches, as
warm Lambda containers would have them (one warm-up flow is not counted). After each request,
the table's stream is drained and every record is delivered to each stream consumer whose
FilterCriteria match (`local.event_filter`), one invocation per record (the worst case of
batching, what a trickle of traffic gets); their own writes are drained in turn, until quiet.

Capacity, by DynamoDB's rules for on-demand tables: a write costs ceil(KB) of the larger of the
item before and after (from the stream record's old and new images), doubled inside a
transaction; a ConditionCheck member costs as a transactional write of the checked item; a
read costs ceil(size / 4 KB), halved when eventually consistent, one unit at least. Item size:
attribute names plus values (strings in UTF-8, numbers about half their digits, 3 bytes per
list or map and 1 per element).
"""

from __future__ import annotations

import email
import ipaddress
import itertools
import json
import logging
import math
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from typing import Any

import boto3

from bench import cost_campaign, cost_idle, events
from bench.figures import Figure
from bench.moto_env import environment, in_process, save_demo_form
from ecrm.platform import aws
from local.event_filter import matches_any
from local.intrinsics import REGION
from local.lambda_runtime import LambdaRuntime, functions_environment
from local.sample_events import api_event
from local.ses_events import ses_event, sns_event
from local.streams import lambda_record
from local.template import Function, Template

log = logging.getLogger(__name__)

Item = Mapping[str, Any]  # DynamoDB AttributeValue form: {"pk": {"S": "..."}}
WRITE_UNIT, READ_UNIT = 1024, 4096
_WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
_CONFIRM_LINK = re.compile(r"/confirm/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)")


# --- item size and capacity --------------------------------------------------------------------


def value_size(value: Mapping[str, Any]) -> int:
    ((kind, content),) = value.items()
    if kind == "S":
        return len(str(content).encode())
    if kind == "N":
        digits = len(str(content).lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(content)
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind in {"SS", "NS", "BS"}:
        return sum(value_size({kind[0]: member}) for member in content)
    if kind == "L":
        return 3 + sum(1 + value_size(member) for member in content)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(v) for k, v in content.items())
    raise ValueError(kind)


def item_size(item: Item | None) -> int:
    return sum(len(k.encode()) + value_size(v) for k, v in (item or {}).items())


def _key(key: Item) -> str:
    return json.dumps({k: key[k] for k in ("pk", "sk") if k in key}, sort_keys=True)


@dataclass
class Meter:
    """Counts every call of the clients created while it is installed (`aws.session()`)."""

    calls: Counter[str] = field(default_factory=Counter)
    write_units: float = 0.0
    read_units: float = 0.0
    mails: list[str] = field(default_factory=list)  # raw MIME of each SES SendEmail
    # item key -> (1, or 2 in a transaction; the function that wrote it)
    pending_writes: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    current: str = "-"  # the function running now
    by_function: dict[str, Counter[str]] = field(default_factory=dict)  # calls and units

    def __post_init__(self) -> None:
        # An unmetered client, for reading an item a ConditionCheck names.
        self._side = boto3.session.Session().client("dynamodb", region_name=REGION)

    def before(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        service, operation = model.service_model.service_name, model.name
        self.calls[f"{service}.{operation}"] += 1
        self._own()[f"{service}.{operation}"] += 1
        if service == "sesv2" and operation == "SendEmail":
            raw = params.get("Content", {}).get("Raw", {}).get("Data", b"")
            self.mails.append(raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw))
        if service != "dynamodb":
            return
        if operation in _WRITES:
            key = _key(params.get("Item") or params.get("Key") or {})
            self.pending_writes.setdefault(key, []).append((1, self.current))
        elif operation == "TransactWriteItems":
            for member in params.get("TransactItems", []):
                ((kind, body),) = member.items()
                if kind == "ConditionCheck":
                    checked = self._side.get_item(TableName=body["TableName"], Key=body["Key"])
                    size = item_size(checked.get("Item"))
                    self._write(2 * max(1, math.ceil(size / WRITE_UNIT)), self.current)
                else:
                    key = _key(body.get("Item") or body.get("Key") or {})
                    self.pending_writes.setdefault(key, []).append((2, self.current))

    def _own(self, function: str | None = None) -> Counter[str]:
        return self.by_function.setdefault(function or self.current, Counter())

    def _write(self, units: float, function: str) -> None:
        self.write_units += units
        self._own(function)["write_request_units"] += units  # type: ignore[assignment]

    def _read(self, units: float) -> None:
        self.read_units += units
        self._own()["read_request_units"] += units  # type: ignore[assignment]

    def after(self, parsed: dict[str, Any], model: Any, **kwargs: Any) -> None:
        if model.service_model.service_name != "dynamodb":
            return
        consistent = bool(kwargs.get("context", {}).get("consistent"))
        factor = 1.0 if consistent else 0.5
        if model.name == "GetItem":
            self._read(factor * max(1, math.ceil(item_size(parsed.get("Item")) / READ_UNIT)))
        elif model.name == "Query":
            total = sum(item_size(item) for item in parsed.get("Items", []))
            self._read(factor * max(1, math.ceil(total / READ_UNIT)))
        elif model.name == "BatchGetItem":
            items = [i for found in parsed.get("Responses", {}).values() for i in found]
            self._read(sum(factor * max(1, math.ceil(item_size(i) / READ_UNIT)) for i in items))

    def remember_consistency(
        self, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        context["consistent"] = params.get("ConsistentRead", False)

    def stream_record(self, raw: Mapping[str, Any]) -> None:
        """A write's cost, now that its item's size before and after is known."""
        images = raw["dynamodb"]
        queued = self.pending_writes.get(_key(images["Keys"])) or [(1, "-")]
        factor, function = queued.pop(0)
        size = max(item_size(images.get("OldImage")), item_size(images.get("NewImage")))
        self._write(factor * max(1, math.ceil(size / WRITE_UNIT)), function)


@contextmanager
def metering() -> Iterator[Meter]:
    session = aws.session()  # the product's clients come from it
    meter = Meter()
    hooks: list[tuple[str, Callable[..., None]]] = [
        ("before-parameter-build", meter.before),
        ("before-parameter-build.dynamodb", meter.remember_consistency),
        ("after-call", meter.after),
    ]
    ids = []
    for name, hook in hooks:
        ids.append((name, f"cost-{uuid.uuid4()}"))
        session.register(name, hook, unique_id=ids[-1][1])
    aws.reset()  # the product's clients are created from now on, with the hooks
    try:
        yield meter
    finally:
        for name, unique in ids:
            session.unregister(name, unique_id=unique)
        aws.reset()


# --- running the product ----------------------------------------------------------------------


@dataclass
class Tally:
    """What one flow (a request and all it sets off) cost."""

    api_requests: int = 0
    invocations: Counter[str] = field(default_factory=Counter)
    stream_records: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    write_units: float = 0.0
    read_units: float = 0.0
    ses_sends: int = 0
    sqs_messages: int = 0  # delivered by an SQS event source


class Product:
    """Every function of the template in this process, with the table's stream delivered."""

    def __init__(self, template: Template, runtime: LambdaRuntime, meter: Meter, stream_arn: str):
        self.template = template
        self.runtime = runtime
        self.meter = meter
        self.stream_arn = stream_arn
        self.consumers = [f for f in template.functions() if f.stream_sources]
        self.streams = boto3.session.Session().client("dynamodbstreams", region_name=REGION)
        self.iterators: dict[str, str] = {}
        shards = self.streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            self.iterators[shard["ShardId"]] = self.streams.get_shard_iterator(
                StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
            )["ShardIterator"]
        self.tally = Tally()
        self._start: tuple[Counter[str], float, float, int] = (Counter(), 0.0, 0.0, 0)

    def begin(self) -> None:
        self.tally = Tally()
        meter = self.meter
        self._start = (meter.calls.copy(), meter.write_units, meter.read_units, len(meter.mails))

    def end(self) -> Tally:
        calls, wru, rru, mails = self._start
        self.tally.calls = self.meter.calls - calls
        self.tally.write_units = self.meter.write_units - wru
        self.tally.read_units = self.meter.read_units - rru
        self.tally.ses_sends = len(self.meter.mails) - mails
        return self.tally

    def function(self, logical_id: str) -> Function:
        return next(f for f in self.template.functions() if f.logical_id == logical_id)

    def invoke(self, logical_id: str, event: Any) -> Any:
        self.tally.invocations[logical_id] += 1
        caller, self.meter.current = self.meter.current, logical_id
        try:
            return self.runtime.invoke(self.function(logical_id), event)
        finally:
            self.meter.current = caller

    def request(self, logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
        self.tally.api_requests += 1
        answer: dict[str, Any] = self.invoke(logical_id, event)
        self.settle()
        return answer

    def _drain(self) -> list[Mapping[str, Any]]:
        records: list[Mapping[str, Any]] = []
        for shard, iterator in list(self.iterators.items()):
            response = self.streams.get_records(ShardIterator=iterator, Limit=1000)
            if response.get("NextShardIterator"):
                self.iterators[shard] = response["NextShardIterator"]
            records += response["Records"]
        return records

    def skip_pending(self) -> None:
        """Drop the stream records of writes made so far (set-up, not the flow's)."""
        while self._drain():
            pass
        self.meter.pending_writes.clear()

    def settle(self) -> None:
        """Deliver stream records to their consumers until no write produces a new one."""
        for _ in range(20):
            records = self._drain()
            if not records:
                return
            for raw in records:
                self.tally.stream_records += 1
                self.meter.stream_record(raw)
                record = lambda_record(raw, self.stream_arn, REGION)
                for consumer in self.consumers:
                    patterns = [p for s in consumer.stream_sources for p in s.filter_patterns]
                    if matches_any(patterns, record):
                        answer = self.invoke(consumer.logical_id, {"Records": [record]})
                        if answer and answer.get("batchItemFailures"):
                            raise RuntimeError(f"{consumer.logical_id} failed: {answer}")
        raise RuntimeError("the stream did not settle")


_visitors = itertools.count(1)


def _decoded(mime: str) -> str:
    """The mail's text parts, whatever their transfer encoding."""
    message = email.message_from_string(mime, policy=policy.default)
    parts = [
        part.get_content()
        for part in message.walk()
        if part.get_content_type() in {"text/plain", "text/html"}
    ]
    return "\n".join(str(part) for part in parts) or mime


def _visitor_flows(product: Product, form: Mapping[str, Any]) -> Iterator[tuple[str, Tally]]:
    """One visitor: the script renders the form and submits it; later the link is clicked
    (the page, then its button)."""
    n = next(_visitors)
    ip = str(ipaddress.IPv4Address("10.2.0.0") + n)
    path = {"form_id": form["id"]}
    product.begin()
    page = product.request("CaptureFunction", api_event("GET", "/forms/{form_id}", path))
    assert page["statusCode"] == 200, page
    fields = {"email": f"cost-{n}@bench.example", "first_name": "Ann", "consent": True}
    answer = product.request("CaptureFunction", events.form_submission(fields, source_ip=ip))
    assert answer["statusCode"] == 202, answer
    yield "submission", product.end()
    found = _CONFIRM_LINK.search(_decoded(product.meter.mails[-1]))
    assert found, "no confirmation link in the mail"
    token = {"token": found.group(1)}
    product.begin()
    for method in ("GET", "POST"):
        page = product.request("CaptureFunction", api_event(method, "/confirm/{token}", token))
        assert page["statusCode"] == 200, page
    yield "confirmation", product.end()


SES_TOPIC = "arn:aws:sns:us-east-1:123456789012:ecrm-local-SesEventsTopic"
SES_EVENT_KINDS = ("send", "delivery", "open", "click")


def _ses_event_flows(product: Product) -> Iterator[tuple[str, Tally]]:
    """One SES event of each kind about a mail to a known contact, delivered through SNS."""
    message_id = f"cost-{uuid.uuid4()}"
    for kind in SES_EVENT_KINDS:
        product.begin()
        record = ses_event(
            kind, message_id=message_id, to="cost-1@bench.example", sent_at=1.7e9, at=1.7e9 + 3600
        )
        product.invoke("SesEventsFunction", sns_event(SES_TOPIC, json.dumps(record)))
        product.settle()
        yield f"ses_event_{kind}", product.end()


def template_counts(template: Template) -> dict[str, Any]:
    """What the template holds that docs/cost.md names (the idle month: `bench.cost_idle`)."""
    resources = list(template.resources())
    alarms = [r for r in resources if r.type == "AWS::CloudWatch::Alarm"]
    return {
        "functions": len(template.functions()),
        "alarms": len(alarms),
        "alarm_metrics": sum(cost_idle.alarm_metrics(a) for a in alarms),
        "cloudfront_distributions": sum(
            1 for r in resources if r.type == "AWS::CloudFront::Distribution"
        ),
    }


def _mean(tallies: list[Tally], divisor: int = 1) -> dict[str, Any]:
    """Each count's mean over `tallies`, divided by `divisor` (the mails of a campaign flow)."""
    n = len(tallies) * divisor

    def per(counter_sum: Counter[str]) -> dict[str, float]:
        return {key: round(value / n, 3) for key, value in sorted(counter_sum.items())}

    return {
        "api_requests": round(sum(t.api_requests for t in tallies) / n, 3),
        "invocations": per(sum((t.invocations for t in tallies), Counter())),
        "aws_calls": per(sum((t.calls for t in tallies), Counter())),
        "write_request_units": round(sum(t.write_units for t in tallies) / n, 3),
        "read_request_units": round(sum(t.read_units for t in tallies) / n, 3),
        "ses_sends": round(sum(t.ses_sends for t in tallies) / n, 3),
        "stream_records": round(sum(t.stream_records for t in tallies) / n, 3),
        "sqs_messages": round(sum(t.sqs_messages for t in tallies) / n, 3),
    }


def measure(samples: int = 5) -> list[Figure]:
    flows: dict[str, list[Tally]] = {}
    with in_process() as stack:
        template = stack.template
        everything = functions_environment(template, stack.names)
        with environment(everything), metering() as meter:
            runtime = LambdaRuntime(template, stack.names)
            stream_arn = stack.names.attributes[("Table", "StreamArn")]
            product = Product(template, runtime, meter, stream_arn)
            form = save_demo_form().model_dump(mode="json")
            for round_ in range(samples + 1):  # round 0 warms the caches: not counted
                if round_ == 1:
                    meter.by_function.clear()
                for name, tally in [*_visitor_flows(product, form), *_ses_event_flows(product)]:
                    if round_:
                        flows.setdefault(name, []).append(tally)
            names = stack.names
            campaign = cost_campaign.campaign_flow(
                product, names.refs["CampaignQueue"], names.attributes[("CampaignQueue", "Arn")]
            )
    per_flow = {name: _mean(tallies) for name, tallies in flows.items()}
    per_flow["campaign_mail"] = _mean([campaign], divisor=campaign.ses_sends)
    invocations = Counter[str](campaign.invocations)
    for tallies in flows.values():
        for tally in tallies:
            invocations.update(tally.invocations)
    per_invocation = {
        function: {
            key: round(value / invocations[function], 3)
            for key, value in sorted(meter.by_function.get(function, Counter()).items())
        }
        for function in sorted(invocations)
    }
    log.info("cost counts: %s", json.dumps(per_flow))
    return [
        *(Figure(f"cost_counts.{name}", value) for name, value in per_flow.items()),
        Figure("cost_counts.per_invocation", per_invocation),
        Figure("cost_counts.samples", samples),
        Figure("cost_counts.template", template_counts(template)),
    ]
