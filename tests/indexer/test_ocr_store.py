"""The OCR page count per document (`documents.ocr_pages`) arrived after indexes already existed: an index built
before it opens, gains the column in place (0 for every old row) and keeps everything else."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from indexer.store import DOC_SCHEMA, DocRow, Store


def test_an_index_built_before_ocr_opens_and_gains_the_column(tmp_path: Path, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    store = Store(tmp_path, fake_embedder.id, fake_embedder.dim)
    store.db.drop_table("documents")
    old = pa.schema([f for f in DOC_SCHEMA if f.name != "ocr_pages"])
    table = store.db.create_table("documents", schema=old)
    row = {f.name: None for f in old}
    row.update({"doc_id": "a1", "path": "/old/letter.pdf", "kind": "pdf", "status": "indexed", "n_chunks": 2})
    table.add(pa.Table.from_pylist([row], schema=old))
    store.close()

    reopened = Store(tmp_path, fake_embedder.id, fake_embedder.dim)
    assert "ocr_pages" in reopened.documents_table.schema.names
    old_doc = reopened.load_documents()["a1"]
    assert (old_doc.path, old_doc.n_chunks, old_doc.ocr_pages) == ("/old/letter.pdf", 2, 0)
    reopened.upsert_documents([DocRow(doc_id="b2", path="/new/scan.pdf", kind="pdf", ocr_pages=3)])
    assert reopened.load_documents()["b2"].ocr_pages == 3
