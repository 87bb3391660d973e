"""`ecrm contacts import FILE.csv` and `ecrm contacts export`.

Import: the file's SHA-256 names the import, so running the same command again finds it and
resumes or reports it (nothing is imported twice). The file goes straight to the upload URL
the API hands out (S3, presigned; never row by row through the API), the server adds the rows
in the background, and the command follows it with a progress bar (rows, rate, ETA), then
writes the bad rows, with their line numbers and reasons, to a CSV file.

Export: a segment's members (or a topic's) page by page, as CSV or JSON lines, to stdout or a
file, written as each page arrives. Every CSV cell goes through `ecrm.platform.csv_cells` (no
formula runs when a spreadsheet opens the file); JSON lines are exact.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from cli.client import REFUSED, UNAVAILABLE, USAGE, CliError
from cli.commands import Commands, Context
from ecrm.imports import rows as import_rows
from ecrm.platform import csv_cells

if TYPE_CHECKING:  # rich is imported by the commands that draw, not at start
    from cli.progress import ProgressDisplay

FINISHED = {"done", "failed"}


def register(commands: Commands) -> None:
    group = commands.group("contacts", "contacts: look one up, import a CSV file, export")
    found = commands.api(
        group,
        "import",
        "import contacts from a CSV file (resumable; the same file is never imported twice)",
        _import,
        description="Uploads FILE and imports its rows as a single opt-in form would: every "
        "row validated and normalised, existing contacts left alone (duplicates), consent "
        "recorded with --consent-source. The header names the columns: a column named like a "
        "field (email, first_name, ...) fills it; --map says otherwise. Exits 1 when a row "
        "was bad (see --errors) unless --allow-bad-rows.",
    )
    found.add_argument("file", type=Path, help="the CSV file (UTF-8, a header line first)")
    found.add_argument(
        "--list",
        dest="topics",
        action="append",
        default=[],
        metavar="TOPIC",
        help="topic (list) the contacts join; repeat for several",
    )
    found.add_argument("--consent-source", required=True, help="where these people consented")
    found.add_argument(
        "--map",
        dest="mapping",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="the field a column fills (COLUMN= ignores it); repeat for several",
    )
    found.add_argument(
        "--errors",
        type=Path,
        metavar="FILE",
        help="where to write the bad rows (default: FILE.bad-rows.csv beside the file)",
    )
    found.add_argument("--allow-bad-rows", action="store_true", help="exit 0 despite bad rows")
    found.add_argument("--poll", type=float, default=1.0, help="seconds between progress checks")
    exporting = commands.api(
        group,
        "export",
        "export a segment's (or a topic's) contacts as CSV or JSON lines",
        _export,
        description="Streams the contacts page by page to stdout or --output.",
    )
    audience = exporting.add_mutually_exclusive_group(required=True)
    audience.add_argument("--segment", help="segment id: the contacts it would mail")
    audience.add_argument("--topic", help="topic id: every member, whatever their status")
    exporting.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    exporting.add_argument("--output", type=Path, help="file to write (default: stdout)")
    exporting.add_argument("--page-size", type=int, default=200, help="contacts per request")


# --- import ---------------------------------------------------------------------------------


def _digest(path: Path) -> tuple[str, int, int]:
    """SHA-256, size and line count (for the progress bar's total) of the file."""
    digest, size, lines = hashlib.sha256(), 0, 0
    try:
        with path.open("rb") as file:
            while piece := file.read(1 << 20):
                digest.update(piece)
                size += len(piece)
                lines += piece.count(b"\n")
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror}", USAGE, code="bad_file") from None
    return digest.hexdigest(), size, lines


def _mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        column, equals, field = pair.rpartition("=")
        if not equals or not column:
            raise CliError(f"--map wants COLUMN=FIELD, not {pair!r}", USAGE, code="bad_option")
        mapping[column] = field
    return mapping


def _import(ctx: Context) -> int:
    args, out = ctx.args, ctx.out
    sha256, size, lines = _digest(args.file)
    body = {
        "sha256": sha256,
        "size": size,
        "filename": args.file.name[:255],
        "topics": args.topics,
        "consent_source": args.consent_source,
        "mapping": _mapping(args.mapping),
    }
    job = ctx.api.post("/admin/imports", body)
    import_id = job["import_id"]
    if "upload" in job:
        out.note(f"uploading {args.file} ({size:,} bytes) as import {import_id}")
        _upload(args.file, size, job["upload"])
    else:
        out.note(f"{args.file} is import {import_id} ({job['state']}): nothing to upload")
    job = ctx.api.post(f"/admin/imports/{import_id}/start")
    job = _follow(ctx, import_id, job, max(1, lines - 1))
    if job["state"] == "failed":
        raise CliError(f"the import failed: {job.get('failure')}", REFUSED, code="import_failed")
    errors_file = _write_bad_rows(ctx, args.file, import_id, args.errors)
    summary = {
        key: job.get(key)
        for key in (
            "import_id",
            "state",
            "rows",
            "imported",
            "duplicates",
            "suppressed",
            "bad_rows",
        )
    }
    summary["errors_file"] = str(errors_file) if errors_file else None
    human = (
        f"import {import_id}: {job['rows']:,} rows, {job['imported']:,} imported, "
        f"{job['duplicates']:,} already contacts, {job.get('suppressed') or 0:,} suppressed,"
        f" {job['bad_rows']:,} bad" + (f" (written to {errors_file})" if errors_file else "")
    )
    out.result(summary, human)
    return REFUSED if job["bad_rows"] and not args.allow_bad_rows else 0


def _upload(path: Path, size: int, upload: dict[str, Any]) -> None:
    """PUT the file to the presigned URL with the headers it was signed with."""
    url = str(upload["url"])
    if not url.startswith(("http://", "https://")):
        raise CliError(f"unexpected upload URL: {url[:80]}", UNAVAILABLE, code="bad_upload_url")
    headers = {**upload.get("headers", {}), "Content-Length": str(size)}
    with path.open("rb") as file:
        request = urllib.request.Request(url, data=file, headers=headers, method="PUT")  # noqa: S310 - scheme checked above
        try:
            with urllib.request.urlopen(request, timeout=600):  # noqa: S310
                return
        except urllib.error.HTTPError as error:
            detail = error.read()[:300].decode("utf-8", "replace")
            message = f"the upload was refused ({error.code}): {detail}"
            raise CliError(message, UNAVAILABLE, code="upload_refused") from None
        except (urllib.error.URLError, OSError) as error:
            message = f"the upload failed: {getattr(error, 'reason', error)}"
            raise CliError(message, UNAVAILABLE, code="upload_failed") from None


def _follow(ctx: Context, import_id: str, job: dict[str, Any], lines: int) -> dict[str, Any]:
    """Poll the import until it is done, drawing rows done / the file's lines."""
    from cli.progress import ProgressDisplay  # noqa: PLC0415 - rich, for the commands that draw

    with ProgressDisplay(enabled=not ctx.out.as_json) as progress:
        rows = progress.add("rows", total=lines)
        while True:
            progress.update(rows, int(job.get("rows") or 0), max(lines, int(job.get("rows") or 0)))
            if job["state"] in FINISHED:
                return job
            time.sleep(ctx.args.poll)
            job = ctx.api.get(f"/admin/imports/{import_id}")


def _bad_rows(ctx: Context, import_id: str) -> Iterator[dict[str, Any]]:
    cursor = None
    while True:
        page = ctx.api.get(f"/admin/imports/{import_id}/errors", limit=100, cursor=cursor)
        yield from page["rows"]
        cursor = page["next_cursor"]
        if not cursor:
            return


def _write_bad_rows(ctx: Context, source: Path, import_id: str, target: Path | None) -> Path | None:
    """`line`, `errors` and the row as it is in the file, for each bad row (None: no bad row)."""
    bad = {row["line"]: row["errors"] for row in _bad_rows(ctx, import_id)}
    if not bad:
        return None
    path = target or source.with_name(source.name + ".bad-rows.csv")
    wanted = dict(_records_at(source, set(bad)))
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv_cells.writer(file)
        writer.writerow(["line", "errors", *_header(source)])
        for line in sorted(bad):
            reasons = "; ".join(f"{name}: {reason}" for name, reason in bad[line].items())
            writer.writerow([line, reasons, *wanted.get(line, [])])
    return path


def _header(source: Path) -> list[str]:
    with source.open("rb") as file:
        found = import_rows.header(file.read(64 * 1024), final=True)
    return found[0] if found else []


def _records_at(source: Path, lines: set[int]) -> Iterator[tuple[int, list[str]]]:
    """The file's rows at these line numbers, read as the server reads them."""
    with source.open("rb") as file:
        head = import_rows.header(file.read(64 * 1024), final=True)
        if head is None:
            return
        offset, line = head[1], 2
        while True:
            file.seek(offset)
            data = file.read(import_rows.WINDOW_BYTES)
            found = import_rows.records(
                data, offset, line, final=len(data) < import_rows.WINDOW_BYTES
            )
            if not found:
                return
            for record in found:
                if record.line in lines:
                    yield record.line, record.values or []
            offset, line = found[-1].end, found[-1].line + found[-1].lines


# --- export ---------------------------------------------------------------------------------


def _export(ctx: Context) -> int:
    args = ctx.args
    if not 1 <= args.page_size <= 500:
        raise CliError("--page-size is 1 to 500", USAGE, code="bad_option")
    target: IO[str] = (
        args.output.open("w", newline="", encoding="utf-8") if args.output else sys.stdout
    )
    count = 0
    try:
        from cli.progress import ProgressDisplay  # noqa: PLC0415 - rich, for the commands that draw

        with ProgressDisplay(enabled=not ctx.out.as_json) as progress:
            task = progress.add("contacts")
            count = _stream(ctx, target, progress, task)
    finally:
        if args.output:
            target.close()
    if args.output:
        ctx.out.result(
            {"contacts": count, "output": str(args.output), "format": args.format},
            f"exported {count:,} contacts to {args.output}",
        )
    else:
        ctx.out.note(f"exported {count:,} contacts")
    return 0


def _stream(ctx: Context, target: IO[str], progress: ProgressDisplay, task: Any) -> int:
    args = ctx.args
    query = {"segment": args.segment, "topic": args.topic, "limit": args.page_size}
    writer = csv_cells.writer(target)
    columns: list[str] | None = None
    count, cursor = 0, None
    while True:
        page = ctx.api.get("/admin/contacts", **query, cursor=cursor)
        if args.format == "csv" and columns is None:
            columns = list(page["columns"])
            writer.writerow(columns)
        for contact in page["contacts"]:
            if columns is not None:
                writer.writerow(_cell(contact.get(column)) for column in columns)
            else:
                target.write(json.dumps(contact, ensure_ascii=False) + "\n")
        target.flush()
        count += len(page["contacts"])
        progress.update(task, count)
        cursor = page["next_cursor"]
        if not cursor:
            return count


def _cell(value: Any) -> str:
    """A list (choices, topics) as the import reads it back: `a;b`."""
    if isinstance(value, list):
        return import_rows.MULTI_SEPARATOR.join(str(v) for v in value)
    return "" if value is None else str(value)
