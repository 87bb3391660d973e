"""The local state folder is its owner's alone (issue 17: admin-tokens.json and secrets.json were
created 0644 in a 0755 folder)."""

from __future__ import annotations

import stat
from pathlib import Path

from local.authorizer import LocalAuthorizer
from local.private import private_dir, write_private


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_state_folder_is_closed_even_when_it_existed_open(tmp_path: Path) -> None:
    state = tmp_path / "open"
    state.mkdir(mode=0o755)
    state.chmod(0o755)

    assert mode(private_dir(state)) == 0o700
    assert mode(private_dir(tmp_path / "new" / ".ecrm")) == 0o700


def test_a_secret_file_is_0600_new_or_rewritten(tmp_path: Path) -> None:
    old = tmp_path / "secrets.json"
    old.write_text("{}")
    old.chmod(0o644)

    write_private(old, '{"key": "x"}')
    write_private(tmp_path / "new.json", "{}")

    assert mode(old) == 0o600 and old.read_text() == '{"key": "x"}'
    assert mode(tmp_path / "new.json") == 0o600


def test_the_marketer_tokens_are_written_private(tmp_path: Path) -> None:
    LocalAuthorizer(tmp_path)

    assert mode(tmp_path / "admin-tokens.json") == 0o600
