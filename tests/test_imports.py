"""The modules of `flows/` import one another without a cycle: each can be read after what it imports."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

FLOWS = Path(__file__).resolve().parent.parent / "flows"


def module_name(path: Path) -> str:
    parts = path.relative_to(FLOWS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, modules: set[str]) -> set[str]:
    """The flows modules a file imports anywhere in it (inside functions and TYPE_CHECKING too)."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            source = ".".join([*base, *([node.module] if node.module else [])])
            names.add(source)
            names.update(f"{source}.{alias.name}" for alias in node.names)
    found = set()
    for name in names:  # importing a.b.c imports the packages a and a.b first
        parts = name.split(".")
        found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return found & modules


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(path): path for path in FLOWS.rglob("*.py")}
    return {name: imported(path, set(paths)) - {name} for name, path in paths.items()}


def test_the_graph_sees_the_imports_of_a_module() -> None:
    graph = import_graph()
    assert {"flows.duplicates", "flows.order", "flows.settings"} <= graph["flows.bulk_load"]
    assert "flows.cli.common" in graph["flows.cli.app"]  # a `from flows.cli.common import …`
    assert "flows.storage.lake_search" in graph["flows.storage.search"]


def test_no_import_cycle_in_flows() -> None:
    try:
        TopologicalSorter(import_graph()).prepare()
    except CycleError as error:
        raise AssertionError(f"an import cycle in flows/: {' -> '.join(error.args[1])}") from None
