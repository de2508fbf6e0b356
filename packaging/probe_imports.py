"""Record every module a real Cove session imports, so the bundle is never missing a lazily imported one.

PyInstaller finds imports by reading code; transformers, sentence-transformers, lancedb and torch import much of
their code by name at run time, which static analysis cannot see. Running the real operations once (index a small
folder, search, ask the bundled model, status) in the build venv and writing `sorted(sys.modules)` gives the spec a
complete list of hidden imports. Run by build_bundle.py; standard library + Cove only.

    .venv/bin/python packaging/probe_imports.py OUT.txt
"""
from __future__ import annotations

import contextlib
import io
import os
import pkgutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "search"
QUESTION = "How often is the lamp cleaned?"


def _import_all(package: str) -> None:
    """Import every module of a first-party package (a module that fails to import is reported, not fatal)."""
    pkg = __import__(package)
    for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{package}."):
        if ".tests" in info.name or info.name.endswith(".__main__"):  # __main__ would start the app
            continue
        try:
            __import__(info.name)
        except Exception as exc:  # a feature under construction must not stop the build
            print(f"probe: cannot import {info.name}: {exc}", file=sys.stderr)


def _is_file_module(name: str) -> bool:
    """Skip aliases and virtual modules (shiboken's signature modules, Cython's shared `_cython_*`, six.moves): they
    have no file, PyInstaller cannot collect them, and listing them only floods the build log with errors."""
    spec = getattr(sys.modules.get(name), "__spec__", None)
    if spec is None:
        return False
    if spec.origin in ("built-in", "frozen") or (spec.origin and os.path.exists(spec.origin)):
        return True
    return bool(spec.submodule_search_locations)  # a namespace package


def run_session() -> None:
    """The real operations of a first start, in a throwaway data dir."""
    from app.cli import main

    with tempfile.TemporaryDirectory(prefix="cove-probe-") as tmp:
        os.environ["COVE_DATA_DIR"] = tmp
        os.environ.pop("COVE_CONFIG_DIR", None)
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            for argv in (["index", str(FIXTURES)], ["search", "lamp"], ["ask", QUESTION], ["status", "--json"]):
                code = main(argv)
                if code != 0:
                    raise SystemExit(f"probe: `cove {' '.join(argv)}` failed ({code}):\n{out.getvalue()}")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    run_session()
    for package in ("app", "indexer"):
        _import_all(package)
    names = sorted(n for n in list(sys.modules) if n != "__main__" and not n.startswith(("tests", "_pytest", "pytest"))
                   and _is_file_module(n))
    Path(argv[0]).write_text("\n".join(names) + "\n", encoding="utf-8")
    print(f"probe: {len(names)} modules imported by a real session -> {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
