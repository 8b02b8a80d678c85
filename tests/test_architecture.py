"""The shape of the code, measured from its imports: layers import downwards only, and no two
packages import each other, directly or round a cycle."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PORTAL = Path(__file__).resolve().parents[1] / "portal"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST):
    """(module, line, inside a function) of every `from portal.x ... import` run at runtime."""

    def walk(node: ast.AST, in_function: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue  # for type hints only: never imported at runtime
            if isinstance(child, ast.ImportFrom) and (child.module or "").startswith("portal"):
                modules = [child.module]
                if child.module == "portal":
                    modules = [f"portal.{alias.name}" for alias in child.names]
                for module in modules:
                    yield module, child.lineno, in_function
            yield from walk(
                child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            )

    yield from walk(tree, False)


def package_of(module: str) -> str | None:
    """portal.content.views -> content; root modules (portal.permissions ...) -> None."""
    parts = module.split(".")
    if len(parts) >= 2 and (PORTAL / parts[1]).is_dir() and parts[1] != "translations":
        return parts[1]
    return None


def import_graph() -> dict[str, dict[str, list[str]]]:
    """package -> imported package -> where ("file:line")."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(PORTAL.rglob("*.py")):
        relative = path.relative_to(PORTAL.parent)
        source = package_of(".".join(relative.with_suffix("").parts))
        if source is None:
            continue
        for module, line, _in_function in _imports(ast.parse(path.read_text())):
            target = package_of(module)
            if target is not None and target != source:
                graph[source][target].append(f"{relative}:{line}")
    return graph


def cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """The strongly connected groups of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_between_packages():
    graph = import_graph()
    found = cycles(graph)
    detail = [
        f"{a} -> {b}: {graph[a][b][0]}"
        for group in found
        for a in group
        for b in group
        if b in graph.get(a, {})
    ]
    assert found == [], "\n".join(detail)


def test_content_imports_no_kind_package():
    from portal import KIND_PACKAGES

    graph = import_graph()
    assert {
        kind: graph["content"][kind] for kind in KIND_PACKAGES if kind in graph["content"]
    } == {}
