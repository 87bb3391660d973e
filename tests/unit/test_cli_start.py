"""The `ecrm` command line talks to the HTTP API only: it starts without the AWS SDK (boto3 and
botocore were a third of its start, pulled in by the import's CSV checks through the stored
form reads, now `ecrm.contacts.form_store`), and without rich (a quarter of the rest: only the
commands that draw progress import it). The suite starts it some 700 times."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_the_command_line_starts_without_the_aws_sdk_or_rich() -> None:
    script = (
        "import sys\n"
        "import cli.main\n"
        "heavy = {'boto3', 'botocore', 'rich'}\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
        "assert not heavy, heavy[:5]\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
