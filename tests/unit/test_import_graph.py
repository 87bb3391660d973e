"""No import cycles between `ecrm` modules, function-level imports included.

A cycle hidden in a function body still couples the two modules (neither can be read, moved or
tested without the other) and breaks as soon as someone hoists the import. The graph is read
from the source with `ast`: every `import` and `from ... import` anywhere in a module (module
level, functions, classes), relative imports resolved, `if TYPE_CHECKING:` blocks skipped (they
never run). Importing `ecrm.a.b` also runs the packages above it, so those count as edges too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "layers" / "shared"


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Every module under `root/ecrm`, by dotted name (a package by its own name)."""
    modules = {}
    for path in sorted((root / "ecrm").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:  # the `else:` of a TYPE_CHECKING block does run
                yield from _import_nodes_of(other)
            continue
        yield from _import_nodes_of(child)


def _import_nodes_of(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    else:
        yield from _import_nodes(node)


def _with_parents(name: str, modules: dict[str, Path]) -> set[str]:
    """`name` and the packages Python runs before it, as far as they are ecrm modules."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & modules.keys()


def imports_of(name: str, modules: dict[str, Path]) -> set[str]:
    """The ecrm modules that importing (or calling into) module `name` imports."""
    path = modules[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found |= _with_parents(alias.name, modules)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            base = ".".join([*anchor, *([base] if base else [])])
        found |= _with_parents(base, modules)
        for alias in node.names:  # `from ecrm import x`: x may be a module of its own
            found |= _with_parents(f"{base}.{alias.name}", modules)
    found.discard(name)
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    modules = module_files(root)
    return {name: imports_of(name, modules) for name in modules}


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for target in graph[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a -> b -> ... -> a) per group of modules that import each other (a few
    dozen modules: reachability from each is cheap)."""
    reach = {name: _reachable(graph, name) for name in graph}
    groups: list[set[str]] = []
    for name in sorted(graph):
        if name in reach[name] and not any(name in group for group in groups):
            groups.append({other for other in reach[name] if name in reach[other]})
    return [_cycle_in(group, graph) for group in groups]


def _cycle_in(group: set[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest path from the group's first module back to itself, inside the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & group):
                if target == start:
                    return [*paths[node], start]
                if target not in paths:
                    paths[target] = [*paths[node], target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # pragma: no cover - Tarjan said there is


def test_no_import_cycles_between_ecrm_modules() -> None:
    found = cycles(import_graph())
    assert not found, "import cycles between ecrm modules:\n" + "\n".join(
        " -> ".join(cycle) for cycle in found
    )


def test_the_graph_sees_function_level_relative_and_from_package_imports(tmp_path: Path) -> None:
    package = tmp_path / "ecrm"
    (package / "sub").mkdir(parents=True)
    for name, source in {
        "__init__.py": "",
        "a.py": "def f():\n    from ecrm import b\n",
        "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ecrm import a\n"
        "from ecrm.sub.c import thing\n",
        "sub/__init__.py": "",
        "sub/c.py": "class C:\n    def g(self):\n        from .. import a\n        import ecrm.b\n",
    }.items():
        (package / name).write_text(source)
    graph = import_graph(tmp_path)
    assert graph["ecrm.a"] == {"ecrm", "ecrm.b"}
    assert graph["ecrm.b"] == {"ecrm", "ecrm.sub", "ecrm.sub.c"}  # not ecrm.a: type-only
    assert graph["ecrm.sub.c"] == {"ecrm", "ecrm.a", "ecrm.b"}
    assert cycles(graph) == [["ecrm.a", "ecrm.b", "ecrm.sub.c", "ecrm.a"]]
