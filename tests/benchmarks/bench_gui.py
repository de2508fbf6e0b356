"""Desktop app figures: launch-to-window-visible time and idle memory after indexing the shared corpora.

    .venv/bin/python -m tests.benchmarks.bench_gui [--runs 5] [--skip-memory] [PATH ...]
        (default corpora: ../shared/corpora/docs, pdf and html)

Launch: `python -m app.gui` in a fresh process (offscreen, empty data dir) with COVE_STARTUP_PROBE=exit; the app
prints the wall-clock time its window is first exposed. Measured from just before the process is spawned, so the
interpreter start and every import are included. Target: median < 1.5 s.
Memory: a child process runs the real app (controller, workers, watcher off), indexes the corpora through the GUI's
index worker, lets the chat worker load the bundled model, waits until idle, and reports VmRSS / VmHWM.
Prints a markdown table. The machine is a shared 2-core box: run it when it is quiet, the figures are wall-clock.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPORA = ROOT.parent / "shared" / "corpora"
TARGET_S = 1.5

_MEMORY_CHILD = r"""
import json, os, sys, time
import app
from app.gui import _pyside_fix
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

def rss():
    fields = {}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields

qt_app = QApplication([])
from app.gui.controller import Controller
ctl = Controller(qt_app, tray=False)
ctl.settings.set("first_run_done", True)
ctl.show_main()

def wait(cond, timeout):
    end = time.monotonic() + timeout
    while not cond() and time.monotonic() < end:
        loop = QEventLoop(); QTimer.singleShot(100, loop.quit); loop.exec()
    return cond()

after_window = rss()
ctl.start(watch=False)
wait(lambda: ctl.index.is_ready and ctl.chat.model_info is not None, 600)
after_load = rss()
done = []
ctl.index.job_finished.connect(done.append)
started = time.perf_counter()
ctl.index.index(json.loads(sys.argv[1]))
wait(lambda: bool(done), 7200)
index_s = time.perf_counter() - started
report = done[0].report
wait(lambda: False, 5.0)  # idle: let the snapshot refresh and allocators settle
idle = rss()
print("RESULT " + json.dumps({"after_window": after_window, "after_load": after_load, "idle": idle,
      "index_s": index_s, "counts": report.counts, "chunks": report.chunks_written}), flush=True)
ctl.shutdown()
"""


def _env(data: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", COVE_DATA_DIR=str(data / "data"), COVE_CONFIG_DIR=str(data / "config"),
               PYTHONPATH=str(ROOT))
    return env


def launch_times(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="cove-bench-gui-") as tmp:
            env = _env(Path(tmp))
            env["COVE_STARTUP_PROBE"] = "exit"
            started = time.time()
            out = subprocess.run([sys.executable, "-m", "app.gui"], cwd=ROOT, env=env, capture_output=True,
                                 text=True, timeout=120)
            stamp = next((float(line.split()[1]) for line in out.stdout.splitlines()
                          if line.startswith("COVE_WINDOW_EXPOSED")), None)
            if out.returncode != 0 or stamp is None:
                raise RuntimeError(f"launch failed: {out.stderr[-1500:]}")
            times.append(stamp - started)
    return times


def idle_memory(paths: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="cove-bench-gui-mem-") as tmp:
        out = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, json.dumps(paths)], cwd=ROOT, env=_env(Path(tmp)),
                             capture_output=True, text=True, timeout=8000)
        line = next((line for line in out.stdout.splitlines() if line.startswith("RESULT ")), None)
        if line is None:
            raise RuntimeError(f"memory run failed: {out.stderr[-3000:]}")
        return json.loads(line[len("RESULT "):])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", help="what to index for the memory figure")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args(argv)
    paths = args.paths or [str(CORPORA / "docs"), str(CORPORA / "pdf"), str(CORPORA / "html")]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    times = launch_times(args.runs)
    median = statistics.median(times)
    rows = [("launch → window visible, median of %d" % len(times), f"{median:.2f} s",
             f"< {TARGET_S} s: {'met' if median < TARGET_S else 'MISSED'}"),
            ("launch → window visible, min / max", f"{min(times):.2f} / {max(times):.2f} s", "")]
    if not args.skip_memory:
        mem = idle_memory(paths)
        c = mem["counts"]
        rows += [
            ("RSS with the window shown (nothing loaded)", f"{mem['after_window']['VmRSS']:.0f} MB", ""),
            ("RSS after embedder + bundled model loaded", f"{mem['after_load']['VmRSS']:.0f} MB", ""),
            ("indexed (GUI index worker)", f"{c.get('indexed', 0)} files, {mem['chunks']} chunks "
             f"in {mem['index_s']:.0f} s", f"{c.get('skipped', 0)} skipped, {c.get('error', 0)} errors"),
            ("idle RSS after indexing the corpora", f"{mem['idle']['VmRSS']:.0f} MB", ""),
            ("peak RSS (VmHWM)", f"{mem['idle']['VmHWM']:.0f} MB", ""),
        ]
    print(f"\nCove desktop app — {os.cpu_count()} CPUs, load average {load:.1f} at start\n")
    print("| measure | value | note |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
