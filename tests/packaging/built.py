"""The `sam build` output, started as the Lambda runtime starts it: shared by the packaging test
and the cold-start bench (bench/cold_start.py).

A built function runs in a fresh interpreter of the runtime's Python (`-I -S`: no site-packages,
no PYTHONPATH) with `-B` (Lambda's code folders are read-only: no bytecode is ever written, so
only the bytecode the build ships is read) and, on sys.path, only its own folder, the built
layer and the stand-in of the runtime's SDK (lambda_child.py).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from bench.moto_env import Stack, child_environment
from local.template import Function, Template

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / ".aws-sam" / "build"
SDK = ROOT / ".venv-sam" / "lambda-runtime"  # Makefile: LAMBDA_SDK
CHILD = Path(__file__).with_name("lambda_child.py")
INTERPRETER_FLAGS = ["-I", "-S", "-B"]


def runtime_version(template: Template) -> str:
    runtime = str(template.function_globals.get("Runtime", ""))
    assert runtime.startswith("python"), runtime
    return runtime.removeprefix("python")


def lambda_python(version: str) -> str:
    """The interpreter of the runtime's version (infra/lambda-python); LookupError says why not."""
    found = subprocess.run(
        [str(ROOT / "infra" / "lambda-python"), version],
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        raise LookupError(found.stderr.strip())
    return found.stdout.strip()


def newest_source() -> float:
    """The mtime of the newest file `sam build` reads (a build older than it is stale)."""
    roots = [ROOT / "functions", ROOT / "layers" / "shared", ROOT / "infra" / "template.yaml"]
    files = [p for root in roots for p in ([root] if root.is_file() else root.rglob("*"))]
    return max(
        p.stat().st_mtime
        for p in files
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )


def layer_dirs(built: Template, artifact: Function) -> list[Path]:
    return [built.layer_dir(layer) / "python" for layer in artifact.layer_logical_ids]


def invocation(
    stack: Stack,
    source: Function,
    artifact: Function,
    layers: list[Path],
    python: str,
    event_list: list[dict[str, Any]],
    scratch: Path,
) -> tuple[list[str], dict[str, str]]:
    """The command and environment that serve `event_list` with the built `artifact` (its
    answers, then read by `result(scratch)`); `source` is the same function in the source
    template (its environment and context)."""
    context = stack.context(source)
    version = runtime_version(stack.template)
    spec = {
        "sys_path": [str(artifact.code_dir), *map(str, layers), str(SDK)],
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
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{version}",
        "LAMBDA_TASK_ROOT": str(artifact.code_dir),
        "_HANDLER": artifact.handler,
        "PYTHONDONTWRITEBYTECODE": "1",  # as -B (which -I would otherwise ignore)
    }
    env = child_environment(stack, {**stack.environment(source), **lambda_variables})
    return [python, *INTERPRETER_FLAGS, str(CHILD), str(scratch / "spec.json")], env


def result(scratch: Path) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads((scratch / "result.json").read_text(encoding="utf-8"))
    return answer
