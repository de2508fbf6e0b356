"""The switch from exact to ANN vector search is automatic: below the threshold no index, above it an IVF-PQ index
that search uses, with results still found."""
from __future__ import annotations

import numpy as np

from app import paths
from indexer.retrieval import Searcher
from indexer.store import DocRow, Store


def test_vector_index_is_built_once_the_table_is_large(fake_embedder):
    store = Store(paths.index_dir(), fake_embedder.id, fake_embedder.dim)
    words = [f"w{i}" for i in range(400)]
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(words, 12)) for _ in range(3000)]
    rows = [{"chunk_id": f"d:s:{i}", "doc_id": "d", "doc_sha": "s", "ordinal": i, "text": t, "page": None,
             "section": "", "line_start": None, "line_end": None, "part": ""} for i, t in enumerate(texts)]
    store.upsert_chunks(rows, fake_embedder.embed(texts))
    store.upsert_documents([DocRow(doc_id="d", path="/x.txt", sha256="s", n_chunks=3000)])
    store.optimize()
    assert not store.has_vector_index(), "below the threshold search stays exact"
    assert store.ensure_vector_index(min_rows=2000)
    assert store.has_vector_index()
    assert not store.ensure_vector_index(min_rows=2000), "built once"
    hits = Searcher(store, fake_embedder).search(texts[42], k=5, mode="vector", per_doc=5)
    assert any(h.ordinal == 42 for h in hits)
