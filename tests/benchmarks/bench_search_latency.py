"""Search latency at 10k and 100k chunks (or `--chunks N`, e.g. 1,000,000): p50/p95 of `Searcher.search`, warm; and
at scale the write side: time to add 1,000 chunks through the Store write path, ANN and FTS index build times, RSS.

    .venv/bin/python -m tests.benchmarks.bench_search_latency [--source PATH ...] [--sizes 10000,100000]
    .venv/bin/python -m tests.benchmarks.bench_search_latency --chunks 1000000 --workdir /work/bench-scale [--profile]

A real corpus (default ../shared/corpora/docs) is indexed once through the pipeline with the product's embedder
(`embedder_backend` default), then its chunks (text and vectors, with a little noise so no two rows are identical)
are replicated into fresh stores of the given sizes. The replication appends Arrow batches directly (a bench fill,
not the product path: merge_insert of 1M rows would measure nothing useful); the FTS index and, above
ANN_MIN_ROWS, the IVF-PQ index are then built with the product's own `Store` calls and timed, with the peak RSS of
each build (VmHWM reset before it). Then, on the full store: search latency per mode; adding 1,000 new chunks the
way the indexing pipeline writes them (`upsert_chunks` in 256-row slices, `upsert_documents`,
`delete_stale_chunks`); search right after (new rows not yet in the indexes are scanned); and `Store.optimize`,
which folds the new rows into both indexes. `--profile` times the parts of a hybrid search. Queries are real
questions about the corpus. Targets: p50 ≤ 50 ms at 100k; hybrid p50 ≤ 100 ms and p95 ≤ 200 ms at 1M (issue 12).
The work dir is deleted at the end. Prints markdown tables.
"""
from __future__ import annotations

import argparse
import os
import shutil
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


def rss_mb() -> tuple[float, float]:
    """(current, peak since the last reset) RSS of this process in MB, from /proc/self/status."""
    vals = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                vals[line.split(":")[0]] = int(line.split()[1]) / 1024
    return vals.get("VmRSS", 0.0), vals.get("VmHWM", 0.0)


def reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0), so the next peak is that of one step."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def replicate(src_store, dst_dir: Path, target: int, seed: int = 0):  # type: ignore[no-untyped-def]
    """A store of `target` chunks: copies of the source chunks (new ids, noisy vectors) and of their document rows,
    streamed into one `add` per table (one large fragment, as a compacted product index has; bounded memory)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from indexer.store import DOC_SCHEMA, Store, chunk_schema

    chunks = src_store.chunks_table.to_arrow()
    docs = src_store.documents_table.to_arrow().cast(DOC_SCHEMA)
    dst = Store(dst_dir, src_store.embedder_id, src_store.dim)
    dim, n = src_store.dim, chunks.num_rows
    base_vec = chunks.column("vector").combine_chunks().flatten().to_numpy().reshape(n, dim)
    copies = -(-target // n)
    schema = chunk_schema(dim)

    def with_prefix(table, column: str, prefix: str):  # type: ignore[no-untyped-def]
        i = table.schema.get_field_index(column)
        return table.set_column(i, column, pc.binary_join_element_wise(pa.scalar(prefix), table.column(column), ""))

    def chunk_batches():  # type: ignore[no-untyped-def]
        rng = np.random.default_rng(seed)
        written = 0
        for c in range(copies):
            take = min(n, target - written)
            vec = base_vec[:take] + rng.normal(0, 0.01, (take, dim)).astype(np.float32)
            vec /= np.linalg.norm(vec, axis=1, keepdims=True)
            part = with_prefix(with_prefix(chunks.slice(0, take), "chunk_id", f"{c}:"), "doc_id", f"{c}:")
            part = part.set_column(part.schema.get_field_index("vector"), "vector",
                                   pa.FixedSizeListArray.from_arrays(pa.array(vec.reshape(-1)), dim))
            written += take
            yield from part.cast(schema).to_batches()

    def doc_batches():  # type: ignore[no-untyped-def]
        for c in range(copies):
            d = with_prefix(docs, "doc_id", f"{c}:")
            i = d.schema.get_field_index("path")
            d = d.set_column(i, "path", pc.binary_join_element_wise(d.column("path"), pa.scalar(f"#{c}"), ""))
            yield from d.cast(DOC_SCHEMA).to_batches()

    dst.chunks_table.add(pa.RecordBatchReader.from_batches(schema, chunk_batches()))
    dst.documents_table.add(pa.RecordBatchReader.from_batches(DOC_SCHEMA, doc_batches()))
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


def profile(searcher) -> list[str]:  # type: ignore[no-untyped-def]
    """Mean ms per hybrid search spent in each part (wrapping the Searcher's own steps)."""
    spent: dict[str, float] = {}

    def timed(name, fn):  # type: ignore[no-untyped-def]
        def wrapper(*a, **kw):  # type: ignore[no-untyped-def]
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                spent[name] = spent.get(name, 0.0) + (time.perf_counter() - t) * 1000
        return wrapper

    originals = {n: getattr(searcher, n) for n in ("_vector", "_fts", "documents", "_hits")}
    embed, count = searcher.embedder.embed, searcher.store.chunk_count
    searcher._vector = timed("vector ANN", searcher._vector)
    searcher._fts = timed("full-text (BM25)", searcher._fts)
    searcher.documents = timed("documents table", searcher.documents)
    searcher._hits = timed("hits (incl. documents)", searcher._hits)
    searcher.embedder.embed = timed("query embedding", embed)
    searcher.store.chunk_count = timed("chunk count", count)
    n, total = 0, 0.0
    try:
        for _ in range(3):
            for q in QUERIES:
                t = time.perf_counter()
                searcher.search(q, k=8, mode="hybrid")
                total += (time.perf_counter() - t) * 1000
                n += 1
    finally:
        for name, fn in originals.items():
            setattr(searcher, name, fn)
        searcher.embedder.embed, searcher.store.chunk_count = embed, count
        for obj, name in ((searcher, "documents"), (searcher, "_hits"), (searcher, "_vector"), (searcher, "_fts")):
            obj.__dict__.pop(name, None)
        searcher.embedder.__dict__.pop("embed", None)
        searcher.store.__dict__.pop("chunk_count", None)
    rows = ["| part of a hybrid search | mean ms |", "|---|---:|"]
    rows += [f"| {name} | {ms / n:.1f} |" for name, ms in spent.items()]
    rows.append(f"| rest (fusion, filters, index checks) | {(total - sum(v for k, v in spent.items() if k != 'documents table')) / n:.1f} |")
    rows.append(f"| **total** | {total / n:.1f} |")
    return rows


def add_chunks(store, base, n_new: int = 1000, slice_rows: int = 256) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """Add `n_new` new chunks (whole new documents) exactly as the pipeline's intake writes a batch; seconds, rows."""
    from indexer.store import DocRow

    chunks = base.chunks_table.to_arrow()
    docs = base.load_documents()
    rows, vecs, new_docs = [], [], {}
    for r in chunks.to_pylist():
        if len(rows) >= n_new and "new:" + r["doc_id"] not in new_docs:  # whole documents only
            break
        vec = r.pop("vector")
        r["doc_id"] = "new:" + r["doc_id"]
        r["chunk_id"] = "new:" + r["chunk_id"]
        rows.append(r)
        vecs.append(vec)
        src = docs[r["doc_id"][4:]]
        new_docs[r["doc_id"]] = DocRow(**{**src.__dict__, "doc_id": r["doc_id"], "path": src.path + "#new"})
    vectors = np.asarray(vecs, dtype=np.float32)
    t = time.perf_counter()
    for start in range(0, len(rows), slice_rows):
        store.upsert_chunks(rows[start:start + slice_rows], vectors[start:start + slice_rows])
    store.upsert_documents(list(new_docs.values()))
    store.delete_stale_chunks({d.doc_id: d.sha256 for d in new_docs.values()})
    store.ensure_fts_index()  # what the pipeline calls at the end of a run (a no-op once the index exists)
    return time.perf_counter() - t, len(rows)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", action="append", default=None)
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--chunks", type=int, default=0, help="one size instead of --sizes (e.g. 1000000)")
    ap.add_argument("--workdir", default=None, help="where the stores are built (deleted at the end)")
    ap.add_argument("--profile", action="store_true", help="time the parts of a hybrid search")
    ap.add_argument("--rebuild", action="store_true", help="also time an IVF-PQ drop + rebuild (as after forget)")
    ap.add_argument("--backend", default=None, help="embedder backend (default: the product's, indexer/embedders.py)")
    args = ap.parse_args(argv)
    if args.workdir:
        Path(args.workdir).mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="cove-lat-", dir=args.workdir))
    os.environ.setdefault("COVE_DATA_DIR", str(workdir / "data"))
    os.environ.setdefault("COVE_EMBEDDER_CACHE", str(Path.home() / ".cache" / "cove-bench" / "embedder"))
    try:
        return run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(args, workdir: Path) -> int:  # type: ignore[no-untyped-def]
    import app  # noqa: F401
    from app import paths
    from indexer.embedders import DEFAULT_BACKEND, make_embedder
    from indexer.pipeline import Indexer
    from indexer.retrieval import Searcher
    from indexer.store import ANN_MIN_ROWS, Store

    print(f"load average at start: {os.getloadavg()}", flush=True)
    sources = args.source or [str(ROOT.parent / "shared" / "corpora" / "docs")]
    embedder = make_embedder(args.backend or DEFAULT_BACKEND, paths.embedder_cache_dir())
    base = Store(paths.index_dir(), embedder.id, embedder.dim)
    Indexer(base, embedder).index_paths(sources)
    print(f"base index: {base.chunk_count():,} chunks from {', '.join(sources)} ({embedder.id})", flush=True)
    t = time.perf_counter()
    for q in QUERIES:
        embedder.embed([q])
    embed_ms = (time.perf_counter() - t) * 1000 / len(QUERIES)
    sizes = [args.chunks] if args.chunks else [int(s) for s in args.sizes.split(",")]
    search_rows = ["| chunks | index | mode | p50 ms | p95 ms |", "|---:|---|---|---:|---:|"]
    build_rows = ["| chunks | step | seconds | peak RSS MB |", "|---:|---|---:|---:|"]
    notes: list[str] = []
    for size in sizes:
        reset_peak()
        t = time.perf_counter()
        store = replicate(base, workdir / f"store-{size}", size)
        build_rows.append(f"| {size:,} | fill (bench only: streamed Arrow append) | {time.perf_counter() - t:.1f} | {rss_mb()[1]:.0f} |")
        print(build_rows[-1], flush=True)
        reset_peak()
        t = time.perf_counter()
        store.ensure_fts_index()
        build_rows.append(f"| {size:,} | FTS index build | {time.perf_counter() - t:.1f} | {rss_mb()[1]:.0f} |")
        print(build_rows[-1], flush=True)
        reset_peak()
        t = time.perf_counter()
        built = store.ensure_vector_index()
        if built:
            build_rows.append(f"| {size:,} | IVF-PQ index build | {time.perf_counter() - t:.1f} | {rss_mb()[1]:.0f} |")
            print(build_rows[-1], flush=True)
        ann = store.has_vector_index()
        searcher = Searcher(store, embedder)
        for mode in ("hybrid", "vector", "fts"):
            p50, p95 = measure(searcher, mode)
            search_rows.append(f"| {store.chunk_count():,} | {'IVF-PQ' if ann else 'exact'} + FTS | {mode} | {p50:.1f} | {p95:.1f} |")
            print(search_rows[-1], flush=True)
        if args.profile:
            notes += [f"Profile at {store.chunk_count():,} chunks:", "", *profile(searcher), ""]
            print("\n".join(notes[-12:]), flush=True)
        if size < ANN_MIN_ROWS and not args.chunks:
            continue  # the write side is measured at scale only
        reset_peak()
        secs, n_new = add_chunks(store, base)
        build_rows.append(f"| {size:,} | add {n_new:,} chunks (upsert_chunks + upsert_documents + delete_stale_chunks) "
                          f"| {secs:.1f} | {rss_mb()[1]:.0f} |")
        print(build_rows[-1], flush=True)
        p50, p95 = measure(searcher, "hybrid", repeats=2)
        search_rows.append(f"| {store.chunk_count():,} | + {n_new:,} unindexed rows | hybrid | {p50:.1f} | {p95:.1f} |")
        print(search_rows[-1], flush=True)
        reset_peak()
        t = time.perf_counter()
        store.optimize()
        build_rows.append(f"| {store.chunk_count():,} | optimize (compact; fold new rows into FTS and IVF-PQ) "
                          f"| {time.perf_counter() - t:.1f} | {rss_mb()[1]:.0f} |")
        print(build_rows[-1], flush=True)
        if ann and args.rebuild:
            reset_peak()
            t = time.perf_counter()
            store.drop_vector_index()
            store.ensure_vector_index()
            build_rows.append(f"| {store.chunk_count():,} | IVF-PQ rebuild (drop + build, as after forget) "
                              f"| {time.perf_counter() - t:.1f} | {rss_mb()[1]:.0f} |")
            print(build_rows[-1], flush=True)
        store.close()
        shutil.rmtree(workdir / f"store-{size}", ignore_errors=True)
    print(f"\nEmbedder {embedder.id}; query embedding alone: {embed_ms:.1f} ms/query (included in every search figure)\n")
    print("\n".join(search_rows) + "\n")
    print("\n".join(build_rows) + "\n")
    if notes:
        print("\n".join(notes))
    print(f"load average at end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
