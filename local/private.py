"""The local state folder holds bearer tokens, signing keys and a copy of people's data: only its
owner may read it (the folder 0700, secrets 0600), even on a shared machine."""

from __future__ import annotations

import os
from pathlib import Path


def private_dir(path: Path) -> Path:
    """Create the folder (and its parents) if needed; the folder itself is made 0700 either way,
    so a state folder from before this rule is closed on the next start."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def write_private(path: Path, text: str) -> None:
    """Write `text` to a file only its owner can read: created 0600, an existing file narrowed
    to 0600 before the new text goes in."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        os.fchmod(file.fileno(), 0o600)
        file.write(text)
