"""How long "forget" takes to erase one small document that shares its fragment with N other chunks (issue 13): the
scrub rewrites every fragment that held a deleted row, rebuilds the full-text index and drops old versions.

    .venv/bin/python tests/benchmarks/bench_forget.py [N ...]      (default: 10000 30000; from 50000 up the build itself trains the IVF-PQ index, minutes)

Prints a markdown table. Synthetic rows (384-d random vectors, ~600-character texts) written straight to a real
LanceDB store, so the figure is the scrub alone, not embedding.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from indexer.scrub import scrub_store  # noqa: E402
from indexer.store import DocRow, Store  # noqa: E402

DIM = 384


def build(directory: Path, n: int) -> Store:
    store = Store(directory, "bench", DIM)
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(5000)]
    for start in range(0, n, 5000):
        rows = [{"chunk_id": f"big:{i}", "doc_id": "big", "doc_sha": "s", "ordinal": i, "page": 0, "section": "",
                 "line_start": i, "line_end": i, "part": "",
                 "text": " ".join(words[(i * 7 + k) % 5000] for k in range(90))} for i in range(start, min(n, start + 5000))]
        store.upsert_chunks(rows, rng.standard_normal((len(rows), DIM)).astype(np.float32))
    store.upsert_chunks([{"chunk_id": "sec:0", "doc_id": "sec", "doc_sha": "t", "ordinal": 0, "page": 0, "section": "",
                          "line_start": 1, "line_end": 1, "part": "", "text": "vault code zqxj"}],
                        rng.standard_normal((1, DIM)).astype(np.float32))
    store.upsert_documents([DocRow("big", "/big.md", sha256="s", n_chunks=n), DocRow("sec", "/sec.txt", sha256="t",
                                                                                       n_chunks=1)])
    store.ensure_fts_index()
    store.optimize()  # compaction: the secret now shares a fragment with the large document
    return store


def main(sizes: list[int]) -> None:
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores shared)", flush=True)
    print("| chunks | rows rewritten | forget (delete + scrub) s |")
    print("|---:|---:|---:|")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            store = build(Path(tmp) / "index", n)
            started = time.perf_counter()
            store.delete_documents(["sec"])
            result = scrub_store(store)
            elapsed = time.perf_counter() - started
            assert result.leftover_deletions == 0
            print(f"| {n} | {result.rows_rewritten} | {elapsed:.1f} |", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10000, 30000])
