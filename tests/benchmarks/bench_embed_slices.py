"""Would finer indexing progress cost throughput? (issue 15; run on purpose, not collected by pytest)

The writer counts messages and pages once per write batch (64 documents or 256 chunks, indexer/intake.py). Finer
steps would mean embedding a batch in smaller slices; this measures what that costs with the default embedder
(int8 ONNX MiniLM) on real chunks: the parsed, chunked messages of a real Apache list mbox.

    .venv/bin/python tests/benchmarks/bench_embed_slices.py [--chunks 256] [--repeats 2]

Prints a Markdown table (seconds per slicing, each repeat) and the load average before and after.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from tests.benchmarks.scratch import scratch_dir  # noqa: E402
os.environ.setdefault("COVE_DATA_DIR", scratch_dir(prefix="cove-bench-"))

import app  # noqa: E402,F401  (privacy guard + offline switches, as in production)

CORPUS = Path(os.environ.get("COVE_CORPORA") or REPO.parent / "shared" / "corpora") / "email"
MBOX = CORPUS / "ponymail-mbox" / "maven-dev-2017-11-mailarchivesao.mbox"  # 317 real messages


def chunk_texts(n: int) -> list[str]:
    """The first `n` chunks Cove makes of the mbox (same parser and chunker as indexing)."""
    from indexer.chunking import default_token_counter
    from indexer.mail.stores import iter_mbox
    from indexer.prepared import PrepareConfig

    texts: list[str] = []
    for p in iter_mbox(str(MBOX), [], PrepareConfig(100 * 2**20, 200, 32), default_token_counter(), "maven-dev"):
        texts += [c.text for c in p.chunks or ()]
        if len(texts) >= n:
            break
    return texts[:n]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chunks", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    from app import paths
    from indexer.embedders import make_embedder

    texts = chunk_texts(args.chunks)
    emb = make_embedder("onnx-int8", paths.embedder_cache_dir(), batch_size=64)
    emb.embed(texts[:8])  # load
    print(f"load average before: {os.getloadavg()[0]:.1f}; {len(texts)} chunks, embedder {emb.id}\n")
    print("| slice (chunks per embed call) | " + " | ".join(f"run {i + 1} s" for i in range(args.repeats)) + " |")
    print("|---:|" + "---:|" * args.repeats)
    for size in (len(texts), 128, 64, 32):
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            for k in range(0, len(texts), size):
                emb.embed(texts[k:k + size])
            times.append(time.perf_counter() - t)
        print(f"| {size} | " + " | ".join(f"{s:.2f}" for s in times) + " |")
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
