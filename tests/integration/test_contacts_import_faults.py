"""The import worker killed at every AWS call it makes, then redelivered (as SQS does): exact
counts, every good row's contact, interaction, consent and membership exactly once."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from ecrm.imports import chunks
from local.faults import Faults, Kill
from tests.conftest import table_items
from tests.integration.contacts_io import (
    announce,
    bad_rows,
    csv_file,
    run_worker,
    seed_schema,
    start,
    status,
    upload,
)

GOOD = 90
BAD_LINES = [12, 40, 77]  # lines (the header is line 1) holding an address that is not one
DUPLICATE_LINES = [60, 95]  # lines repeating an earlier address


def _file() -> bytes:
    rows = []
    for line in range(2, GOOD + len(BAD_LINES) + len(DUPLICATE_LINES) + 2):
        if line in BAD_LINES:
            rows.append(f"broken-{line},B,Acme,")
        elif line in DUPLICATE_LINES:
            rows.append(f"row{line - 30}@example.com,Again,Acme,")
        else:
            rows.append(f"row{line}@example.com,R{line},Acme,events")
    return csv_file(rows)


def _operation(name: str) -> Any:
    return lambda operation, _params: operation == name


KILLS = [
    (operation, when, nth)
    for operation, nths in [
        ("GetObject", (1, 2, 3)),
        ("BatchGetItem", (1, 3)),
        ("TransactWriteItems", (1, 2, 4)),  # the first also records the file's verification
        ("SendMessage", (1, 2)),
    ]
    for when in ("before", "after")
    for nth in nths
]


@pytest.mark.parametrize(("operation", "when", "nth"), KILLS)
def test_a_killed_worker_redelivered_imports_every_row_exactly_once(
    aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, operation: str, when: str, nth: int
) -> None:
    monkeypatch.setattr(chunks, "CHUNKS_PER_STEP", 1)  # several steps, several kicks
    seed_schema()
    data = _file()
    _, job = announce(data)
    upload(job, data)
    assert start(job["import_id"])[0] == 202

    kill = Kill(_operation(operation), when, nth)
    faults = Faults(kills=[kill])
    faults.install()
    try:
        run_worker(faults=faults)
    finally:
        faults.uninstall()

    assert kill.fired
    found = status(job["import_id"])
    assert found["state"] == "done"
    assert (found["imported"], found["duplicates"], found["bad_rows"]) == (GOOD, 2, 3)
    assert found["rows"] == GOOD + 5
    assert [row["line"] for row in bad_rows(job["import_id"])] == BAD_LINES
    items = table_items()
    kinds = Counter(str(i.get("type")) for i in items)
    assert kinds["contact"] == GOOD
    assert kinds["contact_imported"] == GOOD and kinds["consent"] == GOOD
    assert kinds["topic_membership"] == GOOD
    per_contact = Counter(i["pk"] for i in items if i.get("type") == "contact_imported")
    assert set(per_contact.values()) == {1}
