"""Progress and outcome records of an indexing run. Frozen dataclasses, so they can be handed to any thread (the
CLI prints them, the GUI turns them into signals)."""
from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Literal

Outcome = Literal["indexed", "unchanged", "skipped", "error", "removed"]


@dataclass(frozen=True)
class FileOutcome:
    path: str
    outcome: Outcome
    reason: str = ""
    n_chunks: int = 0


@dataclass(frozen=True)
class IndexProgress:
    phase: str  # scanning | indexing | finishing | done | cancelled
    files_total: int = 0
    files_done: int = 0
    chunks_done: int = 0
    chunks_per_s: float = 0.0
    eta_s: float | None = None
    current: str = ""
    indexed: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: int = 0
    removed: int = 0
    file_done: int = 0  # progress inside the current file (issue 13): e.g. 1200 of 20000 messages
    file_total: int = 0  # 0 when the total is not known (chunks of a streamed document)
    file_unit: str = ""  # pages | messages | chunks | MB
    ocr_pages: int = 0  # pages read by OCR so far (slow: a few seconds each), shown apart from files
    ocr_current: str = ""  # e.g. "scan.pdf p. 3/12" while a document is being OCR'd

    @property
    def fraction(self) -> float:
        """Files done, plus the done part of the current file when it counts items (an mbox of 108 messages moves
        the bar message by message instead of sitting at "0/5 files" until it is finished; issue 15)."""
        if not self.files_total:
            return 0.0
        partial = 0.0
        if self.file_total and self.file_unit in WRITTEN_UNITS and self.files_done < self.files_total:
            partial = min(1.0, self.file_done / self.file_total)
        return min(1.0, (self.files_done + partial) / self.files_total)

    def items_text(self) -> str:
        """"file 1/5 · message 37/108": which file of the run, and how far inside it (the CLI line and the desktop
        progress bar both show this wording)."""
        if not self.files_total:
            return ""
        text = f"file {min(self.files_done + 1, self.files_total):,}/{self.files_total:,}"
        unit = self.file_unit
        if unit and (self.file_done or self.file_total):
            if self.file_total:
                text += f" · {_SINGULAR.get(unit, unit)} {self.file_done:,}/{self.file_total:,}"
            else:
                text += f" · {self.file_done:,} {unit}"
        return text


# Units counted by the writer as it stores them (not by the parser as it reads them): a page or a message is done
# when its chunks are embedded and written, which is where an indexing run spends its time (issue 15: an mbox of
# 108 messages parsed in 0.2 s and then embedded for 10 s showed "1/108 messages" the whole time). The count moves
# once per write batch (64 documents or 256 chunks, indexer/intake.py). Finer steps would embed a batch in slices;
# tests/benchmarks/bench_embed_slices.py could not tell the cost on the shared machine (256 real mbox chunks, int8
# ONNX: whole batch 16.4-23.3 s, slices of 64 16.7-24.6 s over four runs at load average 6-11), so the batch stays.
WRITTEN_UNITS = frozenset({"messages", "pages"})
_SINGULAR = {"messages": "message", "pages": "page", "chunks": "chunk"}


@dataclass(frozen=True)
class IndexReport:
    outcomes: tuple[FileOutcome, ...]
    elapsed_s: float
    chunks_written: int
    cancelled: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    ocr_pages: int = 0

    def of(self, outcome: Outcome) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.outcome == outcome]


ProgressCallback = Callable[[IndexProgress], None]


class ProgressTracker:
    """Accumulates outcomes and computes rates; snapshots are cheap and immutable."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self.callback = callback
        self.started = time.monotonic()
        self.outcomes: list[FileOutcome] = []
        self.counts: Counter[str] = Counter()
        self.files_total = 0
        self.files_done = 0
        self.chunks_done = 0
        self.chunks_expected_per_file = 0.0
        self.current = ""
        self.phase = "scanning"
        self.file_progress: tuple[int, int, str] = (0, 0, "")
        self._file_open = False
        self.ocr_pages = 0
        self.ocr_current = ""
        self._lock = threading.Lock()
        self._last_emit = 0.0

    def record(self, outcome: FileOutcome, *, counts_as_file: bool = True) -> None:
        with self._lock:
            self.outcomes.append(outcome)
            self.counts[outcome.outcome] += 1
            if counts_as_file:
                self.files_done += 1
        self.emit()

    def ocr_page(self, path: str, done: int, total: int) -> None:
        """One more page went through OCR (called from parser threads)."""
        with self._lock:
            self.ocr_pages += 1
            self.ocr_current = f"{path.rsplit('/', 1)[-1]} p. {done}/{total}" if done < total else ""
        self.emit()

    def start_file(self, source: str) -> None:
        """The writer takes up the next source file: its item progress starts from nothing."""
        with self._lock:
            self.current = source
            self.file_progress = (0, 0, "")
            self._file_open = True
        self.emit()

    def file_units(self, done: int, total: int, unit: str) -> None:
        """Progress inside the current file (pages, messages, chunks, MB), from the parse worker's beats. For units
        the writer counts (`WRITTEN_UNITS`) a beat only brings the total: the parser runs ahead of the writer."""
        with self._lock:
            if unit in WRITTEN_UNITS:
                mine = self.file_progress[2] == unit
                self.file_progress = (self.file_progress[0] if mine else 0, max(total, 0), unit)
            elif self.file_progress[2] not in WRITTEN_UNITS:  # pages being written say more than chunks parsed
                self.file_progress = (done, total, unit)
        self.emit()

    def wrote(self, source: str, *, messages: int = 0, page: int = 0) -> None:
        """The writer stored `messages` more messages of `source`, or its chunks up to `page`: item progress."""
        with self._lock:
            if source != self.current or not self._file_open or not (messages or page):
                return
            done, total, unit = self.file_progress
            want = "messages" if messages else "pages"
            if unit not in ("", want):
                return
            done = done + messages if messages else max(done, page)
            self.file_progress = (min(done, total) if total else done, total, want)
        self.emit(force=True)  # once per written batch: rare, and the last count must not be dropped

    def file_done(self) -> None:
        """A source file is finished (its documents are recorded as they are written)."""
        with self._lock:
            self.files_done += 1
            self.file_progress = (0, 0, "")
            self._file_open = False
        self.emit()

    def add_chunks(self, n: int) -> None:
        with self._lock:
            self.chunks_done += n
        self.emit(force=True)

    def snapshot(self) -> IndexProgress:
        with self._lock:
            elapsed = time.monotonic() - self.started
            rate = self.chunks_done / elapsed if self.chunks_done and elapsed > 0 else 0.0
            done_part = self.files_done
            fd, ft, fu = self.file_progress
            if ft and fu in WRITTEN_UNITS and self.files_done < self.files_total:
                done_part += min(1.0, fd / ft)  # the part of the current mailbox or long PDF already written
            files_rate = done_part / elapsed if done_part and elapsed > 0 else 0.0
            remaining = self.files_total - done_part
            eta = remaining / files_rate if files_rate > 0 and self.phase == "indexing" else None
            return IndexProgress(
                phase=self.phase,
                files_total=self.files_total,
                files_done=self.files_done,
                chunks_done=self.chunks_done,
                chunks_per_s=rate,
                eta_s=eta,
                current=self.current,
                indexed=self.counts["indexed"],
                unchanged=self.counts["unchanged"],
                skipped=self.counts["skipped"],
                errors=self.counts["error"],
                removed=self.counts["removed"],
                file_done=self.file_progress[0],
                file_total=self.file_progress[1],
                file_unit=self.file_progress[2],
                ocr_pages=self.ocr_pages,
                ocr_current=self.ocr_current,
            )

    def emit(self, force: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if not force and now - self._last_emit < 0.05:
            return
        self._last_emit = now
        self.callback(self.snapshot())

    def report(self, cancelled: bool) -> IndexReport:
        return IndexReport(
            outcomes=tuple(self.outcomes),
            elapsed_s=time.monotonic() - self.started,
            chunks_written=self.chunks_done,
            cancelled=cancelled,
            counts=dict(self.counts),
            ocr_pages=self.ocr_pages,
        )
