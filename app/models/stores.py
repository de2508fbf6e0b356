"""Where other local-AI apps keep their GGUF models, and which files there are models. Read only: nothing here
writes, copies, renames or opens a file for writing; it lists directories and reads Ollama's small JSON manifests.

Bounded, never a disk walk: each store is a known folder walked to a fixed depth, hidden folders are skipped, at
most MAX_PER_STORE files are taken from one store, and a manifest over 1 MB is ignored. Folder symlinks are followed
(people move model folders to bigger disks) but each real folder is visited once, so a link loop ends. Files are
de-duplicated by real path: an HF cache snapshot and an LM Studio symlink to the same blob are one model.

Stores (Linux paths; macOS/Windows equivalents where the app documents them):
  ollama       $OLLAMA_MODELS, ~/.ollama/models, /usr/share/ollama/.ollama/models (the Linux service user).
               manifests/<host>/<namespace>/<model>/<tag> is JSON; its layer with mediaType
               application/vnd.ollama.image.model names the GGUF blob blobs/sha256-<hex> by digest.
  lmstudio     ~/.lmstudio/models, ~/.cache/lm-studio/models: <publisher>/<repo>/*.gguf
  gpt4all      $XDG_DATA_HOME/nomic.ai/GPT4All/*.gguf (~/Library/Application Support/…, %LOCALAPPDATA%\\…)
  jan          ~/jan/models, $XDG_DATA_HOME/Jan/data/{models,llamacpp/models} (and the macOS/Windows app dirs)
  huggingface  $HF_HUB_CACHE, $HF_HOME/hub, $XDG_CACHE_HOME/huggingface/hub: models--*/snapshots/*/**.gguf
  llamafile    *.llamafile in ~, ~/Downloads, ~/.llamafile, ~/models (a zip-wrapped program with a GGUF inside)
  downloads    loose *.gguf in ~/Downloads and ~/models (depth 1)
"""
from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_PER_STORE = 400
MAX_MANIFEST_BYTES = 1_000_000
OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"
SOURCES = ("ollama", "lmstudio", "gpt4all", "jan", "huggingface", "llamafile", "downloads")


@dataclass(frozen=True)
class Found:
    """One model file as a store names it. `path` is where it was found (maybe a symlink), `real_path` the file."""

    source: str
    path: Path
    real_path: Path
    label: str  # the store's own name: "llama3.2:3b", "lmstudio-community/Qwen2.5-7B-Instruct-GGUF"
    kind: str = "gguf"  # gguf | llamafile


@dataclass(frozen=True)
class Searched:
    """A folder that was looked at, for `cove models --json` ("where did you look?")."""

    source: str
    path: str
    exists: bool
    found: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"source": self.source, "path": self.path, "exists": self.exists, "found": self.found}


def _home() -> Path:
    return Path(os.path.expanduser("~"))


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None


def _app_data_dirs() -> list[Path]:
    """Per-user application data folders: XDG data on Linux, Application Support on macOS, AppData on Windows."""
    home = _home()
    if sys.platform == "darwin":
        return [home / "Library" / "Application Support"]
    if os.name == "nt":
        return [p for p in (_env_path("LOCALAPPDATA"), _env_path("APPDATA")) if p]
    return [_env_path("XDG_DATA_HOME") or home / ".local" / "share"]


def _downloads() -> Path:
    try:
        from platformdirs import user_downloads_dir

        return Path(user_downloads_dir())
    except Exception:  # noqa: BLE001 - a missing or odd XDG config must not break discovery
        return _home() / "Downloads"


def store_roots() -> dict[str, list[Path]]:
    """Candidate folders per source, in search order (duplicates removed later by real path)."""
    home = _home()
    apps = _app_data_dirs()
    hf = _env_path("HF_HUB_CACHE")
    if hf is None and _env_path("HF_HOME"):
        hf = _env_path("HF_HOME") / "hub"  # type: ignore[operator]
    if hf is None:
        hf = (_env_path("XDG_CACHE_HOME") or home / ".cache") / "huggingface" / "hub"
    ollama = [p for p in (_env_path("OLLAMA_MODELS"), home / ".ollama" / "models") if p]
    if sys.platform.startswith("linux"):
        ollama.append(Path("/usr/share/ollama/.ollama/models"))
    downloads = _downloads()
    return {
        "ollama": ollama,
        "lmstudio": [home / ".lmstudio" / "models", home / ".cache" / "lm-studio" / "models"],
        "gpt4all": [a / "nomic.ai" / "GPT4All" for a in apps],
        "jan": [home / "jan" / "models", *(a / "Jan" / "data" / sub for a in apps
                                           for sub in ("models", "llamacpp/models"))],
        "huggingface": [hf],
        "llamafile": [home, downloads, home / ".llamafile", home / "models"],
        "downloads": [downloads, home / "models"],
    }


# walking -------------------------------------------------------------------------------------------------------
def _walk(root: Path, depth: int, suffix: str, seen_dirs: set[str]) -> Iterator[Path]:
    """Files under root ending in `suffix` (case-insensitive), at most `depth` folders down, hidden folders skipped."""
    try:
        real = os.path.realpath(root)
        if real in seen_dirs:
            return
        seen_dirs.add(real)
        with os.scandir(root) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_file() and entry.name.lower().endswith(suffix):
                yield Path(entry.path)
            elif depth > 0 and entry.is_dir() and not entry.name.startswith("."):
                yield from _walk(Path(entry.path), depth - 1, suffix, seen_dirs)
        except OSError:
            continue


def _relative_label(root: Path, path: Path, parts: int) -> str:
    try:
        rel = path.relative_to(root).parts
    except ValueError:
        return path.name
    return "/".join(rel[:parts]) if len(rel) > parts else "/".join(rel)


def _ollama(root: Path) -> Iterator[tuple[Path, str]]:
    manifests, blobs = root / "manifests", root / "blobs"
    for manifest in _walk(manifests, 3, "", set()):  # <host>/<namespace>/<model>/<tag>: files three levels down
        try:
            rel = manifest.relative_to(manifests).parts
            if len(rel) != 4 or manifest.stat().st_size > MAX_MANIFEST_BYTES:
                continue
            doc = json.loads(manifest.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        layers = doc.get("layers") if isinstance(doc, dict) else None
        layer = next((lay for lay in layers or [] if isinstance(lay, dict)
                      and lay.get("mediaType") == OLLAMA_MODEL_LAYER), None)
        digest = str(layer.get("digest", "")) if layer else ""
        if not digest.startswith("sha256:"):
            continue
        hexdigest = digest.split(":", 1)[1]
        if not hexdigest.isalnum():
            continue  # a digest is hex; never let a manifest steer us to another folder
        blob = next((b for b in (blobs / f"sha256-{hexdigest}", blobs / f"sha256:{hexdigest}") if b.is_file()), None)
        if blob is None:
            continue
        host, namespace, model, tag = rel
        if host == "registry.ollama.ai":
            name = f"{model}:{tag}" if namespace == "library" else f"{namespace}/{model}:{tag}"
        else:
            name = f"{host}/{namespace}/{model}:{tag}"
        yield blob, name


def _files(source: str, root: Path) -> Iterator[tuple[Path, str]]:
    if source == "ollama":
        yield from _ollama(root)
    elif source == "lmstudio":
        for p in _walk(root, 2, ".gguf", set()):
            yield p, _relative_label(root, p, 2)
    elif source == "gpt4all":
        for p in _walk(root, 0, ".gguf", set()):
            yield p, p.name
    elif source == "jan":
        for p in _walk(root, 3, ".gguf", set()):
            yield p, _relative_label(root, p, 1)
    elif source == "huggingface":
        for repo in sorted(root.glob("models--*")):
            repo_name = repo.name[len("models--"):].replace("--", "/")
            for p in _walk(repo / "snapshots", 3, ".gguf", set()):
                yield p, repo_name
    elif source == "llamafile":
        for p in _walk(root, 1 if root != _home() else 0, ".llamafile", set()):
            yield p, p.name
    elif source == "downloads":
        for p in _walk(root, 0, ".gguf", set()):
            yield p, p.name


def find_models() -> tuple[list[Found], list[Searched]]:
    """Every model file the known stores hold, de-duplicated by real path, and the folders that were looked at."""
    found: list[Found] = []
    searched: list[Searched] = []
    seen_files: set[str] = set()
    seen_roots: set[tuple[str, str]] = set()
    for source, roots in store_roots().items():
        for root in roots:
            real_root = os.path.realpath(root)
            if (source, real_root) in seen_roots:
                continue
            seen_roots.add((source, real_root))
            if not root.is_dir():
                searched.append(Searched(source, str(root), False))
                continue
            count = 0
            for path, label in _files(source, root):
                if count >= MAX_PER_STORE:
                    break
                real = os.path.realpath(path)
                if real in seen_files:
                    continue
                seen_files.add(real)
                count += 1
                found.append(Found(source, path, Path(real), label,
                                   "llamafile" if source == "llamafile" else "gguf"))
            searched.append(Searched(source, str(root), True, count))
    return found, searched
