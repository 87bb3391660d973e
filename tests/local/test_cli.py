"""`ecrm serve` as a developer runs it: a subprocess that serves quickly, takes a form from
`ecrm forms put`, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from local.cli import main
from local.stack import DEMO_FORM

ROOT = Path(__file__).resolve().parents[2]


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.status, response.read()


def test_serve_answers_then_stops_on_sigint_with_exit_code_0(tmp_path: Path) -> None:
    state = tmp_path / "state"
    server = subprocess.Popen(
        [sys.executable, "-m", "local", "serve", "--port", "0", "--state", str(state)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        assert "serving on" in banner, banner
        found = re.search(r"http://\S+", banner)
        assert found
        api = found.group(0)
        status, body = get(f"{api}/swagger")
        assert status == 200 and b"swagger" in body.lower()

        endpoint = json.loads((state / "endpoint.json").read_text())
        assert endpoint["api"] == api and endpoint["moto"].startswith("http://127.0.0.1:")

        form = json.loads(DEMO_FORM.read_text()) | {"id": "cli-test"}
        form_file = tmp_path / "form.json"
        form_file.write_text(json.dumps(form))
        put = subprocess.run(
            [sys.executable, "-m", "local", "forms", "put", str(form_file), "--state", str(state)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert put.returncode == 0, put.stderr
        assert put.stdout.strip() == "cli-test"
        assert get(f"{api}/forms/cli-test")[0] == 200
    finally:
        server.send_signal(signal.SIGINT)
        code = server.wait(timeout=120)  # a bound on failure: a busy machine is slow
    assert code == 0
    assert (state / "table.json").exists(), "a snapshot is written on the way out"


def test_forms_put_without_a_running_stack_or_table_says_what_to_do(tmp_path: Path) -> None:
    form_file = tmp_path / "form.json"
    form_file.write_text("{}")
    assert main(["forms", "put", str(form_file), "--state", str(tmp_path)]) == 2


def test_no_command_prints_help() -> None:
    assert main([]) == 2


def test_a_running_stack_that_answers_slowly_is_still_found(tmp_path: Path) -> None:
    """On a busy machine the stack's moto server took over a second to answer the probe, and
    `ecrm outbox event` said no stack was running (the probe waited 1 s)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from local.cli import _running_stack

    class Slow(BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            threading.Event().wait(2.0)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Slow) as server:
        served = threading.Thread(target=server.serve_forever)
        served.start()
        try:
            moto = f"http://127.0.0.1:{server.server_address[1]}"
            (tmp_path / "endpoint.json").write_text(json.dumps({"moto": moto}))
            assert _running_stack(tmp_path) == {"moto": moto}
        finally:
            server.shutdown()
            served.join()
    assert _running_stack(tmp_path) is None  # nothing listens: refused at once
