"""Benchmark: our LocalLLM.stream against raw llama_cpp create_completion(stream=True) on the same model instance,
the same prompt (built by build_prompt from a real SQuAD question + 5 paragraphs), greedy decoding and the same
number of tokens. Runs alternate, the KV cache is reset before each so every run pays the full prompt.
Prints a markdown table; the target is ours/raw >= 0.95 for tokens/s and raw/ours >= 0.95 for TTFT.

    .venv/bin/python tests/benchmarks/bench_generation.py [--reps 5] [--tokens 128]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.benchmarks.scratch import scratch_dir  # noqa: E402
SQUAD = ROOT.parent / "shared" / "corpora" / "qa" / "squad-v1.1" / "dev-v1.1.json"


def squad_prompt(llm, answer_tokens: int):
    from app.answer.prompts import build_prompt
    from indexer.hits import SearchHit

    article = next(a for a in json.loads(SQUAD.read_text("utf-8"))["data"] if a["title"] == "Newcastle_upon_Tyne")
    paras = article["paragraphs"][:5]
    question = paras[0]["qas"][0]["question"]
    hits = [SearchHit(chunk_id=str(i), doc_id="newcastle", ordinal=i, path="/docs/newcastle.txt",
                      title="Newcastle upon Tyne", kind="text", text=p["context"], score=1 / (60 + i),
                      similarity=0.5) for i, p in enumerate(paras)]
    return question, build_prompt(llm, question, hits, [], answer_tokens=answer_tokens)


def run_raw(raw, prompt: str, n: int) -> tuple[float, float, str]:
    raw.reset()
    t0 = time.perf_counter()
    first, parts = 0.0, []
    for chunk in raw.create_completion(prompt, max_tokens=n, temperature=0.0, stop=[], stream=True):
        if not first:
            first = time.perf_counter()
        parts.append(chunk["choices"][0]["text"])
    return first - t0, time.perf_counter() - t0, "".join(parts)


def run_ours(llm, prompt: str, n: int) -> tuple[float, float, str]:
    llm._llm.reset()
    t0 = time.perf_counter()
    first, parts = 0.0, []
    for piece in llm.stream(prompt, max_tokens=n, temperature=0.0, stop=()):
        if not first:
            first = time.perf_counter()
        parts.append(piece)
    return first - t0, time.perf_counter() - t0, "".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--n-ctx", type=int, default=2048)
    ap.add_argument("--verbose", action="store_true", help="print every run")
    args = ap.parse_args()
    os.environ.setdefault("COVE_DATA_DIR", scratch_dir(prefix="cove-bench-"))
    from app.models.bundled_model import bundled_model_path
    from app.models.llm import LocalLLM

    llm = LocalLLM(bundled_model_path(), n_ctx=args.n_ctx)
    raw = llm._llm  # the very same llama_cpp.Llama: identical weights, threads and context
    question, prompt = squad_prompt(llm, args.tokens)
    n = args.tokens

    run_raw(raw, prompt.prompt, 8), run_ours(llm, prompt.prompt, 8)  # warm-up
    results: dict[str, list[tuple[float, float]]] = {"raw": [], "ours": []}
    texts: dict[str, str] = {}
    tokens_ours = []
    for rep in range(args.reps):
        order = ("raw", "ours") if rep % 2 == 0 else ("ours", "raw")
        for who in order:
            ttft, total, text = (run_raw(raw, prompt.prompt, n) if who == "raw" else run_ours(llm, prompt.prompt, n))
            if who == "ours":
                tokens_ours.append(llm.last_timings.tokens)
            results[who].append((ttft, total))
            if args.verbose:
                print(f"rep {rep} {who:4s} ttft {ttft * 1000:7.0f} ms  total {total * 1000:7.0f} ms", flush=True)
            texts[who] = text
    gen_tokens = tokens_ours[-1]
    assert len(set(tokens_ours)) == 1, tokens_ours
    same = texts["raw"] == texts["ours"]

    def stats(who: str) -> tuple[float, float]:
        ttft = statistics.median(t for t, _ in results[who]) * 1000
        tps = statistics.median((gen_tokens - 1) / (total - t) for t, total in results[who])
        return ttft, tps

    raw_ttft, raw_tps = stats("raw")
    our_ttft, our_tps = stats("ours")
    print(f"\nModel: {llm.name} ({llm.info.file_type}), n_ctx {llm.n_ctx}, threads {raw.n_threads}, "
          f"prompt {prompt.prompt_tokens} tokens ({len(prompt.hits)} SQuAD paragraphs, question: {question!r}), "
          f"{gen_tokens} generated tokens, greedy, {args.reps} alternating reps, medians. "
          f"Identical output text: {same}.\n")
    print("| path | TTFT ms | tokens/s (decode) |")
    print("|---|---:|---:|")
    print(f"| raw `Llama.create_completion(stream=True)` | {raw_ttft:.0f} | {raw_tps:.1f} |")
    print(f"| `LocalLLM.stream` | {our_ttft:.0f} | {our_tps:.1f} |")
    print(f"| ratio (ours vs raw; ≥ 0.95 is the target) | {raw_ttft / our_ttft:.3f} | {our_tps / raw_tps:.3f} |")


if __name__ == "__main__":
    main()
