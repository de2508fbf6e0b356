"""The bundled all-MiniLM-L6-v2 run by ONNX Runtime with int8 weights: the same model at about twice the speed.

Why: on these CPUs the torch encoder already runs at ~98 % of the fp32 arithmetic peak (issue 12), so only smaller
arithmetic helps; int8 MatMuls (AVX2 / AVX-512 VNNI kernels in ONNX Runtime) measured 2.0-2.2x torch on real
chunks, with vectors at cosine ≥ 0.98 to torch's (tests/indexer/test_onnx_embedder.py) and retrieval quality kept
(tests/benchmarks/bench_retrieval.py --backend onnx-int8). Inference needs only onnxruntime, the `tokenizers`
library and numpy: no torch import (torch is needed once, to export the file; see indexer/onnx_export.py).

Texts are tokenised once, sorted by length and batched, so a batch pads only to its own longest text (on real
chunks, unsorted batches ran at about half the speed).
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from indexer.embedding import EMBEDDER_DIM, EMBEDDER_ID, EMBEDDER_MAX_TOKENS, _encode_lock

ONNX_INT8_ID = EMBEDDER_ID + "+onnx-int8"
# Texts per forward pass. Speed: bench_embedder.py found 16/32/64 within noise once sorted; 192 Pandoc-manual
# chunks (256 tokens) in one process ran 5.3 chunks/s with 16 and 5.1 with 32 (load ~7 on 2 CPUs). Memory decides:
# 64 such texts took the process from 120 MB to 401 MB RSS with 16 and 669 MB with 32 (ONNX Runtime's arena keeps
# that peak), a writer peak that sits on top of the parse and OCR workers in a whole `cove index` run (tests/
# benchmarks/bench_index_rss.py; an earlier run with 32, not repeated since: tree 2,346 MB, over issue 13's 1.5 GB).
DEFAULT_BATCH = 16

# SPIN: ONNX Runtime's intra-op threads spin after each pass by default, waiting for the next one. In a resident
# Cove the question and its sentences are embedded right before the language model evaluates its prompt on the same
# two CPUs: with spinning, `cove serve` measured first-token times of 1.4-1.8 s for prompts that took 0.8-1.1 s in a
# process without it (top showed three busy threads on two CPUs). Spinning off altogether ("allow_spinning" 0):
# 0.5-1.0 s, but the indexing pipeline fell from 1.88x to 1.56x the raw torch encoder (every operator then wakes
# sleeping threads; bench_embedder, docs corpus, quiet machine). "force_spinning_stop" keeps the spinning inside a
# pass and stops it when the pass returns.
_sessions: dict[str, object] = {}
_sessions_lock = threading.Lock()


def usable_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _session(path: Path, threads: int):  # type: ignore[no-untyped-def]
    """One session per file and process (the CLI, GUI and tests may build several embedders)."""
    import onnxruntime as ort

    key = f"{path}:{threads}"
    with _sessions_lock:
        sess = _sessions.get(key)
        if sess is None:
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads  # one per core: ORT's pool, sized to what this process may use
            opts.inter_op_num_threads = 1
            # no arena: it kept each pass's peak for the process's life (192 chunks of 256 tokens: 403 MB held vs
            # 114 MB after malloc_trim without it; the same peak and speed within noise, 4.0-4.8 vs 4.3-4.6 chunks/s)
            opts.enable_cpu_mem_arena = False
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            opts.log_severity_level = 3
            # spin between the operators of a pass, never after it (SPIN above)
            opts.add_session_config_entry("session.force_spinning_stop", "1")
            sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
            _sessions[key] = sess
        return sess


class OnnxInt8Embedder:
    """Cheap to construct; the first `embed` makes (once per data dir) or verifies the int8 file and loads it."""

    id = ONNX_INT8_ID
    dim = EMBEDDER_DIM

    def __init__(self, cache_dir: Path, batch_size: int = DEFAULT_BATCH, threads: int = 0,
                 model_dir: Path | None = None, max_tokens: int = EMBEDDER_MAX_TOKENS) -> None:
        self.cache_dir = Path(cache_dir)
        self.batch_size = max(1, batch_size)
        self.threads = threads or usable_cpus()
        self.model_dir = model_dir
        self.max_tokens = max_tokens
        self._sess = None
        self._tok = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Make sure the file exists, matches its hash, and is loaded (raises when it cannot be made)."""
        with self._lock:
            if self._sess is not None:
                return
            from tokenizers import Tokenizer

            from indexer.onnx_export import ensure_int8_model
            from indexer.query_embedding import bundled_model_dir

            folder = self.model_dir or bundled_model_dir()
            tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
            tok.no_padding()  # the shipped tokenizer.json pads every text to 128; we pad per sorted batch
            tok.enable_truncation(self.max_tokens)  # as the torch encoder's max_seq_length
            self._sess = _session(ensure_int8_model(self.cache_dir, folder), self.threads)
            self._tok = tok

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.load()
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with _encode_lock:  # one forward pass at a time per process (see indexer/embedding.py)
            encodings = self._tok.encode_batch(list(texts))  # type: ignore[union-attr]
            order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
            for start in range(0, len(order), self.batch_size):
                idx = order[start:start + self.batch_size]
                width = len(encodings[idx[-1]].ids)
                ids = np.zeros((len(idx), width), dtype=np.int64)
                mask = np.zeros((len(idx), width), dtype=np.int64)
                for row, i in enumerate(idx):
                    n = len(encodings[i].ids)
                    ids[row, :n] = encodings[i].ids
                    mask[row, :n] = 1
                out[idx] = self._sess.run(None, {"input_ids": ids, "attention_mask": mask,  # type: ignore[union-attr]
                                                 "token_type_ids": np.zeros_like(ids)})[0]
        return out
