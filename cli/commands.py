"""How commands plug into `ecrm`: `Commands.api(...)` adds a command that talks to the HTTP
API, with the common options (`--api-url`, `--token`, `--profile`, `--json`) and one place that
turns errors into messages and exit codes. A command module has `register(commands)`; see
`cli/campaigns.py` for one, and `cli/main.py` for the list."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeAlias

from cli import config
from cli.client import USAGE, ApiClient, CliError
from cli.output import Output

# argparse's (private) type of `add_subparsers()`, generic for type checkers only.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


@dataclass
class Context:
    """What an API command gets: its arguments, the client (built on first use) and output."""

    args: argparse.Namespace
    out: Output

    @cached_property
    def settings(self) -> config.Config:
        try:
            return config.resolve(self.args.api_url, self.args.token, self.args.profile)
        except config.ConfigError as error:
            raise CliError(str(error), USAGE, code="bad_config") from error

    @cached_property
    def api(self) -> ApiClient:
        settings = self.settings
        token = settings.token
        if token is None and settings.profile is not None:
            from cli import login  # noqa: PLC0415 - boto3 only for a signed-in profile

            token = login.fresh_id_token(settings.profile)
        return ApiClient(settings.api_url, token)


Run = Callable[[Context], int | None]


def common_options(top_level: bool) -> argparse.ArgumentParser:
    """On the top level with defaults, on each command with none (argparse.SUPPRESS), so
    `ecrm --json campaigns list` and `ecrm campaigns list --json` both work."""
    default: Any = None if top_level else argparse.SUPPRESS
    options = argparse.ArgumentParser(add_help=False)
    group = options.add_argument_group("connection and output")
    group.add_argument("--api-url", default=default, help="API base URL (env ECRM_API_URL)")
    group.add_argument("--token", default=default, help="bearer token (env ECRM_TOKEN)")
    group.add_argument("--profile", default=default, help="profile to use (env ECRM_PROFILE)")
    group.add_argument(
        "--json",
        action="store_true",
        default=False if top_level else argparse.SUPPRESS,
        help="machine-readable output (errors as JSON on stderr)",
    )
    return options


class Commands:
    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.top = parser.add_subparsers(title="commands", metavar="COMMAND")
        self._groups: dict[str, Subcommands] = {}
        self._common = common_options(top_level=False)

    def group(self, name: str, help: str) -> Subcommands:
        """The subcommands of `ecrm NAME` (created on first use, shared by every module)."""
        if name not in self._groups:
            parser = self.top.add_parser(name, help=help, description=help)
            self._groups[name] = parser.add_subparsers(title=name, metavar="COMMAND")
            parser.set_defaults(run=_usage(parser))
        return self._groups[name]

    def api(
        self, where: Subcommands, name: str, help: str, run: Run, description: str | None = None
    ) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = where.add_parser(
            name, help=help, description=description or help, parents=[self._common]
        )
        parser.set_defaults(run=lambda args: run_api(run, args, parser.prog))
        return parser


def run_api(run: Run, args: argparse.Namespace, prog: str) -> int:
    out = Output(bool(args.json))
    try:
        return run(Context(args, out)) or 0
    except CliError as error:
        out.error(error, prog)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


def _usage(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    def show(_: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return USAGE

    return show
