"""Resident Cove benchmark (issue 12): `cove search` wall time with and without a running `cove serve`, `cove ask` time
to the first printed token with a server, and cold search. Real subprocesses, as a person runs them; prints a
markdown table with the load average (the machine is shared, so figures move with it).

    .venv/bin/python tests/benchmarks/bench_resident.py [--runs 15] [--cold-runs 5] [--ask-runs 5] [--cold-ask-runs 2]
                                                        [--data-dir DIR]

Without --data-dir it indexes a small real corpus (SQuAD articles + two licence texts) into a temporary data dir.
`cove ask` is asked five written questions, then real SQuAD questions about the indexed paragraphs: every ask up to
41 is a question not asked before (use --ask-runs 15 for a steadier p50).
Targets: with a server, search p50 <= 0.5 s and ask first token p50 <= 1.0 s; without, cold search <= 4 s.
"""
from __future__ import annotations

import argparse
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO))

from tests.app.serve_helpers import SQUAD, Server, cove, env_for, make_docs, write_settings  # noqa: E402

SEARCHES = ["Geordie dialect", "oxygen discovery", "Norman conquest of England", "licence warranty",
            "copyright notice", "Tyne bridges", "combustion", "William the Conqueror"]
QUESTIONS = ["What is the dialect of Newcastle known as?", "Who discovered oxygen?",
             "Where did the Normans come from?", "What is the chemical symbol of oxygen?",
             "Which river flows through Newcastle?"]


def squad_questions() -> list[str]:
    """Real questions about the indexed paragraphs, after the five above: the first SQuAD question of each paragraph
    make_docs indexed, taking the three articles in turn. `--ask-runs` up to 41 then asks only fresh questions (a
    repeated one finds its sentence vectors kept from the first time, which flatters the figure)."""
    import json

    articles = {a["title"]: a for a in json.loads(SQUAD.read_text("utf-8"))["data"]}
    per = [[p["qas"][0]["question"] for p in articles[t]["paragraphs"][:12] if p["qas"]]
           for t in ("Newcastle_upon_Tyne", "Oxygen", "Normans")]
    out = [q for row in zip(*per) for q in row]
    return [q for q in out if q not in QUESTIONS]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def time_search(data: Path, runs: int, server: bool) -> list[float]:
    out = []
    for i in range(runs):
        started = time.perf_counter()
        r = cove(data, "search", SEARCHES[i % len(SEARCHES)], "--json", server=server)
        out.append(time.perf_counter() - started)
        if r.returncode != 0:
            raise RuntimeError(r.stderr)
    return out


ASKED: list[str] = list(QUESTIONS)  # main() adds squad_questions()


def time_first_token(data: Path, runs: int, server: bool) -> list[float]:
    """Seconds from starting `cove ask` to the first byte it prints on stdout (the first answer token)."""
    out = []
    for i in range(runs):
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "ask", ASKED[i % len(ASKED)]], cwd=REPO,
                                env=env_for(data, server=server), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 600)
        first = time.perf_counter() - started
        if ready:
            os.read(proc.stdout.fileno(), 1)
        _, err = proc.communicate(timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(err.decode())
        out.append(first)
    return out


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--cold-runs", type=int, default=5)
    ap.add_argument("--ask-runs", type=int, default=5)
    ap.add_argument("--cold-ask-runs", type=int, default=2, help="first token without a server (slow; 0 skips)")
    ap.add_argument("--data-dir", type=Path, help="an existing Cove data dir with an index (default: build a small one)")
    args = ap.parse_args()
    # An installed Cove runs from compiled bytecode (pip compiles at install, the bundle ships it, a clone writes it on
    # first run); this machine sets PYTHONDONTWRITEBYTECODE, which would have every timed `cove` process compile the
    # modules changed since the last compile (~60 ms of CPU each, seen with cProfile).
    import compileall

    for package in ("app", "indexer"):
        compileall.compile_dir(str(REPO / package), quiet=1)
    ASKED.extend(squad_questions())
    tmp = tempfile.TemporaryDirectory(prefix="cove-bench-resident-")
    data = args.data_dir
    if data is None:
        data = Path(tmp.name) / "data"
        write_settings(data, temperature=0)
        r = cove(data, "index", str(make_docs(Path(tmp.name) / "docs")), "--json", server=False)
        if r.returncode != 0:
            raise SystemExit(r.stderr)
        # the bundled model is assembled and re-encoded once per data dir (app/models/bundled_model.py): do it here,
        # so that "cold" measures a new process of an installed Cove, not its first-ever start
        r = cove(data, "models", "--json", server=False)
        if r.returncode != 0:
            raise SystemExit(r.stderr)
    import json

    status = json.loads(cove(data, "status", "--json", server=False).stdout)
    rows: list[tuple[str, str, str, str, str]] = []
    before = load()
    cold = time_search(data, args.cold_runs, server=False)
    rows.append(("cove search, no server (cold process)", f"{statistics.median(cold):.2f}", f"{pct(cold, 95):.2f}",
                 str(len(cold)), load()))
    if args.cold_ask_runs:
        cold_ask = time_first_token(data, args.cold_ask_runs, server=False)
        rows.append(("cove ask, first printed token, no server (cold process)", f"{statistics.median(cold_ask):.2f}",
                     f"{pct(cold_ask, 95):.2f}", str(len(cold_ask)), load()))
    server = Server(data)
    try:
        server.wait_ready()
        time_search(data, 2, server=True)  # first requests warm the server's page cache
        warm = time_search(data, args.runs, server=True)
        rows.append(("cove search, with `cove serve`", f"{statistics.median(warm):.2f}", f"{pct(warm, 95):.2f}",
                     str(len(warm)), load()))
        ttft = time_first_token(data, args.ask_runs, server=True)
        rows.append(("cove ask, first printed token, with `cove serve`", f"{statistics.median(ttft):.2f}",
                     f"{pct(ttft, 95):.2f}", str(len(ttft)), load()))
    finally:
        server.stop()
    print(f"\nResident Cove (issue 12); load average (1/5/15 min) at start {before}\n")
    print("| measurement | p50 s | p95 s | runs | load avg after |")
    print("|---|---:|---:|---:|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\n(data dir: {data}: {status['documents']} documents, {status['chunks']} chunks, embedder "
          f"{status['embedder']['id']}; {os.cpu_count()} CPUs)")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
