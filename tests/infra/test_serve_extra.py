"""`make serve` installs the package with its `local` extra only (issue 17: a first serve
installed the whole test toolchain). Whatever serving imports must come with that extra: every
third-party module imported by the code `ecrm serve` runs belongs to a distribution the base
dependencies or the `local` extra bring, directly or through their own requirements."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVED = [ROOT / "local", ROOT / "cli", ROOT / "functions", ROOT / "layers" / "shared" / "ecrm"]
OURS = {"ecrm", "local", "cli", "capture", "mailing", "account", "scoring", "bench", "tests"}


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _closure(requirements: list[str]) -> set[str]:
    """The distributions a set of requirements installs (extras' own requirements included
    only where the requirement names the extra)."""
    found: set[str] = set()
    todo = list(requirements)
    while todo:
        requirement = todo.pop()
        name = _name(requirement)
        extras = set(re.findall(r"\[([^\]]+)\]", requirement.split(";")[0])[:1])
        extras = {e.strip() for group in extras for e in group.split(",")}
        if name in found and not extras:
            continue
        found.add(name)
        try:
            nested_requirements = metadata.requires(name) or []
        except metadata.PackageNotFoundError:  # for another Python (a marker): not installed
            continue
        for nested in nested_requirements:
            marker = nested.partition(";")[2]
            wanted = re.findall(r'extra\s*==\s*"([^"]+)"', marker)
            if wanted and not set(wanted) & extras:
                continue
            todo.append(nested)
    return found


def _imports(folder: Path) -> set[str]:
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names - OURS - set(sys.stdlib_module_names)


def test_the_local_extra_brings_everything_serving_imports() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    installed = _closure(project["dependencies"] + project["optional-dependencies"]["local"])
    by_module = metadata.packages_distributions()
    missing = {
        module: by_module.get(module, ["?"])
        for folder in SERVED
        for module in _imports(folder)
        if not {d.lower().replace("_", "-") for d in by_module.get(module, [])} & installed
    }
    # boto3's type stubs are imported for type checking only (`if TYPE_CHECKING:`).
    missing = {m: d for m, d in missing.items() if not m.startswith("mypy_boto3")}
    assert not missing, f"imported by what `ecrm serve` runs, not in `.[local]`: {missing}"
