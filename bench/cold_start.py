"""Cold start of every function in the template, relative to a minimal boto3 program.

Method: the wall-clock of a whole child process, measured by the parent from spawn to exit
(`time.perf_counter` around `subprocess.run`), the same way for the functions and for the
baseline: interpreter start-up, imports, client creation, the calls to moto, interpreter exit.

- function: a fresh `python` imports the handler as Lambda does (CodeUri and layer folders on
  PYTHONPATH), with the function's environment from the template, and serves one
  representative event against a moto server holding the template's resources;
- baseline: a fresh `python` imports boto3, creates a DynamoDB client and does one GetItem
  against the same server, with the same PYTHONPATH.

`cold_start.cpu_ms` adds the children's user + system CPU time (informative): on a busy machine
it moves less than the wall-clock, which also counts time spent waiting for a CPU.

One warm-up round is discarded (bytecode caches, OS caches, moto's lazy imports); then `runs`
rounds, interleaved (baseline, then each function); ratio = median(function) / median(baseline).
Capture and the confirmation mail have their own scenarios here (one event each, as issue 2
defined the figure); every other function replays its packaging scenario
(tests/packaging/scenarios.py: the events one process serves, the first one cold, and the
same check of the answers). A function with neither shows as null.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from bench import events
from bench.figures import Figure
from bench.moto_env import Stack, as_function, child_environment, save_demo_form, server
from capture.app import lambda_handler
from ecrm import keys, normalise, store
from local.event_filter import matches_any
from local.lambda_runtime import code_paths
from local.template import Function
from tests.packaging.scenarios import SCENARIOS as PACKAGED

log = logging.getLogger(__name__)

GOAL = 1.5
Check = Callable[[Any], None]  # raises unless the response is the representative outcome
Scenario = Callable[[Stack, Function], tuple[events.Event, Check]]
# tests/packaging/scenarios.py: a list of events and a check of the list of answers
PackagedScenario = Callable[[Stack, Function], tuple[list[events.Event], Check]]

_HANDLER = """
import importlib, json, sys, types, uuid
module, name, function_name, arn, memory, timeout, event_file, result_file = sys.argv[1:9]
with open(event_file) as source:
    event = json.load(source)
context = types.SimpleNamespace(
    function_name=function_name, function_version="$LATEST", invoked_function_arn=arn,
    memory_limit_in_mb=int(memory), aws_request_id=str(uuid.uuid4()),
    log_group_name="/aws/lambda/" + function_name, log_stream_name="bench",
    get_remaining_time_in_millis=lambda: int(timeout) * 1000,
)
handler = getattr(importlib.import_module(module), name)
results = [handler(one, context) for one in (event if isinstance(event, list) else [event])]
with open(result_file, "w") as sink:
    json.dump(results if isinstance(event, list) else results[0], sink, default=str)
"""
_BASELINE = """
import sys, boto3
key = {"pk": {"S": "BENCH#baseline"}, "sk": {"S": "BASELINE"}}
boto3.client("dynamodb").get_item(TableName=sys.argv[1], Key=key)
"""
_visitors = itertools.count(1)


def _visitor() -> tuple[str, str]:
    """A new address and IP per submission: rate limits never cancel a measured one."""
    n = next(_visitors)
    return f"cold-{n}-{uuid.uuid4().hex[:8]}@bench.example", str(
        ipaddress.IPv4Address("10.1.0.0") + n
    )


def _fields(email: str) -> dict[str, Any]:
    return {"email": email, "first_name": "Ann", "consent": True}


def _form_submission(stack: Stack, function: Function) -> tuple[events.Event, Check]:
    email, ip = _visitor()

    def check(response: Any) -> None:
        if response.get("statusCode") != 202:
            raise RuntimeError(f"submission answered {response}")

    return events.form_submission(_fields(email), source_ip=ip), check


def _pending_submission(stack: Stack, function: Function) -> tuple[events.Event, Check]:
    """The stream record of a real submission's interaction (so its contact exists)."""
    email, ip = _visitor()
    with as_function(stack, "CaptureFunction") as capture_function:
        answer = lambda_handler(
            events.form_submission(_fields(email), source_ip=ip), stack.context(capture_function)
        )
        assert answer["statusCode"] == 202, answer
        contact_id = keys.contact_id_for(normalise.email(email))
        interactions, _ = store.query(keys.contact(contact_id)["pk"], sk_prefix="EVENT#")
    item = interactions[0]
    stream_arn = stack.names.attributes[("Table", "StreamArn")]
    event = events.stream_insert(item, stream_arn=stream_arn, region=stack.names.region)
    patterns = [p for source in function.stream_sources for p in source.filter_patterns]
    assert matches_any(patterns, event["Records"][0]), "the record would be filtered out"

    def check(response: Any) -> None:
        if response.get("batchItemFailures"):
            raise RuntimeError(f"the record failed: {response}")
        with as_function(stack, function.logical_id):
            ledger = store.get(keys.transactional_mail(contact_id, "confirm", item["event_id"]))
        if not ledger or ledger.get("state") != "sent":
            raise RuntimeError("no confirmation mail was sent")

    return event, check


SCENARIOS: dict[str, Scenario] = {
    "CaptureFunction": _form_submission,
    "TransactionalMailFunction": _pending_submission,
}


class Timing(NamedTuple):
    wall: float  # seconds, spawn to exit, seen by the parent
    cpu: float  # seconds of user + system CPU the child used (less sensitive to a busy machine)


def _timed(command: list[str], env: dict[str, str]) -> Timing:
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{command[3:5]} exited {done.returncode}: {done.stderr[-2000:]}")
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    return Timing(wall, cpu)


def _run_function(
    stack: Stack, function: Function, scenario: Scenario | PackagedScenario, scratch: Path
) -> Timing:
    event, check = scenario(stack, function)
    event_file, result_file = scratch / "event.json", scratch / "result.json"
    event_file.write_text(json.dumps(event), encoding="utf-8")
    context = stack.context(function)
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
    env = child_environment(stack, {**stack.environment(function), **_pythonpath(stack)})
    timing = _timed(command, env)
    check(json.loads(result_file.read_text(encoding="utf-8")))
    return timing


def _pythonpath(stack: Stack) -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join(code_paths(stack.template))}


def _median_ms(samples: dict[str, list[Timing]], field: str) -> dict[str, float]:
    return {
        name: round(statistics.median(getattr(t, field) for t in timings) * 1000, 1)
        for name, timings in samples.items()
    }


def measure(runs: int = 5) -> list[Figure]:
    samples: dict[str, list[Timing]] = {}
    with server() as stack, tempfile.TemporaryDirectory() as scratch:
        functions = stack.template.functions()
        with as_function(stack, functions[0].logical_id):
            save_demo_form()
        scenarios: dict[str, Scenario | PackagedScenario] = {**PACKAGED, **SCENARIOS}
        runnable = [f for f in functions if f.logical_id in scenarios]
        for function in functions:
            if function not in runnable:
                log.warning("%s has no representative event", function.logical_id)
        baseline = [sys.executable, "-c", _BASELINE, stack.names.refs["Table"]]
        for round_ in range(runs + 1):  # round 0 warms up and is not counted
            timings = {"baseline": _timed(baseline, child_environment(stack, _pythonpath(stack)))}
            for function in runnable:
                scenario = scenarios[function.logical_id]
                timings[function.logical_id] = _run_function(
                    stack, function, scenario, Path(scratch)
                )
            log.info("round %d: %s", round_, {k: round(t.wall, 3) for k, t in timings.items()})
            for name, timing in timings.items():
                if round_:
                    samples.setdefault(name, []).append(timing)
    ms = _median_ms(samples, "wall")
    return [
        *(
            Figure(
                f"cold_start.ratio.{f.logical_id}",
                round(ms[f.logical_id] / ms["baseline"], 2) if f.logical_id in ms else None,
                GOAL,
            )
            for f in functions
        ),
        Figure("cold_start.ms", ms),
        Figure("cold_start.cpu_ms", _median_ms(samples, "cpu")),
        Figure("cold_start.runs", runs),
    ]
