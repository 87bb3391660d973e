"""How the cold-start bench (bench/cold_start.py) starts a function, or the boto3 baseline, in a
fresh child process and times it from spawn to exit.

- `AsBuilt`, as Lambda starts: the `sam build` output under the runtime's Python with
  `-I -S -B` (tests/packaging/built.py); `find` says why not when there is no fresh build;
- `FromSources`, the former method: the sources under this interpreter, on PYTHONPATH (the
  warm-up round leaves their `__pycache__` behind).
"""

from __future__ import annotations

import json
import logging
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from bench.events import Event
from bench.moto_env import Stack, child_environment
from local.lambda_runtime import code_paths
from local.template import Function, Template

log = logging.getLogger(__name__)

_HANDLER = """
import importlib, json, sys, types, uuid
module, name, function_name, arn, memory, timeout, event_file, result_file = sys.argv[1:9]
with open(event_file) as source:
    event_list = json.load(source)
context = types.SimpleNamespace(
    function_name=function_name, function_version="$LATEST", invoked_function_arn=arn,
    memory_limit_in_mb=int(memory), aws_request_id=str(uuid.uuid4()),
    log_group_name="/aws/lambda/" + function_name, log_stream_name="bench",
    get_remaining_time_in_millis=lambda: int(timeout) * 1000,
)
handler = getattr(importlib.import_module(module), name)
with open(result_file, "w") as sink:
    json.dump([handler(event, context) for event in event_list], sink, default=str)
"""
# argv: the folder holding boto3 first on sys.path (none: PYTHONPATH), the table
_BASELINE = """
import sys
if sys.argv[1]:
    sys.path.insert(0, sys.argv[1])
import boto3
key = {"pk": {"S": "BENCH#baseline"}, "sk": {"S": "BASELINE"}}
boto3.client("dynamodb").get_item(TableName=sys.argv[2], Key=key)
"""


class Timing(NamedTuple):
    wall: float  # seconds, spawn to exit, seen by the parent
    cpu: float  # seconds of user + system CPU the child used (less sensitive to a busy machine)


class Start(Protocol):
    stack: Stack

    def baseline(self) -> Timing: ...

    def run(self, function: Function, events: list[Event], scratch: Path) -> tuple[Timing, Any]:
        """Serve `events` with `function` in a fresh process: its timing and the answers."""
        ...


def _timed(command: list[str], env: dict[str, str], cwd: Path | None = None) -> Timing:
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{command[-2:]} exited {done.returncode}: {done.stderr[-2000:]}")
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    return Timing(wall, cpu)


class FromSources:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.pythonpath = {"PYTHONPATH": os.pathsep.join(code_paths(stack.template))}

    def baseline(self) -> Timing:
        command = [sys.executable, "-c", _BASELINE, "", self.stack.names.refs["Table"]]
        return _timed(command, child_environment(self.stack, self.pythonpath))

    def run(self, function: Function, events: list[Event], scratch: Path) -> tuple[Timing, Any]:
        event_file, result_file = scratch / "event.json", scratch / "result.json"
        event_file.write_text(json.dumps(events), encoding="utf-8")
        context = self.stack.context(function)
        command = [
            sys.executable,
            "-c",
            _HANDLER,
            function.handler_module,
            function.handler_name,
            context.function_name,
            context.invoked_function_arn,
            str(context.memory_limit_in_mb),
            str(context.timeout_seconds),
            str(event_file),
            str(result_file),
        ]
        env = {**self.stack.environment(function), **self.pythonpath}
        timing = _timed(command, child_environment(self.stack, env))
        return timing, json.loads(result_file.read_text(encoding="utf-8"))


class AsBuilt:
    # The build's helpers (tests/packaging/built.py) live with the packaging test, and the bench
    # runs from a checkout: imported where used, the installed `bench` imports without `tests`
    # (tests/packaging/test_wheel.py).

    def __init__(self, stack: Stack, python: str, template: Template) -> None:
        self.stack, self.python, self.template = stack, python, template
        self.artifacts = {f.logical_id: f for f in template.functions()}

    @classmethod
    def find(cls, stack: Stack) -> AsBuilt | None:
        """None, the reason logged, without a fresh build, the runtime's Python or its SDK
        compiled for it (the baseline would compile boto3 at each start)."""
        from tests.packaging import built  # noqa: PLC0415 - see the class comment

        template_file = built.BUILD / "template.yaml"
        version = built.runtime_version(stack.template)
        tag = f"cpython-{version.replace('.', '')}"
        if not template_file.is_file() or template_file.stat().st_mtime < built.newest_source():
            log.warning("no fresh .aws-sam/build: run `make build` (as-built figures are null)")
        elif not (built.SDK / "boto3" / "__pycache__" / f"__init__.{tag}.pyc").is_file():
            log.warning("the stand-in SDK has no %s bytecode: run `make build`", tag)
        else:
            try:
                return cls(stack, built.lambda_python(version), Template.load(template_file))
            except LookupError as missing:
                log.warning("%s", missing)
        return None

    def baseline(self) -> Timing:
        from tests.packaging import built  # noqa: PLC0415 - see the class comment

        table = self.stack.names.refs["Table"]
        command = [self.python, *built.INTERPRETER_FLAGS, "-c", _BASELINE, str(built.SDK), table]
        return _timed(command, child_environment(self.stack, {"PYTHONDONTWRITEBYTECODE": "1"}))

    def run(self, function: Function, events: list[Event], scratch: Path) -> tuple[Timing, Any]:
        from tests.packaging import built  # noqa: PLC0415 - see the class comment

        artifact = self.artifacts[function.logical_id]
        layers = built.layer_dirs(self.template, artifact)
        command, env = built.invocation(
            self.stack, function, artifact, layers, self.python, events, scratch
        )
        timing = _timed(command, env, cwd=scratch)
        return timing, built.result(scratch)["responses"]
