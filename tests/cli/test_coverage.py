"""The command line covers the API: every marketer route the template declares has an `ecrm`
command (`cli.routes`), and every command takes `--json`. No stack needed."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from cli.main import build_parser
from cli.routes import ROUTES
from local.template import Template

TEMPLATE_ROUTES = {
    (route.method, route.path)
    for function in Template.load().functions()
    for route in function.api_routes
    if route.path.startswith("/admin")
}


def _commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every leaf command (`("campaigns", "list")`, ...) with its parser."""
    groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not groups:
        yield prefix, parser
    for group in groups:
        for name, sub in group.choices.items():
            yield from _commands(sub, (*prefix, name))


COMMANDS = dict(_commands(build_parser()))


def test_every_marketer_route_of_the_template_has_a_command() -> None:
    assert TEMPLATE_ROUTES, "no /admin route found in the template"
    missing = sorted(TEMPLATE_ROUTES - set(ROUTES))
    assert not missing, f"routes without an ecrm command (add them to cli/routes.py): {missing}"
    gone = sorted(set(ROUTES) - TEMPLATE_ROUTES)
    assert not gone, f"cli/routes.py names routes the template does not have: {gone}"


@pytest.mark.parametrize("command", sorted(set(ROUTES.values())))
def test_each_command_the_route_table_names_exists(command: str) -> None:
    assert tuple(command.split()) in COMMANDS, f"`ecrm {command}` does not exist"


@pytest.mark.parametrize("command", sorted(COMMANDS), ids=" ".join)
def test_every_command_takes_json(command: tuple[str, ...]) -> None:
    options = COMMANDS[command]._option_string_actions
    assert "--json" in options, f"`ecrm {' '.join(command)}` has no --json"


def test_json_after_a_local_command_is_no_usage_error() -> None:
    args = build_parser().parse_args(["outbox", "event", "0100-abc", "open", "--json"])
    assert args.json is True
    args = build_parser().parse_args(["--json", "serve", "--info"])
    assert args.json is True
