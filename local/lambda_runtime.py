"""Run a template function's handler in this process, as the Lambda runtime would: same module
path, same environment variables, a context object with the attributes handlers read.

A Lambda sandbox runs one invocation at a time, and handlers may keep per-invocation state at
module level (Powertools' `BatchProcessor` held the records it was processing), so a
function's invocations run one at a time here too; different functions run concurrently, each
with its own Powertools metric set (`local.function_metrics`).
Races between invocations are still there, through the table, as deployed.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from local import activity, clients, function_metrics
from local.intrinsics import LocalNames, Resolver
from local.template import Function, Template

log = logging.getLogger(__name__)

Handler = Callable[[Any, Any], Any]
# Variables that differ per function by design and that handlers read themselves.
_PER_FUNCTION = {"POWERTOOLS_SERVICE_NAME"}


@dataclass
class LambdaContext:
    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    identity: Any = None
    client_context: Any = None
    _started: float = field(default_factory=time.monotonic)

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/[$LATEST]{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


class LambdaRuntime:
    """Imports each handler on its first invocation (start-up stays fast) and invokes it;
    each event (not an API request: the gateway says those) is an activity line. With
    `quiet_logs`, the functions' Powertools warnings print as short lines (`local.activity`)."""

    def __init__(self, template: Template, names: LocalNames, *, quiet_logs: bool = False) -> None:
        self.template = template
        self.names = names
        self.quiet_logs = quiet_logs
        self._handlers: dict[str, Handler] = {}
        self._sandboxes: dict[str, threading.Lock] = {}
        self._sandboxes_lock = threading.Lock()
        function_metrics.separate()

    def handler(self, function: Function) -> Handler:
        found = self._handlers.get(function.logical_id)
        if found is None:
            # importlib's module locks make concurrent first imports safe.
            module = importlib.import_module(function.handler_module)
            found = getattr(module, function.handler_name)
            self._handlers[function.logical_id] = found
        return found

    def invoke(self, function: Function, event: Any) -> Any:
        with (
            self._sandbox(function.logical_id),  # its time starts once it has the sandbox
            function_metrics.running(function.logical_id),
        ):
            context = LambdaContext(
                function_name=self.names.refs.get(function.logical_id, function.logical_id),
                invoked_function_arn=self.names.attributes.get((function.logical_id, "Arn"), ""),
                memory_limit_in_mb=function.memory_size,
                timeout_seconds=function.timeout,
            )
            handler = self.handler(function)
            if self.quiet_logs:
                activity.quiet_function_logs()
            started = time.monotonic()
            try:
                result = handler(event, context)
            except Exception as error:
                activity.invocation(function.logical_id, event, error, started)
                raise
            activity.invocation(function.logical_id, event, result, started)
            return result

    def _sandbox(self, logical_id: str) -> threading.Lock:
        with self._sandboxes_lock:
            return self._sandboxes.setdefault(logical_id, threading.Lock())


def code_paths(template: Template) -> list[str]:
    """Folders Lambda would put on sys.path: each CodeUri (the task root) and each layer's
    content (the source folder locally, its `python/` once built)."""
    paths: list[str] = []
    for function in template.functions():
        candidates = [function.code_dir]
        for layer in function.layer_logical_ids:
            root = template.layer_dir(layer)
            candidates += [root, root / "python"]
        for path in candidates:
            if path.is_dir() and str(path) not in paths:
                paths.append(str(path))
    return paths


def add_code_paths(template: Template) -> None:
    for path in reversed(code_paths(template)):
        if path not in sys.path:
            sys.path.insert(0, path)


def functions_environment(template: Template, names: LocalNames) -> dict[str, str]:
    """The union of every function's resolved environment: one process hosts them all."""
    resolver = Resolver(template, names)
    merged: dict[str, str] = {}
    for function in template.functions():
        for key, value in resolver.resolve(dict(function.environment)).items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            if key in merged and merged[key] != text and key not in _PER_FUNCTION:
                log.warning(
                    "%s differs between functions (%r, %r): using %s's value",
                    key,
                    merged[key],
                    text,
                    function.logical_id,
                )
            merged[key] = text
    return merged


def local_aws_environment(moto_url: str, region: str) -> dict[str, str]:
    """What makes boto3 in handlers talk to moto, with credentials that can reach nothing else."""
    return {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",  # moto's dummy credentials
        "AWS_SESSION_TOKEN": "testing",
        # botocore's account-based DynamoDB endpoints are not routed by moto 5.2.
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "ecrm",
        **clients.ENVIRONMENT,  # the product's clients: patient with a busy local server
    }


def apply_environment(values: Mapping[str, str]) -> dict[str, str | None]:
    """Set variables in os.environ; returns what was there before, for `restore_environment`."""
    previous = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    return previous


def restore_environment(previous: Mapping[str, str | None]) -> None:
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
