"""The desktop app's memory (issue 12): idle after start, while and after indexing, idle for a while, after a question.

    .venv/bin/python -m tests.benchmarks.bench_app_memory [--corpora docs,pdf,html] [--idle-minutes 15]
                                                          [--model-idle-minutes 10] [--ocr] [--copies-only]

The real app (`python -m app.gui`, QT_QPA_PLATFORM=offscreen, a temp data and config dir) with the corpora as a
watched folder: it indexes them itself (its watcher, parse workers, the default onnx-int8 embedder), loads the
bundled model at start (as it does for a user) and hosts the resident API. A sampler reads the RSS of the app and
all its children from /proc every 0.5 s. Questions go through `cove ask`, which talks to the app's API — the same
process and model the window uses. Target (issue 12): the app idle 15 minutes after indexing the docs + pdf + html
corpora ≤ 500 MB RSS (the settings' `model_idle_minutes` is 10, so the model has been unloaded by then).

OCR is off unless `--ocr` (the 43 scans in pdf/ take an hour of OCR on 2 loaded cores; the OCR worker is a separate
process that exits after 120 s idle, so it does not change the app's idle figure).

`--copies-only` (also run at the end of a full run) measures, in a fresh process, what a second Assistant costs: two
`Assistant`s each loading the model (the app's chat and its API server before app/resident/shared_assistant.py) against
`shared_assistant(core)` taken twice (now).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.benchmarks.bench_index_rss import CORPORA, ROOT, tree_rss_mb
from tests.benchmarks.scratch import scratch_dir

TARGET_MB = 500


class Sampler:
    """RSS of the app's process tree every `interval` s; `mark(label)` starts a new stretch, whose peak is kept."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        self.pid, self.interval = pid, interval
        self.label = "start-up"
        self.peaks: dict[str, dict[str, float]] = {}
        self.last: dict[str, float] = {}
        self._stop = threading.Event()
        self._roles: dict[int, str] = {}
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            now = tree_rss_mb(self.pid, self._roles)
            self.last = now
            p = self.peaks.setdefault(self.label, {})
            for k, v in now.items():
                p[k] = max(p.get(k, 0.0), v)
            time.sleep(self.interval)

    def mark(self, label: str) -> dict[str, float]:
        """The tree right now (a fresh sample), and start the stretch `label`."""
        now = tree_rss_mb(self.pid, self._roles)
        self.label = label
        return now

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


def cove(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def status(env: dict[str, str]) -> dict | None:
    out = cove(env, "status", "--json", timeout=120)
    try:
        return json.loads(out.stdout)
    except ValueError:
        return None


def wait_indexed(env: dict[str, str], app: subprocess.Popen, timeout_s: float) -> dict:
    """Until the app serves status, nobody holds the writer lock and the document count is steady for 3 polls."""
    end = time.monotonic() + timeout_s
    steady, last_docs = 0, -1
    while time.monotonic() < end:
        if app.poll() is not None:
            raise SystemExit(f"the app exited with {app.returncode}")
        s = status(env)
        if s and s.get("server") and not s.get("writer") and s.get("documents", 0) > 0:
            steady = steady + 1 if s["documents"] == last_docs else 0
            last_docs = s["documents"]
            if steady >= 3:
                return s
        time.sleep(5)
    raise SystemExit("the app did not finish indexing in time")


def second_copy_mb() -> dict[str, float]:
    """In a fresh process: RSS after loading the model through two Assistants vs the shared one taken twice."""
    code = """
import json, os, tempfile
os.environ.setdefault("COVE_DATA_DIR", tempfile.mkdtemp()); os.environ.setdefault("COVE_CONFIG_DIR", tempfile.mkdtemp())
import app
from app.core import CoveCore
from app.answer.assistant import Assistant
from app.resident.shared_assistant import shared_assistant
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
core = CoveCore(); out = {"base": rss()}
a = shared_assistant(core); a.llm; out["shared, first user"] = rss()
b = shared_assistant(core); b.llm; out["shared, second user"] = rss(); out["same object"] = a is b
a.close()
c, d = Assistant(core), Assistant(core); c.llm; out["separate, first"] = rss(); d.llm; out["separate, second"] = rss()
print("COPIES " + json.dumps(out))
"""
    env = {**os.environ, "COVE_DATA_DIR": scratch_dir(prefix="cove-bench-copies-"),
           "COVE_CONFIG_DIR": scratch_dir(prefix="cove-bench-copies-cfg-")}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("COPIES ")), None)
    if line is None:
        raise SystemExit(f"copies measurement failed:\n{out.stderr[-2000:]}")
    return json.loads(line[len("COPIES "):])


def print_copies(c: dict) -> None:
    print("\nA second user of the model in one process (fresh process, bundled model):\n")
    print("| | RSS | added by the second user |")
    print("|---|---:|---:|")
    print(f"| shared_assistant(core) taken twice (now: app chat + its API) | {c['shared, second user']:.0f} MB | "
          f"{c['shared, second user'] - c['shared, first user']:+.0f} MB |")
    print(f"| two Assistant(core) (before: app chat + its API, each its own model) | {c['separate, second']:.0f} MB | "
          f"{c['separate, second'] - c['separate, first']:+.0f} MB |")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpora", default="docs,pdf,html")
    ap.add_argument("--idle-minutes", type=float, default=15.0)
    ap.add_argument("--model-idle-minutes", type=float, default=10.0)
    ap.add_argument("--ocr", action="store_true")
    ap.add_argument("--question", default="What does the Pandoc manual say about footnotes?")
    ap.add_argument("--copies-only", action="store_true")
    args = ap.parse_args(argv)
    if args.copies_only:
        print_copies(second_copy_mb())
        return 0
    load_before = os.getloadavg()
    tmp = Path(scratch_dir(prefix="cove-bench-app-"))
    folders = [str(CORPORA / c) for c in args.corpora.split(",")]
    config, data = tmp / "config", tmp / "data"
    config.mkdir()
    (config / "settings.json").write_text(json.dumps({"version": 1, "watched_folders": folders, "ocr": args.ocr,
                                                      "model_idle_minutes": args.model_idle_minutes}))
    env = {**os.environ, "COVE_DATA_DIR": str(data), "COVE_CONFIG_DIR": str(config), "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": str(ROOT)}
    cache = Path.home() / ".cache" / "cove-tests" / "embedder"  # the int8 file the tests made (hash-checked)
    if "COVE_EMBEDDER_CACHE" not in env and cache.is_dir():
        env["COVE_EMBEDDER_CACHE"] = str(cache)
    rows: list[tuple[str, str, dict[str, float], dict[str, float] | None]] = []
    started = time.monotonic()
    app = subprocess.Popen([sys.executable, "-m", "app.gui"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                           stderr=open(tmp / "app.log", "w"))
    sampler = Sampler(app.pid)
    try:
        s = wait_indexed(env, app, timeout_s=7200)
        t_indexed = time.monotonic() - started
        rows.append(("start-up + indexing done", f"{t_indexed:.0f} s", sampler.mark("idle"),
                     sampler.peaks.get("start-up")))
        idle_s = args.idle_minutes * 60
        checkpoints = sorted({min(60.0, idle_s), idle_s / 2, idle_s})
        waited = 0.0
        for cp in checkpoints:
            time.sleep(cp - waited)
            waited = cp
            now = dict(sampler.last)
            rows.append((f"idle {cp / 60:.1f} min after indexing", "", now, None))
        sampler.mark("question")
        t0 = time.monotonic()
        out = cove(env, "ask", args.question, timeout=900)
        took = time.monotonic() - t0
        if out.returncode != 0:
            print(f"(cove ask failed: {out.stderr[-500:]})")
        time.sleep(5)
        rows.append(("after one question (`cove ask` through the app's API)", f"{took:.0f} s", sampler.mark("after"),
                     sampler.peaks.get("question")))
        time.sleep(60)
        rows.append(("1 min after the question", "", dict(sampler.last), None))
    finally:
        sampler.stop()
        app.terminate()
        try:
            app.wait(30)
        except subprocess.TimeoutExpired:
            app.kill()
    load = os.getloadavg()
    print(f"\nThe desktop app (offscreen) watching {args.corpora} ({s['documents']:,} documents, {s['chunks']:,} "
          f"chunks; OCR {'on' if args.ocr else 'off'}; model_idle_minutes {args.model_idle_minutes:g}). Load average "
          f"before {load_before[0]:.2f}, after {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs.\n")
    print("| moment | time | app | its workers | app + workers | peak of the stretch (app + workers) | target |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for label, t, now, peak in rows:
        workers = now.get("parse", 0) + now.get("ocr", 0) + now.get("other", 0)
        ok = ""
        if label.startswith("idle"):
            ok = f"≤ {TARGET_MB} MB " + ("✅" if now.get("total", 0) <= TARGET_MB else "❌")
        stretch = f"{peak.get('total', 0):.0f} MB" if peak else ""  # only the rows that end a stretch have one
        print(f"| {label} | {t} | {now.get('writer', 0):.0f} MB | {workers:.0f} MB | {now.get('total', 0):.0f} MB | "
              f"{stretch} | {ok} |")
    print_copies(second_copy_mb())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
