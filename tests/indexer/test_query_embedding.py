"""The torch-free query embedder gives the torch encoder's vectors, and importing lancedb leaves its REST client
unloaded (issue 12: cold `cove search`)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np

from indexer.query_embedding import NumpyMiniLM
from tests.conftest import corpus


def _real_chunks() -> list[str]:
    text = corpus("docs", "pandoc-tests", "markdown", "MANUAL.txt").read_text("utf-8", errors="replace")
    paragraphs = [p.strip() for p in text.split("\n\n") if len(p.strip()) > 80]
    return paragraphs[:: max(1, len(paragraphs) // 12)][:12] + [
        "How do I make a table of contents?",  # a short query
        "Ünïcödé naïve café — 東京 " * 3,  # accents, CJK
        "word " * 400,  # longer than the 256-token window: truncated the same way
    ]


def test_vectors_match_the_torch_encoder(real_embedder) -> None:  # type: ignore[no-untyped-def]
    texts = _real_chunks()
    expected = real_embedder.embed(texts)
    got = NumpyMiniLM().embed(texts)
    assert got.shape == expected.shape == (len(texts), 384)
    assert got.dtype == np.float32
    cos = (got * expected).sum(1)
    assert cos.min() >= 0.9999, cos
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert NumpyMiniLM.id == real_embedder.id and NumpyMiniLM.dim == real_embedder.dim


def test_empty_input() -> None:
    assert NumpyMiniLM().embed([]).shape == (0, 384)


def test_lancedb_import_defers_the_rest_client() -> None:
    code = ("import sys, indexer, lancedb\n"
            "assert 'lance_namespace_urllib3_client.api' not in sys.modules, 'REST API modules were imported'\n"
            "import lance_namespace_urllib3_client as m\n"
            "assert m.ApiClient.__name__ == 'ApiClient'  # first use runs the real package __init__\n"
            "assert 'lance_namespace_urllib3_client.api' in sys.modules\n"
            "from lancedb.db import DBConnection, LanceDBConnection\n"
            "assert sys.version_info >= (3, 12) or LanceDBConnection.table_names.__override__  # marker kept\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_search_path_never_imports_torch(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A fresh core embeds queries without torch (numpy MiniLM, or the ONNX embedder when that builds the index)."""
    code = ("import sys, app\n"
            "from app.core import CoveCore\n"
            "core = CoveCore()\n"
            "print(type(core.query_embedder.inner).__name__, core.query_embedder.embed(['hello']).shape)\n"
            "assert core.query_embedder.id == core.embedder.id\n"
            "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "COVE_DATA_DIR": str(tmp_path / "d")})
    assert out.returncode == 0, out.stderr  # (the child asserts torch was never imported)
    assert out.stdout.split()[0] in ("NumpyMiniLM", "OnnxInt8Embedder")  # whichever the index embedder calls for


def test_cache_is_bounded_and_exact(fake_embedder) -> None:  # type: ignore[no-untyped-def]
    from indexer.query_embedding import CachedEmbedder

    cached = CachedEmbedder(fake_embedder, max_items=3)
    texts = ["alpha beta", "gamma", "delta epsilon", "alpha beta"]
    got = cached.embed(texts)
    assert np.array_equal(got, fake_embedder.embed(texts))
    assert fake_embedder.texts_embedded == 3 + 4  # the duplicate was embedded once (plus the reference call)
    before = fake_embedder.texts_embedded
    cached.embed(["gamma", "delta epsilon"])
    assert fake_embedder.texts_embedded == before  # both cached
    cached.embed(["zeta", "eta"])
    assert len(cached._cache) == 3  # bounded: the least recently used went
    assert cached.embed([]).shape == (0, fake_embedder.dim)
