"""moto with the template's resources, in process (`mock_aws`, for counting calls) or as a
server on loopback (for child processes), plus the environment each function would get.
Either way moto answers as `ecrm serve` has it answer (`local.moto_fast.fast_moto`: the same
outcomes and calls, without stock moto's O(table) copy per transaction item).

Everything here reuses the local stack's template reading and resource creation, so the
benchmarked table is the deployed table's exact shape.
"""

from __future__ import annotations

import logging
import os
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
from moto import mock_aws
from moto.server import ThreadedMotoServer

from bench.events import demo_form
from ecrm.contacts import forms
from ecrm.platform import aws, pseudonyms, tokens
from ecrm.platform.settings import settings
from local.intrinsics import REGION, LocalNames, Resolver, local_names
from local.lambda_runtime import (
    LambdaContext,
    apply_environment,
    local_aws_environment,
    restore_environment,
)
from local.moto_dispatch import cached_dispatch_lookups
from local.moto_fast import fast_moto
from local.moto_threads import thread_safe_moto
from local.resources import create_resources
from local.template import Function, Template


@dataclass(frozen=True)
class Stack:
    template: Template
    names: LocalNames
    endpoint_url: str | None  # None: moto in process

    def function(self, logical_id: str) -> Function:
        return next(f for f in self.template.functions() if f.logical_id == logical_id)

    def environment(self, function: Function) -> dict[str, str]:
        """The function's variables (globals merged), resolved as the local stack does."""
        resolved = Resolver(self.template, self.names).resolve(dict(function.environment))
        return {
            key: str(value).lower() if isinstance(value, bool) else str(value)
            for key, value in resolved.items()
        }

    def context(self, function: Function) -> LambdaContext:
        return LambdaContext(
            function_name=self.names.refs.get(function.logical_id, function.logical_id),
            invoked_function_arn=self.names.attributes.get((function.logical_id, "Arn"), ""),
            memory_limit_in_mb=function.memory_size,
            timeout_seconds=function.timeout,
        )


def reset_caches() -> None:
    """Settings, clients, signing keys and form definitions are cached per process."""
    settings.cache_clear()
    aws.reset()
    tokens.keyring.forget()
    pseudonyms.forget()
    forms.forget_cached()


@contextmanager
def environment(values: Mapping[str, str], *, unset: tuple[str, ...] = ()) -> Iterator[None]:
    previous = {key: os.environ.pop(key, None) for key in unset}
    previous |= apply_environment(values)
    reset_caches()
    try:
        yield
    finally:
        restore_environment(previous)
        reset_caches()


@contextmanager
def as_function(stack: Stack, logical_id: str) -> Iterator[Function]:
    """Run product code in this process with the environment that function gets."""
    function = stack.function(logical_id)
    with environment(stack.environment(function)):
        yield function


def _fake_aws(endpoint_url: str | None) -> dict[str, str]:
    values = local_aws_environment(endpoint_url or "", REGION)
    if endpoint_url is None:
        del values["AWS_ENDPOINT_URL"]
    return values


@contextmanager
def in_process() -> Iterator[Stack]:
    with environment(_fake_aws(None), unset=("AWS_ENDPOINT_URL",)), mock_aws():
        stack = _create(None)  # `thread_safe_moto` first: `fast_moto` keeps its locks
        with fast_moto():
            yield stack


@contextmanager
def server() -> Iterator[Stack]:
    """A `ThreadedMotoServer` on a free loopback port (the OS picks it), resources created."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    cached_dispatch_lookups()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        url = f"http://{host}:{port}"
        # moto's state is process-wide: start from empty whatever ran before in this process.
        reset = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
        urllib.request.urlopen(reset, timeout=10).close()
        with environment(_fake_aws(url)):
            stack = _create(url)
            with fast_moto():
                yield stack
    finally:
        moto.stop()


def _create(endpoint_url: str | None) -> Stack:
    thread_safe_moto()  # the benches' clients and workers are threads of this process
    template = Template.load()
    names = local_names(template)
    create_resources(template, names, endpoint_url=endpoint_url)
    return Stack(template, names, endpoint_url)


def save_demo_form() -> forms.Form:
    """What `ecrm serve` seeds (call it inside a function's environment: `as_function`)."""
    return forms.save(forms.Form.model_validate(demo_form()))


def fresh_tables(stack: Stack) -> None:
    """Drop the template's tables and create them again, empty.

    moto deep-copies a whole table, stream records included, for every item of a
    TransactWriteItems (its rollback copy), so each submission costs O(table) and a long run
    on one table slows down quadratically; the counts do not depend on the table's size.
    """
    client = boto3.client("dynamodb", region_name=REGION, endpoint_url=stack.endpoint_url)
    document = stack.template.document
    tables = {
        logical_id: body
        for logical_id, body in document["Resources"].items()
        if body.get("Type") == "AWS::DynamoDB::Table"
    }
    for logical_id in tables:
        client.delete_table(TableName=stack.names.refs[logical_id])
    only_tables = {**document, "Resources": tables}
    create_resources(
        Template(only_tables, stack.template.base_dir), stack.names, None, stack.endpoint_url
    )


def child_environment(stack: Stack, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A clean environment for a child process: moto's endpoint, fake credentials, `extra`."""
    assert stack.endpoint_url is not None, "children need the moto server"
    keep = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    return {**keep, **_fake_aws(stack.endpoint_url), **(extra or {})}
