"""End-to-end peak memory of a real `cove index` run (issue 13): the whole process tree, by phase.

    .venv/bin/python -m tests.benchmarks.bench_index_rss [--mix default|NAME,…] [--interval 0.05] [--no-ocr]
                                                         [--keep DIR]

Unlike bench_memory (which indexes one generated big file and adds the embedder's measured memory to the writer's),
this runs the product itself: `cove index FOLDER` as a subprocess, with the default settings (the real default
embedder, `embedder_backend` onnx-int8, parse workers, the OCR worker, real LanceDB in a temp data dir, the FTS index
build at the end), over a realistic mix copied from ../shared/corpora: Word/EPUB/Markdown, saved web pages, mbox and
eml/msg mail, text PDFs and a few scans that go through OCR.

A separate sampler (this process) reads /proc every `--interval` s (default 50 ms) and sums the RSS of `cove index`
(the writer), its parse workers (`indexer.parse_worker`) and its OCR worker (`indexer.ocr.worker`). The phase comes
from the CLI's own progress line on stderr (a pipe prints a line at each phase change: scanning, indexing,
finishing, done); "start-up" is before the first line (imports, embedder load). After the run,
getrusage(RUSAGE_CHILDREN).ru_maxrss (the kernel's own high-water mark of the largest single process waited for) is
printed as a cross-check of the sampler. Target (issue 13): ≤ 1.5 GB for the CLI whatever the input.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPORA = Path(os.environ.get("COVE_CORPORA") or ROOT.parent / "shared" / "corpora")
CEILING_MB = 1536  # issue 13: ≤ 1.5 GB for the CLI

# name -> paths under the corpora (folders are copied whole). About 22 MB, ~650 files.
MIX = {
    "docs": ["docs"],  # 94 DOCX, 8 EPUB, the 305 KB Pandoc manual, an HTML test page
    "html": ["html"],  # 18 saved real web pages
    "mbox": ["email/ponymail-mbox"],  # 14 real Apache list archives (~650 messages)
    "msg": ["email/msg/MSGReader-dotnet"],  # Outlook .msg and .eml with attachments
    "pdf": ["pdf/pdfminer-samples/nonfree", "pdf/py-pdf-sample-files"],  # text PDFs up to 117 pages
    "scans": [f"pdf/ocrmypdf-resources/{n}" for n in ("linn.pdf", "skew.pdf", "francais.pdf", "2400dpi.pdf",
                                                       "cardinal.pdf")],  # no text layer: OCR worker
}


def copy_mix(names: list[str], dest: Path) -> tuple[int, int]:
    """Copy the chosen parts of the corpora into `dest` (real files, not links). Returns (files, bytes)."""
    for name in names:
        for rel in MIX[name]:
            src = CORPORA / rel
            if not src.exists():
                raise SystemExit(f"corpus part not found: {src} (set COVE_CORPORA)")
            target = dest / name / rel.replace("/", "_")
            if src.is_dir():
                shutil.copytree(src, target)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target)
    files = [p for p in dest.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


# --- the sampler -------------------------------------------------------------------------------------------------
def _cmdline(pid: int) -> bytes | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read()
    except OSError:
        return None


def _role(pid: int, root: int) -> str:
    """A child whose command line is still the writer's is between fork and exec (subprocess uses vfork): it runs
    on the writer's own pages, and its RSS is the writer's RSS again, so it is counted apart ("forking") and not
    added to the tree. Seen in a run over docs, html, pdf and scans: "other 1160 MB" at the tree's peak while the
    OCR worker was restarting, twice the writer's 539 MB."""
    if pid == root:
        return "writer"
    raw = _cmdline(pid)
    if raw is None:
        return "other"
    if raw and raw == _cmdline(root):
        return "forking"
    cmd = raw.replace(b"\0", b" ")
    if b"parse_worker" in cmd or b"--cove-parse-worker" in cmd:
        return "parse"
    if b"ocr.worker" in cmd:
        return "ocr"
    return "other"


def tree_rss_mb(root: int, roles: dict[int, str]) -> dict[str, float]:
    """RSS in MB of `root` and every descendant, summed by role (writer, parse, ocr, other) and in total."""
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
    mb = os.sysconf("SC_PAGE_SIZE") / 2**20
    out = {"writer": 0.0, "parse": 0.0, "ocr": 0.0, "other": 0.0, "forking": 0.0}
    stack = [root]
    while stack:
        pid = stack.pop()
        role = roles.get(pid) or _role(pid, root)
        if role not in ("other", "forking"):  # asked again next time: such a child may exec any moment
            roles[pid] = role
        out[role] += rss.get(pid, 0) * mb
        stack.extend(children.get(pid, ()))
    out["total"] = sum(v for k, v in out.items() if k != "forking")
    return out


def run(folder: Path, data: Path, interval: float, ocr: bool) -> dict:
    config = data.parent / "config"
    config.mkdir(parents=True, exist_ok=True)
    if not ocr:
        (config / "settings.json").write_text(json.dumps({"version": 1, "ocr": False}))
    env = {**os.environ, "COVE_DATA_DIR": str(data), "COVE_CONFIG_DIR": str(config), "PYTHONUNBUFFERED": "1"}
    cache = Path.home() / ".cache" / "cove-tests" / "embedder"  # the int8 file the tests already made (hash-checked)
    if "COVE_EMBEDDER_CACHE" not in env and cache.is_dir():
        env["COVE_EMBEDDER_CACHE"] = str(cache)
    cmd = [str(ROOT / ".venv" / "bin" / "cove"), "index", str(folder)]
    if not Path(cmd[0]).exists():
        cmd = [sys.executable, "-m", "app.cli", "index", str(folder)]
    phase = ["start-up"]
    lines: list[str] = []
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def read_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line.rstrip("\n"))
            word = line.split(" ", 1)[0]
            if word in ("scanning", "indexing", "finishing", "done", "cancelled"):
                phase[0] = word

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    roles: dict[int, str] = {}
    peaks: dict[str, dict[str, float]] = {}
    timeline: list[tuple[float, str, float]] = []
    at_peak: dict[str, float] = {"total": 0.0}
    samples = 0
    while proc.poll() is None:
        now = tree_rss_mb(proc.pid, roles)
        samples += 1
        p = peaks.setdefault(phase[0], {})
        for k, v in now.items():
            p[k] = max(p.get(k, 0.0), v)
        if now["total"] > at_peak["total"]:  # what the tree was made of at its highest
            at_peak = {**now, "t": time.monotonic() - started, "phase": phase[0]}  # type: ignore[dict-item]
        timeline.append((time.monotonic() - started, phase[0], now["total"]))
        time.sleep(interval)
    elapsed = time.monotonic() - started
    out = proc.stdout.read() if proc.stdout else ""
    reader.join(5)
    if proc.returncode != 0:
        raise SystemExit(f"cove index failed with exit {proc.returncode}:\n" + "\n".join(lines[-30:]))
    phase_s: dict[str, float] = {}
    for (t0, ph, _), (t1, _, _) in zip(timeline, timeline[1:]):
        phase_s[ph] = phase_s.get(ph, 0.0) + (t1 - t0)
    return {"peaks": peaks, "at_peak": at_peak, "phase_s": phase_s, "elapsed_s": elapsed, "samples": samples,
            "summary": out.strip(),
            "children_maxrss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "timeline": timeline}


def chunk_count(data: Path) -> int:
    import lancedb

    db = lancedb.connect(str(data / "index"))
    result = db.list_tables()
    names = [n for n in getattr(result, "tables", result) if n.startswith("chunks")]
    return sum(db.open_table(n).count_rows() for n in names)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mix", default="default", help="comma-separated names from " + ",".join(MIX))
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--no-ocr", action="store_true", help="the `ocr` setting off (scans are then skipped)")
    ap.add_argument("--keep", help="keep the data dir here (to open it later, e.g. with bench_app_memory)")
    args = ap.parse_args(argv)
    names = list(MIX) if args.mix == "default" else args.mix.split(",")
    up_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="cove-bench-rss-") as tmp:
        folder = Path(tmp) / "corpus"
        n_files, n_bytes = copy_mix(names, folder)
        data = Path(args.keep) if args.keep else Path(tmp) / "data"
        r = run(folder, data, args.interval, ocr=not args.no_ocr)
        try:
            chunks = chunk_count(data)
        except Exception as exc:  # the figure is a courtesy; the run itself succeeded
            chunks = -1
            print(f"(could not count chunks: {exc})")
    up = os.getloadavg()
    print(f"\n`cove index` over {n_files} files ({n_bytes / 2**20:.1f} MB: {', '.join(names)}), default settings"
          f"{' but ocr off' if args.no_ocr else ''}; {r['elapsed_s']:.0f} s, {chunks:,} chunks; sampled every "
          f"{args.interval * 1000:.0f} ms ({r['samples']:,} samples). Load average before {up_before[0]:.2f}, after "
          f"{up[0]:.2f} {up[1]:.2f} {up[2]:.2f} on {os.cpu_count()} CPUs.\n")
    print(f"Summary: {r['summary'].splitlines()[0] if r['summary'] else '(none)'}\n")
    print("| phase | seconds | writer (`cove index`) | parse workers | OCR worker | whole tree | target |")
    print("|---|---:|---:|---:|---:|---:|---|")
    overall = 0.0
    for ph in ("start-up", "scanning", "indexing", "finishing", "done"):
        p = r["peaks"].get(ph)
        if not p:
            continue
        overall = max(overall, p["total"])
        ok = "✅" if p["total"] <= CEILING_MB else "❌"
        print(f"| {ph} | {r['phase_s'].get(ph, 0):.1f} | {p['writer']:.0f} MB | {p['parse']:.0f} MB | "
              f"{p['ocr']:.0f} MB | {p['total']:.0f} MB | ≤ {CEILING_MB} MB {ok} |")
    ok = "met" if overall <= CEILING_MB else "MISSED"
    print(f"| **whole run** | {r['elapsed_s']:.1f} | {max(p['writer'] for p in r['peaks'].values()):.0f} MB | "
          f"{max(p['parse'] for p in r['peaks'].values()):.0f} MB | {max(p['ocr'] for p in r['peaks'].values()):.0f} MB"
          f" | **{overall:.0f} MB** | ≤ {CEILING_MB} MB {ok} |")
    a = r["at_peak"]
    if a["total"]:
        print(f"\nAt the tree's peak ({a['t']:.0f} s in, {a['phase']}): writer {a['writer']:.0f} MB + parse workers "
              f"{a['parse']:.0f} MB + OCR worker {a['ocr']:.0f} MB + other {a['other']:.0f} MB = {a['total']:.0f} MB.")
    forking = max(p.get("forking", 0.0) for p in r["peaks"].values())
    if forking:
        print(f"\nNot added: children between fork and exec (the writer's own pages seen again), up to {forking:.0f} MB.")
    print(f"\nKernel cross-check: getrusage(RUSAGE_CHILDREN).ru_maxrss = {r['children_maxrss_mb']:.0f} MB (the largest "
          "single process of the tree, its own high-water mark between samples).")
    print("Peaks of different columns may come from different moments; `whole tree` is the peak of the sum.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
