"""How long `ecrm serve --fresh` takes until it answers: spawn to the first HTTP 200 on
`GET /forms/newsletter` (polled every 20 ms), then SIGINT and the time it takes to stop."""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.figures import Figure

log = logging.getLogger(__name__)

GOAL = 3.0  # seconds
POLL_SECONDS = 0.02
GIVE_UP_SECONDS = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def ecrm_command() -> list[str]:
    """The installed `ecrm` script beside this interpreter, else the same entry point."""
    script = Path(sys.executable).with_name("ecrm")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from local.cli import main; sys.exit(main())"]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _wait_ready(process: subprocess.Popen[bytes], url: str, started: float) -> float | None:
    while time.perf_counter() - started < GIVE_UP_SECONDS:
        if _answers(url):
            return time.perf_counter() - started
        if process.poll() is not None:
            return None
        time.sleep(POLL_SECONDS)
    return None


def _stop(process: subprocess.Popen[bytes]) -> float:
    stopping = time.perf_counter()
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        log.warning("ecrm serve ignored SIGINT for 15 s: killed")
        process.kill()
        process.wait()
    return time.perf_counter() - stopping


def measure() -> list[Figure]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/forms/newsletter"
    with tempfile.TemporaryDirectory() as state, tempfile.TemporaryFile() as output:
        command = [*ecrm_command(), "serve", "--port", str(port), "--state", state, "--fresh"]
        log.info("starting %s", " ".join(command))
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        ready = _wait_ready(process, url, started)
        stopped = _stop(process) if process.poll() is None else None
        if ready is None:
            output.seek(0)
            tail = output.read().decode(errors="replace")[-3000:]
            log.error("ecrm serve never answered %s (exit %s):\n%s", url, process.returncode, tail)
    return [
        Figure("local.ready_seconds", None if ready is None else round(ready, 3), GOAL),
        Figure("local.stop_seconds", None if stopped is None else round(stopped, 3)),
    ]
