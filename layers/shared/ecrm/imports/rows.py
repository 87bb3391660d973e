"""Reading an uploaded CSV a window of bytes at a time, and its rows as form submissions.

The worker resumes from a byte offset, so records are cut from raw bytes: physical lines are
joined until their double quotes balance (RFC 4180 doubles a quote inside a quoted field, so
parity tells whether a record goes on), and each record knows the byte offset where it ends and
the file line it starts on. Only then is it decoded and split by the `csv` module. A window
that ends inside a record stops before it; the next window starts there.

A row becomes the mapping a form would post (`{field: text}`) and is read by the very code that
reads a form submission (`ecrm.contacts.submission.read` against an import form: the email field,
the profile schema's fields that the columns map to, the import's topics, single opt-in).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ecrm.contacts.form_view import FieldSpec, FieldType, FieldView, FormView
from ecrm.platform import csv_cells

WINDOW_BYTES = 1 << 20  # a record longer than this cannot be read (the import fails)
_BOM = b"\xef\xbb\xbf"
MULTI_SEPARATOR = ";"  # several choices in one cell: "news;events" (export writes the same)


@dataclass(frozen=True)
class Record:
    line: int  # the file line the record starts on (the header is line 1)
    lines: int  # physical lines it spans
    end: int  # byte offset just after it
    values: list[str] | None  # None: blank line, or `problem` says why it cannot be read
    problem: str | None = None


def records(data: bytes, offset: int, line: int, *, final: bool) -> list[Record]:
    """The complete records of `data` (the file's bytes from `offset`, starting on `line`).

    With `final`, `data` runs to the end of the file and its last record is complete too."""
    found: list[Record] = []
    position, pending, quotes, start = 0, 0, 0, 0
    physical = data.splitlines(keepends=True)
    for index, piece in enumerate(physical):
        last = index == len(physical) - 1
        if last and not final and not piece.endswith(b"\n"):
            break  # cut by the window (maybe between \r and \n): read it again next time
        if pending == 0:
            start = position
        pending += 1
        quotes += piece.count(b'"')
        position += len(piece)
        if quotes % 2 and not (last and final):
            continue  # a quoted field runs on into the next line
        raw = data[start:position]
        found.append(_record(raw, offset + position, line, pending, complete=quotes % 2 == 0))
        line += pending
        pending, quotes = 0, 0
    return found


def _record(raw: bytes, end: int, line: int, lines: int, *, complete: bool) -> Record:
    if not complete:
        return Record(line, lines, end, None, "A quoted value is never closed.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Record(line, lines, end, None, "The row is not valid UTF-8.")
    if not text.strip():
        return Record(line, lines, end, None)  # blank: skipped, counted nowhere
    try:
        values = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error as error:
        return Record(line, lines, end, None, f"Not readable as CSV: {error}.")
    return Record(line, lines, end, values)


def header(data: bytes, *, final: bool) -> tuple[list[str], int] | None:
    """The column names and the byte offset where the first row starts (None: not found in
    `data`). A UTF-8 byte order mark, as spreadsheets write, is skipped."""
    skip = len(_BOM) if data.startswith(_BOM) else 0
    found = records(data[skip:], skip, 1, final=final)
    first = next((r for r in found if r.values is not None or r.problem), None)
    if first is None or first.values is None:
        return None
    return [name.strip() for name in first.values], first.end


def field_name(column: str) -> str:
    """The field a column names when the import maps nothing: `First name` -> `first_name`."""
    return "_".join(column.strip().lower().replace("-", " ").split())


def import_form(import_id: str, fields: Sequence[FieldView], topics: Sequence[str]) -> FormView:
    """The form an import's rows are read against: what a single opt-in form with these fields
    and topics would accept. Consent is not a column: the import records where it came from."""
    email = FieldView(name="email", label="Email", type=FieldType.EMAIL, required=True)
    return FormView(
        id=import_id,
        title="Contacts import",
        fields=(email, *fields),
        topics=tuple(topics),
        double_opt_in=False,
    )


def row_fields(
    values: Sequence[str], columns: Sequence[str | None], form: FormView
) -> tuple[dict[str, str | list[str]] | None, str | None]:
    """A row as a form would post it ({field: value} for the mapped columns), or why not."""
    if len(values) != len(columns):
        return None, f"Expected {len(columns)} values, found {len(values)}."
    raw: dict[str, str | list[str]] = {}
    for cell, name in zip(values, columns, strict=True):
        if name is None:
            continue
        value = csv_cells.restore(cell)  # an export's `'=x` imports as `=x`
        spec = form.field(name)
        if spec is not None and spec.type is FieldType.MULTI_CHOICE:
            raw[name] = [v.strip() for v in value.split(MULTI_SEPARATOR) if v.strip()]
        else:
            raw[name] = value
    return raw, None


def resolve_columns(
    names: Sequence[str], mapping: Mapping[str, str], known: Mapping[str, FieldSpec]
) -> tuple[list[str | None], dict[str, str]]:
    """Which field each column fills (None: ignored) and the problems, by column.

    An explicit mapping wins (`""` ignores a column); otherwise a column whose name reads as a
    known field's name (or `email`) fills it. A column without a field is ignored."""
    problems: dict[str, str] = {}
    for column in mapping:
        if column not in names:
            problems[f"mapping.{column[:64]}"] = "The file has no such column."
    resolved: list[str | None] = []
    for column in names:
        target = mapping.get(column, field_name(column))
        if target != "email" and target not in known:
            target = ""
            if mapping.get(column):
                problems[f"mapping.{column[:64]}"] = "No such field in the profile schema."
        resolved.append(target or None)
    taken = [t for t in resolved if t]
    for twice in sorted({t for t in taken if taken.count(t) > 1}):
        problems[f"field.{twice}"] = "Two columns fill this field."
    if "email" not in taken:
        problems["email"] = "No column holds the email address (map one with email)."
    return resolved, problems
