"""Helpers for indexer tests: open a real LanceDB store in the test's data dir and check its consistency."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from app import paths
from indexer.pipeline import IndexConfig, Indexer
from indexer.store import Store


def make_indexer(embedder, **config) -> Indexer:  # type: ignore[no-untyped-def]
    """Parsing in-process by default (`isolate=False`: the same job code, no worker processes), so tests can patch
    parser functions and do not pay worker start-up; tests/indexer/test_hostile_files.py covers the workers."""
    store = Store(paths.index_dir(), embedder.id, embedder.dim)
    config.setdefault("isolate", False)
    return Indexer(store, embedder, IndexConfig(**config))


def consistency_problems(store: Store) -> list[str]:
    """Every invariant the index promises: no duplicate chunks, no orphans, n_chunks matches for indexed docs."""
    problems: list[str] = []
    chunks = store.chunks_table.to_arrow().select(["chunk_id", "doc_id", "doc_sha"]).to_pylist()
    ids = Counter(c["chunk_id"] for c in chunks)
    problems += [f"duplicate chunk {cid} x{n}" for cid, n in ids.items() if n > 1]
    docs = store.load_documents()
    per_doc = Counter(c["doc_id"] for c in chunks)
    for c in chunks:
        d = docs.get(c["doc_id"])
        if d is None or d.status != "indexed" or d.sha256 != c["doc_sha"]:
            problems.append(f"orphan chunk {c['chunk_id']}")
    for d in docs.values():
        if d.status == "indexed" and per_doc.get(d.doc_id, 0) != d.n_chunks:
            problems.append(f"{d.path}: marked indexed with {d.n_chunks} chunks but has {per_doc.get(d.doc_id, 0)}")
    paths_seen = Counter(d.path for d in docs.values())
    problems += [f"duplicate document row for {p}" for p, n in paths_seen.items() if n > 1]
    return problems


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
