"""The console's vendored libraries (web/console/vendor/) are the files their README lists, byte
for byte: a library changed or added by hand, or not written down, fails here."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[2] / "web" / "console" / "vendor"


def test_every_vendored_file_is_listed_with_its_sha256_and_matches_it() -> None:
    listed = dict(
        re.findall(
            r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|$", (VENDOR / "README.md").read_text(), re.M
        )
    )
    present = {
        str(path.relative_to(VENDOR)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in VENDOR.rglob("*")
        if path.is_file() and path.name != "README.md"
    }
    assert listed, "the README lists no file"
    assert present == listed
