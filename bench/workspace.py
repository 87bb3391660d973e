"""Marketer workspace figures: a contacts import and export through the local stack.

A `EmbeddedStack` (`ecrm serve` in this process: moto's server, the gateway, the SQS and stream
pumps, so scoring and automations consume the imported rows meanwhile) imports a file of
`ROWS` rows (2% bad) with `ecrm contacts import` (digest, presigned upload, start, polls),
then exports the topic with `ecrm contacts export`.

- `workspace.import_rows_per_second`: file rows / wall time of the whole command.
- `workspace.import_items_written_per_row`: items in the worker's transactions (contact,
  interaction, consent, membership per row; the checkpoint and bad-row items per chunk) per
  imported row, counted with a botocore hook on the product's DynamoDB client.
  Scoring and automations are still catching up on the stream when the import is done; the
  export runs meanwhile.
- `workspace.export_items_read_per_contact`: contact items asked for (BatchGetItem keys: the
  export's reads; scoring's GetItems meanwhile are not the export's) per exported contact;
  Scans are counted too and must be 0.

moto's TransactWriteItems copies the whole table per item; the run uses
`local.moto_backend.fast_transactions` (same outcomes), as the campaign bench does.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.figures import Figure
from ecrm.platform import aws
from local.moto_backend import fast_transactions
from local.stack import EmbeddedStack

log = logging.getLogger(__name__)

ROWS = 2_000
BAD_EVERY = 50
WRITTEN_GOAL = 4.2  # one topic: 4 items per row, plus a checkpoint per chunk
READ_GOAL = 1.1


class _Counter:
    def __init__(self) -> None:
        self.transaction_items = self.read_items = self.scans = 0

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name == "TransactWriteItems":
            items = params["TransactItems"]
            first = items[0].get("Update", {}).get("Key", {}).get("pk", {}).get("S", "")
            if first.startswith("IMPORT#"):  # the worker's chunks: a checkpoint comes first
                self.transaction_items += len(items)
        elif model.name == "BatchGetItem":
            keys = [k for r in params["RequestItems"].values() for k in r["Keys"]]
            self.read_items += sum(1 for k in keys if k["pk"]["S"].startswith("CONTACT#"))
        elif model.name == "Scan":
            self.scans += 1


@contextlib.contextmanager
def _counting() -> Iterator[_Counter]:
    counter = _Counter()
    client = aws.dynamodb()
    client.meta.events.register("provide-client-params.dynamodb", counter)
    try:
        yield counter
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb", counter)


def _file(path: Path) -> Path:
    lines = ["email,first_name,company,interests"]
    for n in range(ROWS):
        if n % BAD_EVERY == 7:
            lines.append(f"bench{n}-not-an-address,Bad,Row,")
        else:
            lines.append(f"bench{n}@example.com,Person {n},Company {n % 13},events;guides")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _ecrm(stack: EmbeddedStack, key: str, *argv: str) -> dict[str, Any]:
    """Run `ecrm ... --json` here; its result is the JSON line holding `key` (the functions
    of the stack log to stdout too)."""
    from cli.main import main  # noqa: PLC0415 - the command line only for this area

    token = json.loads((stack.state_dir / "admin-tokens.json").read_text())["marketer"]
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    try:
        with out.open("w") as target, contextlib.redirect_stdout(target):
            main(["--api-url", stack.api_url, "--token", token, "--json", *argv])
        for line in reversed(out.read_text().splitlines()):
            with contextlib.suppress(ValueError):
                found = json.loads(line)
                if isinstance(found, dict) and key in found:
                    return found
        raise RuntimeError(f"`ecrm {argv[0]} {argv[1]}` printed no result")
    finally:
        out.unlink()


def measure() -> list[Figure]:
    environment = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    try:
        with tempfile.TemporaryDirectory() as folder, fast_transactions():
            return _measure(Path(folder))
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _measure(folder: Path) -> list[Figure]:
    source = _file(folder / "people.csv")
    with EmbeddedStack(folder / ".ecrm", fresh=True) as stack:
        with _counting() as written:
            started = time.perf_counter()
            result = _ecrm(
                stack, "imported", "contacts", "import", str(source), "--list", "newsletter",
                "--consent-source", "bench", "--poll", "0.1", "--allow-bad-rows",
                "--errors", str(folder / "bad.csv"),
            )  # fmt: skip
            seconds = time.perf_counter() - started
        with _counting() as read:
            exported = _ecrm(
                stack, "output", "contacts", "export", "--topic", "newsletter",
                "--output", str(folder / "out.csv"),
            )  # fmt: skip
    rate = round(result["rows"] / seconds, 1)
    per_row = round(written.transaction_items / max(1, result["imported"]), 3)
    per_contact = round(read.read_items / max(1, exported["contacts"]), 3)
    log.info(
        "import: %s rows in %.1f s (%s/s), %s items per row; export: %s items read per contact",
        result["rows"], seconds, rate, per_row, per_contact,
    )  # fmt: skip
    return [
        Figure("workspace.import_rows_per_second", rate),
        Figure("workspace.import_items_written_per_row", per_row, WRITTEN_GOAL),
        Figure("workspace.export_items_read_per_contact", per_contact, READ_GOAL),
        Figure(
            "workspace.import_run",
            {
                "rows": result["rows"],
                "imported": result["imported"],
                "bad_rows": result["bad_rows"],
                "seconds": round(seconds, 2),
                "exported": exported["contacts"],
                "scans": read.scans + written.scans,
            },
        ),
    ]
