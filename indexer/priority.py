"""Indexing runs at low CPU priority so the machine stays usable while a decade of mail is embedded.

Why per thread: on Linux a thread is a task with its own nice value, so `setpriority(PRIO_PROCESS, native_thread_id)`
lowers only the indexing thread, not the process that also answers questions and searches. New threads inherit the
nice value of the thread that creates them, so the parse helpers and the OpenMP worker team that torch starts for
this thread (libgomp keeps one team per calling thread) run low too. A raised nice value cannot be lowered again
without privileges, hence a dedicated thread per indexing run rather than a temporary change. Elsewhere (macOS,
Windows) only the whole process can be reniced, which would slow answers too, so nothing is changed there.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any, Callable

log = logging.getLogger(__name__)

INDEX_NICE = 10  # like `nice` with no argument: interactive work keeps precedence, indexing still uses idle cores


def lower_this_thread(nice: int = INDEX_NICE) -> bool:
    """Raise this thread's nice value to at least `nice` (Linux). True if it is now at least that low."""
    if not sys.platform.startswith("linux") or not hasattr(os, "setpriority"):
        return False
    tid = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, tid)
        if current < nice:
            os.setpriority(os.PRIO_PROCESS, tid, nice)
        return True
    except OSError as exc:  # a sandbox may forbid it: index at normal priority rather than not at all
        log.info("could not lower the indexing thread's priority: %s", exc)
        return False


def thread_nice() -> int | None:
    """This thread's nice value (Linux), for tests and status."""
    if not sys.platform.startswith("linux"):
        return None
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def run_low_priority(fn: Callable[..., Any], *args: Any, cancel: threading.Event | None = None,
                     **kwargs: Any) -> Any:
    """Run fn(*args, **kwargs) on a fresh low-priority thread and return its result (or raise its exception).
    Ctrl-C in the caller sets `cancel`, waits for the run to stop at its next check, then re-raises."""
    box: dict[str, Any] = {}

    def body() -> None:
        lower_this_thread()
        try:
            box["result"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the caller
            box["error"] = exc

    worker = threading.Thread(target=body, name="cove-indexer", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        if cancel is not None:
            cancel.set()
        worker.join()
        raise
    if "error" in box:
        raise box["error"]
    return box.get("result")
