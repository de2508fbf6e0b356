"""End-to-end answers on SQuAD v1.1 dev with the bundled model: exact match and F1 (official SQuAD normalisation).

    .venv/bin/python -m tests.benchmarks.bench_answers [--questions N] [--model PATH] [--workdir DIR]

The 48 articles are indexed as documents (shared with bench_retrieval's --workdir), each sampled question goes
through the product path (hybrid retrieval → budgeted prompt → local model → citation cleaning), and the answer is
scored against the gold answers. Also reports how often the cited source holds the gold answer. This is the
baseline the product must beat; it is reported as measured.
"""
from __future__ import annotations

import argparse
import collections
import os
import random
import re
import string
import sys
import tempfile
import time
from pathlib import Path


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


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--model", default=None)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--workdir", default=str(Path.home() / ".cache" / "cove-bench" / "retrieval"))
    args = ap.parse_args(argv)
    os.environ.setdefault("COVE_DATA_DIR", tempfile.mkdtemp(prefix="cove-bench-"))
    import app  # noqa: F401
    from app.answering import Done, answer
    from app.bundled_model import bundled_model_path
    from app.llm import LocalLLM
    from tests.benchmarks.bench_retrieval import build
    from tests.benchmarks.qa_data import load_squad, norm

    docs, questions = load_squad()
    _, searcher = build(Path(args.workdir), "squad", {f"{t}.md": text for t, text in docs.items()})
    sample = random.Random(11).sample(questions, args.questions)
    llm = LocalLLM(args.model or bundled_model_path(), n_ctx=4096)
    em = f1_sum = cited_right = not_found = 0.0
    started = time.perf_counter()
    examples = []
    for i, q in enumerate(sample):
        done = None
        for event in answer(q.question, retriever=searcher, llm=llm, k=args.k, answer_tokens=64, temperature=0.0):
            if isinstance(event, Done):
                done = event
        assert done is not None
        pred = strip_citations(done.answer)
        not_found += done.not_found
        em += max(float(normalize(pred) == normalize(g)) for g in q.answers)
        f1_sum += max(f1(pred, g) for g in q.answers)
        cited = done.cited_sources
        cited_right += any(q.answer_sentence in norm(s.hit.text) for s in cited)
        if len(examples) < 5:
            examples.append((q.question, q.answers[0], done.answer))
        if i % 25 == 0:
            print(f"[answers] {i}/{len(sample)}", file=sys.stderr)
    n = len(sample)
    secs = time.perf_counter() - started
    print(f"\nSQuAD v1.1 dev, {n} sampled questions, model {llm.name}, k={args.k}, {secs / n:.1f} s/question\n")
    print("| exact match | F1 | cited source holds the answer | said 'not in your documents' |")
    print("|---:|---:|---:|---:|")
    print(f"| {em / n:.3f} | {f1_sum / n:.3f} | {cited_right / n:.3f} | {not_found / n:.3f} |")
    print("\nExamples:")
    for question, gold, pred in examples:
        print(f"- Q: {question}\n  gold: {gold}\n  cove: {pred}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
