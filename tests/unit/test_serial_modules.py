"""`make test` finds the serial tests' modules by their line `pytestmark = pytest.mark.serial`
(the Makefile's SERIAL_MODULES: the serial run names them, the xdist run ignores them). A test
marked serial any other way would be in neither run: none is."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT

MARK = "pytestmark = pytest.mark.serial"


def test_serial_tests_are_marked_by_the_line_the_makefile_finds() -> None:
    odd = [
        (str(path.relative_to(ROOT)), line.strip())
        for path in (ROOT / "tests").rglob("*.py")
        if path != Path(__file__)
        for line in path.read_text(encoding="utf-8").splitlines()
        if "mark.serial" in line and not (line == MARK and path.name.startswith("test_"))
    ]
    assert odd == []
    assert MARK in (ROOT / "Makefile").read_text(encoding="utf-8")
