"""The library side of the GUI: one long-lived QThread for index writes the user asks for (dropped files, mail
stores, "Forget") and the folder watcher (indexer.watcher, its own thread) for watched folders. Both go through the
core's single Indexer, whose lock serialises them. Progress arrives through plain callbacks and leaves as signals
carrying frozen records; nothing heavy (torch, LanceDB) is touched on the GUI thread. The rules (which roots the
library has, how each got there, its counts) are the core's (`CoveCore.library`, app/library.py): this module only
carries calls and results between threads, so the app shows what `cove status` prints."""
from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.gui.errors import failure
from app.gui.models import Forgotten, IndexJob, JobFinished, LibrarySnapshot
from app.library import Origin

if TYPE_CHECKING:
    from app.core import CoveCore
    from indexer.exclusions import Exclusion
    from indexer.progress import IndexProgress
    from indexer.reembed import ReembedProgress
    from indexer.watch_state import FolderStatus
    from indexer.watcher import FolderWatcher

log = logging.getLogger(__name__)

# how a GUI job's paths got into the library (app/library.py); other jobs re-index roots that are already known
JOB_ORIGIN: dict[str, Origin] = {"drop": "drop"}


def plain(exc: BaseException) -> str:
    """Disk full, a data folder Cove cannot write, a damaged index: the same plain sentence as the CLI (app/faults)."""
    from app.faults import explain

    return explain(exc) or str(exc) or type(exc).__name__


@dataclass(frozen=True)
class ForgetJob:
    id: str
    targets: tuple[str, ...]
    exclude: bool = True  # keep them out from now on (issue 13); False only for a drop Cove clears by itself


class IndexWorker(QObject):
    # str signals carry app.gui.errors.Failure as `object`, so a failure's details survive the thread hop
    state = Signal(object)  # "Loading the search model…"; "" once ready; a Failure
    ready = Signal()
    progress = Signal(str, object)  # source ("watcher" or a job id), IndexProgress
    finished = Signal(object)  # JobFinished
    failed = Signal(str, object)  # job id, Failure
    forgotten = Signal(object)  # Forgotten
    snapshot = Signal(object)  # LibrarySnapshot
    watcher_event = Signal(object)  # indexer.watcher.WatchEvent
    watcher_started = Signal(object)  # "" when running, else why not (a Failure when it broke)

    def __init__(self, core: CoveCore) -> None:
        super().__init__()
        self.core = core
        self.watcher: FolderWatcher | None = None
        self._last_progress = 0.0
        self.reembed_cancel = threading.Event()  # issue 12: set at shutdown

    def _progress_cb(self, source: str) -> "Callable[[IndexProgress], None]":
        def cb(p: IndexProgress) -> None:
            now = time.monotonic()
            finished_file = 0 < p.file_total == p.file_done  # "message 108/108" is shown, not skipped by the pace
            if p.phase in ("indexing", "scanning") and now - self._last_progress < 0.1 and not finished_file:
                return
            self._last_progress = now
            self.progress.emit(source, p)

        return cb

    @Slot()
    def warm_up(self) -> None:
        try:
            self.state.emit("Loading the search model…")
            self.core.embedder.embed(["warm up"])  # load torch and the weights here, not on the first question
            self.state.emit("Opening the index…")
            self.core.open_store_for_writing()
            # another Cove writing (cove index, cove serve) makes ours wait: say so in the library (issue 13)
            self.core.indexer.on_wait = self.state.emit
            self.state.emit("")
            self.ready.emit()
        except Exception as exc:
            self.state.emit(failure(log, exc, "opening the index", f"The index cannot be opened: {plain(exc)}"))
            return
        self.reembed()

    def reembed(self) -> None:
        """Issue 12: an index built by another embedder is re-embedded here, in the background, with its progress in
        the library's status line; searches answer from the old index until the new one replaces it."""
        try:
            for notice in self.core.notices:
                self.state.emit(notice)
            need = self.core.reembed_needed()
            if need is None:
                return

            def cb(p: ReembedProgress) -> None:
                now = time.monotonic()
                if p.phase == "embedding" and now - self._last_progress < 0.5:
                    return
                self._last_progress = now
                self.state.emit(f"Switching to the faster search model: re-embedding {p.done:,}/{p.total:,} chunks "
                                f"({p.chunks_per_s:.0f}/s). Search uses the current index until it is done.")

            done = self.core.reembed(on_progress=cb, cancel=self.reembed_cancel)
            self.state.emit("" if done else "Re-embedding paused; it continues at the next start.")
        except Exception as exc:
            self.state.emit(failure(log, exc, "re-embedding the index", f"Re-embedding the index failed: {plain(exc)}"))

    @Slot(object)
    def start_watcher(self, folders: tuple[str, ...]) -> None:
        from indexer.watch_state import WatcherBusy

        try:
            self.watcher = self.core.watcher(list(folders), on_event=self.watcher_event.emit,
                                             on_progress=self._progress_cb("watcher"))
            self.watcher.start()
            self.watcher_started.emit("")
        except WatcherBusy as exc:
            self.watcher = None
            self.watcher_started.emit(f"Another Cove is keeping these folders indexed ({exc})")
        except Exception as exc:
            self.watcher = None
            self.watcher_started.emit(failure(log, exc, "starting the folder watcher",
                                              f"Folder watching is unavailable: {exc}"))

    @Slot(object)
    def run(self, job: IndexJob) -> None:
        try:
            report = self.core.index(list(job.paths), origin=JOB_ORIGIN.get(job.origin),
                                     on_progress=self._progress_cb(job.id), cancel=job.cancel)
            self.finished.emit(JobFinished(job.id, job.origin, job.paths, report))
        except Exception as exc:
            self.failed.emit(job.id, failure(log, exc, "indexing", plain(exc)))

    @Slot(object)
    def forget(self, job: ForgetJob) -> None:
        try:
            from app.forget import forget

            result = forget(self.core, list(job.targets), exclude=job.exclude)
            self.forgotten.emit(Forgotten(job.id, job.targets, result.documents, result.history_sources))
        except Exception as exc:
            self.failed.emit(job.id, failure(log, exc, "forgetting", plain(exc)))

    @Slot()
    def refresh(self) -> None:
        try:
            self.snapshot.emit(self.core.library())  # the same roots, origins and counts as `cove status`
        except Exception as exc:
            self.state.emit(failure(log, exc, "reading the library", f"Could not read the index: {exc}"))

    def stop_watcher(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None


class IndexClient(QObject):
    """GUI-side handle: queues jobs to the worker, owns pause/resume, and re-exposes the worker's signals."""

    _warm = Signal()
    _run = Signal(object)
    _forget = Signal(object)
    _refresh = Signal()
    _start_watcher = Signal(object)
    state = Signal(object)  # str, or a Failure (app/gui/errors.py)
    ready = Signal()
    progress = Signal(str, object)
    job_finished = Signal(object)
    job_failed = Signal(str, object)  # job id, Failure
    forgotten = Signal(object)
    snapshot = Signal(object)
    watcher_event = Signal(object)
    watcher_state = Signal(object)  # str, or a Failure
    paused_changed = Signal(bool)
    busy_changed = Signal(bool)

    _ids = itertools.count(1)

    def __init__(self, core: CoveCore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.core = core
        self.thread = QThread()
        self.thread.setObjectName("cove-index")
        self.worker = IndexWorker(core)
        self.worker.moveToThread(self.thread)
        self._warm.connect(self.worker.warm_up)
        self._run.connect(self.worker.run)
        self._forget.connect(self.worker.forget)
        self._refresh.connect(self.worker.refresh)
        self._start_watcher.connect(self.worker.start_watcher)
        self.worker.state.connect(self._on_state)
        self.worker.ready.connect(self._on_ready)
        self.worker.progress.connect(self.progress)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.forgotten.connect(self._on_forgotten)
        self.worker.snapshot.connect(self._on_snapshot)
        self.worker.watcher_event.connect(self.watcher_event)
        self.worker.watcher_started.connect(self._on_watcher_started)
        self.jobs: dict[str, IndexJob] = {}
        self.pending_forgets: set[str] = set()
        self._watch_on_ready = True
        self.is_ready = False
        self.paused = False
        self.watcher_note = ""
        self.last_snapshot: LibrarySnapshot | None = None
        self.state_text = ""
        self.thread.start()

    # settings-backed lists -------------------------------------------------------------------------------------------
    def watched_folders(self) -> list[str]:
        return self.core.watched_folders()

    def mail_stores(self) -> list[str]:
        return self.core.mail_stores()

    @property
    def watcher(self) -> "FolderWatcher | None":
        return self.worker.watcher

    @property
    def busy(self) -> bool:
        return bool(self.jobs)

    # operations ------------------------------------------------------------------------------------------------------
    def start(self, watch: bool = True) -> None:
        """Load the embedder and open the index in the background; then watch folders and catch up mail stores."""
        self._watch_on_ready = watch
        self._warm.emit()

    def index(self, paths: list[str] | tuple[str, ...], origin: str = "library") -> str:
        job = IndexJob(f"j{next(self._ids)}", tuple(os.path.abspath(os.path.expanduser(p)) for p in paths), origin)
        was_busy = self.busy
        self.jobs[job.id] = job
        if not was_busy:
            self.busy_changed.emit(True)
        self._run.emit(job)
        return job.id

    def forget(self, targets: list[str] | tuple[str, ...], exclude: bool = True) -> str:
        """Remove from the index and from chat history; a watched folder or mail store is also unwatched. With
        `exclude` they stay out of the index until "Index again" (issue 13)."""
        targets = tuple(os.path.abspath(os.path.expanduser(t)) for t in targets)
        for t in targets:
            if t in self.watched_folders():
                self.remove_folder(t)
            if t in self.mail_stores():
                self._set_mail_stores([m for m in self.mail_stores() if m != t])
        job = ForgetJob(f"f{next(self._ids)}", targets, exclude)
        self.pending_forgets.add(job.id)
        self._forget.emit(job)
        return job.id

    def refresh(self) -> None:
        self._refresh.emit()

    def excluded(self) -> "list[Exclusion]":
        """What the user forgot and Cove keeps out (indexer.exclusions.Exclusion: path, kind, since)."""
        return self.core.exclusions.items()

    def index_again(self, path: str) -> str:
        """The explicit "Index again" for a forgotten item: lift its exclusion (a mail store goes back into
        mail_stores) and index it."""
        self.core.index_again([path])
        job = self.index([path])
        self.refresh()
        return job

    def add_folder(self, path: str) -> None:
        path = os.path.abspath(os.path.expanduser(path))
        self.core.set_watched(path, True)  # saves settings; a running watcher picks the folder up and indexes it
        watcher_coming = self._watch_on_ready and not self.watcher_note and self.watcher is None
        watcher_running = self.watcher is not None and self.watcher.running
        if not (watcher_coming or watcher_running):
            self.index([path])  # no watcher to do it: index once now
        self.refresh()

    def remove_folder(self, path: str) -> None:
        """Stop watching; its documents stay searchable until forgotten."""
        self.core.set_watched(os.path.abspath(os.path.expanduser(path)), False)
        self.refresh()

    def add_mail_store(self, path: str) -> None:
        path = os.path.abspath(os.path.expanduser(path))
        if path not in self.mail_stores():
            self._set_mail_stores(self.mail_stores() + [path])
        self.index([path])
        self.refresh()

    def _set_mail_stores(self, stores: list[str]) -> None:
        self.core.set_mail_stores(stores)

    def set_paused(self, paused: bool) -> None:
        if paused == self.paused:
            return
        self.paused = paused
        w = self.watcher
        if w is not None:
            (w.pause if paused else w.resume)()
        if paused:
            for job in self.jobs.values():
                if job.origin != "drop":
                    job.cancel.set()
        elif self.mail_stores():
            self.index(self.mail_stores())
        self.paused_changed.emit(paused)

    def toggle_pause(self) -> None:
        self.set_paused(not self.paused)

    def folder_status(self) -> "dict[str, FolderStatus]":
        """Live state of each watched folder (indexer.watch_state.FolderStatus) while the watcher runs."""
        w = self.watcher
        if w is None or not w.running:
            return {}
        return {s.path: s for s in w.status()}

    def shutdown(self, timeout_ms: int = 60_000) -> None:
        self.worker.reembed_cancel.set()  # issue 12: resumable, it goes on at the next start
        for job in self.jobs.values():
            job.cancel.set()
        if self.pending_forgets and self.thread.isRunning():  # a forget must finish: it is a privacy promise
            from PySide6.QtCore import QDeadlineTimer, QEventLoop

            deadline = QDeadlineTimer(timeout_ms)
            loop = QEventLoop()
            while self.pending_forgets and not deadline.hasExpired():
                loop.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
                self.thread.msleep(20)
        self.worker.stop_watcher()
        self.thread.quit()
        self.thread.wait(timeout_ms)

    # worker signals ---------------------------------------------------------------------------------------------------
    @Slot(object)
    def _on_state(self, text: str) -> None:
        self.state_text = text
        self.state.emit(text)

    @Slot()
    def _on_ready(self) -> None:
        self.is_ready = True
        self.ready.emit()
        if self._watch_on_ready:
            folders = tuple(self.watched_folders())
            self._start_watcher.emit(folders)
            if self.mail_stores() and not self.paused:
                self.index(self.mail_stores())
        self.refresh()

    @Slot(object)
    def _on_watcher_started(self, note: str) -> None:
        self.watcher_note = note
        w = self.watcher
        if not note and w is not None:
            if self.paused:
                w.pause()
            known = {s.path for s in w.status()}
            for folder in self.watched_folders():  # added while the watcher was starting
                if folder not in known:
                    w.add_folder(folder)
        self.watcher_state.emit(note)

    def _job_done(self, job_id: str) -> None:
        self.jobs.pop(job_id, None)
        if not self.busy:
            self.busy_changed.emit(False)

    @Slot(object)
    def _on_finished(self, done: JobFinished) -> None:
        self._job_done(done.id)
        self.job_finished.emit(done)
        self.refresh()

    @Slot(str, object)
    def _on_failed(self, job_id: str, message: str) -> None:
        self.pending_forgets.discard(job_id)
        self._job_done(job_id)
        self.job_failed.emit(job_id, message)

    @Slot(object)
    def _on_forgotten(self, result: Forgotten) -> None:
        self.pending_forgets.discard(result.id)
        self.forgotten.emit(result)
        self.refresh()

    @Slot(object)
    def _on_snapshot(self, snap: LibrarySnapshot) -> None:
        self.last_snapshot = snap
        self.snapshot.emit(snap)
