"""One writer across processes: an advisory lock (`fcntl.flock`) on `index.lock` in the data dir.

Why: the app's watcher, a `cove index` in a terminal and a resident `cove serve` may all write one index. Lance commits
are atomic, but Cove's own invariants are not: `Store.repair()` deletes chunks whose document row is not written
yet — exactly the state of another writer's document in flight. So every write (an indexing run, a watcher batch,
a forget) holds this lock, and repair runs only under it. Readers never take it (Lance reads are snapshots).

The lock is held per operation, not per process lifetime, so a second writer waits only for the current run or
batch, then goes. The file holds the holder's pid and what it does while held and is emptied on a clean release; a
holder that died mid-write leaves its line behind, which tells the next holder to repair (`Held.previous_died`).
The OS drops the lock itself on any exit, so a crash never leaves a stale lock.

In one process the lock is shared (one object per path) and re-entrant per thread, so nested writes do not
deadlock; other threads of the same process wait like other processes do.
"""
from __future__ import annotations

import json
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

LOCK_NAME = "index.lock"
POLL_S = 0.2  # how often a waiting writer tries again; a watcher batch takes ~0.1-2 s, a run minutes

WaitCallback = Callable[[str], None]


@dataclass(frozen=True)
class Holder:
    """Who holds (or last held, if it died) the lock: from the lock file's one JSON line."""

    pid: int
    what: str
    since: float

    def message(self) -> str:
        return f"Another Cove is indexing (pid {self.pid or '?'}{', ' + self.what if self.what else ''}); waiting…"


@dataclass(frozen=True)
class Held:
    """Handed to the code inside `hold()`. `previous_died`: the last holder exited mid-write (run a repair)."""

    previous_died: bool
    first: bool  # the outermost hold of this thread (nested holds get False)


class WriterLock:
    """Use `writer_lock(path)` (one shared object per lock file in a process), then `with lock.hold(...) as held:`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._mutex = threading.RLock()  # threads of this process
        self._depth = 0
        self._fd: int | None = None

    def holder(self) -> Holder | None:
        """The process holding the lock now, or None when it is free (never blocks)."""
        if not self.path.exists():
            return None
        try:
            fd = os.open(self.path, os.O_RDWR)
        except OSError:
            return None
        try:
            if try_flock(fd):
                return None
            return _read_holder(fd) or Holder(0, "", 0.0)
        finally:
            os.close(fd)  # also drops the probe lock if we got it

    @contextmanager
    def hold(self, what: str = "", *, on_wait: WaitCallback | None = None,
             cancel: threading.Event | None = None, timeout: float | None = None) -> Iterator[Held | None]:
        """Hold the lock for a write. Waits while another process (or thread) holds it, calling `on_wait` once with
        a plain message. Yields None (and holds nothing) if `cancel` was set or `timeout` passed while waiting."""
        held = self._acquire(what, on_wait, cancel, timeout)
        try:
            yield held
        finally:
            if held is not None:
                self._release()

    # --- internals -----------------------------------------------------------------------------------------------
    def _acquire(self, what: str, on_wait: WaitCallback | None, cancel: threading.Event | None,
                 timeout: float | None) -> Held | None:
        end = None if timeout is None else time.monotonic() + timeout
        told = False
        while not self._mutex.acquire(timeout=POLL_S):  # another thread of this process writes
            if (cancel is not None and cancel.is_set()) or (end is not None and time.monotonic() >= end):
                return None
            if not told and on_wait is not None:
                on_wait("Another part of this Cove is writing the index; waiting…")
                told = True
        if self._depth:
            self._depth += 1
            return Held(False, False)
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            while not try_flock(fd):
                if (cancel is not None and cancel.is_set()) or (end is not None and time.monotonic() >= end):
                    os.close(fd)
                    self._mutex.release()
                    return None
                if not told and on_wait is not None:
                    on_wait((_read_holder(fd) or Holder(0, "", 0.0)).message())
                    told = True
                time.sleep(POLL_S)
        except BaseException:
            self._mutex.release()
            raise
        previous_died = _read_holder(fd) is not None
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps({"pid": os.getpid(), "what": what, "since": time.time()}) + "\n").encode(), 0)
        self._fd, self._depth = fd, 1
        return Held(previous_died, True)

    def _release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.ftruncate(fd, 0)  # a clean release: the next holder need not repair
            finally:
                os.close(fd)  # closing drops the flock
        self._mutex.release()


_LOCKS: dict[str, WriterLock] = {}
_LOCKS_GUARD = threading.Lock()


def writer_lock(path: Path) -> WriterLock:
    """The process-wide lock object for this lock file (a directory means `<dir>/index.lock`)."""
    p = Path(path)
    if p.is_dir():
        p = p / LOCK_NAME
    key = os.path.abspath(p)
    with _LOCKS_GUARD:
        lock = _LOCKS.get(key)
        if lock is None:
            lock = _LOCKS[key] = WriterLock(Path(key))
        return lock


def _read_holder(fd: int) -> Holder | None:
    try:
        raw = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
    except OSError:
        return None
    if not raw:
        return None
    try:
        d = json.loads(raw.splitlines()[0])
        return Holder(int(d.get("pid", 0)), str(d.get("what", "")), float(d.get("since", 0.0)))
    except (ValueError, TypeError, AttributeError):
        return Holder(0, "", 0.0)


def try_flock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows: no flock; one writer (or watcher) per machine is then up to the user (documented)
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
