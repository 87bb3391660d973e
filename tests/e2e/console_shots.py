"""Where the console's browser tests save a screen's picture: `test-results/` always, and
`docs/` too with `ECRM_DOCS_SCREENSHOTS=1` (docs/console.md shows those; a plain test run leaves
the tracked pictures alone, though the data on screen, its dates, differ every run)."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]


def save(page: Page, name: str) -> None:
    folders = [ROOT / "test-results"]
    if os.environ.get("ECRM_DOCS_SCREENSHOTS") == "1":
        folders.append(ROOT / "docs")
    for folder in folders:
        folder.mkdir(exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
