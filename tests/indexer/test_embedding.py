"""The real embedder is shared by every thread of the process (GUI indexer + chat worker, watcher): concurrent calls
must neither fail ("Already borrowed") nor change the vectors."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from indexer.embedding import EMBEDDER_DIM, SentenceTransformerEmbedder


def test_concurrent_embedding_is_safe_and_deterministic(real_embedder):
    texts = [f"The keeper logged storm number {i} with wind from the west." for i in range(24)]
    expected = real_embedder.embed(texts)
    other = SentenceTransformerEmbedder(batch_size=4)  # a second instance shares the loaded weights
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda e: e.embed(texts), [real_embedder, other] * 4))
    assert expected.shape == (24, EMBEDDER_DIM)
    for r in results:
        assert np.allclose(r, expected, atol=1e-5)
    assert np.allclose(np.linalg.norm(expected, axis=1), 1.0, atol=1e-4)
