"""Read-only views of the SAM template, so the local stack is built from the same file that
deploys: nothing here names a particular function, route or table.

Values stay raw (intrinsics such as `{"Ref": ...}` unresolved); `local.intrinsics` resolves
them once local physical names exist.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from local import cfn_yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEMPLATE = REPO_ROOT / "infra" / "template.yaml"

Json = Any
FUNCTION = "AWS::Serverless::Function"


@dataclass(frozen=True)
class ApiRoute:
    event_name: str
    method: str  # upper case; "ANY" matches every method
    path: str  # e.g. "/forms/{form_id}/submissions"
    rest_api: str | None  # logical id of the AWS::Serverless::Api, None for the implicit one
    authorizer: str | None = None  # the event's `Auth.Authorizer` (e.g. a Cognito user pool)


@dataclass(frozen=True)
class PollerSource:
    """A stream (DynamoDB) or queue (SQS) event source mapping, as Lambda would poll it."""

    event_name: str
    kind: str  # "DynamoDB" or "SQS"
    source: Json  # raw `Stream:` / `Queue:` value, e.g. {"Fn::GetAtt": ["Table", "StreamArn"]}
    batch_size: int
    filter_patterns: tuple[Json, ...]  # parsed JSON patterns, OR-ed; empty means "everything"
    report_batch_item_failures: bool
    maximum_retry_attempts: int | None  # None: retry until the record expires (Lambda's -1)
    bisect_on_error: bool
    on_failure_destination: Json | None
    starting_position: str | None

    @property
    def source_logical_id(self) -> str | None:
        """The resource the mapping reads from, when written as `!GetAtt X.Attr` or `!Ref X`."""
        if isinstance(self.source, dict):
            if "Fn::GetAtt" in self.source:
                return str(_get_att_parts(self.source["Fn::GetAtt"])[0])
            if "Ref" in self.source:
                return str(self.source["Ref"])
        return None


@dataclass(frozen=True)
class TopicSource:
    """An SNS subscription of the function (`Type: SNS`): SNS invokes it asynchronously."""

    event_name: str
    topic: Json  # raw `Topic:` value, e.g. {"Ref": "SesEventsTopic"}
    filter_policy: Json | None


@dataclass(frozen=True)
class ScheduleSource:
    """A `Type: Schedule` / `ScheduleV2` event: EventBridge invokes the function on a timer."""

    event_name: str
    expression: str  # "rate(1 minute)", "cron(...)"
    enabled: bool = True

    @property
    def rate_seconds(self) -> float | None:
        """Seconds between ticks of a `rate(...)` expression (None for `cron(...)`)."""
        found = re.fullmatch(
            r"rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)", self.expression
        )
        if not found:
            return None
        unit = {"minute": 60, "hour": 3600, "day": 86400}[found.group(2).rstrip("s")]
        return float(int(found.group(1)) * unit)


@dataclass(frozen=True)
class Function:
    logical_id: str
    handler: str  # "package.module.function", e.g. "capture.app.lambda_handler"
    environment: Mapping[str, Json]  # Globals.Function.Environment merged with the function's
    properties: Mapping[str, Json]  # every property, globals merged (Timeout, MemorySize, ...)
    api_routes: tuple[ApiRoute, ...]
    stream_sources: tuple[PollerSource, ...]
    queue_sources: tuple[PollerSource, ...]
    code_dir: Path  # CodeUri, resolved against the template's folder
    layer_logical_ids: tuple[str, ...]
    topic_sources: tuple[TopicSource, ...] = ()
    schedule_sources: tuple[ScheduleSource, ...] = ()

    @property
    def handler_module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def handler_name(self) -> str:
        return self.handler.rsplit(".", 1)[1]

    @property
    def memory_size(self) -> int:
        return int(self.properties.get("MemorySize", 128))

    @property
    def timeout(self) -> int:
        return int(self.properties.get("Timeout", 3))


@dataclass(frozen=True)
class Resource:
    logical_id: str
    type: str
    properties: Mapping[str, Json]
    condition: str | None


class Template:
    def __init__(self, document: Mapping[str, Json], base_dir: Path) -> None:
        self.document = document
        self.base_dir = base_dir

    @classmethod
    def load(cls, path: Path = DEFAULT_TEMPLATE) -> Template:
        return cls.from_string(path.read_text(encoding="utf-8"), path.resolve().parent)

    @classmethod
    def from_string(cls, text: str, base_dir: Path) -> Template:
        # Each template gets its own document (a caller may change it); the parse is shared.
        return cls(json.loads(_parsed(text)), base_dir)

    @property
    def parameters(self) -> Mapping[str, Json]:
        return dict(self.document.get("Parameters", {}))

    @property
    def conditions(self) -> Mapping[str, Json]:
        return dict(self.document.get("Conditions", {}))

    @property
    def function_globals(self) -> Mapping[str, Json]:
        return dict(self.document.get("Globals", {}).get("Function", {}))

    def resources(self, resource_type: str | None = None) -> Iterator[Resource]:
        for logical_id, body in self.document.get("Resources", {}).items():
            if resource_type is None or body.get("Type") == resource_type:
                yield Resource(
                    logical_id, body["Type"], body.get("Properties", {}), body.get("Condition")
                )

    def resource(self, logical_id: str) -> Resource:
        for found in self.resources():
            if found.logical_id == logical_id:
                return found
        raise KeyError(logical_id)

    def functions(self) -> list[Function]:
        return [self._function(found) for found in self.resources(FUNCTION)]

    def api_cors(self, rest_api: str | None) -> Mapping[str, Json] | None:
        """The Cors block of an AWS::Serverless::Api (or of Globals.Api), raw."""
        own: Json = None
        if rest_api is not None:
            own = self.resource(rest_api).properties.get("Cors")
        if own is None:
            own = self.document.get("Globals", {}).get("Api", {}).get("Cors")
        if isinstance(own, str):  # the short form: only an origin
            return {"AllowOrigin": own}
        return own if isinstance(own, dict) else None

    def _function(self, found: Resource) -> Function:
        merged = {**self.function_globals, **found.properties}
        environment = {
            **self.function_globals.get("Environment", {}).get("Variables", {}),
            **found.properties.get("Environment", {}).get("Variables", {}),
        }
        routes, streams, queues = [], [], []
        topics: list[TopicSource] = []
        schedules: list[ScheduleSource] = []
        for name, event in found.properties.get("Events", {}).items():
            props = event.get("Properties", {})
            if event.get("Type") == "Api":
                rest_api = props.get("RestApiId")
                routes.append(
                    ApiRoute(
                        name,
                        str(props["Method"]).upper(),
                        str(props["Path"]),
                        rest_api.get("Ref") if isinstance(rest_api, dict) else rest_api,
                        props.get("Auth", {}).get("Authorizer"),
                    )
                )
            elif event.get("Type") == "DynamoDB":
                streams.append(_poller_source(name, "DynamoDB", props["Stream"], props, 100))
            elif event.get("Type") == "SQS":
                queues.append(_poller_source(name, "SQS", props["Queue"], props, 10))
            elif event.get("Type") == "SNS":
                topics.append(TopicSource(name, props["Topic"], props.get("FilterPolicy")))
            elif event.get("Type") in ("Schedule", "ScheduleV2"):
                expression = props.get("Schedule") or props.get("ScheduleExpression") or ""
                enabled = (
                    props.get("Enabled", True) is not False and props.get("State") != "DISABLED"
                )
                schedules.append(ScheduleSource(name, str(expression), enabled))
        layers = tuple(
            layer["Ref"] for layer in merged.get("Layers", []) if isinstance(layer, dict)
        )
        return Function(
            logical_id=found.logical_id,
            handler=str(merged["Handler"]),
            environment=environment,
            properties=merged,
            api_routes=tuple(routes),
            stream_sources=tuple(streams),
            queue_sources=tuple(queues),
            code_dir=(self.base_dir / str(merged.get("CodeUri", "."))).resolve(),
            layer_logical_ids=layers,
            topic_sources=tuple(topics),
            schedule_sources=tuple(schedules),
        )

    def layer_dir(self, logical_id: str) -> Path:
        content = self.resource(logical_id).properties.get("ContentUri", ".")
        return (self.base_dir / str(content)).resolve()


def _poller_source(
    name: str, kind: str, source: Json, props: Mapping[str, Json], default_batch: int
) -> PollerSource:
    filters = props.get("FilterCriteria", {}).get("Filters", [])
    retries = props.get("MaximumRetryAttempts")
    on_failure = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
    return PollerSource(
        event_name=name,
        kind=kind,
        source=source,
        batch_size=int(props.get("BatchSize", default_batch)),
        filter_patterns=tuple(
            json.loads(f["Pattern"]) if isinstance(f["Pattern"], str) else f["Pattern"]
            for f in filters
        ),
        report_batch_item_failures="ReportBatchItemFailures"
        in props.get("FunctionResponseTypes", []),
        maximum_retry_attempts=None if retries in (None, -1) else int(retries),
        bisect_on_error=bool(props.get("BisectBatchOnFunctionError", False)),
        on_failure_destination=on_failure,
        starting_position=props.get("StartingPosition"),
    )


def _get_att_parts(value: Json) -> list[str]:
    return value.split(".", 1) if isinstance(value, str) else [str(part) for part in value]


@lru_cache(maxsize=4)
def _parsed(text: str) -> str:
    """The template `text` as JSON text: parsed once per process, though a test process starts
    dozens of stacks from the same file."""
    try:
        document = cfn_yaml.load(text)  # the short intrinsic tags (!Ref, !GetAtt, !Sub, !If)
    except yaml.YAMLError as problem:
        raise ValueError(f"cannot parse template: {problem}") from problem
    if not isinstance(document, dict):
        raise ValueError("cannot parse template: not a mapping")
    return json.dumps(document)
