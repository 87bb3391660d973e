"""The command line's frame, against a real `ecrm serve`: it finds the local stack with no
set-up, maps the API's error body to messages and exit codes, and every command has --help."""

from __future__ import annotations

import argparse
import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli import client
from cli.client import ApiClient, ApiError, CliError
from cli.commands import Context, run_api
from cli.main import build_parser, main
from cli.output import Output
from local.stack import EmbeddedStack


def test_with_no_set_up_a_command_reaches_the_local_stack_as_its_marketer(
    stack: EmbeddedStack,
) -> None:
    shutil.copytree(stack.state_dir, Path.cwd() / ".ecrm")  # as if `ecrm serve` ran here
    args = argparse.Namespace(api_url=None, token=None, profile=None, json=False)
    context = Context(args, Output(False))
    assert context.settings.source == "local" and context.settings.api_url == stack.api_url
    assert context.api.get("/admin/campaigns", limit=5) == {"items": [], "next_cursor": None}


def test_the_installed_command_needs_no_set_up_beside_a_running_stack(stack: EmbeddedStack) -> None:
    import subprocess
    import sys

    shutil.copytree(stack.state_dir, Path.cwd() / ".ecrm")
    run = subprocess.run(
        [sys.executable, "-m", "cli", "forms", "list", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "newsletter" in [form["id"] for form in json.loads(run.stdout)]  # the seeded demo


def test_the_api_error_body_becomes_the_message_fields_and_exit_code(stack: EmbeddedStack) -> None:
    token = json.loads((stack.state_dir / "admin-tokens.json").read_text())["marketer"]
    api = ApiClient(stack.api_url, token)
    with pytest.raises(ApiError) as invalid:
        api.post("/admin/segments", {"id": "BAD ID", "name": "x"})
    assert invalid.value.status == 400 and invalid.value.exit_code == client.REFUSED
    assert invalid.value.code == "malformed_request" and "id" in invalid.value.fields

    with pytest.raises(ApiError) as missing:
        api.get("/admin/campaigns/0123456789abcdef")
    assert (missing.value.status, missing.value.exit_code) == (404, client.REFUSED)


@pytest.mark.parametrize(
    ("token", "status"), [(None, 401), ("wrong", 401), ("viewer", 403)], ids=str
)
def test_missing_wrong_or_unprivileged_credentials_exit_with_the_auth_code(
    stack: EmbeddedStack, token: str | None, status: int
) -> None:
    tokens = json.loads((stack.state_dir / "admin-tokens.json").read_text())
    with pytest.raises(ApiError) as refused:
        # A write: a viewer may read every admin route but changes nothing.
        ApiClient(stack.api_url, tokens.get(token or "", token)).delete("/admin/segments/all")
    assert (refused.value.status, refused.value.exit_code) == (status, client.AUTH)
    if status == 401:
        assert "ecrm login" in refused.value.message


@pytest.fixture
def closed_port() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        yield probe.getsockname()[1]  # bound, never listening: connections are refused


def test_an_unreachable_api_exits_5_and_says_what_to_check(closed_port: int) -> None:
    with pytest.raises(CliError) as unreachable:
        ApiClient(f"http://127.0.0.1:{closed_port}", None, timeout=2).get("/admin/campaigns")
    assert unreachable.value.exit_code == client.UNAVAILABLE
    assert "ecrm serve" in unreachable.value.message


def test_a_non_http_api_url_is_a_usage_error() -> None:
    with pytest.raises(CliError) as refused:
        ApiClient("file:///etc", None).get("/passwd")
    assert refused.value.exit_code == client.USAGE


@pytest.mark.parametrize(
    ("status", "exit_code"),
    [
        *[(400, 1), (404, 1), (422, 1), (401, 3), (403, 3)],
        *[(409, 4), (412, 4), (428, 4), (429, 5), (500, 5), (503, 5)],
    ],
)
def test_exit_codes_by_status(status: int, exit_code: int) -> None:
    assert client.exit_code_for(status) == exit_code


def test_a_failing_command_prints_its_error_as_json_on_stderr_with_json(
    capsys: pytest.CaptureFixture[str], closed_port: int
) -> None:
    def reach(context: Context) -> int:
        context.api.get("/admin/campaigns")
        return 0

    args = argparse.Namespace(
        api_url=f"http://127.0.0.1:{closed_port}", token=None, profile=None, json=True
    )
    assert run_api(reach, args, "ecrm test") == client.UNAVAILABLE
    captured = capsys.readouterr()
    assert captured.out == ""
    printed = json.loads(captured.err)
    assert printed["exit_code"] == 5 and printed["error"]["code"] == "unreachable"

    args.json = False
    assert run_api(reach, args, "ecrm test") == client.UNAVAILABLE
    assert capsys.readouterr().err.startswith("ecrm test: cannot reach the API")


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    yield path
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _commands(child, (*path, name))


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    paths = list(_commands(build_parser()))
    assert ("login",) in paths and ("forms", "put") in paths and ("serve",) in paths
    for path in paths:
        with pytest.raises(SystemExit) as done:
            main([*path, "--help"])
        assert done.value.code == 0, path
        assert "usage: ecrm" in capsys.readouterr().out


def test_a_command_group_alone_shows_its_commands_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["forms"]) == 2
    assert "put" in capsys.readouterr().err
    assert main([]) == 2


def test_the_progress_display_shows_counts_rate_and_eta_on_a_terminal() -> None:
    import io

    from rich.console import Console

    from cli.progress import ProgressDisplay

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120, color_system=None)
    with ProgressDisplay(console=console) as display:
        rows = display.add("rows", total=200)
        for _ in range(4):
            display.advance(rows, 25)
        display.update(rows, completed=150)
    drawn = screen.getvalue()
    assert "rows" in drawn and "150/200" in drawn and "/s" in drawn and "eta" in drawn

    off = io.StringIO()
    with ProgressDisplay(console=Console(file=off, force_terminal=False)) as display:
        display.advance(display.add("rows", total=3))
    assert off.getvalue() == ""  # off a terminal the command prints its own lines


def test_a_redirect_is_not_followed_so_the_token_goes_nowhere_else() -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str | None] = []

    class Redirecting(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization"))
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_address[1]}/x")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(ApiError) as refused:
            ApiClient(f"http://127.0.0.1:{server.server_address[1]}", "secret").get("/admin/x")
    finally:
        server.shutdown()
        server.server_close()
    assert refused.value.status == 302 and refused.value.exit_code == client.REFUSED
    assert seen == ["Bearer secret"]  # one request: the redirect was not followed


@pytest.fixture
def scripted_api() -> Iterator[tuple[str, list[int], list[tuple[int, dict[str, str]]]]]:
    """An API that answers each request with the next (status, headers) of its script (the
    last one again when the script runs out); yields its URL, the statuses it sent, the script."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    sent: list[int] = []
    script: list[tuple[int, dict[str, str]]] = []

    class Scripted(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers = script[min(len(sent), len(script) - 1)]
            sent.append(status)
            body = b'{"ok": true}'
            if status != 200:
                body = b'{"error": {"code": "busy_retry", "message": "Busy, please retry."}}'
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", sent, script
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_busy_answer_is_retried_as_retry_after_says_until_it_succeeds(
    scripted_api: tuple[str, list[int], list[tuple[int, dict[str, str]]]],
) -> None:
    url, sent, script = scripted_api
    busy = (503, {"Retry-After": "0"})
    script += [busy, (429, {"Retry-After": "0"}), busy, (200, {})]

    assert ApiClient(url, "t").get("/admin/campaigns") == {"ok": True}
    assert sent == [503, 429, 503, 200]


def test_a_server_that_stays_busy_is_asked_a_bounded_number_of_times(
    scripted_api: tuple[str, list[int], list[tuple[int, dict[str, str]]]],
) -> None:
    url, sent, script = scripted_api
    script.append((503, {"Retry-After": "0"}))

    with pytest.raises(ApiError) as busy:
        ApiClient(url, "t").get("/admin/campaigns")

    assert (busy.value.code, busy.value.exit_code) == ("busy_retry", client.UNAVAILABLE)
    assert sent == [503] * 4  # the request and three retries


def test_without_retry_after_the_waits_double_and_stay_bounded() -> None:
    assert [client._wait(None, attempt) for attempt in range(5)] == [0.5, 1.0, 2.0, 4.0, 5.0]
    assert client._wait(0, 2) == 0 and client._wait(30, 0) == 5.0


def test_the_answer_timeout_is_30_s_unless_ecrm_timeout_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ECRM_TIMEOUT", raising=False)
    assert ApiClient("http://127.0.0.1:9", None).timeout == 30.0
    monkeypatch.setenv("ECRM_TIMEOUT", "600")
    assert ApiClient("http://127.0.0.1:9", None).timeout == 600.0
    assert ApiClient("http://127.0.0.1:9", None, timeout=2).timeout == 2
