"""The parent side of OCR: start the worker process, send it a document, and enforce the per-page time limit.

A page that times out or kills the worker (memory cap, a native crash in a decoder) is recorded with its reason;
the worker is restarted and the remaining pages go on. Workers are kept for the next document (loading the models
costs ~1 s) and exit by themselves when idle. At most `MAX_WORKERS` run at once: one worker already uses both
cores of the reference machine (`OcrLimits.threads`), and each holds ~1 GB.
"""
from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from indexer.ocr.limits import OcrLimits

MAX_WORKERS = 1
STATS = {"peak_rss_kb": 0}  # the largest resident set any OCR worker reached (read before it is killed)
PageCallback = Callable[[int, int], None]  # (pages done in this document, pages to do)


class OcrUnavailable(RuntimeError):
    """The OCR worker cannot start at all (library missing, models unreadable); the message says why."""


@dataclass
class OcrRun:
    """What OCR made of one document: `texts` and `errors` by 0-based page; `total` pages in the document."""

    total: int = 0
    texts: dict[int, str] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)
    document_error: str = ""


class _Died(Exception):
    pass


class Worker:
    """One running `python -m indexer.ocr.worker`, in its own process group so a kill takes all of it."""

    def __init__(self, limits: OcrLimits) -> None:
        self.limits = limits
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "COVE_OCR_LIMITS": json.dumps(asdict(limits)), "HF_HUB_OFFLINE": "1",
               "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)}
        env.setdefault("MALLOC_ARENA_MAX", "2")  # as the parse workers: fewer per-thread heaps to fragment (worker.py)
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, "-m", "indexer.ocr.worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self._stderr, env=env, start_new_session=True)
        self._buf = b""
        try:
            msg = self.recv(limits.start_timeout_s)
        except _Died:
            msg = None
        if not msg or not msg.get("ready"):
            self.kill()
            raise OcrUnavailable(self.stderr_tail() or "the OCR worker did not start")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def recv(self, timeout: float) -> dict | None:
        """The next message, None on timeout; raises _Died when the worker exits."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()  # type: ignore[union-attr]
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                block = os.read(fd, 1 << 16)
                if not block:
                    raise _Died
                self._buf += block
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def send_job(self, kind: str, data: bytes, pages: list[int] | None) -> None:
        header = json.dumps({"kind": kind, "pages": pages, "size": len(data)}).encode() + b"\n"
        try:
            self.proc.stdin.write(header)  # type: ignore[union-attr]
            self.proc.stdin.write(data)  # type: ignore[union-attr]
            self.proc.stdin.flush()  # type: ignore[union-attr]
        except (BrokenPipeError, OSError) as exc:
            raise _Died from exc

    def death_reason(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "OCR worker stopped answering"
        tail = self.stderr_tail()
        if "MemoryError" in tail or "bad_alloc" in tail or "out of memory" in tail or code == -signal.SIGKILL:
            return f"OCR worker ran out of memory (cap {self.limits.memory_mb} MB)"
        if code < 0:
            return f"OCR worker crashed ({signal.Signals(-code).name})"
        return f"OCR worker exited with status {code}" + (f": {tail[-160:]}" if tail else "")

    def stderr_tail(self) -> str:
        try:
            self._stderr.seek(0, os.SEEK_END)
            size = self._stderr.tell()
            self._stderr.seek(max(0, size - 2000))
            lines = [x for x in self._stderr.read().decode("utf-8", "replace").splitlines() if x.strip()]
            return lines[-1].strip() if lines else ""
        except (OSError, ValueError):
            return ""

    def kill(self) -> None:
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
            peak = int(next(x for x in status.splitlines() if x.startswith("VmHWM")).split()[1])
            STATS["peak_rss_kb"] = max(STATS["peak_rss_kb"], peak)
        except (OSError, StopIteration, ValueError, IndexError):
            pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.proc.stdin, self.proc.stdout, self._stderr):
            try:
                stream.close()  # type: ignore[union-attr]
            except (OSError, ValueError, AttributeError):
                pass


class _Pool:
    def __init__(self) -> None:
        self._idle: list[Worker] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(MAX_WORKERS)

    def take(self, limits: OcrLimits) -> Worker:
        with self._lock:
            while self._idle:
                w = self._idle.pop()
                if w.alive() and w.limits == limits:
                    return w
                w.kill()
        return Worker(limits)

    def give_back(self, worker: Worker) -> None:
        with self._lock:
            if worker.alive():
                self._idle.append(worker)

    def close(self) -> None:
        with self._lock:
            for w in self._idle:
                w.kill()
            self._idle.clear()


POOL = _Pool()
atexit.register(POOL.close)


def ocr_document(kind: str, data: bytes, pages: list[int] | None, limits: OcrLimits | None = None,
                 on_page: PageCallback | None = None, cancel: threading.Event | None = None) -> OcrRun:
    """OCR these 0-based pages (None: all) of a "pdf" or "image". Raises OcrUnavailable only if no worker starts.
    `cancel` (checked twice a second) kills the worker and leaves `document_error` = "cancelled"."""
    limits = limits or OcrLimits()
    run = OcrRun()
    with POOL._slots:
        worker: Worker | None = POOL.take(limits)
        failures_in_a_row = 0
        try:
            while True:
                todo = _remaining(pages, run)
                if todo is not None and not todo:
                    break
                if worker is None:
                    worker = POOL.take(limits)
                state, page = _one_pass(worker, kind, data, todo, limits, run, on_page, pages, cancel)
                if state == "done":
                    break
                if state == "cancelled":
                    worker.kill()
                    worker, run.document_error = None, "cancelled"
                    break
                if state == "timeout":
                    worker.kill()
                reason = f"OCR timed out after {limits.page_timeout_s:g} s" if state == "timeout" else worker.death_reason()
                worker.kill()
                worker = None
                if page is None and not run.total:  # failed before it knew the pages: the document is the problem
                    run.document_error = reason
                    break
                if page is not None:
                    run.errors[page] = reason
                failures_in_a_row += 1
                if failures_in_a_row >= limits.max_crashes:
                    for p in _remaining(pages, run) or ():
                        run.errors[p] = f"not tried: {failures_in_a_row} pages of this document already failed"
                    break
        finally:
            if worker is not None:
                POOL.give_back(worker)
    return run


def _remaining(pages: list[int] | None, run: OcrRun) -> list[int] | None:
    if run.total == 0 and pages is None:
        return None
    wanted = pages if pages is not None else list(range(run.total))
    return [p for p in wanted if p not in run.texts and p not in run.errors and (not run.total or p < run.total)]


def _one_pass(worker: Worker, kind: str, data: bytes, todo: list[int] | None, limits: OcrLimits, run: OcrRun,
              on_page: PageCallback | None, pages: list[int] | None,
              cancel: threading.Event | None = None) -> tuple[str, int | None]:
    """Send one job and collect its pages: ("done", None), or ("timeout" | "died" | "cancelled", the page being
    worked on)."""
    current: int | None = None
    try:
        worker.send_job(kind, data, todo)
        while True:
            # opening the document (page count) gets the start-up allowance; each page its own time limit
            deadline = time.monotonic() + (limits.page_timeout_s if run.total else limits.start_timeout_s)
            msg = None
            while msg is None and time.monotonic() < deadline:
                if cancel is not None and cancel.is_set():
                    return "cancelled", current
                msg = worker.recv(min(0.5, max(0.0, deadline - time.monotonic())))
            if msg is None:
                return "timeout", current
            if "total" in msg:
                run.total = int(msg["total"])
                if msg.get("error"):
                    run.document_error = str(msg["error"])
            elif "start" in msg:
                current = int(msg["start"])
            elif "page" in msg:
                page = int(msg["page"])
                if msg.get("error"):
                    run.errors[page] = str(msg["error"])
                else:
                    run.texts[page] = str(msg.get("text", ""))
                current = None
                if on_page is not None:
                    wanted = len(pages) if pages is not None else run.total
                    on_page(len(run.texts) + len(run.errors), wanted)
            elif msg.get("done"):
                return "done", None
    except _Died:
        return "died", current
