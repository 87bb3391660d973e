"""What `sam build` produced is what deploys: each built function, imported under the runtime's
Python with only its own folder, the built layer and the runtime's SDK on sys.path, serves a
representative event against moto, and every AWS call it makes is granted by its policy. The
build ships bytecode for the runtime's Python, and importing reads it: no module of the
artifact is compiled at a cold start (Lambda's code folders are read-only).

`make test` runs `make build` first and sets ECRM_REQUIRE_BUILD=1: a missing build fails
here. Run alone (plain pytest), the test skips without a fresh build (`make build`).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.moto_env import Stack, server
from local.template import Function, Template
from tests.infra import aws_calls
from tests.packaging import built as build
from tests.packaging.built import BUILD, ROOT, SDK
from tests.packaging.scenarios import SCENARIOS

SOURCE = Template.load()
REQUIRED = os.environ.get("ECRM_REQUIRE_BUILD") == "1"
# The functions whose representative event is served without importing pydantic (~0.35 of the
# cold-start baseline, docs/design/platform.md "Cold start"): their stored definitions are read
# back as plain values, a plainly valid body is read without its model (`ecrm.web.plain`) and
# their routes' models are imported only where a route needs them.
WITHOUT_PYDANTIC = {
    "AccountFunction",
    "AutomationsApiFunction",
    "AutomationsFunction",
    "CampaignSenderFunction",
    "CaptureFunction",
    "ContactErasureFunction",
    "ContactsAdminFunction",
    "EventKeysAdminFunction",
    "EventsFunction",
    "FormsAdminFunction",
    "ImportWorkerFunction",
    "InboundMailFunction",
    "MailingAdminFunction",
    "ReportsFunction",
    "RescoreFunction",
    "SchedulerFunction",
    "ScoringFunction",
    "ScoringApiFunction",
    "SesEventsFunction",
    "StageEventsFunction",
    "TeamAdminFunction",
    "TransactionalMailFunction",
    "TrendsFunction",
    "WebhookDeliveryFunction",
    "WebhookFanoutFunction",
    "WebhooksAdminFunction",
}
# The functions whose representative event renders a page with Jinja (~0.1 of the baseline);
# the transactional mails are substitutions only (`ecrm.mail.plain_templates`).
WITH_JINJA = {"AccountFunction", "CaptureFunction"}


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def built() -> Template:
    template_file = BUILD / "template.yaml"
    if not template_file.is_file():
        _unavailable("no .aws-sam/build: run `make build`")
    if not REQUIRED and template_file.stat().st_mtime < build.newest_source():
        pytest.skip("the build is older than the sources: run `make build`")
    if not SDK.is_dir():
        _unavailable(f"no {SDK.relative_to(ROOT)} (the runtime's SDK): run `make build`")
    return Template.load(template_file)


@pytest.fixture(scope="module")
def lambda_python() -> str:
    try:
        return build.lambda_python(build.runtime_version(SOURCE))
    except LookupError as missing:
        _unavailable(str(missing))
        raise


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
    command, env = build.invocation(
        stack, source, artifact, layer_dirs, lambda_python, event_list, scratch
    )
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False, cwd=scratch
    )
    assert done.returncode == 0, (
        f"{source.logical_id} failed as built (a requirement missing from the layer, or a "
        f"file from the function?):\n{done.stderr[-4000:]}"
    )
    return build.result(scratch)


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
    layer_dirs = build.layer_dirs(built, artifact)
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
    loaded = dict(result["modules"])  # type: ignore[call-overload]
    if logical_id in WITHOUT_PYDANTIC:
        assert "pydantic" not in loaded, f"{logical_id} imported pydantic serving its event"
    if logical_id not in WITH_JINJA:
        assert "jinja2" not in loaded, f"{logical_id} imported Jinja serving its event"
    compiled = [
        file
        for file in list(result["compiled"])  # type: ignore[call-overload]
        if any(Path(file).is_relative_to(root) for root in roots)
    ]
    assert not compiled, (
        f"{logical_id} compiled {len(compiled)} modules of its artifact at start (e.g. "
        f"{compiled[:3]}): the build ships no usable bytecode for them (Makefile, `build`)"
    )

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


def _unusable_bytecode(root: Path, tag: str) -> list[str]:
    """Source files under `root` without a `__pycache__/NAME.<tag>.pyc` that is hash-based and
    unchecked (PEP 552 flags 0b01): `sam deploy` zips files dated 1980, so a timestamp pyc
    would be taken for stale and the module compiled at every cold start."""
    missing = []
    for source in root.rglob("*.py"):
        pyc = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        flags = int.from_bytes(pyc.read_bytes()[4:8], "little") if pyc.is_file() else None
        if flags != 0b01:
            missing.append(str(source.relative_to(root)))
    return missing


def test_the_build_ships_unchecked_bytecode_for_the_runtimes_python(built: Template) -> None:
    major, minor = build.runtime_version(SOURCE).split(".")
    tag = f"cpython-{major}{minor}"
    layers = {layer for function in built.functions() for layer in function.layer_logical_ids}
    roots = [function.code_dir for function in built.functions()]
    roots += [built.layer_dir(layer) / "python" for layer in sorted(layers)]
    for root in [*dict.fromkeys(roots), SDK]:
        missing = _unusable_bytecode(root, tag)
        assert not missing, f"{root}: no {tag} unchecked-hash bytecode for {missing[:5]}"
