"""Indexing throughput vs raw embedding throughput, in one run, on the same chunk texts.

    .venv/bin/python -m tests.benchmarks.bench_indexing [PATH ...]    (default: ../shared/corpora/docs and pdf)

The pipeline parses, chunks, embeds and writes; the raw figure is `SentenceTransformer.encode` alone on exactly the
texts the pipeline produced. Target: pipeline chunks/s ≥ 0.9 × raw chunks/s (parsing and writing hidden behind
embedding). Prints a markdown table. Run it on a quiet machine: it measures wall-clock time.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from tests.benchmarks.scratch import scratch_dir

ROOT = Path(__file__).resolve().parents[2]
CORPORA = ROOT.parent / "shared" / "corpora"


def main(argv: list[str]) -> int:
    paths = argv or [str(CORPORA / "docs"), str(CORPORA / "pdf")]
    os.environ["COVE_DATA_DIR"] = scratch_dir(prefix="cove-bench-")
    import app  # noqa: F401
    from app import paths as app_paths
    from indexer.embedding import SentenceTransformerEmbedder
    from indexer.pipeline import IndexConfig, Indexer
    from indexer.store import Store

    import torch

    embedder = SentenceTransformerEmbedder(batch_size=64)
    embedder.embed(["warm up the model and the allocator"] * 8)
    store = Store(app_paths.index_dir(), embedder.id, embedder.dim)
    indexer = Indexer(store, embedder, IndexConfig())
    indexer.counter.count_many(["warm up the tokenizer"])

    started = time.perf_counter()
    report = indexer.index_paths(paths)
    pipeline_s = time.perf_counter() - started
    texts = store.chunks_table.to_arrow().column("text").to_pylist()
    n_files = sum(report.counts.get(k, 0) for k in ("indexed", "skipped", "error"))

    started = time.perf_counter()
    embedder.model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                          show_progress_bar=False)
    raw_s = time.perf_counter() - started

    pipe_cps, raw_cps = len(texts) / pipeline_s, len(texts) / raw_s
    print(f"\nCorpus: {', '.join(paths)}; torch threads {torch.get_num_threads()}, {os.cpu_count()} CPUs\n")
    print("| what | files | chunks | seconds | files/s | chunks/s |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| cove index (parse+chunk+embed+write) | {n_files} | {len(texts)} | {pipeline_s:.1f} | "
          f"{n_files / pipeline_s:.2f} | {pipe_cps:.1f} |")
    print(f"| raw SentenceTransformer.encode, same texts | – | {len(texts)} | {raw_s:.1f} | – | {raw_cps:.1f} |")
    print(f"\nPipeline / raw encode throughput: **{pipe_cps / raw_cps:.2f}** (target ≥ 0.90)")
    print(f"Outcomes: {dict(sorted(report.counts.items()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
