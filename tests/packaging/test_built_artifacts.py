"""What `sam build` produced is what deploys: each built function, imported under the runtime's
Python with only its own folder, the built layer and the runtime's SDK on sys.path, serves a
representative event against moto, and every AWS call it makes is granted by its policy.

`make test` runs `make build` first and sets ECRM_REQUIRE_BUILD=1: a missing build fails
here. Run alone (plain pytest), the test skips without a fresh build (`make build`).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.moto_env import Stack, child_environment, server
from local.template import Function, Template
from tests.infra import aws_calls
from tests.packaging.scenarios import SCENARIOS

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / ".aws-sam" / "build"
SDK = ROOT / ".venv-sam" / "lambda-runtime"  # Makefile: LAMBDA_SDK
CHILD = Path(__file__).with_name("lambda_child.py")
SOURCE = Template.load()
REQUIRED = os.environ.get("ECRM_REQUIRE_BUILD") == "1"


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(reason)
    pytest.skip(reason)


def _runtime_version(template: Template) -> str:
    runtime = str(template.function_globals.get("Runtime", ""))
    assert runtime.startswith("python"), runtime
    return runtime.removeprefix("python")


def _newest_source() -> float:
    roots = [ROOT / "functions", ROOT / "layers" / "shared", ROOT / "infra" / "template.yaml"]
    files = [p for root in roots for p in ([root] if root.is_file() else root.rglob("*"))]
    return max(
        p.stat().st_mtime
        for p in files
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )


@pytest.fixture(scope="module")
def built() -> Template:
    template_file = BUILD / "template.yaml"
    if not template_file.is_file():
        _unavailable("no .aws-sam/build: run `make build`")
    if not REQUIRED and template_file.stat().st_mtime < _newest_source():
        pytest.skip("the build is older than the sources: run `make build`")
    if not SDK.is_dir():
        _unavailable(f"no {SDK.relative_to(ROOT)} (the runtime's SDK): run `make build`")
    return Template.load(template_file)


@pytest.fixture(scope="module")
def lambda_python() -> str:
    found = subprocess.run(
        [str(ROOT / "infra" / "lambda-python"), _runtime_version(SOURCE)],
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        _unavailable(found.stderr.strip())
    return found.stdout.strip()


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with server() as running:
        yield running


def _invoke(
    stack: Stack,
    source: Function,
    artifact: Function,
    layer_dirs: list[Path],
    lambda_python: str,
    event_list: list[dict[str, object]],
    scratch: Path,
) -> dict[str, object]:
    context = stack.context(source)
    spec = {
        "sys_path": [str(artifact.code_dir), *map(str, layer_dirs), str(SDK)],
        "handler": artifact.handler,
        "context": {
            "function_name": context.function_name,
            "function_version": "$LATEST",
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "log_group_name": context.log_group_name,
            "log_stream_name": "packaging-test",
        },
        "events": event_list,
        # a fresh invocation has the function's whole Timeout (workers plan their steps by it)
        "remaining_ms": int(context.timeout_seconds * 1000),
        "result": str(scratch / "result.json"),
    }
    (scratch / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    lambda_variables = {
        "AWS_LAMBDA_FUNCTION_NAME": context.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(context.memory_limit_in_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{_runtime_version(SOURCE)}",
        "LAMBDA_TASK_ROOT": str(artifact.code_dir),
        "_HANDLER": artifact.handler,
    }
    env = child_environment(stack, {**stack.environment(source), **lambda_variables})
    done = subprocess.run(
        [lambda_python, "-I", "-S", str(CHILD), str(scratch / "spec.json")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=scratch,
    )
    assert done.returncode == 0, (
        f"{source.logical_id} failed as built (a requirement missing from the layer, or a "
        f"file from the function?):\n{done.stderr[-4000:]}"
    )
    result: dict[str, object] = json.loads((scratch / "result.json").read_text(encoding="utf-8"))
    return result


@pytest.mark.parametrize("logical_id", [f.logical_id for f in SOURCE.functions()])
def test_built_function_serves_its_representative_event(
    logical_id: str, built: Template, stack: Stack, lambda_python: str, tmp_path: Path
) -> None:
    scenario = SCENARIOS.get(logical_id)
    assert scenario is not None, (
        f"{logical_id} has no representative event: add a scenario to SCENARIOS in "
        "tests/packaging/scenarios.py (an event built from tests/fixtures and a check of "
        "the answer), so its built artifact is proven to import and run"
    )
    source = stack.function(logical_id)
    artifacts = {f.logical_id: f for f in built.functions()}
    assert logical_id in artifacts, f"{logical_id} is not in the build: run `make build`"
    artifact = artifacts[logical_id]
    layer_dirs = [built.layer_dir(layer) / "python" for layer in artifact.layer_logical_ids]
    assert all(d.is_dir() for d in layer_dirs), layer_dirs

    event_list, check = scenario(stack, source)
    result = _invoke(stack, source, artifact, layer_dirs, lambda_python, event_list, tmp_path)
    check(list(result["responses"]))  # type: ignore[call-overload]

    roots = [artifact.code_dir, *layer_dirs, SDK]
    for name, file in dict(result["modules"]).items():  # type: ignore[call-overload]
        path = Path(file)
        if any(path.is_relative_to(root) for root in roots):
            continue
        assert "site-packages" not in path.parts, f"{name} came from {path}, not the artifact"

    granted = aws_calls.all_granted_actions(source)
    for call in list(result["calls"]):  # type: ignore[call-overload]
        params = {"TransactItems": [{member: {}} for member in call["members"]]}
        needed = aws_calls.call_actions(call["service"], call["operation"], params)
        assert needed <= granted, (
            f"{logical_id} called {call['service']}.{call['operation']}, which needs "
            f"{sorted(needed - granted)}: not granted by its Policies"
        )


def test_layer_is_built_for_the_functions_architecture(built: Template) -> None:
    for function in built.functions():
        architectures = function.properties.get("Architectures", ["x86_64"])
        for layer in function.layer_logical_ids:
            compiled = list((built.layer_dir(layer) / "python").rglob("*.so"))
            machine = {"x86_64": "x86_64", "arm64": "aarch64"}[architectures[0]]
            wrong = [p.name for p in compiled if "-linux-gnu" in p.name and machine not in p.name]
            assert not wrong, (function.logical_id, wrong)
