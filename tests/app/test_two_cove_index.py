"""Issue 13, one writer across processes, with the product itself: two real `cove index` processes (the CLI, the real
default embedder, real LanceDB in the test's data dir) race on one index. The second waits with a message naming
the first, and after both finish the index is consistent and both folders' documents are searchable.

The race is made certain, not left to timing: once the first run holds the writer lock (its pid is in
`index.lock`), it is paused with SIGSTOP, the second is started and must say it waits; then the first resumes."""
from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app import paths
from indexer.writer_lock import LOCK_NAME
from tests.conftest import corpus
from tests.indexer.helpers import consistency_problems, write

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGSTOP") or sys.platform == "win32",
                                reason="needs POSIX signals and flock")


def _cove(*args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli", *args]


def _lines(proc: subprocess.Popen) -> "queue.Queue[str | None]":
    """stderr lines of `proc` as they come (None at its end)."""
    q: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            q.put(line.rstrip("\n"))
        q.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return q


def _lock_holder_pid(lock: Path) -> int | None:
    try:
        line = lock.read_text().strip().splitlines()
        return int(json.loads(line[0])["pid"]) if line else None
    except (OSError, ValueError, KeyError):
        return None


def _search(query: str, env: dict[str, str]) -> list[str]:
    out = subprocess.run(_cove("search", "--json", query), env=env, cwd=REPO, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return [r["path"] for r in json.loads(out.stdout)["results"]]


def test_two_real_cove_index_processes_take_turns_and_leave_one_good_index(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write(a / "alpha.md", "# Alpha\n\nThe quartermaster ordered zephyrquill lanterns for the northern depot.\n")
    shutil.copy(corpus("docs", "pandoc-tests", "markdown", "testsuite.txt"), a / "testsuite.md")  # real text
    write(b / "beta.md", "# Beta\n\nThe orchard keeper logged marrowbinth apples on the west slope.\n")
    shutil.copy(corpus("docs", "python-docx-tests", "par-known-paragraphs.docx"), b / "paragraphs.docx")  # real DOCX
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}  # same data dir, config, embedder cache
    lock = paths.data_dir() / LOCK_NAME

    first = subprocess.Popen(_cove("index", str(a)), env=env, cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    second = None
    try:
        first_err = _lines(first)
        deadline = time.monotonic() + 240
        while _lock_holder_pid(lock) != first.pid:  # the first run is writing: it holds the lock
            assert first.poll() is None, f"the first run ended before it took the writer lock: {first.returncode}"
            assert time.monotonic() < deadline, "the first run never took the writer lock"
            time.sleep(0.02)
        os.kill(first.pid, signal.SIGSTOP)  # paused mid-write, lock held: the race is certain
        second = subprocess.Popen(_cove("index", str(b)), env=env, cwd=REPO, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        second_err = _lines(second)
        said: list[str] = []
        deadline = time.monotonic() + 240
        while not any("waiting" in s for s in said):
            assert time.monotonic() < deadline, f"the second run never said it waits: {said}"
            try:
                line = second_err.get(timeout=1)
            except queue.Empty:
                continue
            assert line is not None, f"the second run ended while the first held the lock: {said}"
            said.append(line)
        time.sleep(1.0)
        assert second.poll() is None, "the second run went on while the first held the lock"
        assert _lock_holder_pid(lock) == first.pid, "the second run took the lock from a live holder"
        os.kill(first.pid, signal.SIGCONT)
        out_a, _ = first.communicate(timeout=600)
        out_b, _ = second.communicate(timeout=600)
    finally:
        for p in (first, second):
            if p is not None and p.poll() is None:
                os.kill(p.pid, signal.SIGCONT)
                p.kill()
                p.wait()
    assert first.returncode == 0 and second.returncode == 0, (out_a, out_b)
    waiting = [s for s in said if "waiting" in s]
    assert waiting == [f"cove: Another Cove is indexing (pid {first.pid}, cove index); waiting…"], said
    assert "2 indexed" in out_a and "2 indexed" in out_b, (out_a, out_b)
    assert not lock.read_text().strip(), "both released the lock cleanly"

    # one consistent index holding both folders: exactly each document's chunks, no orphans, no duplicates
    from indexer.store import Store, index_meta

    meta = index_meta(paths.index_dir())
    store = Store(paths.index_dir(), meta["embedder_id"], int(meta["embedder_dim"]))
    assert consistency_problems(store) == []
    docs = {Path(d.path).name: d for d in store.load_documents().values()}
    assert {"alpha.md", "testsuite.md", "beta.md", "paragraphs.docx"} <= set(docs)
    for name in ("alpha.md", "beta.md", "paragraphs.docx"):
        assert docs[name].status == "indexed" and docs[name].n_chunks > 0, docs[name]
    # and searchable through the CLI, both sets
    assert str(a / "alpha.md") in _search("zephyrquill lanterns", env)[:3]
    assert str(b / "beta.md") in _search("marrowbinth apples", env)[:3]
