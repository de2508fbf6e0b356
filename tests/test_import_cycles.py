"""No import cycles in `indexer/`, and none new in `app/`, found statically: every import statement of every module
(also the ones inside functions, which a cycle reaches just as surely, only later) becomes an edge, and the strongly
connected components of that graph are the cycles. Imports under `if TYPE_CHECKING:` never run and are left out;
importing a module of a package runs the package's `__init__` first, so that is an edge too.

Why: `indexer/prepare.py` and `indexer/mail/*` once imported each other (six modules in one knot, held together by
function-level imports); the shared records now live in the leaf `indexer/prepared.py`. This keeps it that way."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Cycles app/ is allowed to keep (none since `UsageError` moved to app/cli/errors.py: cli_mail imported app.cli back,
# closing a knot through launch → gui.main → resident_server → cli_mail; and since the resident server takes
# locations_of from app.core, not from app.cli.mail, whose package __init__ is the CLI). Add one only with a reason.
KNOWN_APP_CYCLES: list[set[str]] = []
# Cycles indexer/ is allowed to keep: none (the one seen once package `__init__`s became edges, indexer.ocr ↔
# indexer.parsers.pdf through MIN_TEXT_CHARS, was untied by defining that constant in the pdf parser).
KNOWN_INDEXER_CYCLES: list[set[str]] = []


def _modules() -> dict[str, Path]:
    out = {}
    for top in ("indexer", "app"):
        for f in (ROOT / top).rglob("*.py"):
            out[".".join(f.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")] = f
    return out


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `name` imports: `from a.b import c` is an edge to `a.b.c` when that is a module, else to
    `a.b`; relative imports are resolved against the module's package. Importing `a.b.c` runs the `__init__` of `a`
    and `a.b` first, so those are edges too, except `name`'s own packages (already imported when `name` runs)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit_one(other)
                continue
            visit_one(child)

    def visit_one(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for a in node.names:
                found.add(f"{module}.{a.name}" if f"{module}.{a.name}" in modules else module)
        visit(node)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    with_packages = {".".join(m.split(".")[:i]) for m in found for i in range(1, m.count(".") + 2)}
    own = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 2)}
    return {m for m in with_packages if m in modules and m not in own}


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components (iterative), keeping those of two or more modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, edges = work[-1]
            w = next(edges, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.add(w)
                    if w == v:
                        break
                if len(component) > 1:
                    result.append(component)
    return result


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def test_the_detector_finds_a_cycle_through_function_level_imports(tmp_path):
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [{"a", "b", "c"}]
    pkg = tmp_path / "indexer"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "one.py").write_text("from indexer.two import x\n")
    (pkg / "two.py").write_text("def f():\n    from . import one\nif TYPE_CHECKING:\n    import indexer.three\n")
    (pkg / "three.py").write_text("import indexer.two\n")
    modules = {"indexer": pkg / "__init__.py", "indexer.one": pkg / "one.py", "indexer.two": pkg / "two.py",
               "indexer.three": pkg / "three.py"}
    graph = {n: _imports(n, p, modules) for n, p in modules.items()}
    assert graph["indexer.two"] == {"indexer.one"}  # the relative, function-level import counts; TYPE_CHECKING not
    assert _cycles(graph) == [{"indexer.one", "indexer.two"}]
    sub = pkg / "sub"  # a package's __init__ runs before any of its modules: importing sub.leaf reaches sub
    sub.mkdir()
    (sub / "__init__.py").write_text("from indexer.three import y\n")
    (sub / "leaf.py").write_text("from indexer.sub import z\n")
    (pkg / "three.py").write_text("def f():\n    import indexer.sub.leaf\n")
    modules |= {"indexer.sub": sub / "__init__.py", "indexer.sub.leaf": sub / "leaf.py"}
    graph = {n: _imports(n, p, modules) for n, p in modules.items()}
    assert graph["indexer.three"] == {"indexer.sub", "indexer.sub.leaf"}
    assert graph["indexer.sub.leaf"] == set()  # its own package is already imported when it runs
    assert sorted(map(sorted, _cycles(graph))) == [["indexer.one", "indexer.two"], ["indexer.sub", "indexer.three"]]


def test_indexer_has_no_import_cycle():
    graph = _graph()
    assert "indexer.prepare" in graph and "indexer.mail.stores" in graph  # the modules of the old knot are seen
    new = [sorted(c) for c in _cycles(graph) if any(m.startswith("indexer") for m in c)
           and not any(c <= known for known in KNOWN_INDEXER_CYCLES)]
    assert new == []


def test_app_has_no_new_import_cycle():
    new = [sorted(c) for c in _cycles(_graph()) if any(m == "app" or m.startswith("app.") for m in c)
           and not any(c <= known for known in KNOWN_APP_CYCLES)]
    assert new == []
