"""The README's walk-through works as written: each of its shell blocks runs in bash, in order,
against a local stack, from a folder laid out as a clone's (`.ecrm/` of the running stack,
`.venv/bin/ecrm`, `examples/`), and every request it makes is accepted (curl fails on an HTTP
error here). Every file the README names under `examples/` exists. Only the blocks that build,
deploy or sign in to AWS are not run (named below)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from local.stack import EmbeddedStack
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```sh\n(.*?)^```", README, flags=re.MULTILINE | re.DOTALL)
# First lines of the blocks not run: they build, test, deploy or sign in to AWS.
NOT_LOCAL = ("make serve", ".venv/bin/ecrm login", "aws ssm put-parameter")
LOCAL_API = "http://127.0.0.1:3000"
ASSIGNED = re.compile(r"^([A-Z][A-Z_]*)=", flags=re.MULTILINE)


def _runnable() -> list[str]:
    return [b for b in BLOCKS if not b.lstrip().startswith(NOT_LOCAL)]


def test_every_file_the_readme_names_in_examples_exists() -> None:
    named = set(re.findall(r"examples/[\w./-]*[\w/]", README))
    assert {"examples/my-form.json", "examples/templates/", "examples/people.csv"} <= named
    missing = sorted(name for name in named if not (ROOT / name).exists())
    assert not missing, f"the README names files examples/ does not have: {missing}"
    bare = re.findall(r"(?<![\w/])(my-form\.json|scoring\.json|people\.csv)", README)
    assert not bare, f"the README names files outside examples/: {bare}"


def test_the_blocks_left_out_are_only_the_build_deploy_and_sign_in_ones() -> None:
    left_out = [b.lstrip().splitlines()[0] for b in BLOCKS if b not in _runnable()]
    assert len(left_out) == len(NOT_LOCAL), left_out
    assert len(_runnable()) >= 6


@pytest.fixture
def clone(stack: EmbeddedStack, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The folder the walk-through runs in (the stack's, beside its `.ecrm/`) and its
    environment: `.venv/bin/ecrm` is this checkout's CLI; `curl` fails on an HTTP error."""
    curl, bash = shutil.which("curl"), shutil.which("bash")
    if curl is None or bash is None:
        pytest.skip("the walk-through needs curl and bash")
    folder = stack.state_dir.parent
    venv_bin = folder / ".venv" / "bin"
    venv_bin.mkdir(parents=True, exist_ok=True)
    _script(venv_bin / "ecrm", f'exec "{sys.executable}" -m cli "$@"')
    if not (folder / "examples").exists():
        (folder / "examples").symlink_to(ROOT / "examples")
    tools = tmp_path / "bin"
    tools.mkdir()
    _script(tools / "curl", f'exec "{curl}" --fail-with-body --max-time 600 "$@"')
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}
    return folder, env


def _script(path: Path, line: str) -> None:
    path.write_text(f"#!/bin/sh\n{line}\n", encoding="utf-8")
    path.chmod(0o755)


def test_the_walk_through_runs_as_written(
    stack: EmbeddedStack, clone: tuple[Path, dict[str, str]]
) -> None:
    folder, env = clone
    saved = folder / "walk-through.vars"  # variables one block sets for the next ones
    saved.write_text("", encoding="utf-8")
    for block in _runnable():
        keep = "".join(
            f"printf 'export %s=%q\\n' {name} \"${name}\" >> {saved.name}\n"
            for name in dict.fromkeys(ASSIGNED.findall(block))
        )
        script = (
            f"set -euo pipefail\n. ./{saved.name}\n{block.replace(LOCAL_API, stack.api_url)}\n"
            + keep
        )
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
        assert done.returncode == 0, (
            f"README block failed (exit {done.returncode}):\n{block}\n"
            f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
        )
        stack.drain()  # what a person's pause between blocks gives: mails sent, events handled
    # What the walk-through made is there.
    tokens = folder / "leads.csv", folder / "members.jsonl", folder / "bad-rows.csv"
    assert all(path.exists() for path in tokens)
    assert "not-an-address" in (folder / "bad-rows.csv").read_text(encoding="utf-8")
    assert len((folder / "members.jsonl").read_text(encoding="utf-8").splitlines()) == 3
