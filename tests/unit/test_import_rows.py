"""Cutting CSV records from raw bytes at any offset: quoted newlines stay in their row, a
window cut mid-record stops before it, line numbers and byte offsets add up."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ecrm.contacts.forms import FieldType, FormField
from ecrm.imports import rows as import_rows

DATA = b'email,note\r\na@example.com,"two\nlines"\r\n\r\nb@example.com,"say ""hi"""\n'


def test_records_know_their_first_line_and_the_byte_after_them() -> None:
    head = import_rows.header(DATA, final=True)
    assert head is not None
    columns, start = head
    assert columns == ["email", "note"] and DATA[start:].startswith(b"a@")
    found = import_rows.records(DATA[start:], start, 2, final=True)
    assert [(r.line, r.lines, r.values) for r in found] == [
        (2, 2, ["a@example.com", "two\nlines"]),
        (4, 1, None),  # blank
        (5, 1, ["b@example.com", 'say "hi"']),
    ]
    assert found[-1].end == len(DATA)


def test_a_window_cut_inside_a_record_stops_before_it() -> None:
    start = DATA.index(b"a@")
    cut = DATA.index(b"lines")
    assert import_rows.records(DATA[start:cut], start, 2, final=False) == []
    cut = DATA.index(b"b@") + 3
    [_first, blank] = import_rows.records(DATA[start:cut], start, 2, final=False)
    assert blank.end == DATA.index(b"b@")


def test_an_unclosed_quote_at_the_end_and_bad_utf8_are_bad_rows() -> None:
    [unclosed] = import_rows.records(b'x@example.com,"open\n', 0, 2, final=True)
    assert unclosed.values is None and unclosed.problem == "A quoted value is never closed."
    [latin] = import_rows.records(b"x@example.com,caf\xe9\n", 0, 2, final=True)
    assert latin.problem == "The row is not valid UTF-8."


def test_a_byte_order_mark_is_not_part_of_the_first_column() -> None:
    assert import_rows.header(b"\xef\xbb\xbfE-mail,Name\n", final=True) == (["E-mail", "Name"], 15)


def test_columns_resolve_to_fields_by_name_or_mapping() -> None:
    known = {"first_name": FormField(name="first_name", label="F", type=FieldType.NAME)}
    columns, problems = import_rows.resolve_columns(
        ["E-mail", "First name", "Notes"], {"E-mail": "email", "Notes": ""}, known
    )
    assert (columns, problems) == (["email", "first_name", None], {})
    _, problems = import_rows.resolve_columns(["Name"], {"Mail": "email"}, known)
    assert set(problems) == {"mapping.Mail", "email"}


@given(
    st.lists(
        st.lists(st.text(alphabet='ab,"\n\r é', max_size=6), min_size=2, max_size=2),
        min_size=1,
        max_size=8,
    ),
    st.integers(min_value=1, max_value=60),
    st.sampled_from(["\n", "\r\n"]),
)
def test_reading_window_by_window_gives_the_rows_read_at_once(
    rows: list[list[str]], window: int, ending: str
) -> None:
    import csv
    import io

    text = io.StringIO(newline="")
    csv.writer(text, lineterminator=ending).writerows(rows)
    data = text.getvalue().encode()
    whole = import_rows.records(data, 0, 1, final=True)
    pieces, offset, line = [], 0, 1
    while offset < len(data):
        size = window
        while True:
            chunk = data[offset : offset + size]
            found = import_rows.records(chunk, offset, line, final=offset + size >= len(data))
            if found:
                break
            size *= 2  # a record longer than the window: the worker would fail the import
        pieces += found
        offset, line = found[-1].end, found[-1].line + found[-1].lines
    assert pieces == whole
