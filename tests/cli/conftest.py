"""Command-line fixtures: a private profile folder and no ECRM_* settings from the caller's
environment, and (module-wide, it takes a few seconds) a real `ecrm serve` to talk to."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from local.stack import EmbeddedStack


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """profiles.toml lives under a temporary XDG_CONFIG_HOME; the working folder is empty."""
    for name in ("ECRM_API_URL", "ECRM_TOKEN", "ECRM_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    config_home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    # The local stack answers slowly when the machine is busy: slow is not unreachable.
    monkeypatch.setenv("ECRM_TIMEOUT", "600")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return config_home


@pytest.fixture(scope="module")
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmbeddedStack]:
    """The module's stack. Its schedule ticks every 0.3 s (scheduled campaigns start at once)
    unless the module sets `SCHEDULE_EVERY` (None: the template's own rate, a minute)."""
    schedule_every = getattr(request.module, "SCHEDULE_EVERY", 0.3)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        }.items():
            patch.setenv(name, value)
        # moto's request log would land in the commands' captured stderr (as `ecrm serve` does).
        patch.setattr(logging.getLogger("werkzeug"), "level", logging.WARNING)
        local = EmbeddedStack(
            tmp_path_factory.mktemp("stack") / ".ecrm",
            schedule_every=schedule_every,
            keep_state=False,
        )
        local.start()
        try:
            yield local
        finally:
            local.stop()


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> object:
        return json.loads(self.out)

    def lines(self) -> list[object]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


Ecrm = Callable[..., Run]


@pytest.fixture
def ecrm(stack: EmbeddedStack) -> Ecrm:
    """`ecrm ARGS...` as a user runs it (a process of its own: the stack's handlers log to
    this one's stdout), pointed at the test stack with its marketer token."""
    token = json.loads((stack.state_dir / "admin-tokens.json").read_text())["marketer"]

    def run(*argv: str, auth: bool = True, stdin: str | None = None) -> Run:
        connection = ["--api-url", stack.api_url] + ([f"--token={token}"] if auth else [])
        done = subprocess.run(
            [sys.executable, "-m", "cli", *connection, *argv],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    return run
