"""Search latency at 10k and 100k chunks: p50/p95 of `Searcher.search` (hybrid and vector), warm.

    .venv/bin/python -m tests.benchmarks.bench_search_latency [--source PATH ...]

A real corpus (default ../shared/corpora/docs) is indexed once through the pipeline, then its chunks (text and
vectors, with a little noise so no two rows are identical) are replicated into fresh stores of 10k and 100k chunks.
Above 50k chunks the automatic IVF-PQ index is built, as in the product. Queries are real questions about the
corpus. Target: p50 ≤ 50 ms at 100k. Prints a markdown table.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
QUERIES = [
    "how do I set the table of contents depth", "footnote", "which citation styles are supported",
    "convert markdown to docx", "math rendering in html output", "table with one row", "the burial of the dead",
    "syntax highlighting of code blocks", "metadata block title author date", "lua filters",
    "how to include a header file", "epub cover image", "track changes in word documents", "smart quotes",
    "line blocks poetry", "definition lists", "raw html passthrough", "slide shows with beamer",
    "bibliography from bibtex", "default template variables",
]


def replicate(src_store, dst_dir: Path, target: int, seed: int = 0):  # type: ignore[no-untyped-def]

    from indexer.store import DocRow, Store

    chunks = src_store.chunks_table.to_arrow()
    docs = src_store.load_documents()
    dst = Store(dst_dir, src_store.embedder_id, src_store.dim)
    rng = np.random.default_rng(seed)
    n = chunks.num_rows
    copies = -(-target // n)
    written = 0
    for c in range(copies):
        take = min(n, target - written)
        part = chunks.slice(0, take)
        vec = np.asarray(part.column("vector").to_pylist(), dtype=np.float32)
        vec += rng.normal(0, 0.01, vec.shape).astype(np.float32)
        vec /= np.linalg.norm(vec, axis=1, keepdims=True)
        rows = part.drop_columns(["vector"]).to_pylist()
        for r in rows:
            r["chunk_id"] = f"{c}:{r['chunk_id']}"
            r["doc_id"] = f"{c}:{r['doc_id']}"
        dst.upsert_chunks(rows, vec)
        dst.upsert_documents([DocRow(**{**d.__dict__, "doc_id": f"{c}:{d.doc_id}", "path": f"{d.path}#{c}"})
                              for d in docs.values()])
        written += take
    dst.ensure_fts_index()
    dst.optimize()
    return dst


def measure(searcher, mode: str, repeats: int = 5) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    for q in QUERIES[:3]:
        searcher.search(q, k=8, mode=mode)
    times = []
    for _ in range(repeats):
        for q in QUERIES:
            t = time.perf_counter()
            searcher.search(q, k=8, mode=mode)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", action="append", default=None)
    ap.add_argument("--sizes", default="10000,100000")
    args = ap.parse_args(argv)
    os.environ.setdefault("COVE_DATA_DIR", tempfile.mkdtemp(prefix="cove-bench-"))
    import app  # noqa: F401
    from app import paths
    from indexer.embedding import SentenceTransformerEmbedder
    from indexer.pipeline import Indexer
    from indexer.retrieval import Searcher, maybe_build_ann_index
    from indexer.store import Store

    sources = args.source or [str(ROOT.parent / "shared" / "corpora" / "docs")]
    embedder = SentenceTransformerEmbedder()
    base = Store(paths.index_dir(), embedder.id, embedder.dim)
    Indexer(base, embedder).index_paths(sources)
    t = time.perf_counter()
    for q in QUERIES:
        embedder.embed([q])
    embed_ms = (time.perf_counter() - t) * 1000 / len(QUERIES)
    rows = ["| chunks | index | mode | p50 ms | p95 ms |", "|---:|---|---|---:|---:|"]
    for size in [int(s) for s in args.sizes.split(",")]:
        store = replicate(base, Path(tempfile.mkdtemp(prefix=f"cove-lat-{size}-")), size)
        maybe_build_ann_index(store)  # normally already done by Store.optimize above the threshold
        ann = store.has_vector_index()
        searcher = Searcher(store, embedder)
        for mode in ("hybrid", "vector", "fts"):
            p50, p95 = measure(searcher, mode)
            rows.append(f"| {store.chunk_count():,} | {'IVF-PQ' if ann else 'exact'} + FTS | {mode} | {p50:.1f} | {p95:.1f} |")
    print(f"\nQuery embedding alone: {embed_ms:.1f} ms/query (included in every figure below)\n")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
