"""The watchdog side of the watcher: one watch per folder, inotify (or the OS's native API) first, and periodic
polling for a folder when the OS watch limit is reached. Watchdog's threads only put `RawEvent`s on a queue; they
never touch the index.

Why the extra checks: watchdog raises ENOSPC only when the *root* of a tree cannot be watched; a limit hit half-way
down a big tree is swallowed, leaving sub-folders silently unwatched. `_unwatched_dirs` compares the watched set with
the tree so such a folder falls back to polling too. Lost events (inotify queue overflow) are only logged by
watchdog, so a log handler turns that warning into a rescan request.
"""
from __future__ import annotations

import errno
import logging
import os
import queue
import threading
from dataclasses import dataclass
from typing import Any, Callable

from indexer.ignore import IgnoreRules

log = logging.getLogger(__name__)

LIMIT_ERRNOS = (errno.ENOSPC, errno.EMFILE)


@dataclass(frozen=True)
class RawEvent:
    """What watchdog saw, as plain strings: kind is created / modified / deleted / moved, or "overflow"."""

    kind: str
    src: str
    dst: str = ""
    is_dir: bool = False
    root: str = ""


def _event_filter() -> list[type]:
    from watchdog.events import (DirCreatedEvent, DirDeletedEvent, DirMovedEvent, FileCreatedEvent,
                                 FileDeletedEvent, FileModifiedEvent, FileMovedEvent)

    # No opened/closed/accessed/attrib/dir-modified: they say nothing new about content and flood the queue.
    return [FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent, DirCreatedEvent, DirDeletedEvent,
            DirMovedEvent]


class _Enqueue:
    """A watchdog handler that only enqueues. Runs on watchdog's dispatcher thread, so it must never block."""

    def __init__(self, q: "queue.Queue[Any]", root: str) -> None:
        self.q = q
        self.root = root

    def dispatch(self, event: Any) -> None:
        dst = getattr(event, "dest_path", "") or ""
        self.q.put(RawEvent(event.event_type, os.fsdecode(event.src_path), os.fsdecode(dst), event.is_directory,
                            self.root))


class _OverflowListener(logging.Handler):
    """watchdog reports a kernel queue overflow (events lost) only as a log warning: turn it into a rescan."""

    def __init__(self, q: "queue.Queue[Any]") -> None:
        super().__init__(logging.WARNING)
        self.q = q

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self.q.put(RawEvent("overflow", ""))


class Observers:
    """Schedules and unschedules folder watches. Called from the watcher's consumer thread only."""

    def __init__(self, q: "queue.Queue[Any]", rules: IgnoreRules, *, poll_interval_s: float = 5.0,
                 force_polling: bool = False, native_factory: Callable[[], Any] | None = None) -> None:
        self.q = q
        self.rules = rules
        self.poll_interval_s = poll_interval_s
        self.force_polling = force_polling
        self._native_factory = native_factory
        self._native: Any = None
        self._polling: Any = None
        self._watches: dict[str, tuple[Any, Any]] = {}  # root -> (observer, ObservedWatch)
        self._listener = _OverflowListener(q)
        self._lock = threading.Lock()

    def watch(self, root: str) -> tuple[str, str]:
        """Start watching `root`. Returns (state, detail): watching, polling (OS limit reached) or error."""
        self.unwatch(root)
        if not os.path.isdir(root):
            return "error", "folder not found" if not os.path.lexists(root) else "not a folder"
        if not os.access(root, os.R_OK | os.X_OK):
            return "error", "permission denied"
        if not self.force_polling:
            try:
                obs = self._native_observer()
                w = obs.schedule(_Enqueue(self.q, root), root, recursive=True, event_filter=_event_filter())
                missing = _unwatched_dirs(obs, w, root)
                if missing:  # a folder created meanwhile is added by watchdog's thread a moment later: look again
                    threading.Event().wait(0.3)
                    missing = _unwatched_dirs(obs, w, root)
                if not missing:
                    self._watches[root] = (obs, w)
                    return "watching", ""
                obs.unschedule(w)
                reason = f"OS watch limit reached ({missing} sub-folders could not be watched)"
            except OSError as exc:
                if exc.errno not in LIMIT_ERRNOS:
                    return "error", _reason(exc)
                reason = "OS watch limit reached (inotify max_user_watches)"
            log.warning("%s: %s; polling every %.0f s instead", root, reason, self.poll_interval_s)
        else:
            reason = "polling requested"
        try:
            obs = self._polling_observer()
            w = obs.schedule(_Enqueue(self.q, root), root, recursive=True, event_filter=_event_filter())
        except OSError as exc:
            return "error", _reason(exc)
        self._watches[root] = (obs, w)
        return "polling", reason

    def unwatch(self, root: str) -> None:
        entry = self._watches.pop(root, None)
        if entry is not None:
            try:
                entry[0].unschedule(entry[1])
            except (KeyError, OSError):  # already gone with its folder
                pass

    def stop(self) -> None:
        """Stop watchdog's threads and wait for them (watches are dropped with them)."""
        logging.getLogger("watchdog.observers").removeHandler(self._listener)
        for obs in (self._native, self._polling):
            if obs is not None:
                obs.stop()
        for obs in (self._native, self._polling):
            if obs is not None and obs.is_alive():
                obs.join(timeout=10)
        self._native = self._polling = None
        self._watches.clear()

    # --- internals -----------------------------------------------------------------------------------------------
    def _native_observer(self) -> Any:
        if self._native is None:
            if self._native_factory is not None:
                obs = self._native_factory()
            else:
                from watchdog.observers import Observer

                obs = Observer()
            obs.daemon = True
            obs.start()
            wd_log = logging.getLogger("watchdog.observers")
            if not wd_log.isEnabledFor(logging.WARNING):
                wd_log.setLevel(logging.WARNING)
            wd_log.addHandler(self._listener)
            self._native = obs
        return self._native

    def _polling_observer(self) -> Any:
        if self._polling is None:
            from watchdog.observers.polling import PollingObserverVFS

            rules = self.rules

            def listdir(path: str | None) -> list[os.DirEntry]:
                # Skip ignored folders (node_modules, .git, hidden) so a poll does not stat them every interval.
                with os.scandir(path) as it:
                    return [e for e in it if not (e.is_dir(follow_symlinks=False) and rules.ignores_dir(e.name, e.path))]

            # lstat: never follow symlinks, so a symlink loop cannot send the poller round in circles.
            obs = PollingObserverVFS(os.lstat, listdir, polling_interval=self.poll_interval_s)
            obs.daemon = True
            obs.start()
            self._polling = obs
        return self._polling


def _unwatched_dirs(obs: Any, watch: Any, root: str) -> int:
    """How many folders under `root` watchdog failed to watch (0 when it cannot tell: not inotify)."""
    emitter = next((e for e in getattr(obs, "emitters", ()) if getattr(e, "watch", None) == watch), None)
    group = getattr(emitter, "_inotify", None)
    watched = getattr(group, "_active_callbacks_by_path", None)
    if not isinstance(watched, dict):
        return 0
    missing = 0
    for top, dirs, _ in os.walk(root):
        for d in dirs:
            full = os.path.join(top, d)
            if not os.path.islink(full) and os.fsencode(full) not in watched and os.path.isdir(full):
                missing += 1
    return missing


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ENOENT:
        return "folder not found"
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    return f"cannot watch: {exc.strerror or exc}"
