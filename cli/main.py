"""`ecrm`: the command line. Each command module registers itself here; `--help` on any
command lists its options, docs/cli.md is the reference (configuration, exit codes)."""

from __future__ import annotations

import argparse
import os
import sys

from cli import (
    automations,
    campaigns,
    config,
    console,
    contact_show,
    contacts,
    event_keys,
    forms,
    journeys,
    report,
    scoring,
    segments,
    sending,
    team,
    templates,
    webhooks,
)
from cli.client import USAGE, CliError
from cli.commands import Commands, Context, common_options
from local import cli as local_cli

EPILOG = """exit codes: 0 done, 1 the API refused (4xx), 2 usage, 3 authentication,
4 conflict (changed meanwhile / wrong state), 5 API unreachable or failing.
Configuration: flags > ECRM_API_URL / ECRM_TOKEN / ECRM_PROFILE > profiles.toml > the local
`ecrm serve` (.ecrm/). See docs/cli.md."""

# Each has `register(commands: Commands)`; its commands appear in this order in --help.
COMMAND_MODULES = (
    forms,
    templates,
    segments,
    campaigns,
    automations,
    journeys,
    sending,
    scoring,
    report,
    contact_show,
    contacts,
    team,
    event_keys,
    webhooks,
    console,
)


def main(argv: list[str] | None = None) -> int:
    try:
        try:
            code = _main(argv)
        finally:  # argparse's --help and usage errors too, before their SystemExit goes on
            sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`ecrm campaigns list | head -1`): what it wanted it has. Point
        # stdout at /dev/null so the interpreter's last flush cannot complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return code


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help(sys.stderr)
        return USAGE
    code: int = args.run(args)
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ecrm",
        description="ecrm: run the local stack, and drive the API (local or deployed)",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common_options(top_level=True)],
    )
    commands = Commands(parser)
    local_cli.add_serve(commands.top)
    _add_login(commands)
    local_cli.add_forms_put(commands.group("forms", "form definitions"))
    local_cli.add_profile_put(commands.top)
    local_cli.add_outbox_event(commands.top)
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def _add_login(commands: Commands) -> None:
    parser = commands.api(
        commands.top,
        "login",
        "sign in to a deployed stack's marketer pool and save the profile",
        _login,
        description="Signs in with Cognito (user name + password, prompted), then saves the "
        "API URL, ID token and refresh token in the profile file (mode 0600). Run it again "
        "with just --profile to sign in anew with the saved settings.",
    )
    parser.add_argument("--user-pool-client-id", help="the stack output MarketerPoolClientId")
    parser.add_argument("--username", help="your e-mail address (prompted if absent)")
    parser.add_argument("--region", help="default: from the API URL, else the AWS default")


def _login(ctx: Context) -> int:
    args = ctx.args
    name = getattr(args, "profile", None) or "default"
    try:
        saved = config.load_profiles().get(name, {})
    except config.ConfigError as error:
        raise CliError(str(error), USAGE, code="bad_config") from error
    api_url = getattr(args, "api_url", None) or saved.get("api_url")
    client_id = args.user_pool_client_id or saved.get("user_pool_client_id")
    if not api_url or not client_id:
        raise CliError(
            "pass --api-url and --user-pool-client-id (the stack outputs ApiUrl and "
            "MarketerPoolClientId)",
            USAGE,
            code="missing_option",
        )
    from cli import login  # noqa: PLC0415 - boto3 only when signing in (fast --help)

    username = args.username or saved.get("username") or login.ask_on_stderr("E-mail: ")
    region = login.region_for(str(api_url), args.region or saved.get("region"))
    values = login.login(name, str(api_url), str(client_id), str(username), region)
    summary = {k: values[k] for k in ("api_url", "region", "username", "expires_at")}
    ctx.out.result(
        {"profile": name, "path": str(config.profiles_path()), **summary},
        f"signed in as {username}; profile {name!r} saved in {config.profiles_path()}",
    )
    return 0
