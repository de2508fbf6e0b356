"""Retrieval quality of vector-only, full-text-only and hybrid search on SQuAD v1.1 dev and SciFact (BEIR test).

    .venv/bin/python -m tests.benchmarks.bench_retrieval [--squad-questions N] [--workdir DIR]

SQuAD: the 48 dev articles are indexed as 48 Markdown documents through the real pipeline; a hit is a retrieved
chunk that contains the sentence of the question's own paragraph holding the gold answer. Reports recall@1/5/10.
SciFact: the 5,183 abstracts as documents; the 300 BEIR test queries and qrels; documents ranked by their best chunk;
reports nDCG@10 and recall@10. Prints markdown tables. The index is kept in --workdir for re-runs.
"""
from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from pathlib import Path
from tests.benchmarks.scratch import scratch_dir

MODES = ("vector", "fts", "hybrid", "hybrid-rrf")


def run(searcher, query: str, k: int, mode: str, per_doc: int):  # type: ignore[no-untyped-def]
    """`hybrid` is the product's default (score fusion); `hybrid-rrf` is reciprocal-rank fusion, for comparison."""
    if mode == "hybrid-rrf":
        return searcher.search(query, k=k, mode="hybrid", per_doc=per_doc, fusion="rrf")
    return searcher.search(query, k=k, mode=mode, per_doc=per_doc)


BACKEND = "torch"  # --backend: which embedder builds the index and embeds the queries (indexer/embedders.py)


def build(workdir: Path, name: str, files: dict[str, str]):  # type: ignore[no-untyped-def]
    from indexer.embedders import make_embedder
    from indexer.pipeline import Indexer
    from indexer.retrieval import Searcher
    from indexer.store import Store

    folder = workdir / name / "docs"
    folder.mkdir(parents=True, exist_ok=True)
    for fname, text in files.items():
        path = folder / fname
        if not path.exists():
            path.write_text(text, encoding="utf-8")
    embedder = make_embedder(BACKEND, workdir / "models", batch_size=64, notify=lambda m: print(m, file=sys.stderr))
    store = Store(workdir / name / f"index-{BACKEND}", embedder.id, embedder.dim)
    started = time.perf_counter()
    report = Indexer(store, embedder).index_paths([str(folder)])
    print(f"[{name}] indexed: {report.counts} chunks={store.chunk_count()} in {time.perf_counter() - started:.0f}s",
          file=sys.stderr)
    return folder, Searcher(store, embedder)


def squad(workdir: Path, n_questions: int) -> list[str]:
    from tests.benchmarks.qa_data import load_squad, norm

    docs, questions = load_squad()
    folder, searcher = build(workdir, "squad", {f"{t}.md": text for t, text in docs.items()})
    if n_questions and n_questions < len(questions):
        questions = random.Random(7).sample(questions, n_questions)
    ks = (1, 5, 10)
    hits = {m: {k: 0 for k in ks} for m in MODES}
    for i, q in enumerate(questions):
        target = str(folder / f"{q.article}.md")
        for mode in MODES:
            results = run(searcher, q.question, 10, mode, 10)
            first = next((r for r, h in enumerate(results)
                          if h.path == target and q.answer_sentence in norm(h.text)), None)
            for k in ks:
                hits[mode][k] += first is not None and first < k
        if i % 200 == 0:
            print(f"[squad] {i}/{len(questions)}", file=sys.stderr)
    n = len(questions)
    rows = [f"SQuAD v1.1 dev: {n} questions over 48 articles ({searcher.store.chunk_count()} chunks)", "",
            "| mode | recall@1 | recall@5 | recall@10 |", "|---|---:|---:|---:|"]
    for mode in MODES:
        rows.append(f"| {mode} | " + " | ".join(f"{hits[mode][k] / n:.3f}" for k in ks) + " |")
    return rows


def scifact(workdir: Path) -> list[str]:
    from tests.benchmarks.qa_data import load_scifact

    corpus, queries, qrels = load_scifact()
    folder, searcher = build(workdir, "scifact", {f"{d}.md": f"# {t}\n\n{x}\n" for d, (t, x) in corpus.items()})
    ndcg = {m: 0.0 for m in MODES}
    recall = {m: 0.0 for m in MODES}
    for qid, text in queries.items():
        rel = qrels[qid]
        ideal = sum(1 / math.log2(i + 2) for i in range(min(len(rel), 10)))
        for mode in MODES:
            results = run(searcher, text, 10, mode, 1)
            ranked = [Path(h.path).stem for h in results][:10]
            dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked) if d in rel)
            ndcg[mode] += dcg / ideal
            recall[mode] += len(rel & set(ranked)) / len(rel)
    n = len(queries)
    rows = [f"SciFact (BEIR test): {n} queries over {len(corpus)} abstracts ({searcher.store.chunk_count()} chunks)",
            "", "| mode | nDCG@10 | recall@10 |", "|---|---:|---:|"]
    for mode in MODES:
        rows.append(f"| {mode} | {ndcg[mode] / n:.3f} | {recall[mode] / n:.3f} |")
    return rows


def main(argv: list[str]) -> int:
    global BACKEND, MODES
    ap = argparse.ArgumentParser()
    ap.add_argument("--squad-questions", type=int, default=0, help="sample this many questions (0 = all 10,570)")
    ap.add_argument("--workdir", default=str(Path.home() / ".cache" / "cove-bench" / "retrieval"))
    ap.add_argument("--only", choices=("squad", "scifact"))
    ap.add_argument("--backend", choices=("torch", "onnx-int8"), default="torch",
                    help="the embedder backend to measure (issue 12: onnx-int8 must keep the torch quality)")
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated subset of " + ", ".join(MODES))
    args = ap.parse_args(argv)
    BACKEND = args.backend
    MODES = tuple(m for m in args.modes.split(",") if m in MODES)
    print(f"Embedder backend: {BACKEND}; load average at start {os.getloadavg()}", flush=True)
    os.environ.setdefault("COVE_DATA_DIR", scratch_dir(prefix="cove-bench-"))
    import app  # noqa: F401

    workdir = Path(args.workdir)
    if args.only != "scifact":
        print("\n".join(squad(workdir, args.squad_questions)) + "\n", flush=True)
    if args.only != "squad":
        print("\n".join(scifact(workdir)), flush=True)
    print(f"\nLoad average at end: {os.getloadavg()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
