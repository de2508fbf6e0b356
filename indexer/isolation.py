"""Parse workers: untrusted files are read in separate processes with a time limit and a memory cap.

Why processes: a zip bomb, a pathological HTML tree or a PDF that loops inside a C library cannot be interrupted
from a thread, and it used to take the whole run with it (nothing in its folder got indexed, 3 GB RSS). Here each
worker (`indexer.parse_worker`) caps its own address space, and the writer kills a worker that sends nothing for
`timeout_s` (every page, message or chunk batch is a heartbeat, so the limit is per unit of work, not per file) and
starts a fresh one for the files queued behind it. A file that costs a worker is recorded with the reason.

Jobs are assigned round-robin and read back in submission order; each worker talks over its own socket pair, whose
small kernel buffer is the back-pressure: a worker that runs ahead blocks until the writer wants its output, so the
writer never holds more than a few batches in memory.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from indexer.parse_job import JobOptions, Message
from indexer.prepared import PrepareConfig
from indexer.store import DocRow

_ROOT = str(Path(__file__).resolve().parent.parent)
_POLL_S = 0.25  # how often a waiting writer looks at its cancel event
_START_S = 120.0  # a worker imports the parsers and the tokenizer first: ~1 s idle, ~10 s on a loaded machine


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 60.0
    memory_mb: float = 1024.0


@dataclass
class Job:
    path: str
    previous: list[DocRow]
    worker: "_Worker | None" = None


@dataclass
class _Worker:
    proc: subprocess.Popen[bytes]
    conn: Connection
    jobs: deque[Job] = field(default_factory=deque)
    ready: bool = False


class ParsePool:
    """A few parse worker processes. Use from one thread."""

    def __init__(self, workers: int, limits: Limits, config: PrepareConfig, options: JobOptions) -> None:
        self.size = max(1, workers)
        self.limits = limits
        self.setup = (replace(config, on_ocr_page=None) if hasattr(config, "on_ocr_page") else config, options,
                      limits.memory_mb)
        self.workers: list[_Worker] = []
        self._finalizer = weakref.finalize(self, _kill_all, self.workers)
        self._lock = threading.Lock()
        self._busy = False
        self._timer: threading.Timer | None = None
        self.closed = False

    # --- sharing between runs (the watcher indexes a few files at a time: no start-up cost for each) -------------
    def acquire(self) -> bool:
        """Mark the pool in use for a run; False if it was closed (make a new one)."""
        with self._lock:
            if self.closed:
                return False
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._busy = True
            return True

    def release(self, idle_s: float) -> None:
        """The run finished cleanly (no job queued): keep the workers for `idle_s`, then stop them."""
        with self._lock:
            self._busy = False
            self._timer = threading.Timer(idle_s, self._close_if_idle)
            self._timer.daemon = True
            self._timer.start()

    def _close_if_idle(self) -> None:
        with self._lock:
            if self._busy or self.closed:
                return
            self.closed = True
        self._shutdown()

    # --- jobs ------------------------------------------------------------------------------------------------------
    def submit(self, path: str, previous: list[DocRow]) -> Job:
        while len(self.workers) < self.size:
            self.workers.append(self._start())
        worker = min(self.workers, key=lambda w: len(w.jobs))
        job = Job(path, previous, worker)
        self._send(worker, job)
        return job

    def messages(self, job: Job, cancel: Any = None) -> Iterator[Message]:
        """The job's messages in order, ending with ("end", is_mail), ("failed", reason) or ("cancelled",)."""
        worker = job.worker
        assert worker is not None and worker.jobs and worker.jobs[0] is job, "jobs are read in submission order"
        since = time.monotonic()
        while True:
            if cancel is not None and cancel.is_set():
                yield ("cancelled",)
                return
            try:
                ready = worker.conn.poll(_POLL_S)
            except (OSError, EOFError):
                ready = True
            if not ready:
                # a worker's start-up (imports, tokenizer) is not the file's time
                limit = self.limits.timeout_s if worker.ready else max(_START_S, self.limits.timeout_s)
                if time.monotonic() - since >= limit:
                    reason = (f"timed out after {self.limits.timeout_s:g} s (raise parse_timeout_s)" if worker.ready
                              else f"the parse worker did not start within {limit:g} s")
                    self._replace(worker)
                    yield ("failed", reason)
                    return
                continue
            try:
                msg = worker.conn.recv()
            except (EOFError, OSError):
                reason = self._crash_reason(worker)
                self._replace(worker)
                yield ("failed", reason)
                return
            since = time.monotonic()
            if msg[0] == "ready":
                worker.ready = True
                continue
            if msg[0] == "failed":
                if "memory" in msg[1]:
                    self._replace(worker)  # it exits by itself; the jobs queued behind this one go to a fresh one
                else:
                    worker.jobs.popleft()
                yield msg
                return
            if msg[0] == "end":
                worker.jobs.popleft()  # before yielding: the reader stops at "end"
                yield msg
                return
            yield msg

    def close(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self.closed, self._busy = True, False
        self._shutdown()

    def _shutdown(self) -> None:
        for w in self.workers:
            try:
                w.conn.send(None)
            except OSError:
                pass
        deadline = time.monotonic() + 2
        for w in self.workers:
            try:
                w.proc.wait(max(0.05, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _kill(w)
            w.conn.close()
        self.workers.clear()

    # --- processes -------------------------------------------------------------------------------------------------
    def _start(self) -> _Worker:
        parent, child = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = _ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env.setdefault("TOKENIZERS_PARALLELISM", "false")
        env.setdefault("MALLOC_ARENA_MAX", "2")
        frozen = getattr(sys, "frozen", False)  # the PyInstaller bundle: its entry point knows this flag
        cmd = [sys.executable, "--cove-parse-worker"] if frozen else [sys.executable, "-m", "indexer.parse_worker"]
        proc = subprocess.Popen(cmd + [str(child.fileno())],
                                pass_fds=(child.fileno(),), env=env, start_new_session=True,
                                stdin=subprocess.DEVNULL, cwd=_ROOT)
        child.close()
        conn = Connection(parent.detach())
        worker = _Worker(proc, conn)
        conn.send(self.setup)
        return worker

    def _send(self, worker: _Worker, job: Job) -> None:
        job.worker = worker
        worker.jobs.append(job)
        try:
            worker.conn.send((job.path, job.previous))
        except OSError:
            pass  # a dead worker is noticed (and its jobs moved) when its messages are read

    def _replace(self, worker: _Worker) -> None:
        """Kill `worker` (and anything it started) and give the jobs queued behind its current one to a new one."""
        _kill(worker)
        worker.conn.close()
        pending = list(worker.jobs)[1:]
        worker.jobs.clear()
        fresh = self._start()
        self.workers[self.workers.index(worker)] = fresh
        for job in pending:
            self._send(fresh, job)

    def _crash_reason(self, worker: _Worker) -> str:
        try:
            code = worker.proc.wait(5)
        except subprocess.TimeoutExpired:
            code = None
        if code == 3:
            return f"needed more than {self.limits.memory_mb:g} MB of memory to read (raise parse_memory_mb)"
        what = signal.Signals(-code).name if code is not None and code < 0 and -code in signal.Signals._value2member_map_ \
            else f"exit {code}"
        return (f"the parser crashed ({what}); it may have needed more than {self.limits.memory_mb:g} MB of memory "
                "(raise parse_memory_mb)")


def _kill(worker: _Worker) -> None:
    if worker.proc.poll() is None:
        try:
            os.killpg(worker.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            worker.proc.kill()
    try:
        worker.proc.wait(5)
    except subprocess.TimeoutExpired:
        pass


def _kill_all(workers: list[_Worker]) -> None:
    for w in workers:
        _kill(w)
