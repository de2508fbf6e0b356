"""The one core the CLI and the GUI both drive: settings → store, embedder, the single indexer (writer) and the
searcher. Heavy pieces (LanceDB, torch, the embedder) are created lazily on first use, never at import time."""
from __future__ import annotations

import threading
from collections import Counter
from typing import Any, Sequence

from app import paths
from app.settings import Settings


class CoveCore:
    def __init__(self, settings: Settings | None = None, *, embedder: Any = None) -> None:
        self.settings = settings or Settings.load()
        self._embedder = embedder
        self._store: Any = None
        self._indexer: Any = None
        self._searcher: Any = None
        self._lock = threading.RLock()

    # --- lazily built parts --------------------------------------------------------------------------------------
    @property
    def embedder(self) -> Any:
        with self._lock:
            if self._embedder is None:
                from indexer.embedding import SentenceTransformerEmbedder

                self._embedder = SentenceTransformerEmbedder(batch_size=int(self.settings.get("embed_batch_size", 64)))
            return self._embedder

    @property
    def store(self) -> Any:
        with self._lock:
            if self._store is None:
                from indexer.store import Store

                self._store = Store(paths.index_dir(), self.embedder.id, self.embedder.dim, rebuild_on_mismatch=False)
            return self._store

    def open_store_for_writing(self, rebuild: bool = False) -> Any:
        with self._lock:
            if self._store is None:
                from indexer.store import Store

                self._store = Store(paths.index_dir(), self.embedder.id, self.embedder.dim, rebuild_on_mismatch=rebuild)
            return self._store

    @property
    def indexer(self) -> Any:
        with self._lock:
            if self._indexer is None:
                from indexer.pipeline import IndexConfig, Indexer

                s = self.settings
                config = IndexConfig(
                    max_file_mb=float(s.get("max_file_mb", 100)),
                    chunk_tokens=int(s.get("chunk_tokens", 200)),
                    overlap_tokens=int(s.get("chunk_overlap_tokens", 32)),
                    ignore_globs=tuple(s.get("ignore_globs", [])),
                )
                self._indexer = Indexer(self.open_store_for_writing(), self.embedder, config)
            return self._indexer

    @property
    def searcher(self) -> Any:
        with self._lock:
            if self._searcher is None:
                from indexer.retrieval import Searcher

                self._searcher = Searcher(self.store, self.embedder)
            return self._searcher

    # --- operations ----------------------------------------------------------------------------------------------
    def index(self, paths_: Sequence[str], **kwargs: Any) -> Any:
        return self.indexer.index_paths(list(paths_), **kwargs)

    def search(self, query: str, k: int | None = None, **kwargs: Any) -> list[Any]:
        return self.searcher.search(query, k or int(self.settings.get("search_k", 8)), **kwargs)

    def status(self) -> dict[str, Any]:
        from indexer.store import Store

        store: Store = self.store
        docs = store.load_documents().values()
        by_kind: dict[str, Counter[str]] = {}
        for d in docs:
            by_kind.setdefault(d.kind or "file", Counter())[d.status] += 1
        errors = sorted(({"path": d.path, "status": d.status, "reason": d.error} for d in docs if d.status != "indexed"),
                        key=lambda e: (e["status"], e["path"]))
        totals = Counter(d.status for d in docs)
        return {
            "data_dir": str(paths.data_dir()),
            "index_dir": str(store.directory),
            "embedder": {"id": store.embedder_id, "dim": store.dim},
            "documents": sum(totals.values()),
            "by_status": {k: totals.get(k, 0) for k in ("indexed", "skipped", "error")},
            "by_kind": {kind: dict(c) for kind, c in sorted(by_kind.items())},
            "chunks": store.chunk_count(),
            "problems": errors,
        }

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
            self._store = self._indexer = self._searcher = None
