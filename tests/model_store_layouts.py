"""Fake stores of other local-AI apps in a temp HOME, laid out as those apps lay them out, whose model files are
symlinks to REAL GGUF files (the bundled Gemma and SmolLM2). Shared by the discovery, CLI and GUI tests."""
from __future__ import annotations

import hashlib
import json
import os
import struct
from pathlib import Path

import pytest

# Every variable that can point discovery somewhere other than the temp HOME.
STORE_ENV = ("OLLAMA_MODELS", "HF_HOME", "HF_HUB_CACHE", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME",
             "XDG_DOWNLOAD_DIR", "LOCALAPPDATA", "APPDATA")


def fake_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in STORE_ENV:
        monkeypatch.delenv(name, raising=False)
    return home


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def ollama_model(home: Path, target: Path, model: str, tag: str, digest: str, namespace: str = "library") -> Path:
    """~/.ollama/models: manifests/registry.ollama.ai/<ns>/<model>/<tag> names blobs/sha256-<hex> by digest."""
    root = home / ".ollama" / "models"
    blobs = root / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    blob = blobs / f"sha256-{digest}"
    if not blob.exists():
        blob.symlink_to(target)
    template = b"{{ .Prompt }}"
    tdigest = hashlib.sha256(template).hexdigest()
    (blobs / f"sha256-{tdigest}").write_bytes(template)
    manifest = root / "manifests" / "registry.ollama.ai" / namespace / model / tag
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": "sha256:" + "0" * 64,
                   "size": 10},
        "layers": [
            {"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{digest}",
             "size": target.stat().st_size},
            {"mediaType": "application/vnd.ollama.image.template", "digest": f"sha256:{tdigest}",
             "size": len(template)},
        ]}))
    return blob


def lmstudio_model(home: Path, target: Path, publisher: str, repo: str, filename: str) -> Path:
    folder = home / ".lmstudio" / "models" / publisher / repo
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / filename
    link.symlink_to(target)
    return link


def hf_model(home: Path, target: Path, repo_id: str, filename: str, revision: str = "a" * 40) -> Path:
    """~/.cache/huggingface/hub/models--org--name/snapshots/<rev>/<file> -> ../../blobs/<hash> -> the real file."""
    repo = home / ".cache" / "huggingface" / "hub" / ("models--" + repo_id.replace("/", "--"))
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    blob = repo / "blobs" / hashlib.sha256(str(target).encode()).hexdigest()
    blob.symlink_to(target)
    snap = repo / "snapshots" / revision
    snap.mkdir(parents=True, exist_ok=True)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(revision)
    link = snap / filename
    link.symlink_to(os.path.relpath(blob, snap))
    return link


def _gguf_string(s: str) -> bytes:
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def tiny_gguf(path: Path, meta: dict[str, object]) -> Path:
    """A GGUF header with the given string/uint32 keys and no tensors: enough for header-only readers."""
    body = b""
    for key, value in meta.items():
        body += _gguf_string(key)
        if isinstance(value, str):
            body += struct.pack("<I", 8) + _gguf_string(value)
        else:
            body += struct.pack("<I", 4) + struct.pack("<I", int(value))  # type: ignore[call-overload]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"GGUF" + struct.pack("<I", 3) + struct.pack("<Q", 0) + struct.pack("<Q", len(meta)) + body)
    return path


def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """(size, mtime_ns, mode) of every entry under root, links not followed: to prove nothing was written."""
    out: dict[str, tuple[int, int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, name))
            out[os.path.join(dirpath, name)] = (st.st_size, st.st_mtime_ns, st.st_mode)
    return out
