"""No import cycle anywhere in the package: each module can be read knowing only the ones it imports."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import upflow_import

PACKAGE = Path(upflow_import.__file__).parent

#: Imports that close a cycle today, each to be removed with the change that ends it. Nothing
#: else may be added here.
KNOWN_CYCLE_EDGES = {
    # The readers import isolation, whose wire format imports the readers back: isolation moves
    # into the readers package, which ends this one.
    ("upflow_import.readers", "upflow_import.isolation"),
    # Table.from_rows converts values by read_records' rules, deferring the import of the readers
    # that import Table.
    ("upflow_import.table", "upflow_import.readers.records"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_nodes(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import run when the module or one of its functions runs: a deferred import inside a
    function is still a dependency; one under ``if TYPE_CHECKING:`` is only for type checkers."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            for branch in child.orelse:
                yield from import_nodes(branch)
            continue
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        yield from import_nodes(child)


def imported(path: Path, name: str, modules: set[str]) -> Iterator[str]:
    """The package's modules that ``path`` imports, and the packages above them (importing
    ``a.b.c`` runs ``a/b/__init__.py`` first); ``from package import module`` imports the module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in import_nodes(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        for written in targets:
            yield from _with_packages(written, modules)


def _with_packages(target: str, modules: set[str]) -> Iterator[str]:
    """The package module ``target`` names (the longest prefix of it that is one), and the
    packages above it."""
    while target and target not in modules:
        target = target.rpartition(".")[0]
    while target:
        yield target
        target = target.rpartition(".")[0]


def import_graph() -> dict[str, set[str]]:
    """Module → the modules it depends on, less a package's imports of its own modules (that is
    how its ``__init__`` exports their names) and a module's imports of the packages it is in."""
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    modules = set(paths)
    return {name: {target for target in imported(path, name, modules)
                   if target != name and not target.startswith(name + ".")
                   and not name.startswith(target + ".")}
            for name, path in paths.items()}


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_every_kind_of_import() -> None:
    graph = import_graph()
    assert "upflow_import.planning.types" in graph["upflow_import.planning.planner"]
    assert "upflow_import.planning.steps" in graph["upflow_import.apply"]
    assert "upflow_import.readers.records" in graph["upflow_import.table"]  # inside a function
    assert "upflow_import.readers" in graph["upflow_import._isolation_worker"]  # a package above


def test_a_cycle_is_found() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def test_no_module_of_the_package_imports_itself_back() -> None:
    graph = import_graph()
    for source, target in KNOWN_CYCLE_EDGES:
        assert target in graph[source], f"{source} no longer imports {target}: remove it from the list"
        # and the packages above it, which that import runs
        graph[source] -= set(_with_packages(target, set(graph))) - {"upflow_import"}
    assert [sorted(cycle) for cycle in cycles(graph)] == []


def test_the_known_cycles_are_still_cycles() -> None:
    # Each known edge still closes a cycle: once one no longer does, it leaves the list.
    for source, target in KNOWN_CYCLE_EDGES:
        assert any({source, target} <= cycle for cycle in cycles(import_graph())), (source, target)
