"""What the API commands share: an id in a path, every page of a listing, a JSON file read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cli.client import USAGE, ApiClient, CliError


def under(base: str, item_id: str, *rest: str) -> str:
    """`/admin/segments/<id>[/rest]`, the id quoted (a typed id never escapes its segment)."""
    return "/".join([base, quote(item_id, safe=""), *rest])


def every_page(api: ApiClient, path: str, limit: int | None = None) -> list[dict[str, Any]]:
    """The items of a paged listing (`items`, `next_cursor`), up to `limit`."""
    found: list[dict[str, Any]] = []
    cursor = None
    while limit is None or len(found) < limit:
        page = api.get(path, limit=min(100, limit or 100), cursor=cursor)
        found += page["items"]
        if not (cursor := page.get("next_cursor")):
            break
    return found if limit is None else found[:limit]


def read_object(path: Path, what: str) -> dict[str, Any]:
    """A JSON object from a file, or a usage error (exit 2) naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CliError(f"{path}: not readable JSON ({error})", USAGE, code="bad_file") from None
    if not isinstance(data, dict):
        raise CliError(f"{path}: {what} must be a JSON object", USAGE, code="bad_file")
    return data
