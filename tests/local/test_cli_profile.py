"""`ecrm profile put`: the preference center's profile schema, into a table in AWS (here moto)
or into the running local stack, like `ecrm forms put`."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecrm.contacts import profile_view
from local.cli import main
from local.stack import DEMO_PROFILE


def test_profile_put_writes_the_schema_to_the_named_table(
    aws_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["profile", "put", str(DEMO_PROFILE), "--table", aws_env["table"]]

    assert main([*arguments, "--state", str(tmp_path)]) == 0
    assert main([*arguments, "--state", str(tmp_path)]) == 0

    assert capsys.readouterr().out.splitlines()[-1] == "profile schema version 2"
    schema = profile_view.load(fresh=True)
    assert [t.id for t in schema.topics] == ["newsletter", "events"] and schema.version == 2


def test_profile_put_without_a_running_stack_or_table_says_what_to_do(tmp_path: Path) -> None:
    assert main(["profile", "put", str(DEMO_PROFILE), "--state", str(tmp_path)]) == 2
