"""Which embedder Cove runs: the `embedder_backend` setting ("onnx-int8", the default, or "torch"), with a fallback.

Both backends run the same bundled all-MiniLM-L6-v2 but give slightly different vectors, so they have different ids:
an index records the id it was built with, and vectors of two ids are never mixed in one index (a changed backend
re-embeds the stored chunk texts, see indexer/reembed.py).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Callable

from indexer.embedding import EMBEDDER_ID, Embedder, SentenceTransformerEmbedder
from indexer.onnx_embedder import ONNX_INT8_ID, OnnxInt8Embedder

BACKENDS = ("onnx-int8", "torch")
DEFAULT_BACKEND = "onnx-int8"
_IDS = {"onnx-int8": ONNX_INT8_ID, "torch": EMBEDDER_ID}


def backend_of(embedder_id: str) -> str | None:
    """The backend that makes vectors with this id, or None for an embedder this Cove does not have."""
    return next((b for b, i in _IDS.items() if i == embedder_id), None)


def onnx_unavailable(cache_dir: Path) -> str:
    """Why the ONNX backend cannot run here ("" when it can): onnxruntime must import, and the int8 file must be
    cached already or be makeable (the export needs the `onnx` package and torch)."""
    try:
        import onnxruntime  # noqa: F401
    except Exception as exc:  # a broken wheel raises more than ImportError
        return f"onnxruntime could not be loaded ({type(exc).__name__}: {exc})"
    from indexer.onnx_export import cached_model_ok
    from indexer.query_embedding import bundled_model_dir

    try:
        if cached_model_ok(cache_dir, bundled_model_dir()):
            return ""
    except OSError as exc:
        return f"the bundled model could not be read ({exc})"
    if importlib.util.find_spec("onnx") is None:
        return "the int8 model is not prepared yet and the `onnx` package (needed to prepare it) is missing"
    return ""


def make_embedder(backend: str, cache_dir: Path, *, batch_size: int = 64,
                  notify: Callable[[str], None] | None = None) -> Embedder:
    """The embedder for `backend`. When ONNX Runtime cannot run, the torch embedder is returned and `notify` is told
    why (the index then stays on, or moves back to, the torch embedder's vectors)."""
    if backend == "onnx-int8":
        why = onnx_unavailable(cache_dir)
        if not why:
            return OnnxInt8Embedder(cache_dir)
        if notify is not None:
            notify(f"{why}; using the torch embedder instead (set embedder_backend to \"torch\" to silence this)")
    elif backend != "torch":
        raise ValueError(f"unknown embedder backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    return SentenceTransformerEmbedder(batch_size=batch_size)


def embedder_for_id(embedder_id: str, cache_dir: Path, *, batch_size: int = 64) -> Embedder | None:
    """The embedder that made an existing index (to answer from it while it is re-embedded), if this Cove has it."""
    backend = backend_of(embedder_id)
    if backend is None or (backend == "onnx-int8" and onnx_unavailable(cache_dir)):
        return None
    return make_embedder(backend, cache_dir, batch_size=batch_size)
