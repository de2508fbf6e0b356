"""The writer's side of parsing: hand files to the parse workers, take their messages back in order, and embed and
write them in bounded batches. `Indexer._process` delegates the run here.

Why streaming: before, one file's whole result (every chunk of a 95 MB log, every message of an mbox) was built in
memory and embedded in one call — the run grew past 4 GB. Now a big document arrives as batches of chunks that are
embedded and stored as they come (chunks first, the document row last, so a kill mid-file leaves nothing that
`Store.repair` does not remove), and mail arrives message by message. A file whose worker fails (time limit, memory
cap, crash) gets a row with the reason, and the run goes on.
"""
from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from indexer import heartbeat
from indexer.parse_job import JobOptions, Message, finish_ocr, run_job
from indexer.prepared import PrepareConfig, Prepared, new_doc_id
from indexer.progress import FileOutcome, ProgressTracker
from indexer.store import ChunkRow, DocRow, now

if TYPE_CHECKING:
    from indexer.chunking import TokenCounter
    from indexer.pipeline import Indexer
    from indexer.scanner import FoundFile

MAX_PENDING_DOCS = 64
POOL_IDLE_S = 60.0  # parse workers outlive a run this long: the watcher's next few files skip their ~1-3 s start-up


class Intake:
    """One indexing run's parse → embed → write loop (the caller holds the writer lock)."""

    def __init__(self, indexer: "Indexer", cfg: PrepareConfig, counter: "TokenCounter", tracker: ProgressTracker,
                 cancel: threading.Event) -> None:
        self.ix = indexer
        self.cfg, self.counter, self.tracker, self.cancel = cfg, counter, tracker, cancel
        c = indexer.config
        self.options = JobOptions(index_secrets=c.index_secrets, max_unpacked_mb=c.max_unpacked_mb,
                                  max_attachment_mb=c.max_attachment_mb)
        self.batch_chunks = max(1, c.write_batch_chunks)
        self.pending: list[Prepared] = []
        self.pending_chunks = 0

    # --- the run ---------------------------------------------------------------------------------------------------
    def run(self, todo: list["FoundFile"], by_source: dict[str, list[DocRow]]) -> None:
        pool = self._pool() if todo else None
        window: deque[tuple[str, Any]] = deque()
        queue = iter(todo)
        depth = max(1, self.ix.config.parse_window)

        def top_up() -> None:
            while len(window) < depth and not self.cancel.is_set():
                f = next(queue, None)
                if f is None:
                    return
                prev = by_source.get(f.path, [])
                window.append((f.path, pool.submit(f.path, prev) if pool else (f.path, prev)))

        clean = False
        try:
            top_up()
            while window and not self.cancel.is_set():
                source, job = window.popleft()
                top_up()
                stream = pool.messages(job, self.cancel) if pool else self._in_process(*job)
                self._source(source, stream, by_source.get(source, []))
            if self.cancel.is_set():
                return
            self._flush()
            if self.ix._mail is not None:
                self.ix._mail.commit()  # (mail) hand-overs decided after the last flush
            clean = True
        finally:
            if pool is not None:  # kept for the next run only when no job is left queued in a worker
                pool.release(POOL_IDLE_S) if clean else pool.close()

    def _pool(self) -> Any:
        """The indexer's parse pool, reused across runs while its settings are the same."""
        if not self.ix.config.isolate:
            return None
        from indexer.isolation import Limits, ParsePool

        c = self.ix.config
        limits = Limits(c.parse_timeout_s, c.parse_memory_mb)
        pool = getattr(self.ix, "_parse_pool", None)
        fresh = ParsePool(c.parse_workers, limits, self.cfg, self.options)
        if pool is not None and (pool.setup, pool.limits) == (fresh.setup, fresh.limits) and pool.acquire():
            return pool
        if pool is not None:
            pool.close()
        fresh.acquire()
        self.ix._parse_pool = fresh  # type: ignore[attr-defined]
        return fresh

    def _in_process(self, path: str, previous: list[DocRow]) -> Iterator[Message]:
        """The same job without a worker (tests that patch parsers; `isolate=False`): beats go to the tracker."""
        heartbeat.set_sink(self.tracker.file_units)
        try:
            yield from run_job(path, previous, _without_callbacks(self.cfg), self.counter, self.options)
        except MemoryError:
            yield ("failed", "needed more memory than is available to read")
        except Exception as exc:  # noqa: BLE001 - as in a worker: a parser bug costs this file only
            yield ("failed", f"parser failed: {type(exc).__name__}: {exc}")
        finally:
            heartbeat.set_sink(None)

    # --- one source file -------------------------------------------------------------------------------------------
    def _source(self, source: str, stream: Iterator[Message], previous: list[DocRow]) -> None:
        tracker, mail = self.tracker, self.ix._mail
        assert mail is not None
        tracker.start_file(source)
        kept: set[str] = set()
        vanished: Prepared | None = None
        partial: Prepared | None = None
        failed = ""
        is_mail = False
        for msg in stream:
            kind = msg[0]
            if kind == "beat":
                tracker.file_units(msg[1], msg[2], msg[3])
                continue
            if kind in ("end", "cancelled"):
                is_mail = kind == "end" and bool(msg[1])
                break
            if kind == "failed":
                failed = msg[1]
                break
            if kind == "ocr":  # (ocr) parsed in the worker, OCR'd and chunked here
                p, more = finish_ocr(msg[1].doc, msg[2], self.cfg, self.counter, self.cancel), False
            else:
                p, more = msg[1], msg[2]
            if more:  # a batch of a big document: stored now, its row comes with the last batch
                partial = p
                written = self._write_chunks([p])
                if written:
                    tracker.add_chunks(written)
                    tracker.wrote(source, page=_last_page(p))
                continue
            for r in mail.resolve(source, [p], self.cfg, self.counter):  # (mail) owners, copies, moves
                if r.outcome == "vanished":
                    vanished = r
                    continue
                kept.add(r.doc.doc_id)
                self._add(r)
        if self.cancel.is_set():
            return
        if failed:
            for r in self._failure_rows(source, previous, kept, partial, failed):
                self._add(r)
        else:
            gone = [d for d in previous if d.doc_id not in kept]
            if gone:  # vanished files, and messages no longer in their mailbox
                mail.delete(gone)  # (mail) plain files are simply deleted
            if vanished is not None and not kept:
                tracker.record(FileOutcome(source, "error", vanished.reason), counts_as_file=False)
            if is_mail or partial is not None:  # a mailbox, or a long document that came in batches, is done when
                self._flush()  # its last message or page is written, so its count reaches the total (issue 15)
        tracker.file_done()

    def _failure_rows(self, source: str, previous: list[DocRow], kept: set[str], partial: Prepared | None,
                      reason: str) -> list[Prepared]:
        """Rows for a file whose worker failed. A mailbox keeps what was already read (and its earlier rows, retried
        next run); any other file gets one row with the reason, and chunks written for it are dropped by the flush.
        Limit failures are "skipped" with size and mtime, so the same file is not retried until it changes."""
        from indexer.mail import _store_error, is_mail_kind
        from indexer.mail.detect import classify

        mailfile = classify(source) if any(is_mail_kind(d.kind) for d in previous) or partial is None else None
        if mailfile is not None and mailfile.fmt != "ignore":
            return _store_error(source, [d for d in previous if d.doc_id not in kept], mailfile.mailbox, reason)
        same = [d for d in previous if d.path == source]
        doc_id = partial.doc.doc_id if partial else same[0].doc_id if same else new_doc_id()
        try:
            st = os.stat(source)
            size, mtime = st.st_size, st.st_mtime
        except OSError:
            size, mtime = 0, 0.0
        from indexer.parsers import kind_for_name

        status = "skipped" if ("timed out" in reason or "memory" in reason) else "error"
        row = DocRow(doc_id=doc_id, path=source, kind=kind_for_name(source) or "file", size=size,
                     mtime=mtime if status == "skipped" else 0.0, status=status, error=reason,
                     title=os.path.basename(source), source=source, indexed_at=now())
        return [Prepared(row, None, status, reason)]

    # --- batches ---------------------------------------------------------------------------------------------------
    def _add(self, p: Prepared) -> None:
        self.pending.append(p)
        self.pending_chunks += len(p.chunks or ())
        if self.pending_chunks >= self.batch_chunks or len(self.pending) >= MAX_PENDING_DOCS:
            self._flush()

    def _flush(self) -> None:
        """Embed and write the pending batch: chunks first, then document rows, then the previous versions' chunks."""
        batch, self.pending, self.pending_chunks = self.pending, [], 0
        if not batch or self.cancel.is_set():
            return
        written = self._write_chunks(batch)
        if written is None:
            return
        store = self.ix.store
        store.upsert_documents([p.doc for p in batch])
        store.delete_stale_chunks({p.doc.doc_id: p.doc.sha256 if p.doc.status == "indexed" else "" for p in batch
                                   if p.outcome != "unchanged"})
        if self.ix._mail is not None:  # (mail) re-pointed owners and dropped copies, after the rows they depend on
            self.ix._mail.commit()
        self.tracker.add_chunks(written)
        messages: dict[str, int] = {}
        for p in batch:
            n = p.doc.n_chunks if p.outcome == "indexed" and p.chunks is not None else 0
            self.tracker.record(FileOutcome(p.doc.path, p.outcome, p.reason, n), counts_as_file=False)  # type: ignore[arg-type]
            source = p.doc.source or p.doc.path
            if p.doc.path != source:  # an item inside its source file: one message of a mailbox
                messages[source] = messages.get(source, 0) + 1
            elif p.chunks:
                self.tracker.wrote(source, page=_last_page(p))
        for source, n in messages.items():
            self.tracker.wrote(source, messages=n)

    def _write_chunks(self, batch: list[Prepared]) -> int | None:
        """Embed and upsert the chunks of `batch` in slices of `write_batch_chunks`: how many, or None if cancelled."""
        rows: list[ChunkRow] = []
        written = 0
        for p in batch:
            for c in p.chunks or ():
                rows.append({"chunk_id": f"{p.doc.doc_id}:{p.doc.sha256[:16]}:{c.ordinal}", "doc_id": p.doc.doc_id,
                             "doc_sha": p.doc.sha256, "ordinal": c.ordinal, "text": c.text, **c.where.columns()})
                if len(rows) >= self.batch_chunks:
                    if not self._embed_and_store(rows):
                        return None
                    written, rows = written + len(rows), []
        return written + len(rows) if self._embed_and_store(rows) else None

    def _embed_and_store(self, rows: list[ChunkRow]) -> bool:
        if self.cancel.is_set():
            return False
        if not rows:
            return True
        vectors = self.ix.embedder.embed([r["text"] for r in rows])
        if self.cancel.is_set():
            return False
        self.ix.store.upsert_chunks(rows, vectors)
        return True


def _last_page(p: Prepared) -> int:
    """The highest page whose chunks are in `p` (0 for documents without pages)."""
    return max((_page(c) for c in p.chunks or ()), default=0)


def _page(chunk: Any) -> int:
    where = getattr(chunk, "where", chunk)  # the chunk's Locator (indexer/locator.py), or its flat fields before it
    return int(getattr(where, "page", None) or 0)


def _without_callbacks(cfg: PrepareConfig) -> PrepareConfig:
    from dataclasses import replace

    return replace(cfg, on_ocr_page=None) if hasattr(cfg, "on_ocr_page") else cfg
