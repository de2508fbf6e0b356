"""The indexing pipeline and the only writer of the store.

scan → (parser threads: read, hash, parse, chunk) → embed in batches → upsert chunks → upsert document rows.
Parsing runs ahead on a small thread pool with a bounded window, so the embedder (the real cost) is never idle and
memory stays bounded. A cancel Event is checked between files and batches. Rows are written chunks-first, so a kill
at any moment leaves an index that `Store.repair()` makes consistent on the next start.
"""
from __future__ import annotations

import os
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterable, Sequence

from indexer.chunking import TokenCounter, default_token_counter
from indexer.embedding import Embedder
from indexer.ignore import IgnoreRules
from indexer.prepare import PrepareConfig, Prepared, doc_id_for_path, prepare_file
from indexer.progress import FileOutcome, IndexReport, ProgressCallback, ProgressTracker
from indexer.scanner import FoundFile, ScanProblem, scan, under
from indexer.store import DocRow, Store, now


@dataclass(frozen=True)
class IndexConfig:
    max_file_mb: float = 100.0
    chunk_tokens: int = 200
    overlap_tokens: int = 32
    write_batch_chunks: int = 256
    parse_workers: int = 2
    parse_window: int = 16
    ignore_globs: tuple[str, ...] = ()


class Indexer:
    """Owns the store for writing. Create one per process; call its methods from one thread at a time."""

    def __init__(self, store: Store, embedder: Embedder, config: IndexConfig | None = None,
                 counter: TokenCounter | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.config = config or IndexConfig()
        self.rules = IgnoreRules(self.config.ignore_globs)
        self._counter = counter
        self._lock = threading.Lock()
        self.repaired = store.repair()

    @property
    def counter(self) -> TokenCounter:
        if self._counter is None:
            self._counter = default_token_counter()
        return self._counter

    # --- public operations ---------------------------------------------------------------------------------------
    def index_paths(self, paths: Sequence[str], *, on_progress: ProgressCallback | None = None,
                    cancel: threading.Event | None = None, remove_missing: bool = True) -> IndexReport:
        """Index files and folders; files gone from an indexed folder are removed from the index."""
        with self._lock:
            return self._run(paths, on_progress, cancel or threading.Event(), remove_missing)

    def remove_paths(self, paths: Sequence[str]) -> list[str]:
        """Remove every document at or under these paths. Returns the removed paths."""
        with self._lock:
            targets = [os.path.abspath(p) for p in paths]
            docs = self.store.load_documents()
            gone = [d for d in docs.values() if any(under(d.path, t) or under(d.source, t) for t in targets)]
            self.store.delete_documents([d.doc_id for d in gone])
            return [d.path for d in gone]

    # --- the run -------------------------------------------------------------------------------------------------
    def _run(self, paths: Sequence[str], callback: ProgressCallback | None, cancel: threading.Event,
             remove_missing: bool) -> IndexReport:
        tracker = ProgressTracker(callback)
        tracker.emit(force=True)
        docs = self.store.load_documents()
        by_path = {d.path: d for d in docs.values()}
        found: list[FoundFile] = []
        problems: list[ScanProblem] = []
        for item in scan(list(paths), self.rules):
            (found if isinstance(item, FoundFile) else problems).append(item)
        roots = [os.path.abspath(os.path.expanduser(p)) for p in paths]
        tracker.files_total = len(found)
        tracker.phase = "indexing"

        problem_rows = [DocRow(doc_id=doc_id_for_path(p.path), path=p.path, kind="folder" if os.path.isdir(p.path) else "file",
                               status="error", error=p.reason, title=os.path.basename(p.path), source=p.path,
                               indexed_at=now()) for p in problems if not p.reason.startswith("not found")]
        for p in problems:
            tracker.record(FileOutcome(p.path, "error", p.reason), counts_as_file=False)
        self.store.upsert_documents(problem_rows)

        todo: list[FoundFile] = []
        for f in found:
            prev = by_path.get(f.path)
            if prev and prev.status in ("indexed", "skipped") and prev.size == f.size and prev.mtime == f.mtime:
                tracker.record(FileOutcome(f.path, "unchanged", "", prev.n_chunks))
            else:
                todo.append(f)

        self._process(todo, by_path, tracker, cancel)

        if not cancel.is_set() and remove_missing:
            tracker.phase = "finishing"
            seen = {f.path for f in found} | {p.path for p in problems}
            dir_roots = [r for r in roots if os.path.isdir(r)]
            stale = [d for d in docs.values() if d.path not in seen and d.source == d.path
                     and any(under(d.path, r) for r in dir_roots)]
            stale += [d for d in docs.values() if d.path in roots and d.path not in seen and not os.path.exists(d.path)]
            if stale:
                self.store.delete_documents([d.doc_id for d in stale])
                for d in stale:
                    tracker.record(FileOutcome(d.path, "removed", "no longer on disk"), counts_as_file=False)
        if not cancel.is_set():
            tracker.phase = "finishing"
            tracker.emit(force=True)
            self.store.ensure_fts_index()
            self.store.optimize()
        tracker.phase = "cancelled" if cancel.is_set() else "done"
        tracker.emit(force=True)
        return tracker.report(cancel.is_set())

    def _process(self, todo: list[FoundFile], by_path: dict[str, DocRow], tracker: ProgressTracker,
                 cancel: threading.Event) -> None:
        cfg = PrepareConfig(int(self.config.max_file_mb * 1024 * 1024), self.config.chunk_tokens, self.config.overlap_tokens)
        counter = self.counter
        pending: list[Prepared] = []
        pending_chunks = 0
        with ThreadPoolExecutor(max_workers=self.config.parse_workers, thread_name_prefix="cove-parse") as pool:
            window: deque[Future[Prepared]] = deque()
            queue = iter(todo)

            def top_up() -> None:
                while len(window) < self.config.parse_window and not cancel.is_set():
                    f = next(queue, None)
                    if f is None:
                        return
                    window.append(pool.submit(prepare_file, f.path, by_path.get(f.path), cfg, counter))

            top_up()
            while window and not cancel.is_set():
                prepared = window.popleft().result()
                top_up()
                tracker.current = prepared.doc.path
                if prepared.outcome == "vanished":
                    tracker.record(FileOutcome(prepared.doc.path, "error", prepared.reason))
                    if prepared.doc.path in by_path:
                        self.store.delete_documents([prepared.doc.doc_id])
                    continue
                pending.append(prepared)
                pending_chunks += len(prepared.chunks or ())
                if pending_chunks >= self.config.write_batch_chunks or len(pending) >= 64:
                    self._flush(pending, tracker, cancel)
                    pending, pending_chunks = [], 0
            if cancel.is_set():
                for fut in window:
                    fut.cancel()
                return
        if pending:
            self._flush(pending, tracker, cancel)

    def _flush(self, batch: list[Prepared], tracker: ProgressTracker, cancel: threading.Event) -> None:
        """Embed and write one batch: chunks first, then document rows, then the previous versions' chunks go."""
        rows: list[dict] = []
        texts: list[str] = []
        for p in batch:
            for c in p.chunks or ():
                rows.append({"chunk_id": f"{p.doc.doc_id}:{p.doc.sha256[:16]}:{c.ordinal}", "doc_id": p.doc.doc_id,
                             "doc_sha": p.doc.sha256, "ordinal": c.ordinal, "text": c.text, "page": c.page,
                             "section": c.section, "line_start": c.line_start, "line_end": c.line_end, "part": c.part})
                texts.append(c.text)
        if cancel.is_set():
            return
        if texts:
            vectors = self.embedder.embed(texts)
            if cancel.is_set():
                return
            self.store.upsert_chunks(rows, vectors)
        self.store.upsert_documents([p.doc for p in batch])
        self.store.delete_stale_chunks({p.doc.doc_id: p.doc.sha256 if p.doc.status == "indexed" else "" for p in batch
                                        if p.outcome != "unchanged"})
        tracker.add_chunks(len(texts))
        for p in batch:
            tracker.record(FileOutcome(p.doc.path, p.outcome, p.reason, len(p.chunks or ())))


def index_once(store: Store, embedder: Embedder, paths: Iterable[str], **kwargs: object) -> IndexReport:
    return Indexer(store, embedder).index_paths(list(paths), **kwargs)  # type: ignore[arg-type]
