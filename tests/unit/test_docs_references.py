"""The docs name files and modules that exist: a link to a moved module, or a dotted `ecrm.`
name the code no longer has, fails here instead of misleading the next reader. And the
architecture page stays a short map: its detail lives on the docs/design pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ECRM = ROOT / "layers" / "shared" / "ecrm"
DOCS = sorted([ROOT / "README.md", *ROOT.glob("docs/**/*.md")])
LINK = re.compile(r"\]\(([^)#\s]+)")
DOTTED = re.compile(r"\becrm(?:\.[a-z_][a-z0-9_]*)+")
MAP_LIMIT_BYTES = 30_000


def _is_module(parts: list[str]) -> bool:
    base = ECRM.joinpath(*parts)
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _missing_links(doc: Path) -> list[str]:
    text = doc.read_text(encoding="utf-8")
    targets = (t for t in LINK.findall(text) if not re.match(r"[a-z]+:", t))
    return [t for t in targets if not (doc.parent / t).exists()]


def _unknown_modules(doc: Path) -> list[str]:
    """`ecrm.a.b.name`: `ecrm.a` must be a module or package of ecrm, and so must every part
    up to the last module (what follows it is a name inside that module)."""
    unknown = []
    for dotted in set(DOTTED.findall(doc.read_text(encoding="utf-8"))):
        parts = dotted.split(".")[1:]
        if not _is_module(parts[:1]):
            unknown.append(dotted)
            continue
        depth = max(i for i in range(1, len(parts) + 1) if _is_module(parts[:i]))
        package = ECRM.joinpath(*parts[:depth])
        if depth < len(parts) and (package / "__init__.py").is_file():
            unknown.append(dotted)  # a package's name must be one of its modules
    return sorted(unknown)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_of_a_doc_leads_to_a_file(doc: Path) -> None:
    assert _missing_links(doc) == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_dotted_ecrm_name_of_a_doc_is_a_module_that_exists(doc: Path) -> None:
    assert _unknown_modules(doc) == []


def test_the_architecture_map_stays_under_30_kb() -> None:
    size = (ROOT / "docs" / "architecture.md").stat().st_size
    assert size <= MAP_LIMIT_BYTES, (
        f"docs/architecture.md is {size:,} bytes, over {MAP_LIMIT_BYTES:,}: keep it a map "
        "(function -> trigger -> entry module, access patterns, invariants) and move the detail "
        "to its docs/design/<capability>.md page"
    )
