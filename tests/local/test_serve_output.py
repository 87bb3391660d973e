"""What `ecrm serve` prints once it serves: one short line per request and per event, with no
address or token in them; the functions' JSON lines only with `--log-format json`; and
`ecrm serve --info` prints the banner again while a stack runs, and says when none does."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.local.serving import call, local_command, serving
from tests.waiting import wait_for

CLOCK = r"\d\d:\d\d:\d\d"
ADDRESS = "ann.lines@example.com"
SECRET = "Secret-Token-In-Path"


def test_each_request_and_event_is_one_short_line_and_info_prints_the_banner_while_it_runs(
    tmp_path: Path,
) -> None:
    """One `ecrm serve` for both (a start is most of each test's time): `--info` before it
    starts, while it serves, after it stopped; what it printed for requests and events."""
    state = tmp_path / ".ecrm"
    never = local_command("serve", "--info", "--state", str(state))
    assert never.returncode == 1 and never.stdout == ""
    assert "no stack is running" in never.stderr

    with serving(state) as served:
        info = local_command("serve", "--info", "--state", str(state))
        assert info.returncode == 0, info.stderr
        assert f"ecrm is serving on {served.api}" in info.stdout
        assert f"{served.api}/preferences" in info.stdout
        assert served.token in info.stdout
        printed = served.output()
        banner = printed[printed.index("ecrm is serving") : printed.index("Ctrl-C stops")]
        assert info.stdout.strip() == banner.strip()  # the same lines as at the start

        body = {"email": ADDRESS, "first_name": "Ann", "consent": True}
        submitted = call("POST", f"{served.api}/forms/newsletter/submissions?ref={SECRET}", body)
        assert submitted[0] == 202, submitted
        assert call("GET", f"{served.api}/confirm/{SECRET}")[0] >= 400
        assert call("GET", f"{served.api}/admin/forms", token=served.token)[0] == 200
        # The submission reaches the stream's functions (scoring among them) on their own time.
        wait_for(served.output, lambda text: "-> ScoringFunction" in text)
    lines = served.after_banner()

    stopped = local_command("serve", "--info", "--state", str(state))
    assert stopped.returncode == 1 and "no stack is running" in stopped.stderr

    assert any(
        re.fullmatch(rf"{CLOCK} POST /forms/newsletter/submissions 202 \d+ ms", line)
        for line in lines
    ), lines
    assert any(
        re.fullmatch(rf"{CLOCK} GET /confirm/\{{token\}} 4\d\d \d+ ms", line) for line in lines
    )
    assert any(re.fullmatch(rf"{CLOCK} GET /admin/forms 200 \d+ ms", line) for line in lines)
    assert any(
        re.fullmatch(rf"{CLOCK} stream -> ScoringFunction \d+ records? ok \d+ ms", line)
        for line in lines
    ), lines
    assert not [line for line in lines if line.lstrip().startswith("{")], "no JSON by default"
    printed = "\n".join(lines)
    for private in (ADDRESS, "example.com", SECRET, served.token, "?"):
        assert private not in printed


def test_the_functions_json_lines_are_printed_with_log_format_json(tmp_path: Path) -> None:
    state = tmp_path / ".ecrm"
    with serving(state, "--log-format", "json") as served:
        body = {"email": ADDRESS, "first_name": "Ann", "consent": True}
        assert call("POST", f"{served.api}/forms/newsletter/submissions", body)[0] == 202
        wait_for(served.output, lambda text: '"submission stored"' in text)
    documents = [json.loads(line) for line in served.after_banner()]  # every line is JSON
    assert {"service": "capture", "message": "submission stored"}.items() <= next(
        d for d in documents if d.get("message") == "submission stored"
    ).items()
    assert any(
        re.fullmatch(r"POST /forms/newsletter/submissions 202 \d+ ms", d.get("message", ""))
        for d in documents
    )
