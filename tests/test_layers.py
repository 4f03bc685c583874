"""The packages form layers: each imports only from the ones below it, and no
module imports itself back through others (lazy imports inside functions count)."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

# Lowest first: a package may import from the packages before it.
LAYERS = (
    "conf",
    "runtime",
    "storage",
    "catalog",
    "labelling",
    "embeddings",
    "blocking",
    "linkage",
    "evaluation",
    "pipeline",
    "jobs",
)


def _module_name(path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for layer in LAYERS for p in (ROOT / layer).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # `from package import module` imports the module
                found = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                continue
            targets |= {m for m in found if m in modules}
        graph[name] = targets - {name}
    return graph


def test_no_package_imports_from_a_layer_above_it():
    rank = {layer: i for i, layer in enumerate(LAYERS)}
    upward = [
        f"{module} imports {target}"
        for module, targets in _import_graph().items()
        for target in targets
        if rank[target.split(".")[0]] > rank[module.split(".")[0]]
    ]
    assert upward == []


def test_no_module_imports_itself_back():
    graph = _import_graph()
    # A package's __init__ re-exports its modules: an edge into an __init__
    # from its own package's modules is where a cycle would start, so keep them.
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if nxt.split(".")[0] == node.split(".")[0] and node.startswith(nxt + "."):
                continue  # a module importing its own package's __init__ is fine
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []
