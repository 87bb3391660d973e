"""What a command prints: a human line (or table) on stdout, or with `--json` the same result
as one JSON document; errors on stderr, as JSON with `--json`."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from cli.client import CliError


class Output:
    def __init__(self, as_json: bool, out: TextIO | None = None, err: TextIO | None = None):
        self.as_json = as_json
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    def result(self, data: Any, human: str | None = None) -> None:
        """The command's answer: `data` as JSON with --json, else the human text."""
        if self.as_json:
            self.json_line(data)
        elif human is not None:
            print(human, file=self.out, flush=True)

    def json_line(self, data: Any) -> None:
        print(json.dumps(data, default=str, separators=(",", ":")), file=self.out, flush=True)

    def note(self, text: str) -> None:
        """Progress chatter for people; kept off stdout so pipes only see results."""
        if not self.as_json:
            print(text, file=self.err, flush=True)

    def error(self, error: CliError, command: str) -> None:
        if self.as_json:
            print(json.dumps(error.as_json()), file=self.err, flush=True)
            return
        lines = [f"{command}: {error.message}"]
        if error.status is not None:
            lines[0] += f" [{error.status} {error.code}]"
        lines += [f"  {name}: {problem}" for name, problem in sorted(error.fields.items())]
        print("\n".join(lines), file=self.err, flush=True)


def table(rows: Iterable[Sequence[Any]], header: Sequence[str]) -> str:
    """Plain aligned columns (what `list` commands print without --json)."""
    cells = [[str(value) for value in header]]
    cells += [["" if value is None else str(value) for value in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )
