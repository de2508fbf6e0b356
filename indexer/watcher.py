"""Live folders: keep the index true to the disk while Cove runs, and catch up on what changed while it did not.

Threads: watchdog's threads only enqueue `RawEvent`s. One consumer thread owns everything else: it debounces and
coalesces per path (an editor's temp-file + rename save, or a burst of saves, becomes one update), writes each batch
to the journal before applying it, and drives the `Indexer` (the single writer). Renames keep ids and chunks.

Start-up: replay the journal (work a crash cut short, hashed again), then reconcile every folder with the fast
size + mtime scan (renames made while stopped are recognised by content hash). Callers get plain callbacks with
frozen dataclasses (`WatchEvent`, `IndexProgress`), run on the consumer thread; the GUI turns them into signals.
"""
from __future__ import annotations

import fnmatch
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from indexer.heap import give_back
from indexer.journal import Change, ChangeJournal
from indexer.progress import IndexReport, ProgressCallback
from indexer.scanner import under
from indexer.watch_observers import Observers, RawEvent
from indexer.watch_state import FolderStatus, WatchLock, count_files, write_state

if TYPE_CHECKING:
    from indexer.pipeline import Indexer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WatchEvent:
    """Something the watcher did. kind: indexed | moved | removed | skipped | error | reconciled | state.
    `dest` is set for moves; `detail` holds the reason, the new state or a summary."""

    kind: str
    path: str
    dest: str = ""
    detail: str = ""
    n_chunks: int = 0
    at: float = field(default_factory=time.time)


EventCallback = Callable[[WatchEvent], None]


# A move between two watched folders reaches us as "created" at once and "deleted" ~0.5 s later (watchdog waits that
# long for the other half of a rename). Created and deleted paths wait this much longer, and a batch with a created
# path takes every pending deletion along, so both halves meet in one batch where the content hash recognises the
# move (id and chunks kept, nothing re-embedded).
MOVE_PAIR_S = 0.6


@dataclass
class _Pending:
    first: float
    last: float
    unpaired: bool = False  # saw a create or delete: maybe half of a move between folders

    def due(self, debounce: float, max_delay: float) -> float:
        return min(self.last + debounce + (MOVE_PAIR_S if self.unpaired else 0.0), self.first + max_delay)


@dataclass
class _Folder:
    state: str = "watching"
    detail: str = ""
    files: int = 0
    problems: int = 0
    reconciled: bool = False
    retry_at: float = 0.0


class FolderWatcher:
    """Watch folders and keep the index in step. `start()` returns at once; all work happens on its own thread.
    Public methods are thread-safe (the GUI calls them from its thread)."""

    def __init__(self, indexer: Indexer, folders: Sequence[str], *, state_dir: Path, debounce_s: float = 0.5,
                 on_event: EventCallback | None = None, on_progress: ProgressCallback | None = None,
                 poll_interval_s: float = 5.0, force_polling: bool = False, idle_optimize_s: float = 30.0,
                 retry_s: float = 10.0,
                 native_observer: Callable[[], Any] | None = None) -> None:
        self.indexer = indexer
        self.state_dir = Path(state_dir)
        self.debounce_s = float(debounce_s)
        self.max_delay_s = max(5.0, 10 * self.debounce_s)  # a file written non-stop is still indexed now and then
        self.idle_optimize_s = idle_optimize_s
        self.retry_s = retry_s  # how often a folder in error (missing, unreadable) is tried again
        self.on_event = on_event
        self.on_progress = on_progress
        self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.journal: ChangeJournal = None  # type: ignore[assignment]  # opened in start(), under the lock
        self._q: "queue.Queue[Any]" = queue.Queue()
        self._observers = Observers(self._q, indexer.rules, poll_interval_s=poll_interval_s,
                                    force_polling=force_polling, native_factory=native_observer)
        self._lock = threading.Lock()  # guards the fields below, read by status() from any thread
        self._folders: dict[str, _Folder] = {os.path.abspath(os.path.expanduser(f)): _Folder() for f in folders}
        self._pending: dict[str, _Pending] = {}
        self._moves: list[tuple[str, str, float]] = []
        self._inflight: list[Change] = []
        self._paused = False
        self._stop = threading.Event()
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._lockfile = WatchLock(self.state_dir)
        self._exclude = [str(self.state_dir.resolve()), os.path.abspath(str(indexer.store.directory))]
        self._busy = False
        self._started = False
        self._last_activity = time.monotonic()
        self._unoptimized = 0
        self._state_dirty = True
        self._counts_at = 0.0
        self._counts_dirty = True
        self._state_at = 0.0
        self.applied_batches = 0

    # --- public API ----------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Take the watcher lock (raises WatcherBusy if another watcher owns this index) and start the thread."""
        if self.running:
            return
        self._lockfile.acquire()
        self.journal = ChangeJournal(self.state_dir)
        self._thread = threading.Thread(target=self._main, name="cove-watcher", daemon=True)
        self._started = True
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Stop observers, cancel the batch in progress (it is finished next time) and join the thread."""
        self._stop.set()
        self._cancel.set()
        self._q.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        """Stop indexing (the batch in progress is cancelled); changes keep being recorded and wait."""
        with self._lock:
            self._paused = True
            self._cancel.set()
            self._state_dirty = True
        self._q.put(None)

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            self._cancel = threading.Event()
            self._state_dirty = True
        self._q.put(None)

    def add_folder(self, path: str) -> None:
        """Watch one more folder (it is reconciled first: indexed if new)."""
        self._q.put(("add", os.path.abspath(os.path.expanduser(path))))

    def remove_folder(self, path: str) -> None:
        """Stop watching a folder. Its documents stay indexed (forget them with `Indexer.remove_paths`)."""
        self._q.put(("remove", os.path.abspath(os.path.expanduser(path))))

    def rescan(self, path: str | None = None) -> None:
        """Reconcile one folder (or all) with the disk again, e.g. after the computer woke up."""
        self._q.put(("rescan", os.path.abspath(path) if path else ""))

    def status(self) -> list[FolderStatus]:
        with self._lock:
            pending = list(self._pending) + [m[1] for m in self._moves] + [c.dst or c.path for c in self._inflight]
            out = []
            for root, f in self._folders.items():
                n = sum(1 for p in pending if under(p, root))
                state = "paused" if self._paused and f.state in ("watching", "polling") else f.state
                detail = f.detail or ("" if f.reconciled else "catching up with changes made while stopped")
                out.append(FolderStatus(root, state, f.files, n, f.problems, detail))
            return out

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until every folder is reconciled and nothing waits or runs (True), or the timeout passes."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                idle = (not self._pending and not self._moves and not self._busy and self._q.empty()
                        and all(f.reconciled or f.state == "error" for f in self._folders.values()))
            if idle and self._started:
                return True
            time.sleep(0.05)
        return False

    # --- the consumer thread -------------------------------------------------------------------------------------
    def _main(self) -> None:
        from indexer.priority import lower_this_thread

        lower_this_thread()  # the watcher thread indexes: low CPU priority (issue 12)
        try:
            for root in list(self._folders):
                self._watch(root)
            self._replay_journal()
            while not self._stop.is_set():
                self._ingest(self._wait_time())
                if self._stop.is_set():
                    break
                self._housekeeping()
                if self._paused:
                    continue
                todo = [r for r, f in self._folders.items() if not f.reconciled and f.state != "error"]
                if todo:
                    self._reconcile(todo[0])
                    continue
                batch = self._take_ready(time.monotonic())
                if batch:
                    self._apply(batch)
        except Exception as exc:  # never die silently: say so in status and on the event stream
            log.exception("watcher stopped by an error")
            with self._lock:
                for f in self._folders.values():
                    f.state, f.detail = "error", f"watcher stopped: {type(exc).__name__}: {exc}"
            self._emit(WatchEvent("error", "", detail=f"watcher stopped: {type(exc).__name__}: {exc}"))
        finally:
            self._shutdown()

    def _shutdown(self) -> None:
        self._observers.stop()
        with self._lock:
            parked = [Change(s, d) for s, d, _ in self._moves] + [Change(p) for p in self._pending]
            self._moves.clear()
            self._pending.clear()
        if parked:
            self.journal.begin(parked)  # finished on the next start
        try:
            write_state(self.state_dir, [], self._paused)
        except OSError:
            pass
        self._lockfile.release()

    def _wait_time(self) -> float:
        with self._lock:
            if self._paused:
                return 1.0
            if any(not f.reconciled and f.state != "error" for f in self._folders.values()):
                return 0.0
            if not (self._pending or self._moves):
                return 1.0
            now = time.monotonic()
            due = min([p.due(self.debounce_s, self.max_delay_s) for p in self._pending.values()]
                      + [t + self.debounce_s for _, _, t in self._moves])
            return min(1.0, max(0.01, due - now))

    def _ingest(self, timeout: float) -> None:
        """Move everything the observers queued into the pending set (coalescing per path)."""
        try:
            item = self._q.get(timeout=timeout) if timeout > 0 else self._q.get_nowait()
        except queue.Empty:
            return
        while True:
            if isinstance(item, RawEvent):
                self._note(item)
            elif isinstance(item, tuple):
                self._command(*item)
            try:
                item = self._q.get_nowait()
            except queue.Empty:
                return

    def _note(self, ev: RawEvent) -> None:
        now = time.monotonic()
        if ev.kind == "overflow":  # the OS dropped events: only a full look can tell what changed
            with self._lock:
                for root, f in self._folders.items():
                    if f.state == "watching":
                        f.reconciled = False
            return
        src_ok = bool(ev.src) and not self._ignored(ev.src, ev.root, ev.is_dir)
        dst_ok = bool(ev.dst) and not self._ignored(ev.dst, ev.root, ev.is_dir)
        with self._lock:
            self._last_activity = now
            if ev.kind == "moved":
                if src_ok and dst_ok:
                    self._moves.append((ev.src, ev.dst, now))
                for p, ok in ((ev.src, src_ok), (ev.dst, dst_ok)):
                    if ok:
                        self._touch(p, now)
            elif src_ok:
                self._touch(ev.src, now, unpaired=ev.kind in ("created", "deleted"))

    def _touch(self, path: str, now: float, unpaired: bool = False) -> None:
        entry = self._pending.get(path)
        if entry is None:
            self._pending[path] = _Pending(now, now, unpaired)
        else:
            entry.last, entry.unpaired = now, entry.unpaired or unpaired

    def _ignored(self, path: str, root: str, is_dir: bool) -> bool:
        rules = self.indexer.rules
        if not root or not under(path, root) or path == root:
            return False
        if any(under(path, x) for x in self._exclude):
            return True  # Cove's own data dir inside a watched folder: indexing the index would never end
        if getattr(self.indexer, "is_excluded", None) is not None and self.indexer.is_excluded(path):
            return True  # forgotten by the user (issue 13): not even queued; the indexer filters its scans too
        if any(fnmatch.fnmatch(path, g) for g in rules.user_globs):
            return True
        # Relative to the watched root, so a root that itself sits under a hidden folder still works; the same
        # rules as the folder scan (folders by folder rules, files by file rules).
        parts = os.path.relpath(path, root).split(os.sep)
        prefix = root
        for part in parts[:-1]:
            prefix = os.path.join(prefix, part)
            if rules.ignores_dir(part, prefix):  # the path keeps Maildir++ folders (.Sent) watched
                return True
        return rules.ignores_dir(parts[-1], path) if is_dir else rules.ignores_file(parts[-1])

    def _command(self, op: str, path: str) -> None:
        if op == "add" and path not in self._folders:
            with self._lock:
                self._folders[path] = _Folder()
            self._watch(path)
        elif op == "remove" and path in self._folders:
            self._observers.unwatch(path)
            with self._lock:
                self._folders.pop(path, None)
                self._state_dirty = True
        elif op == "rescan":
            with self._lock:
                for root, f in self._folders.items():
                    if not path or root == path:
                        f.reconciled = False

    def _watch(self, root: str) -> None:
        state, detail = self._observers.watch(root)
        with self._lock:
            f = self._folders.get(root)
            if f is None:
                return
            changed = f.state != state
            f.state, f.detail, f.retry_at = state, detail, time.monotonic() + self.retry_s
            if state == "error":
                f.reconciled = False
            self._state_dirty = True
        if changed or state != "watching":
            self._emit(WatchEvent("state", root, detail=f"{state}{': ' + detail if detail else ''}"))

    def _take_ready(self, now: float) -> list[Change]:
        """Changes quiet for the debounce time (or waiting too long), moves first and in the order they happened."""
        with self._lock:
            cut = now - self.debounce_s
            moves: list[Change] = []
            while self._moves and self._moves[0][2] <= cut:
                src, dst, _ = self._moves.pop(0)
                moves.append(Change(src, dst))
            grace = min(0.1, self.debounce_s / 4)  # take what is about to be due too: fewer, larger batches
            paths = [p for p, e in self._pending.items() if e.due(self.debounce_s, self.max_delay_s) <= now + grace]
            if any(self._pending[p].unpaired and os.path.lexists(p) for p in paths):  # other halves of moves
                paths += [p for p in self._pending if p not in paths and not os.path.lexists(p)]
            for p in paths:
                del self._pending[p]
            batch = moves + [Change(p) for p in sorted(paths)]
            self._inflight = batch
            self._busy = bool(batch)
            return batch

    def _apply(self, batch: list[Change]) -> None:
        """Journal, apply moves (ids and chunks kept), then re-check every touched path against the disk."""
        jid = self.journal.begin(batch)
        cancel = self._cancel
        try:
            self._apply_changes(batch, cancel, force=False)
            if cancel.is_set():  # paused or stopping: put the batch back; it runs after resume or next start
                with self._lock:
                    now = time.monotonic()
                    for p in {p for c in batch for p in (c.path, c.dst) if p}:
                        self._pending.setdefault(p, _Pending(now, now))
        except Exception as exc:
            log.exception("applying changes failed")
            self._emit(WatchEvent("error", batch[0].path, detail=f"{type(exc).__name__}: {exc}"))
        finally:
            self.journal.done(jid)
            with self._lock:
                self._inflight, self._busy = [], False
                self._last_activity = time.monotonic()
                self._unoptimized += 1
                self._counts_dirty = True
            self.applied_batches += 1

    def _apply_changes(self, batch: Sequence[Change], cancel: threading.Event, *, force: bool,
                       quiet: bool = False) -> IndexReport:
        moves = [(c.path, c.dst) for c in batch if c.is_move]
        for src, dst, n in self.indexer.apply_moves(moves) if moves else []:
            if not quiet:
                self._emit(WatchEvent("moved", src, dst, detail=f"{n} document{'s' * (n != 1)} kept"))
        touched = {p for c in batch for p in ((c.path, c.dst) if c.is_move else (c.path,))}
        with self._lock:  # a vanished watched folder is an unmounted drive until proven otherwise: keep its docs
            roots = set(self._folders)
        gone_roots = {p for p in touched if p in roots and not os.path.isdir(p)}
        report = self.indexer.index_changed(sorted(touched - gone_roots), cancel=cancel, force=force,
                                            on_progress=self.on_progress)
        for root in gone_roots:
            self._watch(root)
        if not quiet:
            self._emit_outcomes(report)
        return report

    def _emit_outcomes(self, report: IndexReport) -> None:
        for o in report.outcomes:
            if o.outcome == "unchanged" and o.reason.startswith("moved from "):
                self._emit(WatchEvent("moved", o.reason[len("moved from "):], o.path, detail="same content"))
            elif o.outcome in ("indexed", "removed", "skipped", "error"):
                self._emit(WatchEvent(o.outcome, o.path, detail=o.reason, n_chunks=o.n_chunks))

    def _replay_journal(self) -> None:
        """Finish batches a crash or kill interrupted; hash them again rather than trust size + mtime."""
        pending = self.journal.pending()
        if not pending:
            return
        report = self._apply_changes(pending, self._cancel, force=True, quiet=True)
        if not report.cancelled:
            self.journal.clear()
            self._emit(WatchEvent("reconciled", "", detail="finished interrupted work: " + _summary(report)))

    def _reconcile(self, root: str) -> None:
        """Catch up with changes made while nothing watched (fast size + mtime scan; renames found by hash)."""
        with self._lock:
            self._busy = True
        cancel = self._cancel
        try:
            report = self.indexer.index_changed([root], cancel=cancel, keep_missing_roots=True,
                                                on_progress=self.on_progress)
        except Exception as exc:  # e.g. the disk is full: say so, try again later, keep the other folders going
            log.exception("catching up with %s failed", root)
            with self._lock:
                f = self._folders.get(root)
                if f is not None:
                    f.state, f.detail = "error", f"cannot catch up: {type(exc).__name__}: {exc}"
                    f.retry_at = time.monotonic() + max(self.retry_s, 30.0)
                self._state_dirty = True
            self._emit(WatchEvent("error", root, detail=f"cannot catch up: {exc}"))
            return
        finally:
            with self._lock:
                self._busy = False
        if report.cancelled:
            return
        with self._lock:
            f = self._folders.get(root)
            if f is not None:
                f.reconciled = True
            self._unoptimized += 1
            self._counts_dirty = True
            self._last_activity = time.monotonic()
        self._emit(WatchEvent("reconciled", root, detail=_summary(report)))

    def _housekeeping(self) -> None:
        now = time.monotonic()
        with self._lock:
            retry = [r for r, f in self._folders.items() if f.state == "error" and now >= f.retry_at]
            vanished = [r for r, f in self._folders.items() if f.state in ("watching", "polling")
                        and not os.path.isdir(r)]
            quiet = not (self._pending or self._moves)
            idle_s = now - self._last_activity if quiet else 0.0
        for root in retry + vanished:
            self._watch(root)
        if self._unoptimized and idle_s >= self.idle_optimize_s and not self._paused:
            self.indexer.optimize()
            give_back()  # written and quiet: return the run's freed heap (issue 12, bench_app_memory.py)
            with self._lock:
                self._unoptimized = 0
        if self._counts_dirty and (quiet or now - self._counts_at >= 5.0):
            self._refresh_counts()
        if self._state_dirty and now - self._state_at >= 1.0:
            self._state_dirty, self._state_at = False, now
            try:
                write_state(self.state_dir, self.status(), self._paused)
            except OSError as exc:
                log.warning("cannot write the watcher state file: %s", exc)

    def _refresh_counts(self) -> None:
        with self._lock:
            roots = list(self._folders)
        counts = count_files(roots, self.indexer.store.load_documents().values())
        with self._lock:
            self._counts_at, self._counts_dirty = time.monotonic(), False
            for root, (files, problems) in counts.items():
                f = self._folders.get(root)
                if f is not None and (f.files, f.problems) != (files, problems):
                    f.files, f.problems, self._state_dirty = files, problems, True

    def _emit(self, event: WatchEvent) -> None:
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:  # a broken listener must not stop the watcher
                log.exception("watch event listener failed")


def _summary(report: IndexReport) -> str:
    c = report.counts
    moved = sum(1 for o in report.outcomes if o.outcome == "unchanged" and o.reason.startswith("moved from "))
    return (f"{c.get('indexed', 0)} indexed, {c.get('unchanged', 0) - moved} unchanged, {moved} moved, "
            f"{c.get('removed', 0)} removed, {c.get('skipped', 0)} skipped, {c.get('error', 0)} errors "
            f"in {report.elapsed_s:.1f} s")
