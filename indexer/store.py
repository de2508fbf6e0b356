"""The on-disk vector store (LanceDB): `documents`, `chunks` and `meta` tables under the index dir.

Why these rules:
- Every write is one Lance commit, atomic on disk; upserts go through `merge_insert` keyed on ids, so re-running a
  killed job never duplicates rows.
- Chunks carry their document's content hash (`doc_sha`). A document row is written *after* its chunks, and
  `repair()` deletes chunks whose hash differs from their document row, so a kill at any point leaves an index that
  is consistent after the next open (no orphan chunks, no document marked indexed without its chunks).
- `meta` records the schema version and embedder id/dim: a mismatch means a rebuild, never mixed vectors.
"""
from __future__ import annotations

import logging
import os
import time
from contextlib import contextmanager
from functools import lru_cache
from dataclasses import dataclass, fields
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

import numpy as np
import pyarrow as pa

from indexer.locator import LocatorColumns
from indexer.pathsafe import from_store, to_store

if TYPE_CHECKING:
    import lancedb

SCHEMA_VERSION = 1
FTS_COLUMN = "text"
ANN_MIN_ROWS = 50_000  # below this, exact vector search is fast (tens of ms) and perfect
READ_CONSISTENCY_S = 0.0  # 0: every read sees the latest version (one small version check per read)

log = logging.getLogger(__name__)


class StoreMismatch(RuntimeError):
    """The index on disk was built by another schema or embedder; it must be rebuilt (`cove index --rebuild`)."""


@dataclass
class DocRow:
    """One source item: a file, or one email message."""

    doc_id: str
    path: str
    kind: str = ""
    size: int = 0
    mtime: float = 0.0
    sha256: str = ""
    status: str = "indexed"
    error: str = ""
    title: str = ""
    n_chunks: int = 0
    indexed_at: float = 0.0
    source: str = ""
    message_id: str = ""
    sender: str = ""
    recipients: str = ""
    date: str = ""
    subject: str = ""
    mailbox: str = ""
    ocr_pages: int = 0  # (ocr) pages whose text came from OCR; added in place to older tables, see _migrate


_DOC_TYPES: dict[str, pa.DataType] = {
    "size": pa.int64(),
    "mtime": pa.float64(),
    "n_chunks": pa.int32(),
    "indexed_at": pa.float64(),
    "ocr_pages": pa.int32(),
}
DOC_SCHEMA = pa.schema([(f.name, _DOC_TYPES.get(f.name, pa.string())) for f in fields(DocRow)])


class ChunkRow(LocatorColumns):
    """One row of the `chunks` table as the writer hands it to `Store.upsert_chunks` (the vector goes apart)."""

    chunk_id: str
    doc_id: str
    doc_sha: str
    ordinal: int
    text: str


def chunk_schema(dim: int) -> pa.Schema:
    return pa.schema(
        [
            ("chunk_id", pa.string()),
            ("doc_id", pa.string()),
            ("doc_sha", pa.string()),
            ("ordinal", pa.int32()),
            ("text", pa.string()),
            ("vector", pa.list_(pa.float32(), dim)),
            ("page", pa.int32()),
            ("section", pa.string()),
            ("line_start", pa.int32()),
            ("line_end", pa.int32()),
            ("part", pa.string()),
        ]
    )


META_SCHEMA = pa.schema([("key", pa.string()), ("value", pa.string())])


def sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_in(column: str, values: Iterable[str]) -> str:
    vals = sorted(set(values))
    if not vals:
        return "false"
    return f"{column} IN ({', '.join(sql_str(v) for v in vals)})"


OPENING_LOCK = ".opening.lock"


@contextmanager
def _opening_lock(directory: Path) -> Iterator[None]:
    """Processes opening one index take turns while its tables are checked or created. Without this, two processes
    starting on a new index (the app's watcher and `cove index`) both created `meta`: "Table 'meta' already exists",
    or one read the other's empty `meta` as a different embedder (tests/indexer/test_writer_lock.py, seen once in 627
    tests). Held for milliseconds; where no lock file can be made (a read-only index), nothing is locked."""
    try:
        fd = os.open(directory / OPENING_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield
        return
    try:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing drops the lock


class Store:
    """Owns the LanceDB connection. Only the pipeline (the single writer) calls the mutating methods."""

    def __init__(self, directory: Path, embedder_id: str, dim: int, *, rebuild_on_mismatch: bool = False) -> None:
        import lancedb

        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.embedder_id = embedder_id
        self.dim = dim
        # every read checks for a newer version: another process (cove index, the watcher, forget) may have written,
        # and forget deletes old versions, which a reader pinned to one would then fail to read (issue 13)
        self.db = lancedb.connect(str(self.directory), read_consistency_interval=timedelta(seconds=READ_CONSISTENCY_S),
                                  session=lance_session())
        with _opening_lock(self.directory):
            self._check_meta(rebuild_on_mismatch)
            self.documents_table = self._open_or_create("documents", DOC_SCHEMA)
            self._migrate()
            # (issue 12) the chunks table's name is in meta: re-embedding builds `chunks_<hash>` and swaps it in
            self.chunks_name = index_meta(self.directory).get("chunks_table", "chunks")
            self.chunks_table = self._open_or_create(self.chunks_name, chunk_schema(dim))

    # --- opening -------------------------------------------------------------------------------------------------
    def _table_names(self) -> set[str]:
        result = self.db.list_tables()
        names = getattr(result, "tables", result)
        return set(names)

    def _open_or_create(self, name: str, schema: pa.Schema):  # type: ignore[no-untyped-def]
        if name in self._table_names():
            return self.db.open_table(name)
        return self.db.create_table(name, schema=schema)

    def _migrate(self) -> None:
        """Count columns added to `documents` after an index was built (ocr_pages) are added in place as 0: no re-index."""
        have = set(self.documents_table.schema.names)
        missing = {f.name: "CAST(0 AS INT)" for f in DOC_SCHEMA if f.name not in have and f.type == pa.int32()}
        if missing:
            self.documents_table.add_columns(missing)

    def _check_meta(self, rebuild: bool) -> None:
        wanted = {"schema_version": str(SCHEMA_VERSION), "embedder_id": self.embedder_id, "embedder_dim": str(self.dim)}
        names = self._table_names()
        if "meta" in names:
            rows = self.db.open_table("meta").to_arrow().to_pylist()
            found = {r["key"]: r["value"] for r in rows}
            if all(found.get(k) == v for k, v in wanted.items()):
                return
            if not rebuild:
                raise StoreMismatch(
                    f"the index in {self.directory} was built with schema {found.get('schema_version')} and embedder "
                    f"{found.get('embedder_id')} ({found.get('embedder_dim')}-d); this Cove uses schema "
                    f"{SCHEMA_VERSION} and {self.embedder_id} ({self.dim}-d). Run `cove index --rebuild PATH...`."
                )
            log.warning("index schema/embedder changed: rebuilding from scratch")
            for name in names:
                if name.startswith("chunks") or name in ("documents", "meta"):
                    self.db.drop_table(name)
        elif {"chunks", "documents"} & names:
            for name in ("chunks", "documents"):
                if name in names:
                    self.db.drop_table(name)
        meta = self.db.create_table("meta", schema=META_SCHEMA)
        meta.add(pa.Table.from_pylist([{"key": k, "value": v} for k, v in wanted.items()], schema=META_SCHEMA))

    # --- documents -----------------------------------------------------------------------------------------------
    def load_documents(self) -> dict[str, DocRow]:
        table = self.documents_table.to_arrow()
        return {row["doc_id"]: DocRow(**{k: (from_store(v) if isinstance(v, str) else v if v is not None else _default(k))
                                         for k, v in row.items()})
                for row in table.to_pylist()}

    def upsert_documents(self, docs: Sequence[DocRow]) -> None:
        if not docs:
            return
        # names with bytes that are not UTF-8 are stored escaped, reversibly (indexer/pathsafe.py)
        rows = [{f.name: (to_store(v) if isinstance(v := getattr(d, f.name), str) else v) for f in fields(DocRow)}
                for d in docs]
        data = pa.Table.from_pylist(rows, schema=DOC_SCHEMA)
        (
            self.documents_table.merge_insert("doc_id")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute(data)
        )

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        """Chunks first, then the rows: a kill in between leaves rows whose chunks `repair` tolerates (n_chunks
        mismatch is fixed by re-indexing), never chunks without a row."""
        for start in range(0, len(doc_ids), 500):
            batch = doc_ids[start : start + 500]
            self.chunks_table.delete(sql_in("doc_id", batch))
            self.documents_table.delete(sql_in("doc_id", batch))

    # --- chunks --------------------------------------------------------------------------------------------------
    def upsert_chunks(self, rows: Sequence[ChunkRow], vectors: np.ndarray) -> None:
        if not rows:
            return
        columns: dict[str, Any] = {name: [r.get(name) for r in rows]
                                   for name in chunk_schema(self.dim).names if name != "vector"}
        flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1), type=pa.float32())
        columns["vector"] = pa.FixedSizeListArray.from_arrays(flat, self.dim)
        try:
            data = pa.Table.from_pydict(columns, schema=chunk_schema(self.dim))
        except (UnicodeEncodeError, pa.ArrowInvalid):  # a lone surrogate in a text or part name: made storable
            for name in ("text", "section", "part"):
                columns[name] = [to_store(v) if isinstance(v, str) else v for v in columns[name]]
            data = pa.Table.from_pydict(columns, schema=chunk_schema(self.dim))
        (
            self.chunks_table.merge_insert("chunk_id")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute(data)
        )

    def delete_stale_chunks(self, current: dict[str, str]) -> None:
        """Remove chunks of these documents whose content hash is not the current one (the previous version)."""
        items = sorted(current.items())
        for start in range(0, len(items), 200):
            clause = " OR ".join(f"(doc_id = {sql_str(d)} AND doc_sha != {sql_str(s)})" for d, s in items[start : start + 200])
            self.chunks_table.delete(clause)

    def chunk_count(self) -> int:
        return self.chunks_table.count_rows()

    def repair(self) -> int:
        """Delete chunks that belong to no indexed document version. Returns how many were removed."""
        docs = self.documents_table.to_arrow().select(["doc_id", "sha256", "status"]).to_pylist()
        valid = {(d["doc_id"], d["sha256"]) for d in docs if d["status"] == "indexed"}
        n = self.chunk_count()
        if not n:
            return 0
        # only the two key columns: this runs at every writer start, and the whole table (vectors, text) is large
        chunk_keys = self.chunks_table.search().select(["doc_id", "doc_sha"]).limit(n).to_arrow()
        bad: dict[str, set[str]] = {}
        n_bad = 0
        for doc_id, sha in zip(chunk_keys.column("doc_id").to_pylist(), chunk_keys.column("doc_sha").to_pylist()):
            if (doc_id, sha) not in valid:
                bad.setdefault(doc_id, set()).add(sha)
                n_bad += 1
        for doc_id, shas in bad.items():
            self.chunks_table.delete(f"doc_id = {sql_str(doc_id)} AND {sql_in('doc_sha', shas)}")
        return n_bad

    # --- indexes and maintenance ---------------------------------------------------------------------------------
    def has_fts_index(self) -> bool:
        return any(getattr(i, "index_type", "") == "FTS" for i in self.chunks_table.list_indices())

    def ensure_fts_index(self) -> None:
        """Create the full-text index once; later rows are searched too (unindexed rows are scanned) until the next
        `optimize`, which folds them into the index."""
        if self.chunk_count() and not self.has_fts_index():
            from lancedb.index import FTS

            self.chunks_table.create_index(FTS_COLUMN, config=FTS(with_position=False))

    def rebuild_fts_index(self) -> None:
        """Recreate the full-text index from the current rows only (an updated index can keep deleted tokens)."""
        from lancedb.index import FTS

        for idx in self.chunks_table.list_indices():
            if getattr(idx, "index_type", "") == "FTS":
                self.chunks_table.drop_index(idx.name)
        if self.chunk_count():
            self.chunks_table.create_index(FTS_COLUMN, config=FTS(with_position=False))

    def has_vector_index(self) -> bool:
        return any(str(getattr(i, "index_type", "")).lower().startswith("ivf") for i in self.chunks_table.list_indices())

    def ensure_vector_index(self, min_rows: int = ANN_MIN_ROWS) -> bool:
        """Build the IVF-PQ index once the table is large; `optimize` then keeps it up to date with new rows
        (rows not yet in it are still searched, exactly). Returns True if it was built now."""
        n = self.chunk_count()
        if n < min_rows or self.has_vector_index():
            return False
        from lancedb.index import IvfPq

        self.chunks_table.create_index("vector", config=IvfPq(distance_type="cosine", num_partitions=max(16, int(n ** 0.5)),
                                                              num_sub_vectors=max(1, self.dim // 8)))
        return True

    def swap_chunks(self, name: str, embedder_id: str, dim: int) -> None:
        """(issue 12) Make the re-embedded table `name` the chunks table: one meta commit, then the old table goes
        (it holds the old vectors, and possibly text forgotten since)."""
        rows = [{"key": "embedder_id", "value": embedder_id}, {"key": "embedder_dim", "value": str(dim)},
                {"key": "chunks_table", "value": name}]
        (self.db.open_table("meta").merge_insert("key").when_matched_update_all().when_not_matched_insert_all()
         .execute(pa.Table.from_pylist(rows, schema=META_SCHEMA)))
        old = self.chunks_name
        self.chunks_table, self.chunks_name = self.db.open_table(name), name
        self.embedder_id, self.dim = embedder_id, dim
        if old != name and old in self._table_names():
            self.db.drop_table(old)

    def drop_vector_index(self) -> bool:
        """Drop the vector index (forget: it holds compressed vectors of every row it saw). Search is exact until
        the next `optimize` builds it again from the live rows. True if there was one."""
        dropped = False
        for idx in self.chunks_table.list_indices():
            if str(getattr(idx, "index_type", "")).lower().startswith("ivf"):
                self.chunks_table.drop_index(idx.name)
                dropped = True
        return dropped

    def refresh(self) -> None:
        """Move to the latest version of each table: another process may have written since we opened them. If
        another process re-embedded the index meanwhile (issue 12), this writer's embedder is the wrong one: stop
        rather than mix vectors."""
        if self.db is not None and index_meta(self.directory).get("chunks_table", "chunks") != self.chunks_name:
            raise StoreMismatch(f"the index in {self.directory} was re-embedded by another Cove since this one opened "
                                "it; start this command (or the app) again")
        for table in (self.documents_table, self.chunks_table):
            if table is not None:
                table.checkout_latest()

    def optimize(self, *, cleanup: bool = False) -> None:
        """Compact fragments and fold new rows into the indexes (building the vector index once the table is large).
        With `cleanup`, delete every old Lance version too (needed for "forget": old versions hold deleted text)."""
        self.ensure_vector_index()
        older = timedelta(0) if cleanup else None
        for table in (self.chunks_table, self.documents_table):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if older is None:
                    table.optimize()
                else:
                    table.optimize(cleanup_older_than=older, delete_unverified=True)

    def close(self) -> None:
        self.documents_table = None  # type: ignore[assignment]
        self.chunks_table = None  # type: ignore[assignment]
        self.db = None


def index_meta(directory: Path) -> dict[str, str]:
    """(issue 12) The meta rows of the index in `directory` ({} when there is none), without creating anything."""
    import lancedb

    d = Path(directory)
    if not d.is_dir():
        return {}
    db = lancedb.connect(str(d))
    result = db.list_tables()
    if "meta" not in set(getattr(result, "tables", result)):
        return {}
    return {r["key"]: r["value"] for r in db.open_table("meta").to_arrow().to_pylist()}


# Lance caches every table version's metadata and every index it opens, by default up to 1 GB and 6 GB per process:
# over a long indexing run (hundreds of commits) that cache, not the data, is what grew. Measured (issue 13,
# 20,000-message mbox, load ~18): writer peak 620 MB with the defaults, 512 MB with these, same speed.
METADATA_CACHE_MB = 64
INDEX_CACHE_MB = 256  # the FTS and IVF-PQ indexes of a personal index fit (PQ codes are 48 bytes a chunk)


@lru_cache(maxsize=1)
def lance_session() -> lancedb.Session:
    """One bounded cache for every Store in the process."""
    import lancedb

    return lancedb.Session(index_cache_size_bytes=INDEX_CACHE_MB << 20,
                           metadata_cache_size_bytes=METADATA_CACHE_MB << 20)


def _default(name: str) -> str | int | float:
    return {"size": 0, "mtime": 0.0, "n_chunks": 0, "indexed_at": 0.0, "ocr_pages": 0}.get(name, "")


def now() -> float:
    return time.time()
