"""The local bearer tokens can be typed after `ecrm --token`: argparse reads a value starting
with "-" as an option, and one urlsafe token in 64 started with one (a CI run failed three CLI
tests on such a token)."""

from __future__ import annotations

from pathlib import Path

from cli.main import build_parser
from local.authorizer import LocalAuthorizer


def test_no_local_token_can_be_mistaken_for_an_option(tmp_path: Path) -> None:
    tokens = []
    for n in range(100):
        (state := tmp_path / str(n)).mkdir()
        tokens += LocalAuthorizer(state).tokens.values()
    assert all(token[:1].isalnum() for token in tokens)
    for token in tokens[:5]:
        assert build_parser().parse_args(["--token", token, "forms", "list"]).token == token
