"""What the local stack's commands print: a result line (one JSON line with `--json`, as every
`ecrm` command does) and errors on stderr (JSON with `--json`, the shape `cli.client.CliError`
prints)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def json_option(parser: argparse.ArgumentParser, help: str) -> None:
    """`--json`, as every `ecrm` command has it (`ecrm --json serve ...` sets it too)."""
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help=help)


def as_json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "json", False))


def say(args: argparse.Namespace, data: dict[str, Any], human: str) -> None:
    print(json.dumps(data, separators=(",", ":")) if as_json(args) else human, flush=True)


def fail(args: argparse.Namespace, message: str, exit_code: int, code: str) -> int:
    """The message on stderr (as `ecrm`'s other commands print errors, JSON with --json)."""
    if as_json(args):
        error: dict[str, Any] = {"code": code, "message": message, "fields": {}, "status": None}
        message = json.dumps({"error": error, "exit_code": exit_code})
    print(message, file=sys.stderr, flush=True)
    return exit_code
