"""The int8 ONNX embedder (issue 12): the same model as the torch encoder, so its vectors must match torch's on real
chunks; the prepared file is hash-checked; a broken onnxruntime falls back to torch with a message."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import corpus


@pytest.fixture(scope="session")
def onnx_embedder(onnx_model_cache: Path):  # type: ignore[no-untyped-def]
    from indexer.onnx_embedder import OnnxInt8Embedder

    emb = OnnxInt8Embedder(onnx_model_cache)
    emb.load()
    return emb


def _real_chunks() -> list[str]:
    """Chunks exactly as the pipeline makes them, from prose, a manual, a PDF, a DOCX and a web page."""
    from indexer.chunking import default_token_counter
    from indexer.prepare import PrepareConfig, prepare_source

    files = [corpus("docs", "pandoc-tests", "markdown", "MANUAL.txt"),
             corpus("docs", "pandoc-tests", "markdown", "testsuite.txt"),
             corpus("docs", "python-docx-tests", "par-known-paragraphs.docx"),
             corpus("pdf", "pdfminer-samples", "simple2.pdf")]
    files += sorted(corpus("html", "readability-test-pages").rglob("*.html"))[:3]
    texts: list[str] = []
    for f in files:
        for p in prepare_source(str(f), [], PrepareConfig(100 << 20), default_token_counter()):
            texts += [c.text for c in (p.chunks or ())][:40]  # MANUAL.txt alone has hundreds
    assert len(texts) > 60
    return texts


def test_onnx_vectors_match_torch_on_real_chunks(real_embedder, onnx_embedder) -> None:  # type: ignore[no-untyped-def]
    texts = _real_chunks()
    onnx, torch_vecs = onnx_embedder.embed(texts), real_embedder.embed(texts)
    assert onnx.shape == torch_vecs.shape == (len(texts), 384) and onnx.dtype == np.float32
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-4)
    cos = (onnx * torch_vecs).sum(axis=1)
    assert cos.min() >= 0.97, f"worst chunk: {texts[int(cos.argmin())][:200]!r} cos={cos.min():.4f}"
    assert cos.mean() >= 0.985
    # batching matters only within int8 noise: activations are quantised per batch (dynamic quantisation), so a text
    # embedded alone differs slightly from the same text in a batch (measured 0.9947-0.9964), never more
    alone = np.vstack([onnx_embedder.embed([t]) for t in texts[:8]])
    assert ((alone * onnx[:8]).sum(axis=1) >= 0.99).all()
    assert onnx_embedder.id != real_embedder.id and onnx_embedder.id.startswith(real_embedder.id)


def test_the_nearest_chunk_is_the_same(real_embedder, onnx_embedder) -> None:  # type: ignore[no-untyped-def]
    """Retrieval, not just vectors: for queries made from real chunks, both embedders rank the same chunk first."""
    texts = _real_chunks()
    queries = [" ".join(t.split()[5:17]) for t in texts[::7]]
    top_onnx = (onnx_embedder.embed(queries) @ onnx_embedder.embed(texts).T).argmax(axis=1)
    top_torch = (real_embedder.embed(queries) @ real_embedder.embed(texts).T).argmax(axis=1)
    assert (top_onnx == top_torch).mean() >= 0.9


def test_prepared_file_is_checked_by_hash(tmp_path: Path, onnx_model_cache: Path) -> None:
    from indexer.onnx_export import MANIFEST_NAME, ONNX_NAME, cached_model_ok
    from indexer.query_embedding import bundled_model_dir

    cache = tmp_path / "models"
    shutil.copytree(onnx_model_cache, cache)
    assert cached_model_ok(cache, bundled_model_dir())
    with open(cache / ONNX_NAME, "r+b") as fh:  # one flipped byte in the middle of the weights
        fh.seek(5_000_000)
        b = fh.read(1)
        fh.seek(5_000_000)
        fh.write(bytes([b[0] ^ 0xFF]))
    assert not cached_model_ok(cache, bundled_model_dir())
    (cache / ONNX_NAME).unlink()
    assert not cached_model_ok(cache, bundled_model_dir())
    assert (cache / MANIFEST_NAME).exists()
    site = Path(np.__file__).resolve().parents[1]
    assert not any(site.rglob("*.int8.onnx")), "the prepared model must never be written into site-packages"


def test_falls_back_to_torch_when_onnxruntime_cannot_load(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from indexer.embedders import make_embedder
    from indexer.embedding import SentenceTransformerEmbedder
    from indexer.onnx_embedder import OnnxInt8Embedder

    assert isinstance(make_embedder("onnx-int8", tmp_path), OnnxInt8Embedder)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as with a broken wheel
    told: list[str] = []
    emb = make_embedder("onnx-int8", tmp_path, notify=told.append)
    assert isinstance(emb, SentenceTransformerEmbedder)
    assert told and "onnxruntime could not be loaded" in told[0] and "torch" in told[0]
    assert isinstance(make_embedder("torch", tmp_path), SentenceTransformerEmbedder)
    with pytest.raises(ValueError):
        make_embedder("tensorflow", tmp_path)


def test_setting_is_validated() -> None:
    from app.settings import Settings, SettingsError

    s = Settings.load()
    assert s.get("embedder_backend") == "onnx-int8"
    s.set("embedder_backend", "torch")
    with pytest.raises(SettingsError):
        s.set("embedder_backend", "onnx")


def test_a_pass_gives_its_memory_back(onnx_model_cache: Path) -> None:
    """Issue 12: after embedding and `indexer.heap.give_back()` the process is back near its loaded size. With ONNX
    Runtime's arena on, 64 texts of 256 tokens kept ~270 MB for the process's life. A fresh process, because the
    session is shared per process and an earlier test's passes would already be counted."""
    import subprocess

    code = f"""
from pathlib import Path
from indexer.heap import give_back
from indexer.onnx_embedder import OnnxInt8Embedder
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
emb = OnnxInt8Embedder(Path({str(onnx_model_cache)!r}), batch_size=16)
emb.embed(["warm up"])
give_back()
loaded = rss()
words = Path({str(corpus("docs", "pandoc-tests", "markdown", "MANUAL.txt"))!r}).read_text().split()
emb.embed([" ".join(words[i * 300:(i + 1) * 300]) for i in range(64)])  # each truncated to 256 tokens
give_back()
print(loaded, rss())
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2], capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    loaded, after = map(float, out.stdout.split()[-2:])
    assert after - loaded < 100, f"the pass kept {after - loaded:.0f} MB (loaded {loaded:.0f} MB, after {after:.0f} MB)"
