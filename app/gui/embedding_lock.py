"""An embedder wrapper that lets one thread embed at a time and loads the real model only on first use.

The GUI embeds from two threads (the indexer writing, the chat worker embedding a question). A Hugging Face fast
tokenizer used concurrently raises "Already borrowed", and two torch forward passes on a 2-core machine only slow
each other down; a question waits at most one indexing batch. Qt-free."""
from __future__ import annotations

import threading
from typing import Any, Callable, Sequence


def _default_factory(batch_size: int) -> Callable[[], Any]:
    def make() -> Any:
        from indexer.embedding import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(batch_size=batch_size)

    return make


class SerializedEmbedder:
    """Satisfies indexer.embedding.Embedder. `id`/`dim` come from constants, so no torch import is needed for them."""

    def __init__(self, inner: Any = None, *, factory: Callable[[], Any] | None = None, batch_size: int = 64) -> None:
        self._inner = inner
        self._factory = factory or _default_factory(batch_size)
        self._lock = threading.Lock()

    @property
    def inner(self) -> Any:
        with self._lock:
            return self._ensure()

    def _ensure(self) -> Any:
        if self._inner is None:
            self._inner = self._factory()
        return self._inner

    @property
    def id(self) -> str:
        if self._inner is not None:
            return self._inner.id
        from indexer.embedding import EMBEDDER_ID

        return EMBEDDER_ID

    @property
    def dim(self) -> int:
        if self._inner is not None:
            return int(self._inner.dim)
        from indexer.embedding import EMBEDDER_DIM

        return EMBEDDER_DIM

    def embed(self, texts: Sequence[str]) -> Any:
        with self._lock:
            return self._ensure().embed(texts)

    def warm_up(self) -> None:
        """Load the model now (in a worker) so the first question does not wait for torch."""
        self.embed(["warm up"])
