"""Print the shape of the app package: import cycles, local imports, long modules and functions.

    python tools/layout_report.py          # from the repository root

Counts every `import`, top-level or inside a function (grimp reads both), so a cycle hidden behind
a function-local import still shows.
"""
from __future__ import annotations

import ast
import pathlib
import sys

import grimp

ROOT = pathlib.Path(__file__).resolve().parent.parent
MAX_MODULE, MAX_FUNCTION = 300, 60


def cycles(graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative enough here)."""
    sys.setrecursionlimit(10000)
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]; counter[0] += 1
        stack.append(v); on.add(v)
        for w in sorted(graph.find_modules_directly_imported_by(v)):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for m in sorted(graph.modules):
        if m not in index:
            visit(m)
    return out


def local_imports(tree: ast.AST) -> int:
    n = 0
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app") \
                        or isinstance(node, ast.ImportFrom) and node.level:
                    n += 1
                elif isinstance(node, ast.Import) and any(a.name.startswith("app") for a in node.names):
                    n += 1
    return n


def main() -> int:
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph("app", cache_dir=None)
    found = cycles(graph)
    edges = sum(len(graph.find_modules_directly_imported_by(m)) for m in graph.modules)
    print(f"modules: {len(graph.modules)}  import edges: {edges}")
    print(f"import cycles (strongly connected groups): {len(found)}")
    for c in found:
        print("  ", " <-> ".join(c))
    local, long_mods, long_fns = 0, [], []
    for path in sorted((ROOT / "app").rglob("*.py")):
        text = path.read_text()
        tree = ast.parse(text)
        rel = path.relative_to(ROOT)
        local += local_imports(tree)
        lines = len(text.splitlines())
        if lines > MAX_MODULE:
            long_mods.append(f"{rel} {lines}")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                size = node.end_lineno - node.lineno + 1
                if size > MAX_FUNCTION:
                    long_fns.append(f"{rel}:{node.lineno} {node.name} {size}")
    print(f"function-local app imports: {local}")
    print(f"modules over {MAX_MODULE} lines: {len(long_mods)}", *long_mods, sep="\n   ")
    print(f"functions over {MAX_FUNCTION} lines: {len(long_fns)}", *long_fns, sep="\n   ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
