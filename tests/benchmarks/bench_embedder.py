"""The int8 ONNX embedder against the torch encoder (issue 12), in one run, on the same real chunk texts.

    .venv/bin/python -m tests.benchmarks.bench_embedder [--backend onnx-int8|torch] [--ocr] [--sweep] [PATH ...]
    (default paths: ../shared/corpora/docs and pdf)

1. `cove index`'s pipeline (parse, chunk, embed, write; OCR off unless --ocr: OCR is its own cost, issue 14) with the
   chosen backend, into a fresh LanceDB in a temp dir.
2. Raw torch `SentenceTransformer.encode` (batch 64, its own length sorting) on exactly the texts the pipeline wrote.
3. Raw ONNX int8 embedding of the same texts (and with --sweep: batch sizes 16/32/64, sorted vs unsorted).
Target: pipeline chunks/s ≥ 1.7x raw torch. The machine is shared: the load average is printed with every timing.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from tests.benchmarks.scratch import scratch_dir

ROOT = Path(__file__).resolve().parents[2]
CORPORA = ROOT.parent / "shared" / "corpora"


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--backend", choices=("onnx-int8", "torch"), default="onnx-int8")
    ap.add_argument("--ocr", action="store_true", help="OCR scanned pages too (slow; not an embedder cost)")
    ap.add_argument("--sweep", action="store_true", help="raw ONNX at batch 16/32/64 and unsorted")
    args = ap.parse_args(argv)
    paths = args.paths or [str(CORPORA / "docs"), str(CORPORA / "pdf")]
    os.environ["COVE_DATA_DIR"] = scratch_dir(prefix="cove-bench-")
    import app  # noqa: F401
    from app import paths as app_paths
    from indexer.embedders import make_embedder
    from indexer.embedding import SentenceTransformerEmbedder
    from indexer.onnx_embedder import OnnxInt8Embedder
    from indexer.pipeline import IndexConfig, Indexer
    from indexer.store import Store

    embedder = make_embedder(args.backend, app_paths.embedder_cache_dir(), notify=print)
    embedder.embed(["warm up the model and the allocator"] * 8)  # for onnx: prepares the int8 file (once)
    store = Store(app_paths.index_dir(), embedder.id, embedder.dim)
    indexer = Indexer(store, embedder, IndexConfig(ocr=args.ocr))
    indexer.counter.count_many(["warm up the tokenizer"])

    rows: list[tuple[str, int, float, str]] = []
    load0 = _load()
    started = time.perf_counter()
    report = indexer.index_paths(paths)
    pipeline_s = time.perf_counter() - started
    texts = store.chunks_table.to_arrow().column("text").to_pylist()
    n = len(texts)
    rows.append((f"cove index pipeline ({embedder.id.split('/')[-1]})", n, pipeline_s, f"{load0} → {_load()}"))

    torch_model = SentenceTransformerEmbedder(batch_size=64).model
    torch_model.encode(texts[:16], batch_size=64)
    load0 = _load()
    started = time.perf_counter()
    torch_model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    raw_s = time.perf_counter() - started
    rows.append(("raw torch SentenceTransformer.encode (batch 64)", n, raw_s, f"{load0} → {_load()}"))

    onnx = OnnxInt8Embedder(app_paths.embedder_cache_dir())
    onnx.embed(texts[:16])
    variants = [(32, True)] + ([(16, True), (64, True), (32, False)] if args.sweep else [])
    for batch, sort in variants:
        onnx.batch_size = batch
        load0 = _load()
        started = time.perf_counter()
        if sort:
            onnx.embed(texts)
        else:  # the same batches without length sorting: each padded to whatever its longest text is
            for i in range(0, n, batch):
                onnx.embed(texts[i:i + batch])
        rows.append((f"raw ONNX int8 (batch {batch}{', sorted' if sort else ', unsorted'})", n,
                     time.perf_counter() - started, f"{load0} → {_load()}"))

    import onnxruntime
    import torch

    print(f"\nCorpus: {', '.join(paths)} (OCR {'on' if args.ocr else 'off'}); {n} chunks; {os.cpu_count()} CPUs; "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads), onnxruntime {onnxruntime.__version__} "
          f"({onnx.threads} threads)\n")
    print("| what | chunks | seconds | chunks/s | × raw torch | load avg (1/5/15 min) before → after |")
    print("|---|---:|---:|---:|---:|---|")
    for what, count, secs, load in rows:
        print(f"| {what} | {count} | {secs:.1f} | {count / secs:.1f} | {raw_s / secs:.2f} | {load} |")
    ratio = raw_s / pipeline_s
    print(f"\nPipeline / raw torch encode throughput: **{ratio:.2f}** (target ≥ 1.70)")
    print(f"Outcomes: {dict(sorted(report.counts.items()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
