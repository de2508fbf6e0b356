"""Peak memory of indexing big files: a 95 MB plain-text log, a 20,000-message mbox and a 3,000-page PDF.

    .venv/bin/python -m tests.benchmarks.bench_memory [--text-mb 95] [--messages 20000] [--pages 3000]
                                                      [--embedder fake|real] [--only text,mbox,pdf]

Each case is indexed by a child process (the same `Indexer` the CLI uses: parse workers, streaming intake, real
LanceDB in a temp dir) while this process samples /proc every 0.1 s: the writer's RSS and the whole process tree's
(writer + parse workers). Target (issue 13): ≤ 1.5 GB for the CLI whatever the file size. Prints a markdown table.

`--embedder fake` (default) uses a constant-memory hashing embedder so the run takes minutes, not hours (the real
model embeds ~50-300 chunks/s and a 95 MB log is ~100,000 chunks); the real model's own resident memory is measured
separately (`embedder` row) and added to the writer's figure for the ceiling check. `--embedder real` runs it all
with the bundled model.

The child half (`--child CASE PATH EMBEDDER`) is also used by tests/indexer/test_big_files.py for correctness.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from tests.benchmarks.scratch import scratch_dir

ROOT = Path(__file__).resolve().parents[2]
CEILING_MB = 1536
TEXT_MARKERS = 7  # marker lines spread evenly through the generated text


# --- inputs -------------------------------------------------------------------------------------------------------
def make_text(path: Path, mb: int) -> list[tuple[int, str]]:
    """A log-like text of `mb` MB: paragraphs of numbered lines, with marker lines spread evenly. Returns
    (line number, marker) pairs."""
    words = ("sensor", "valve", "pressure", "nominal", "restart", "queue", "latency", "buffer", "checksum", "retry")
    target = mb << 20
    markers: list[tuple[int, str]] = []
    every = max(1, target // 64 // (TEXT_MARKERS + 1))
    n = 0
    size = 0
    with open(path, "w", encoding="utf-8") as fh:
        while size < target:
            n += 1
            if n % every == 0 and len(markers) < TEXT_MARKERS:
                word = f"qzmarker{len(markers)}x"
                line = f"{n:09d} NOTICE the operator wrote {word} here\n"
                markers.append((n, word))
            elif n % 9 == 0:
                line = "\n"
            else:
                w = words[n % 10]
                line = f"{n:09d} INFO {w} {words[(n * 7) % 10]} reading {n % 997} ok, {w} state {n % 13}.\n"
            fh.write(line)
            size += len(line)
    return markers


def make_inputs(case: str, folder: Path, args: argparse.Namespace) -> tuple[Path, str]:
    from tests.indexer import hostile

    folder.mkdir(parents=True, exist_ok=True)
    if case == "text":
        path = folder / "big.log"
        make_text(path, args.text_mb)
        return path, f"{args.text_mb} MB text"
    if case == "mbox":
        path = hostile.write_mbox(folder / "Archive.mbox", args.messages)
        return path, f"{args.messages:,} messages ({path.stat().st_size / 1e6:.0f} MB)"
    path = hostile.text_pdf(folder / "long.pdf", [f"Page {i + 1} of the long report discusses item {i} in detail; "
                                                  f"the figures for section {i % 40} are final." * 3
                                                  for i in range(args.pages)])
    return path, f"{args.pages:,} pages ({path.stat().st_size / 1e6:.0f} MB)"


# --- the child: index one input and check the result ----------------------------------------------------------------
class HashEmbedder:
    """Constant memory, deterministic: a bag of hashed words (for pipeline memory, not retrieval quality)."""

    id = "bench-hash-embedder"
    dim = 384

    def embed(self, texts):  # type: ignore[no-untyped-def]
        import zlib

        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.split()[:64]:
                out[i, zlib.crc32(w.encode()) % self.dim] += 1.0
            out[i] /= max(1.0, float(np.linalg.norm(out[i])))
        return out


def child(case: str, path: str, embedder_kind: str) -> int:
    os.environ["COVE_DATA_DIR"] = scratch_dir(prefix="cove-bench-mem-")
    import app  # noqa: F401  (offline switches, privacy guard)
    from app import paths as app_paths
    from indexer.pipeline import IndexConfig, Indexer
    from indexer.store import Store

    if embedder_kind == "real":  # the product's default (`embedder_backend`: onnx-int8, else torch)
        from indexer.embedders import make_embedder

        embedder = make_embedder("onnx-int8", app_paths.embedder_cache_dir(), batch_size=64)
    else:
        embedder = HashEmbedder()
    store = Store(app_paths.index_dir(), embedder.id, embedder.dim)
    indexer = Indexer(store, embedder, IndexConfig())
    beats: list[tuple[int, int, str]] = []
    phase = ["start"]
    peaks: dict[str, float] = {}
    stop = threading.Event()

    def sample() -> None:  # this process's RSS by indexing phase (indexing, finishing = FTS index + compaction)
        page = os.sysconf("SC_PAGE_SIZE")
        while not stop.is_set():
            with open("/proc/self/statm") as fh:
                rss = int(fh.read().split()[1]) * page / 2**20
            peaks[phase[0]] = max(peaks.get(phase[0], 0.0), rss)
            time.sleep(0.05)

    def on_progress(p) -> None:  # type: ignore[no-untyped-def]
        phase[0] = p.phase
        if p.file_unit:
            beats.append((p.file_done, p.file_total, p.file_unit))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    report = indexer.index_paths([path], on_progress=on_progress)
    elapsed = time.monotonic() - started
    stop.set()
    sampler.join()
    done_flag = os.environ.get("COVE_BENCH_DONE")
    if done_flag:
        Path(done_flag).write_text("done")  # the parent stops sampling: what follows is this script's own checking
    docs = store.load_documents()
    n = store.chunk_count()
    table = store.chunks_table.search().select(["doc_id", "ordinal", "text", "line_start", "line_end", "page"]).limit(
        max(1, n)).to_arrow()
    result = {"case": case, "elapsed_s": elapsed, "counts": report.counts, "chunks": table.num_rows,
              "docs_indexed": sum(d.status == "indexed" for d in docs.values()),
              "n_chunks_rows": sum(d.n_chunks for d in docs.values() if d.status == "indexed"),
              "errors": [d.error for d in docs.values() if d.status != "indexed"][:5],
              "units": sorted({u for _, _, u in beats}), "max_units_done": max((d for d, _, _ in beats), default=0),
              "writer_peaks_by_phase_mb": {k: round(v) for k, v in peaks.items()}}
    texts = table.column("text").to_pylist()
    if case == "text":
        starts, ends = table.column("line_start").to_pylist(), table.column("line_end").to_pylist()
        found = {}
        for t, a, b in zip(texts, starts, ends):
            if "qzmarker" in t:
                for word in t.split():
                    if word.startswith("qzmarker"):
                        found.setdefault(word, (a, b))
        result["markers"] = found
        ordinals = sorted(table.column("ordinal").to_pylist())
        result["ordinals_contiguous"] = ordinals == list(range(len(ordinals)))
    elif case == "mbox":
        result["markers"] = sorted({w for t in texts for w in t.split() if w.startswith("marker")})
    else:
        pages = table.column("page").to_pylist()
        result["pages_seen"] = len({p for p in pages if p})
    print("RESULT " + json.dumps(result))
    return 0


# --- the parent: run a child and sample its memory -----------------------------------------------------------------
def _tree_rss_mb(root: int) -> tuple[float, float]:
    """(RSS of `root`, RSS of `root` and all its descendants) in MB, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages
    page = os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, ()))
    return rss.get(root, 0) * page / 2**20, total * page / 2**20


def run_child(case: str, path: Path, embedder: str, timeout_s: float = 7200) -> dict:
    cmd = [sys.executable, "-m", "tests.benchmarks.bench_memory", "--child", case, str(path), embedder]
    done = Path(scratch_dir(prefix="cove-bench-flag-")) / "done"
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ,
                                                                                   "COVE_BENCH_DONE": str(done)})
    peak_writer = peak_tree = 0.0
    deadline = time.monotonic() + timeout_s
    while proc.poll() is None:
        if done.exists():
            time.sleep(0.1)
            continue
        writer, tree = _tree_rss_mb(proc.pid)
        peak_writer, peak_tree = max(peak_writer, writer), max(peak_tree, tree)
        if time.monotonic() > deadline:
            proc.kill()
            raise TimeoutError(f"{case} did not finish in {timeout_s:.0f} s")
        time.sleep(0.1)
    out = proc.stdout.read() if proc.stdout else ""
    line = next((ln for ln in out.splitlines() if ln.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"{case} child failed with exit {proc.returncode}:\n{out[-2000:]}")
    result = json.loads(line[len("RESULT "):])
    result["peak_writer_mb"], result["peak_tree_mb"] = peak_writer, peak_tree
    return result


def embedder_rss_mb(backend: str = "onnx-int8") -> float:
    """Resident memory the product's embedder (`embedder_backend`, default onnx-int8) adds to the writer: load it
    and embed one batch of 64 chunk-sized texts, in a fresh process."""
    code = ("import os, resource, tempfile; os.environ.setdefault('COVE_DATA_DIR', tempfile.mkdtemp()); import app;"
            "from app import paths; from indexer.embedders import make_embedder;"
            "a=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
            f"e=make_embedder({backend!r}, paths.embedder_cache_dir(), batch_size=64);"
            "e.embed(['a chunk of about two hundred tokens ' * 25] * 64);"
            "print(type(e).__name__, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - a)")
    env = {**os.environ, "COVE_DATA_DIR": scratch_dir(prefix="cove-bench-emb-")}
    for _ in range(2):  # the first run may build the embedder's cache (int8 model); the second is what a user sees
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=900,
                             env=env)
    name, kb = out.stdout.strip().splitlines()[-1].split()
    print(f"(embedder measured: {name})")
    return int(kb) / 1024


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        return child(argv[1], argv[2], argv[3])
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--text-mb", type=int, default=95)
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--pages", type=int, default=3_000)
    ap.add_argument("--embedder", choices=("fake", "real"), default="fake")
    ap.add_argument("--only", default="text,mbox,pdf")
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="cove-bench-inputs-") as tmp:
        for case in args.only.split(","):
            path, what = make_inputs(case, Path(tmp) / case, args)
            r = run_child(case, path, args.embedder)
            rows.append((case, what, r))
            path.unlink()
    extra = embedder_rss_mb() if args.embedder == "fake" else 0.0
    load = os.getloadavg()
    print(f"\nPeak memory while indexing (embedder: {args.embedder}; load average {load[0]:.1f} {load[1]:.1f} "
          f"{load[2]:.1f} on {os.cpu_count()} CPUs)\n")
    print("| input | docs indexed | chunks | seconds | writer while indexing | writer while finishing | "
          "peak RSS writer + workers | + real model | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for case, what, r in rows:
        total = r["peak_tree_mb"] + extra
        ok = "✅" if total <= CEILING_MB else "❌"
        phases = r.get("writer_peaks_by_phase_mb", {})
        print(f"| {what} | {r['docs_indexed']:,} | {r['chunks']:,} | {r['elapsed_s']:.0f} | "
              f"{phases.get('indexing', 0):.0f} MB | {phases.get('finishing', 0):.0f} MB | {r['peak_tree_mb']:.0f} MB | "
              f"{total:.0f} MB | ≤ {CEILING_MB} MB {ok} |")
    print("\nFinishing = the end of `cove index`: full-text index, vector (IVF-PQ) index once the table has 50,000 "
          "chunks, and compaction, over the whole table.")
    if extra:
        print(f"\n`+ real model`: writer + workers plus {extra:.0f} MB, the resident memory the default embedder "
              "(embedder_backend onnx-int8) adds: loaded and one batch of 64 embedded, measured in a fresh process.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
