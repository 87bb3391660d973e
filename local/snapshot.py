"""Local data survives a restart: the tables' items are written to `<state>/table.json` when
they change, and written back into the fresh moto table on the next start.

A full Scan is fine here: this is local tooling over a developer's few items, never product
code (the product has no Scan anywhere).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

Item = dict[str, Any]


class TableSnapshots:
    def __init__(self, path: Path, dynamodb: Any, tables: Mapping[str, str]) -> None:
        """`tables` maps a table's logical id (the key in the file) to its local name."""
        self.path = path
        self.dynamodb = dynamodb
        self.tables = dict(tables)
        self._lock = threading.Lock()
        self._last_digest = ""

    def restore(self) -> int:
        """Write the saved items back; returns how many. Call before stream pumps start."""
        if not self.path.exists():
            return 0
        saved = json.loads(self.path.read_text(encoding="utf-8")).get("tables", {})
        restored = 0
        for logical_id, items in saved.items():
            table = self.tables.get(logical_id)
            if table is None:  # a table the template no longer has
                continue
            for start in range(0, len(items), 25):
                chunk = [{"PutRequest": {"Item": _from_json(i)}} for i in items[start : start + 25]]
                self._batch_write(table, chunk)
            restored += len(items)
        return restored

    def save_if_changed(self) -> bool:
        with self._lock:
            document = {"tables": {lid: self._scan(name) for lid, name in self.tables.items()}}
            text = json.dumps(document, sort_keys=True, indent=1)
            digest = hashlib.sha256(text.encode()).hexdigest()
            if digest == self._last_digest:
                return False
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_suffix(".part")
            partial.write_text(text, encoding="utf-8")
            partial.replace(self.path)  # a crash mid-write never leaves half a snapshot
            self._last_digest = digest
            return True

    def _scan(self, table: str) -> list[Item]:
        items: list[Item] = []
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=table):
            items += [_to_json(item) for item in page["Items"]]
        items.sort(key=lambda item: json.dumps(item, sort_keys=True))  # stable digest
        return items

    def _batch_write(self, table: str, requests: list[dict[str, Any]]) -> None:
        pending = {table: requests}
        while pending:
            pending = (
                self.dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            )


def _to_json(item: Item) -> Item:
    return {name: _convert(value, _encode) for name, value in item.items()}


def _from_json(item: Item) -> Item:
    return {name: _convert(value, base64.b64decode) for name, value in item.items()}


def _encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _convert(value: Mapping[str, Any], binary: Any) -> dict[str, Any]:
    """Walk one AttributeValue, converting its binary parts (bytes <-> base64 text)."""
    ((kind, content),) = value.items()
    if kind == "B":
        return {kind: binary(content)}
    if kind == "BS":
        return {kind: [binary(b) for b in content]}
    if kind == "M":
        return {kind: {k: _convert(v, binary) for k, v in content.items()}}
    if kind == "L":
        return {kind: [_convert(v, binary) for v in content]}
    return {kind: content}
