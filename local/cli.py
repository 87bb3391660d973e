"""The local stack's commands: run it (`ecrm serve`), write forms (`ecrm forms put`) and the
preference center's profile schema (`ecrm profile put`) straight into its table, simulate SES
events (`ecrm outbox event`). The `ecrm` entry point (`cli.main`) serves them beside the
commands that talk to the HTTP API."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import warnings
from pathlib import Path
from types import FrameType
from typing import Any, TypeAlias

from local.cli_output import as_json, fail, json_option, say

DEFAULT_STATE = Path(".ecrm")
# What `ecrm outbox event` simulates: local.mail_simulator.KINDS (not imported: fast --help)
LOG_FORMATS = ("human", "json")  # local.activity.FORMATS
USERS_FILE = "console-users.json"  # local.cognito.USERS_FILE (not imported: fast --help)
SES_EVENTS = ("delivery", "bounce", "soft_bounce", "complaint", "open", "click", "reject")
PROBE_SECONDS = 15  # how long `--info` and `outbox event` wait for a running stack to answer


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    code: int = args.run(args)
    return code


def _parser() -> argparse.ArgumentParser:
    """The local commands alone (`python -m local`); `ecrm` (cli.main) adds them beside the
    API commands."""
    parser = argparse.ArgumentParser(prog="ecrm", description="ecrm command line")
    commands = parser.add_subparsers(title="commands")
    add_serve(commands)
    forms = commands.add_parser("forms", help="form definitions")
    add_forms_put(forms.add_subparsers(title="forms"))
    add_profile_put(commands)
    add_outbox_event(commands)
    return parser


# argparse's (private) type of `add_subparsers()`, generic for type checkers only.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_serve(commands: Subcommands) -> None:
    serve = commands.add_parser("serve", help="run the whole stack locally (moto + gateway)")
    json_option(serve, "the banner as one JSON line (addresses, token, state folder)")
    serve.add_argument(
        "--info",
        action="store_true",
        help="print the addresses and token of the stack running with --state, and exit",
    )
    serve.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default="human",
        help="human: a short line per request and per event (default); json: the functions' "
        "own Powertools lines and metrics, as deployed",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--state", type=Path, default=DEFAULT_STATE, help="local data folder")
    serve.add_argument("--fresh", action="store_true", help="wipe the state folder first")
    serve.add_argument("--moto-port", type=int, default=0, help="0 picks a free port")
    serve.add_argument(
        "--schedule-every",
        type=float,
        default=None,
        help="seconds between schedule ticks (default: each schedule's rate, e.g. a minute)",
    )
    serve.set_defaults(run=_serve)


def add_forms_put(forms: Subcommands) -> None:
    put = forms.add_parser(
        "put", help="create or replace a form from a JSON file, straight into the table"
    )
    put.add_argument("file", type=Path)
    put.add_argument("--state", type=Path, default=DEFAULT_STATE)
    put.add_argument("--table", help="table name, to write to AWS when no local stack runs")
    json_option(put, '{"id", "version"} of the form saved')
    put.set_defaults(run=_forms_put)


def add_profile_put(commands: Subcommands) -> None:
    profile = commands.add_parser("profile", help="the preference center's profile schema")
    schema_put = profile.add_subparsers(title="profile").add_parser(
        "put", help="replace the profile schema (fields, interests, topics) from a JSON file"
    )
    schema_put.add_argument("file", type=Path, help="see local/demo_profile.json")
    schema_put.add_argument("--state", type=Path, default=DEFAULT_STATE)
    schema_put.add_argument("--table", help="table name, to write to AWS when no local stack runs")
    json_option(schema_put, '{"version"} of the schema saved')
    schema_put.set_defaults(run=_profile_put)


def add_outbox_event(commands: Subcommands) -> None:
    outbox = commands.add_parser("outbox", help="the local outbox").add_subparsers(title="outbox")
    event = outbox.add_parser("event", help="simulate an SES event for a sent message")
    event.add_argument("message_id", help="the message id, as the outbox page lists it")
    event.add_argument("type", choices=SES_EVENTS)
    event.add_argument("--link", help="the link clicked (default: the message's first link)")
    event.add_argument("--scanner", action="store_true", help="a link scanner, not a person")
    event.add_argument("--state", type=Path, default=DEFAULT_STATE)
    json_option(event, "the stack's answer as one JSON line")
    event.set_defaults(run=_outbox_event)


def _serve(args: argparse.Namespace) -> int:
    if args.info:
        return _info(args)
    # Imported here: keeps `ecrm --help` instant.
    from local.activity import configure  # noqa: PLC0415
    from local.stack import EmbeddedStack  # noqa: PLC0415

    configure(args.log_format)
    # Powertools warns on every invocation that emits no metric; locally that is just noise.
    warnings.filterwarnings("ignore", message="No application metrics to publish")

    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    stack = EmbeddedStack(
        args.state,
        args.host,
        args.port,
        args.fresh,
        moto_port=args.moto_port,
        schedule_every=args.schedule_every,
        quiet_function_logs=args.log_format == "human",
    )
    try:
        stack.start()
    except OSError as error:  # typically: the port is taken by another `ecrm serve`
        return fail(args, f"ecrm serve: cannot start: {error}", 1, "cannot_start")
    assert stack.authorizer is not None
    token = stack.authorizer.tokens["marketer"]
    say(
        args,
        banner_fields(stack.api_url, stack.moto_url, token, args.state),
        banner(stack.api_url, stack.moto_url, token, args.state)
        + "\nCtrl-C stops (local data is kept; --fresh starts empty); "
        "`ecrm serve --info` prints this again.",
    )
    while not stopping.wait(0.5):
        pass
    print("stopping...", file=sys.stderr if as_json(args) else sys.stdout, flush=True)
    stack.stop()
    return 0


def banner(api: str, moto: str, token: str, state: Path) -> str:
    return (
        f"ecrm is serving on {api}\n"
        f"  console     {api}/console/ (sign in as in {state.resolve() / USERS_FILE})\n"
        f"  demo page   {api}/\n"
        f"  preferences {api}/preferences (the preference center; sign in by mail)\n"
        f"  outbox      {api}/_local/outbox\n"
        f"  trends      {api}/web/reports.html (asks for the admin token)\n"
        f"  swagger     {api}/swagger\n"
        f"  openapi     {api}/openapi.json\n"
        f"  moto        {moto}\n"
        f"  admin token {token}  (Authorization: Bearer ...)\n"
        f"  state       {state.resolve()}"
    )


def banner_fields(api: str, moto: str, token: str, state: Path) -> dict[str, str]:
    """The banner's addresses, for `--json`."""
    return {
        "api": api,
        "console": f"{api}/console/",
        "console_users": str(state.resolve() / USERS_FILE),
        "demo": f"{api}/",
        "preferences": f"{api}/preferences",
        "outbox": f"{api}/_local/outbox",
        "trends": f"{api}/web/reports.html",
        "swagger": f"{api}/swagger",
        "openapi": f"{api}/openapi.json",
        "moto": moto,
        "admin_token": token,
        "state": str(state.resolve()),
    }


def _info(args: argparse.Namespace) -> int:
    """The banner of the stack running with this state folder, read from that folder."""
    state: Path = args.state
    endpoint = _running_stack(state)
    tokens = state / "admin-tokens.json"
    if endpoint is None or not tokens.exists():
        message = (
            f"ecrm serve: no stack is running with the state folder {state} "
            "(start one with `ecrm serve`, or name its folder with --state)"
        )
        return fail(args, message, 1, "not_running")
    token = json.loads(tokens.read_text(encoding="utf-8"))["marketer"]
    api, moto = endpoint["api"], endpoint["moto"]
    say(args, banner_fields(api, moto, token, state), banner(api, moto, token, state))
    return 0


def _forms_put(args: argparse.Namespace) -> int:
    data = json.loads(args.file.read_text(encoding="utf-8"))
    if (refused := _use_table(args)) is not None:
        return refused
    from local.stack import seed_form  # noqa: PLC0415 - needs the environment set above

    form = seed_form(data)
    form_id = str(getattr(form, "id", None) or getattr(form, "form_id", ""))
    say(args, {"id": form_id, "version": getattr(form, "version", None)}, form_id)
    return 0


def _profile_put(args: argparse.Namespace) -> int:
    data = json.loads(args.file.read_text(encoding="utf-8"))
    if (refused := _use_table(args)) is not None:
        return refused
    from local.stack import seed_profile_schema  # noqa: PLC0415 - needs the environment

    version = seed_profile_schema(data).version
    say(args, {"version": version}, f"profile schema version {version}")
    return 0


def _use_table(args: argparse.Namespace) -> int | None:
    """Point the domain at the running local stack's table, or at `--table` in AWS; an exit
    code when neither is there."""
    endpoint = _running_stack(args.state)
    if endpoint is not None:
        os.environ.update(endpoint["environment"])
    elif args.table:
        # Real AWS with the caller's credentials. Settings require a token key parameter, which
        # saving a form never reads.
        os.environ["TABLE_NAME"] = args.table
        os.environ.setdefault("TOKEN_KEY_PARAMETER", "unused-by-forms")
    else:
        message = (
            f"no local stack answers (from {args.state}/endpoint.json); start `ecrm serve` "
            "or pass --table NAME to write to AWS"
        )
        return fail(args, message, 2, "not_running")
    return None


def _outbox_event(args: argparse.Namespace) -> int:
    endpoint = _running_stack(args.state)
    if endpoint is None:
        return fail(
            args, f"no local stack answers (from {args.state}/endpoint.json)", 2, "not_running"
        )
    body = {"type": args.type, "link": args.link, "scanner": args.scanner}
    request = urllib.request.Request(  # noqa: S310 - the loopback URL of our own stack
        f"{endpoint['api']}/_local/outbox/{urllib.parse.quote(args.message_id)}/events",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        message = f"ecrm outbox event: {error.code} {error.read().decode()}"
        return fail(args, message, 1, "refused")
    say(args, answer, json.dumps(answer, indent=1))
    return 0


def _running_stack(state: Path) -> dict[str, Any] | None:
    """The endpoint file of a running `ecrm serve`, if its moto server still answers."""
    path = state / "endpoint.json"
    if not path.exists():
        return None
    endpoint = json.loads(path.read_text(encoding="utf-8"))
    try:
        probe = urllib.request.Request(  # noqa: S310 - a loopback URL we wrote ourselves
            f"{endpoint['moto']}/moto-api/", method="HEAD"
        )
        # Refused at once when nothing listens; a stack on a busy machine may take seconds.
        with urllib.request.urlopen(probe, timeout=PROBE_SECONDS):  # noqa: S310
            pass
    except OSError:
        return None
    return dict(endpoint)
