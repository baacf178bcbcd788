"""The tree's promises: imports run one way, no import cycle, each library in its one home.

contracts -> optimizers -> fulfillment / reporting / samples -> orderbook -> warehouse ->
assets -> pipelines: a module may import its own package and the packages to its left, never
one to its right nor a sibling of the same rank. Imports inside ``if TYPE_CHECKING:`` are for
the type checker only and are not counted; imports hidden inside functions are counted (and
refused).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {
    "contracts": 0,
    "optimizers": 1,
    "fulfillment": 2,
    "reporting": 2,
    "samples": 2,
    "orderbook": 3,
    "warehouse": 4,
    "assets": 5,
    "pipelines": 6,
}
# Libraries that belong to one stage: Dagster is wiring, DuckDB is the warehouse.
HOMES = {"dagster": {"assets", "pipelines"}, "duckdb": {"warehouse"}}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for package in LAYERS for p in sorted((ROOT / package).rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """(imported module, line, at module level) for every runtime import of a file."""
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue
            if isinstance(child, ast.Import):
                found.extend((a.name, child.lineno, top) for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                base = child.module
                found.append((base, child.lineno, top))
                found.extend(
                    (f"{base}.{a.name}", child.lineno, top)
                    for a in child.names
                    if f"{base}.{a.name}" in MODULES
                )
            nested = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            visit(child, top and not nested)

    visit(ast.parse(path.read_text(encoding="utf-8")), True)
    return found


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _package(module: str) -> str:
    return module.split(".")[0]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_one_way(module):
    own = _package(module)
    backwards = [
        f"line {line}: {target}"
        for target, line, _ in GRAPH[module]
        if _package(target) in LAYERS
        and _package(target) != own
        and LAYERS[_package(target)] >= LAYERS[own]
    ]
    assert backwards == [], f"{module} imports against the flow: {backwards}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_first_party_imports_are_not_hidden_in_functions(module):
    hidden = [
        f"line {line}: {target}"
        for target, line, top in GRAPH[module]
        if not top and _package(target) in LAYERS
    ]
    assert hidden == [], f"{module} hides imports of its own code in functions: {hidden}"


@pytest.mark.parametrize("library", sorted(HOMES))
def test_each_library_stays_in_its_stage(library):
    strays = sorted(
        module
        for module, imports in GRAPH.items()
        if _package(module) not in HOMES[library]
        and any(t == library or t.startswith(library + ".") for t, _, _ in imports)
    )
    assert strays == [], f"{library} imported outside {sorted(HOMES[library])}: {strays}"


def _cycle() -> list[str] | None:
    """One import cycle among the product's modules, if there is any (depth-first search)."""
    edges = {
        module: sorted({t for t, _, _ in imports if t in MODULES and t != module})
        for module, imports in GRAPH.items()
    }
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in edges[module]:
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(edges):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_import_cycle():
    assert _cycle() is None, " -> ".join(_cycle() or [])


def test_the_checker_sees_the_tree():
    # guards the guard: a scan that found nothing would pass every test above
    assert len(MODULES) > 60
    assert ("contracts.vocabulary", 0) in [
        (t, 0) for t, _, _ in GRAPH["optimizers.allocate"] if t == "contracts.vocabulary"
    ]
