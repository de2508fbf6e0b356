"""Make deleted rows really gone from disk (the second half of "forget").

Why this exists: a Lance delete only writes a deletion vector (`_deletions/<fragment>-<version>-….arrow`); the row's
bytes stay in the fragment's data file. Compaction (`optimize`) rewrites a fragment only when it is small next to
neighbours or its deleted share is above a threshold (10 % by default), and the lancedb Python API (without the
separate `pylance` package) cannot lower that threshold. So a one-line file that shares a fragment with a long one
stays on disk after `optimize` — observed here: a 709-row fragment kept its deletion vector through
`optimize(cleanup_older_than=0)`.

What we do instead, table by table: drop old versions; find every fragment that still carries a deletion vector (from
the `_deletions` file names, which name the fragment); re-write the live rows of exactly those fragments with a
`merge_insert` on the key (one commit per batch: Lance writes the rows to a new fragment and deletes them from the
old one, which, now empty, leaves the manifest); then drop old versions again, so the old data files are deleted.
Row ids change, so the full-text index is rebuilt from the live rows. A vector index (IVF-PQ, only above 50k chunks)
holds compressed vectors of every row it saw, so it is dropped; the next `optimize` (end of the next indexing run, or
the watcher when idle) builds it again and search is exact meanwhile — rebuilding it inside forget took ~10 min for
50k chunks on this 2-core machine under load 12, too long to hold the writer lock. Cost of the rest: rewriting those
fragments (after compaction usually the whole table): 2.2 s for 10k chunks, 10.4 s for 30k at load average ~13
(tests/benchmarks/bench_forget.py).

Must run under the writer lock (`Indexer.writing`): old versions vanish, and nobody else may be writing.
"""
from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from indexer.store import Store, sql_in

log = logging.getLogger(__name__)

REWRITE_BATCH = 2000  # rows per merge_insert: bounded memory (2000 x 384-d vectors + text is a few MB)


@dataclass(frozen=True)
class ScrubResult:
    fragments_rewritten: int
    rows_rewritten: int
    leftover_deletions: int  # fragments still carrying a deletion vector afterwards (expected: 0)


def fragment_of(row_id: int) -> int:
    """Without stable row ids (the lancedb default), a row id is the row address: fragment id << 32 | offset."""
    return int(row_id) >> 32


def fragments_with_deletions(table_dir: Path) -> set[int]:
    """Fragments whose deletion vector is on disk (file name `<fragment>-<read version>-<random>.{arrow,bin}`)."""
    out: set[int] = set()
    d = Path(table_dir) / "_deletions"
    if not d.is_dir():
        return out
    for name in os.listdir(d):
        head = name.split("-", 1)[0]
        if head.isdigit():
            out.add(int(head))
    return out


def row_fragments(table: Any, key: str, where: str | None = None) -> dict[str, int]:
    """key value → fragment id of every (matching) live row; reads only the key and the row id."""
    n = table.count_rows()
    if not n:
        return {}
    q = table.search().with_row_id(True).select([key])
    if where:
        q = q.where(where)
    data = q.limit(n).to_arrow()
    return {k: fragment_of(r) for k, r in zip(data.column(key).to_pylist(), data.column("_rowid").to_pylist())}


def _cleanup(table: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "cleanup_older_than=0 removes every old version": that is the point
        table.optimize(cleanup_older_than=timedelta(0), delete_unverified=True)


def rewrite_fragments(table: Any, key: str, fragments: set[int]) -> int:
    """Re-write the live rows of these fragments into new ones (old fragments end up empty and are dropped)."""
    if not fragments:
        return 0
    keys = sorted(k for k, f in row_fragments(table, key).items() if f in fragments)
    for start in range(0, len(keys), REWRITE_BATCH):
        batch = keys[start:start + REWRITE_BATCH]
        rows = table.search().where(sql_in(key, batch)).limit(len(batch)).to_arrow()
        rows = rows.select([f.name for f in table.schema])  # same columns, same order as the table
        table.merge_insert(key).when_matched_update_all().when_not_matched_insert_all().execute(rows)
    return len(keys)


def scrub_table(table: Any, table_dir: Path, key: str, rounds: int = 3) -> tuple[int, int, int]:
    """Old versions out, every fragment with a deletion vector rewritten, old versions out again."""
    n_frag = n_rows = 0
    _cleanup(table)
    for _ in range(rounds):
        frags = fragments_with_deletions(table_dir)
        if not frags:
            break
        n_frag += len(frags)
        n_rows += rewrite_fragments(table, key, frags)
        _cleanup(table)
    return n_frag, n_rows, len(fragments_with_deletions(table_dir))


def scrub_store(store: Store) -> ScrubResult:
    """Everything "forget" needs after deleting rows: no deleted text left in data files, indexes or old versions."""
    frag = rows = left = 0
    chunks = getattr(store, "chunks_name", "chunks")  # re-embedding (issue 12) may have renamed the chunks table
    for table, name, key in ((store.chunks_table, chunks, "chunk_id"), (store.documents_table, "documents", "doc_id")):
        f, r, lo = scrub_table(table, store.directory / f"{name}.lance", key)
        frag, rows, left = frag + f, rows + r, left + lo
    store.rebuild_fts_index()  # row ids changed, and an updated FTS index can keep deleted tokens
    store.drop_vector_index()
    _cleanup(store.chunks_table)  # the replaced index files go with the old versions
    left = len(fragments_with_deletions(store.directory / f"{chunks}.lance")) + len(
        fragments_with_deletions(store.directory / "documents.lance"))
    if left:
        log.warning("forget: %d fragment(s) still carry deleted rows after scrubbing", left)
    return ScrubResult(frag, rows, left)
