"""The indexing pipeline and the only writer of the store.

scan → (parser threads: read, hash, parse, chunk) → embed in batches → upsert chunks → upsert document rows.
Parsing runs ahead on a small thread pool with a bounded window, so the embedder (the real cost) is never idle and
memory stays bounded. A cancel Event is checked between files and batches. Rows are written chunks-first, so a kill
at any moment leaves an index that `Store.repair()` makes consistent on the next start.
"""
from __future__ import annotations

import hashlib
import os
import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from indexer.chunking import TokenCounter, default_token_counter
from indexer.embedding import Embedder
from indexer.exclusions import Exclusions
from indexer.ignore import IgnoreRules
from indexer.intake import Intake
from indexer.ocr import ocr_was_off
from indexer.mail.ledger import MailLedger  # (mail) one document per message across mail stores
from indexer.parsers import kind_for_name
from indexer.prepared import PrepareConfig, new_doc_id
from indexer.progress import FileOutcome, IndexReport, ProgressCallback, ProgressTracker
from indexer.scanner import FoundFile, ScanProblem, scan, under
from indexer.secrets import SECRET
from indexer.store import DocRow, Store, now
from indexer.writer_lock import LOCK_NAME, WriterLock, writer_lock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexConfig:
    max_file_mb: float = 100.0
    chunk_tokens: int = 200
    overlap_tokens: int = 32
    write_batch_chunks: int = 256
    parse_workers: int = 2
    parse_window: int = 16
    ignore_globs: tuple[str, ...] = ()
    # issue 13: parsing in worker processes with limits (indexer/isolation.py); see settings.json
    isolate: bool = True
    parse_timeout_s: float = 60.0
    parse_memory_mb: float = 1024.0
    max_unpacked_mb: float = 256.0
    max_attachment_mb: float = 25.0
    index_secrets: bool = False
    ocr: bool = True  # (ocr) setting `ocr`: read scans and images, see indexer/ocr


class Indexer:
    """Owns the store for writing. Create one per process; call its methods from one thread at a time."""

    def __init__(self, store: Store, embedder: Embedder, config: IndexConfig | None = None,
                 counter: TokenCounter | None = None, *, exclusions: Exclusions | None = None,
                 lock: WriterLock | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.config = config or IndexConfig()
        self.rules = IgnoreRules(self.config.ignore_globs)
        self._counter = counter
        self._lock = threading.RLock()  # re-entrant: forget holds `writing()` around remove_paths
        self._mail: MailLedger | None = None  # (mail) set for the duration of a run, see _process
        # one writer across processes (indexer/writer_lock.py): repair runs under the lock, at this indexer's first
        # write and whenever the previous holder died mid-write
        self.lock = lock or writer_lock(Path(store.directory).parent / LOCK_NAME)
        self.exclusions = exclusions  # forgotten paths: never indexed again without an explicit lift
        self.on_wait: Callable[[str], None] = log.info  # told once when another writer makes this one wait
        self.repaired = 0
        self._repaired_once = False

    @property
    def counter(self) -> TokenCounter:
        if self._counter is None:
            self._counter = default_token_counter()
        return self._counter

    # --- public operations ---------------------------------------------------------------------------------------
    def index_paths(self, paths: Sequence[str], *, on_progress: ProgressCallback | None = None,
                    cancel: threading.Event | None = None, remove_missing: bool = True) -> IndexReport:
        """Index files and folders; files gone from an indexed folder are removed from the index."""
        with self.writing("cove index", cancel) as ok:
            if not ok:
                return ProgressTracker(on_progress).report(True)
            return self._sync(paths, on_progress, cancel or threading.Event(), force=False, keep_missing_roots=False,
                              remove_missing=remove_missing, compact=True)

    def remove_paths(self, paths: Sequence[str]) -> list[str]:
        """Remove every document at or under these paths. Returns the removed paths."""
        with self.writing("forget"):
            targets = [os.path.abspath(p) for p in paths]
            docs = self.store.load_documents()
            gone = [d for d in docs.values() if any(under(d.path, t) or under(d.source, t) for t in targets)]
            self._delete_docs(gone, docs)  # (mail) a message also stored elsewhere stays, re-pointed there
            return [d.path for d in gone]

    def move_path(self, src: str, dst: str) -> int:
        """A file or folder was renamed/moved: update paths in place, keeping ids and chunks (no re-embedding)."""
        with self.writing("move"):
            src, dst = os.path.abspath(src), os.path.abspath(dst)
            moved: list[DocRow] = []
            for d in self.store.load_documents().values():
                if under(d.path, src) or under(d.source, src):
                    d.path = dst + d.path[len(src):] if under(d.path, src) else d.path
                    d.source = dst + d.source[len(src):] if under(d.source, src) else d.source
                    moved.append(d)
            self.store.upsert_documents(moved)
            return len(moved)

    # --- the run -------------------------------------------------------------------------------------------------
    def _process(self, todo: list[FoundFile], by_source: dict[str, list[DocRow]], tracker: ProgressTracker,
                 cancel: threading.Event) -> None:
        cfg = PrepareConfig(int(self.config.max_file_mb * 1024 * 1024), self.config.chunk_tokens, self.config.overlap_tokens,
                            ocr=self.config.ocr, on_ocr_page=tracker.ocr_page)  # (ocr)
        counter = self.counter
        # (mail) the ledger sees every file's messages in writer order: duplicates, moves, hand-overs.
        self._mail = MailLedger(self.store, {d.doc_id: d for rows in by_source.values() for d in rows})
        # parse workers, streaming batches, limits: indexer/intake.py (issue 13)
        Intake(self, cfg, counter, tracker, cancel).run(todo, by_source)

    def _delete_docs(self, rows: list[DocRow], docs: dict[str, DocRow] | None = None) -> None:
        """(mail) Delete documents through the mail ledger: a message whose deleted location has a copy elsewhere is
        re-pointed to it (no re-embedding) instead of lost. Other documents are simply deleted."""
        ledger = MailLedger(self.store, docs) if docs is not None else self._mail or MailLedger(
            self.store, self.store.load_documents())
        ledger.delete(rows)
        ledger.commit()

    # --- live folders (issue 4: the watcher and its journal drive these) ---------------------------------------------
    def apply_moves(self, moves: Sequence[tuple[str, str]]) -> list[tuple[str, str, int]]:
        """Renames the watcher saw, applied in order so ids and chunks are kept (nothing re-embedded). A document
        already at the destination (an editor saving by renaming over the file) is replaced by the moved one. A file
        whose extension maps to another kind is left out: it must be re-parsed, so it goes through `index_changed`.
        A move into a forgotten path is left out too: the source then looks vanished and is removed."""
        moves = [(s, d) for s, d in moves if not self.is_excluded(d)]
        with self.writing("watcher"):
            docs = self.store.load_documents()
            changed: dict[str, DocRow] = {}
            dropped: list[str] = []
            applied: list[tuple[str, str, int]] = []
            for src, dst in moves:
                src, dst = os.path.abspath(src), os.path.abspath(dst)
                moving = [d for d in docs.values() if (under(d.path, src) or under(d.source, src))
                          and not (d.path == src and kind_for_name(src) != kind_for_name(dst))]
                if src == dst or not moving:
                    continue
                ids = {d.doc_id for d in moving}
                for d in [d for d in docs.values() if d.doc_id not in ids and (under(d.path, dst) or under(d.source, dst))]:
                    dropped.append(d.doc_id)
                    docs.pop(d.doc_id)
                    changed.pop(d.doc_id, None)
                for d in moving:
                    old = d.path
                    d.path = dst + d.path[len(src):] if under(d.path, src) else d.path
                    d.source = dst + d.source[len(src):] if under(d.source, src) else d.source
                    if d.title == os.path.basename(old):
                        d.title = os.path.basename(d.path)
                    changed[d.doc_id] = d
                applied.append((src, dst, len(moving)))
            self.store.delete_documents(dropped)  # first: a kill in between never leaves two rows for one path
            self.store.upsert_documents(list(changed.values()))
            return applied

    def index_changed(self, paths: Sequence[str], *, on_progress: ProgressCallback | None = None,
                      cancel: threading.Event | None = None, force: bool = False,
                      keep_missing_roots: bool = False) -> IndexReport:
        """Bring exactly these files/folders in line with the disk: new and changed files are indexed, vanished ones
        removed, and a new file whose content equals a vanished indexed document is taken as that document renamed
        (id and chunks kept). `force` hashes files even when size and mtime match (journal replay after a crash);
        `keep_missing_roots` leaves documents under a vanished root alone (an unmounted drive is not a delete)."""
        with self.writing("watcher", cancel) as ok:
            if not ok:
                return ProgressTracker(on_progress).report(True)
            return self._sync(paths, on_progress, cancel or threading.Event(), force=force,
                              keep_missing_roots=keep_missing_roots)

    def optimize(self) -> None:
        """Compact the small writes live updates leave behind (the watcher calls this when it is idle)."""
        with self.writing("compacting"):
            self.store.ensure_fts_index()
            self.store.optimize()

    def _sync(self, paths: Sequence[str], callback: ProgressCallback | None, cancel: threading.Event, *, force: bool,
              keep_missing_roots: bool, remove_missing: bool = True, compact: bool = False) -> IndexReport:
        """The one indexing run behind `index_paths` (CLI, GUI: compacts at the end) and `index_changed` (the watcher,
        which compacts when idle): scan, record problems, move renamed files, index what changed, drop what is gone."""
        tracker = ProgressTracker(callback)
        tracker.emit(force=True)
        docs = self.store.load_documents()
        by_source: dict[str, list[DocRow]] = {}
        for d in docs.values():
            by_source.setdefault(d.source or d.path, []).append(d)
        roots = sorted({os.path.abspath(os.path.expanduser(p)) for p in paths})
        roots = [r for r in roots if not any(o != r and under(r, o) for o in roots)]
        for r in [r for r in roots if self.is_excluded(r)]:  # forgotten: say so, index nothing (issue 13)
            roots.remove(r)
            e = self.exclusions.excluded(r)  # type: ignore[union-attr]
            tracker.record(FileOutcome(r, "skipped", f"forgotten earlier; to index it again run `cove index {e.path}`"
                                       " or use \"Index again\" in the library"), counts_as_file=False)
        missing = [r for r in roots if not os.path.lexists(r)]
        found: list[FoundFile] = []
        problems: list[ScanProblem] = []
        for item in scan([r for r in roots if r not in missing], self.rules):
            if not self.is_excluded(item.path):  # forgotten: stays out, whatever way it came in
                (found if isinstance(item, FoundFile) else problems).append(item)
        problems = [p for p in problems if not p.reason.startswith("not found")]
        tracker.files_total, tracker.phase = len(found), "indexing"
        seen = {f.path for f in found} | {p.path for p in problems}
        stale = {d.doc_id: d for d in docs.values() if remove_missing and (d.source or d.path) not in seen
                 and any(under(d.source or d.path, r) for r in roots)
                 and not (keep_missing_roots and any(under(d.source or d.path, r) for r in missing))}
        handled = self._renamed(found, by_source, stale, tracker)
        self.store.upsert_documents([DocRow(doc_id=by_source[p.path][0].doc_id if p.path in by_source else new_doc_id(),
                                            path=p.path, kind="folder" if os.path.isdir(p.path) else "file",
                                            status="error", error=p.reason, title=os.path.basename(p.path),
                                            source=p.path, indexed_at=now()) for p in problems])
        self.store.delete_stale_chunks({d.doc_id: "" for p in problems for d in by_source.get(p.path, [])})
        for p in problems:
            tracker.record(FileOutcome(p.path, "error", p.reason), counts_as_file=False)
        todo: list[FoundFile] = []
        for f in found:
            prevs = by_source.get(f.path, [])
            if f.path in handled:
                continue
            if not force and prevs and all(p.status in ("indexed", "skipped") and p.size == f.size
                                           and p.mtime == f.mtime and not (self.config.ocr and ocr_was_off(p.status, p.error))
                                           and not (self.config.index_secrets and p.error.startswith(SECRET))
                                           for p in prevs):  # (ocr) skipped only because OCR was off: read it now
                tracker.record(FileOutcome(f.path, "unchanged", "", sum(p.n_chunks for p in prevs)))
            else:
                todo.append(f)
        self._process(todo, by_source, tracker, cancel)
        if not cancel.is_set() and stale:
            self._delete_docs(list(stale.values()))  # (mail) via the ledger, see _delete_docs
            for d in stale.values():
                tracker.record(FileOutcome(d.path, "removed", "no longer on disk"), counts_as_file=False)
        if not cancel.is_set():
            if compact:
                tracker.phase = "finishing"
                tracker.emit(force=True)
            self.store.ensure_fts_index()
            if compact:
                self.store.optimize()
        tracker.phase = "cancelled" if cancel.is_set() else "done"
        tracker.emit(force=True)
        return tracker.report(cancel.is_set())

    # --- one writer, forgotten paths (issue 13) --------------------------------------------------------------------
    @contextmanager
    def writing(self, what: str = "", cancel: threading.Event | None = None) -> Iterator[bool]:
        """Hold this process's indexer and the cross-process writer lock; repair the store when it is this
        indexer's first write or the previous holder died mid-write. Yields False if `cancel` was set while waiting
        (nothing is held then). Re-entrant in one thread."""
        with self._lock:
            with self.lock.hold(what, on_wait=self.on_wait, cancel=cancel) as held:
                if held is None:
                    yield False
                    return
                if held.first:
                    self.store.refresh()  # see other writers' commits before reading anything
                    if not self._repaired_once or held.previous_died:
                        self.repaired += self.store.repair()
                        self._repaired_once = True
                yield True

    def is_excluded(self, path: str) -> bool:
        return self.exclusions is not None and self.exclusions.excluded(path) is not None

    def _renamed(self, found: list[FoundFile], by_source: dict[str, list[DocRow]], stale: dict[str, DocRow],
                 tracker: ProgressTracker) -> set[str]:
        """New files whose bytes equal a vanished indexed document: move that document (renamed while Cove was not
        looking, or a move the watcher saw as delete + create). Only same-size candidates are hashed."""
        by_size: dict[int, list[DocRow]] = {}
        for d in stale.values():
            if d.status == "indexed" and d.sha256 and d.source in ("", d.path):
                by_size.setdefault(d.size, []).append(d)
        moved: list[DocRow] = []
        for f in found:
            cands = by_size.get(f.size)
            if f.path in by_source or not cands:
                continue
            sha = _sha256(f.path, int(self.config.max_file_mb * 1024 * 1024))
            match = next((d for d in cands if d.sha256 == sha and kind_for_name(d.path) == kind_for_name(f.path)), None)
            if match is None:
                continue
            cands.remove(match)
            stale.pop(match.doc_id)
            old = match.path
            title = os.path.basename(f.path) if match.title == os.path.basename(old) else match.title
            moved.append(DocRow(**{**match.__dict__, "path": f.path, "source": f.path, "mtime": f.mtime, "title": title}))
            tracker.record(FileOutcome(f.path, "unchanged", f"moved from {old}", match.n_chunks))
        self.store.upsert_documents(moved)
        return {d.path for d in moved}


def _sha256(path: str, max_bytes: int) -> str:
    """Hash a rename candidate; "" when it cannot be read (then it is simply indexed as a new file)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
                if fh.tell() > max_bytes:
                    return ""
    except OSError:
        return ""
    return h.hexdigest()


def index_once(store: Store, embedder: Embedder, paths: Iterable[str], **kwargs: object) -> IndexReport:
    return Indexer(store, embedder).index_paths(list(paths), **kwargs)  # type: ignore[arg-type]
