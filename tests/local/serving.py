"""`ecrm serve` as a developer runs it, for tests of what it prints and keeps: a process of its
own (moto's state is process-wide), its stdout and stderr in one file, stopped with Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
BANNER_END = "Ctrl-C stops"  # the banner's last line


@dataclass
class Serving:
    state: Path
    log: Path
    api: str
    token: str  # the marketer's bearer token

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def after_banner(self) -> list[str]:
        """What it printed once it was serving (the stop's own "stopping..." left out)."""
        rest = self.output().split(BANNER_END, 1)[1].split("\n", 1)[1]
        return [line for line in rest.splitlines() if line.strip() and line != "stopping..."]


@contextmanager
def serving(state: Path, *options: str) -> Iterator[Serving]:
    log = state.parent / f"serve-{len(list(state.parent.glob('serve-*.log')))}.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "local",
                "serve",
                "--port",
                "0",
                "--state",
                str(state),
                *options,
            ],
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        text = wait_for(
            lambda: log.read_text(encoding="utf-8"),
            lambda t: BANNER_END in t or process.poll() is not None,
        )
        assert BANNER_END in text, text
        api = re.search(r"serving on (http://\S+)", text)
        token = re.search(r"admin token (\S+)", text)
        assert api and token, text
        yield Serving(state, log, api.group(1), token.group(1))
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=120) == 0  # a bound on failure: a busy machine is slow


def local_command(*argv: str) -> subprocess.CompletedProcess[str]:
    """`ecrm <local command>` (`python -m local`), as a user runs it beside the server."""
    return subprocess.run(
        [sys.executable, "-m", "local", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def call(method: str, url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            raw = answer.read()
            status = answer.status
    except urllib.error.HTTPError as error:
        raw, status = error.read(), error.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")
