"""The layering rules of ARCHITECTURE.md, enforced: `indexer` never imports `app`, nothing outside `app/gui` imports
PySide6 (checked statically and by importing every core module with PySide6 made unimportable), and no module grows
past ~600 lines."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _core_files() -> list[Path]:
    files = list((ROOT / "indexer").rglob("*.py")) + list((ROOT / "app").rglob("*.py"))
    return [f for f in files if "gui" not in f.relative_to(ROOT).parts]


def test_indexer_never_imports_app():
    offenders = {str(f.relative_to(ROOT)): sorted(n for n in _imports(f) if n == "app" or n.startswith("app."))
                 for f in (ROOT / "indexer").rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_app_gui_imports_pyside6():
    offenders = {str(f.relative_to(ROOT)): sorted(n for n in _imports(f) if n.startswith(("PySide6", "shiboken6")))
                 for f in _core_files()}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_core_imports_with_pyside6_unimportable():
    modules = sorted({".".join(f.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                      for f in _core_files()})
    code = f"""
import importlib, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'shiboken6'):
            raise ImportError('PySide6 is blocked in this test')
sys.meta_path.insert(0, Block())
for m in {modules!r}:
    importlib.import_module(m)
assert not any(k.startswith('PySide6') for k in sys.modules)
print('ok', len({modules!r}))
"""
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.startswith("ok")


def test_no_module_is_over_600_lines():
    files = list((ROOT / "indexer").rglob("*.py")) + list((ROOT / "app").rglob("*.py"))
    long = {str(f.relative_to(ROOT)): n for f in files if (n := len(f.read_text(encoding="utf-8").splitlines())) > 600}
    assert long == {}
