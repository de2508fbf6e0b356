"""Prompt size of the focused prompt against whole chunks, in the bundled model's own tokens (no generation).

    .venv/bin/python -m tests.benchmarks.bench_prompt_size [--questions N]

Same SQuAD dev sample (seed 11) and index as bench_answers; prints a markdown table of median and p90 prompt tokens.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
from pathlib import Path
from tests.benchmarks.scratch import scratch_dir


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=30)
    ap.add_argument("--workdir", default=str(Path.home() / ".cache" / "cove-bench" / "retrieval"))
    args = ap.parse_args(argv)
    os.environ.setdefault("COVE_DATA_DIR", scratch_dir(prefix="cove-bench-"))
    import app  # noqa: F401
    from app.models.bundled_model import bundled_model_path
    from app.answer.evidence import focus_passages, rank_sentences
    from app.models.llm import LocalLLM
    from app.answer.prompts import build_prompt
    from tests.benchmarks.bench_retrieval import build
    from tests.benchmarks.qa_data import load_squad

    docs, questions = load_squad()
    _, searcher = build(Path(args.workdir), "squad", {f"{t}.md": text for t, text in docs.items()})
    llm = LocalLLM(bundled_model_path(), n_ctx=4096)
    whole, focused = [], []
    for q in random.Random(11).sample(questions, args.questions):
        hits = searcher.search(q.question, 5)
        whole.append(build_prompt(llm, q.question, hits, [], answer_tokens=64).prompt_tokens)
        passages = focus_passages(rank_sentences(q.question, hits, searcher.embedder), hits)
        focused.append(build_prompt(llm, q.question, [hits[i] for i, _ in passages], [], answer_tokens=64,
                                    texts=[t for _, t in passages]).prompt_tokens)
    print(f"\nPrompt tokens ({llm.name} tokenizer), {args.questions} SQuAD dev questions, k=5\n")
    print("| prompt | median | p90 |\n|---|---:|---:|")
    for name, values in (("whole chunks", whole), ("focused sentences", focused)):
        p90 = sorted(values)[int(0.9 * (len(values) - 1))]
        print(f"| {name} | {statistics.median(values):.0f} | {p90} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
