"""Cells of every CSV file the product writes, made safe to open in a spreadsheet.

A cell starting with `=`, `+`, `-`, `@`, TAB or CR is run as a formula by Excel, LibreOffice and
Google Sheets (`=HYPERLINK(...)`, `+cmd|' /C calc'!A0`): OWASP's CSV injection guidance is to
prefix it with a single quote, which spreadsheets show as text. The prefix is reversible:
`restore` (the import reads every cell through it) gives back exactly the value, so an export
imports again unchanged. For that, a value that already starts with quotes before such a
character gets one quote more (`'=x` is written `''=x`).

`writer` is the only CSV writer of the product (a test holds every other module to it). JSON
lines exports are exact and never pass through here.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

QUOTE = "'"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    return QUOTE + value if value.lstrip(QUOTE).startswith(FORMULA_STARTS) else value


def restore(value: str) -> str:
    """The value `neutralise` was given (what a cell read from a CSV file means)."""
    if value.startswith(QUOTE) and value.lstrip(QUOTE).startswith(FORMULA_STARTS):
        return value[1:]
    return value


class CellWriter:
    """`csv.writer` whose every cell (header included) is neutralised; None is empty."""

    def __init__(self, file: IO[str]) -> None:
        self._writer = csv.writer(file)

    def writerow(self, cells: Iterable[Any]) -> None:
        self._writer.writerow([neutralise("" if c is None else str(c)) for c in cells])


def writer(file: IO[str]) -> CellWriter:
    return CellWriter(file)
