"""Re-embedding an index built by another embedder, in the background, while the old index still answers.

Vectors of two embedders are never mixed in one table. The stored chunk texts are embedded again into a new table
(`chunks_<hash of the new embedder id>`; no file is parsed again), batch by batch, each batch one idempotent
`merge_insert`, so a killed run resumes where it stopped. Meanwhile searches use the old table with the old
embedder, and the writer keeps indexing into the old table with the old embedder. At the end, under the writer lock,
the new table catches up with whatever the writer changed meanwhile (new chunks embedded, deleted ones dropped), gets
its full-text (and, when large, vector) index, and one meta commit swaps it in (`Store.swap_chunks`).
"""
from __future__ import annotations

import hashlib
import threading
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
import pyarrow as pa

from indexer.embedding import Embedder
from indexer.store import FTS_COLUMN, Store, chunk_schema, sql_in

BATCH = 256  # chunks per embed + write: ~3 s of int8 embedding on 2 cores, so cancel and progress stay responsive
_COLUMNS = [n for n in chunk_schema(1).names if n != "vector"]


@dataclass(frozen=True)
class ReembedProgress:
    phase: str  # embedding | catching up | swapping | done | cancelled
    done: int
    total: int
    chunks_per_s: float
    from_id: str
    to_id: str


ProgressFn = Callable[[ReembedProgress], None]


def target_name(embedder_id: str) -> str:
    return "chunks_" + hashlib.sha1(embedder_id.encode()).hexdigest()[:12]


def _ids(table) -> set[str]:  # type: ignore[no-untyped-def]
    n = table.count_rows()
    if not n:
        return set()
    return set(table.search().select(["chunk_id"]).limit(n).to_arrow().column("chunk_id").to_pylist())


def _rows(table, only: set[str] | None = None) -> Iterator[pa.RecordBatch]:  # type: ignore[no-untyped-def]
    """The chunk rows (without vectors), streamed; `only` restricts to those ids (the small catch-up set)."""
    n = table.count_rows()
    if not n:
        return
    if only is None:
        yield from table.search().select(_COLUMNS).limit(n).to_batches(BATCH)
        return
    ids = sorted(only)
    for start in range(0, len(ids), BATCH):
        yield from table.search().where(sql_in("chunk_id", ids[start:start + BATCH])).select(_COLUMNS) \
            .limit(BATCH).to_batches(BATCH)


class Reembedder:
    """One re-embedding of `store` into `embedder`'s vectors. `writing()` is the writer's lock context (the indexer's
    `writing`), held for each write so indexing runs and this job take turns."""

    def __init__(self, store: Store, embedder: Embedder, *,
                 writing: Callable[[], AbstractContextManager[object]] | None = None,
                 on_progress: ProgressFn | None = None, cancel: threading.Event | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.writing = writing or nullcontext
        self.on_progress = on_progress
        self.cancel = cancel or threading.Event()
        self.from_id = store.embedder_id
        self.name = target_name(embedder.id)
        self.done = 0
        self.total = 0
        self._started = time.perf_counter()

    def _emit(self, phase: str) -> None:
        if self.on_progress is not None:
            rate = self.done / max(1e-9, time.perf_counter() - self._started)
            self.on_progress(ReembedProgress(phase, self.done, self.total, rate, self.from_id, self.embedder.id))

    def _target(self):  # type: ignore[no-untyped-def]
        db = self.store.db
        names = set(getattr(r := db.list_tables(), "tables", r))
        for stale in names:  # a target of an earlier, abandoned switch, or an old table a kill left behind
            if stale.startswith("chunks") and stale not in (self.store.chunks_name, self.name):
                db.drop_table(stale)
        if self.name in names:
            return db.open_table(self.name)
        return db.create_table(self.name, schema=chunk_schema(self.embedder.dim))

    def _embed_into(self, target, batch: pa.RecordBatch) -> None:  # type: ignore[no-untyped-def]
        if not batch.num_rows:
            return
        vectors = np.ascontiguousarray(self.embedder.embed(batch.column("text").to_pylist()), dtype=np.float32)
        flat = pa.array(vectors.reshape(-1), type=pa.float32())
        columns = {n: batch.column(n) for n in _COLUMNS}
        columns["vector"] = pa.FixedSizeListArray.from_arrays(flat, self.embedder.dim)
        data = pa.Table.from_pydict(columns, schema=chunk_schema(self.embedder.dim))
        with self.writing():
            target.merge_insert("chunk_id").when_matched_update_all().when_not_matched_insert_all().execute(data)
        self.done += batch.num_rows

    def run(self) -> bool:
        """Re-embed and swap. Returns True when the new vectors are live, False when cancelled (resumable)."""
        if self.store.embedder_id == self.embedder.id:
            return True
        target = self._target()
        done_ids = _ids(target)
        old_ids = _ids(self.store.chunks_table)
        self.total, self.done = len(old_ids), len(old_ids & done_ids)
        self._started = time.perf_counter()
        self._emit("embedding")
        for batch in _rows(self.store.chunks_table):  # a snapshot of the old table: the writer may go on meanwhile
            if self.cancel.is_set():
                self._emit("cancelled")
                return False
            keep = [i for i, cid in enumerate(batch.column("chunk_id").to_pylist()) if cid not in done_ids]
            self._embed_into(target, batch.take(pa.array(keep, type=pa.int64())) if len(keep) < batch.num_rows
                             else batch)
            self._emit("embedding")
        with self.writing():  # nothing else writes now: catch up with the writer's changes, index, swap
            self.store.chunks_table.checkout_latest()
            old_ids, new_ids = _ids(self.store.chunks_table), _ids(target)
            self.total = len(old_ids)
            self._emit("catching up")
            for batch in _rows(self.store.chunks_table, old_ids - new_ids):
                self._embed_into(target, batch)
            gone = sorted(new_ids - old_ids)
            for start in range(0, len(gone), 500):
                target.delete(sql_in("chunk_id", gone[start:start + 500]))
            if self.cancel.is_set():
                self._emit("cancelled")
                return False
            self._emit("swapping")
            if target.count_rows():
                from lancedb.index import FTS

                target.create_index(FTS_COLUMN, config=FTS(with_position=False), replace=True)
            if gone:  # deleted (e.g. forgotten) text must not survive in the new table's old versions
                from datetime import timedelta

                target.optimize(cleanup_older_than=timedelta(0), delete_unverified=True)
            self.store.swap_chunks(self.name, self.embedder.id, self.embedder.dim)
            self.store.ensure_vector_index()
        self.done = self.total
        self._emit("done")
        return True
