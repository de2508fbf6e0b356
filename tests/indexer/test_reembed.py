"""Switching embedders (issue 12): an index built by the torch embedder is detected, keeps answering, and is
re-embedded with the int8 ONNX embedder into a new table that is swapped in; vectors are never mixed.
Real LanceDB in the test's data dir, both real embedders, real corpus files."""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import corpus


def _settings(backend: str):  # type: ignore[no-untyped-def]
    from app.settings import Settings

    s = Settings.load()
    s.set("embedder_backend", backend)
    return s


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(corpus("docs", "pandoc-tests", "markdown", "testsuite.txt"), folder)
    shutil.copy(corpus("docs", "python-docx-tests", "par-known-paragraphs.docx"), folder)
    shutil.copy(sorted(corpus("html", "readability-test-pages").rglob("*.html"))[0], folder / "page.html")
    return folder


def _torch_index(folder: Path, real_embedder) -> int:  # type: ignore[no-untyped-def]
    from app.core import CoveCore

    core = CoveCore(_settings("torch"))
    assert core.embedder.id == real_embedder.id
    report = core.index([str(folder)])
    assert report.counts.get("indexed", 0) >= 3
    n = core.store.chunk_count()
    core.close()
    return n


def _vectors(store) -> tuple[list[str], np.ndarray]:  # type: ignore[no-untyped-def]
    t = store.chunks_table.to_arrow()
    return t.column("text").to_pylist(), np.asarray(t.column("vector").to_pylist(), dtype=np.float32)


def test_torch_index_is_detected_answers_and_is_reembedded(tmp_path, real_embedder, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.core import CoveCore
    from indexer import reembed
    from indexer.onnx_embedder import ONNX_INT8_ID, OnnxInt8Embedder

    monkeypatch.setattr(reembed, "BATCH", 8)  # several batches on a small corpus
    folder = _folder(tmp_path)
    n = _torch_index(folder, real_embedder)

    core = CoveCore()  # the shipped default: onnx-int8
    assert core.reembed_needed() == {"from": real_embedder.id, "to": ONNX_INT8_ID}
    assert core.embedder.id == real_embedder.id  # answers from the torch index with the torch embedder
    status = core.status()
    assert status["embedder"]["id"] == real_embedder.id
    assert status["reembed"] == {"from": real_embedder.id, "to": ONNX_INT8_ID, "state": "needed", "done": 0, "total": n}
    before = core.search("emphasis and strong emphasis in markdown", 3)
    assert before and "testsuite" in before[0].path

    produced: dict[str, list[np.ndarray]] = {}
    real_embed = OnnxInt8Embedder.embed

    def spy(self, texts):  # type: ignore[no-untyped-def]
        out = real_embed(self, texts)
        for t, v in zip(texts, out):
            produced.setdefault(t, []).append(v.copy())
        return out

    monkeypatch.setattr(OnnxInt8Embedder, "embed", spy)
    phases: list[str] = []
    assert core.reembed(on_progress=lambda p: phases.append(p.phase)) is True
    assert phases[0] == "embedding" and phases[-1] == "done" and "swapping" in phases
    assert core.reembed_needed() is None and core.status()["reembed"] is None
    store = core.store
    assert store.embedder_id == ONNX_INT8_ID and store.chunk_count() == n
    assert store.chunks_name != "chunks" and "chunks" not in set(store.db.list_tables().tables)  # old table dropped
    texts, vecs = _vectors(store)
    # every stored vector is exactly one the ONNX embedder produced for that text; none is a torch vector
    for text, vec in zip(texts, vecs):
        assert any(np.allclose(vec, made, atol=1e-6) for made in produced[text]), text[:80]
    assert np.abs(vecs - real_embedder.embed(texts)).max(axis=1).min() > 1e-3
    after = core.search("emphasis and strong emphasis in markdown", 3)
    assert after and after[0].path == before[0].path and core.searcher.embedder.id == ONNX_INT8_ID
    # new writes after the swap use the new embedder, into the new table
    (folder / "new.md").write_text("# Lighthouse\n\nThe keeper logged the storm at dawn.\n", encoding="utf-8")
    core.index([str(folder)])
    assert core.store.embedder_id == ONNX_INT8_ID and core.store.chunk_count() == n + 1
    assert "new.md" in core.search("the keeper logged the storm", 1)[0].path
    core.close()
    reopened = CoveCore()  # a new process sees the swapped index: nothing left to do
    assert reopened.reembed_needed() is None and reopened.store.embedder_id == ONNX_INT8_ID
    reopened.close()


def test_old_index_answers_until_the_swap_and_writes_are_caught_up(tmp_path, real_embedder, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """While re-embedding runs: searches answer from the torch index, an indexing run writes torch vectors into the
    old table, and a cancel keeps everything as it was; the resumed run picks up the new file too (catch-up)."""
    from app.core import CoveCore
    from indexer import reembed
    from indexer.onnx_embedder import ONNX_INT8_ID

    monkeypatch.setattr(reembed, "BATCH", 4)
    folder = _folder(tmp_path)
    n = _torch_index(folder, real_embedder)
    core = CoveCore()
    seen: list[tuple[str, str, int]] = []
    cancel = threading.Event()

    def during(p) -> None:  # type: ignore[no-untyped-def]
        if p.phase != "embedding" or p.done == 0 or cancel.is_set():
            return
        hits = core.search("emphasis and strong emphasis", 3)  # the old index still answers, mid-run
        seen.append((core.store.embedder_id, hits[0].path if hits else "", core.status()["reembed"]["done"]))
        if len(seen) == 1:  # the writer goes on meanwhile: a new file lands in the OLD table, torch vectors
            (folder / "late.md").write_text("# Harbour\n\nFerries leave the harbour every hour.\n", encoding="utf-8")
            core.index([str(folder)])
        if len(seen) == 3:
            cancel.set()

    assert core.reembed(on_progress=during, cancel=cancel) is False  # cancelled: nothing swapped
    assert len(seen) == 3 and all(e == real_embedder.id and "testsuite" in p for e, p, _ in seen)
    assert seen[-1][2] > 0  # status reported the running job's progress
    assert core.store.embedder_id == real_embedder.id and core.reembed_needed() is not None
    assert core.store.chunk_count() == n + 1
    assert "late.md" in core.search("ferries leave the harbour", 1)[0].path  # answered by torch vectors

    done_before: list[int] = []
    assert core.reembed(on_progress=lambda p: done_before.append(p.done)) is True  # resumes, then swaps
    assert done_before[0] > 0  # the batches written before the cancel were kept
    assert core.store.embedder_id == ONNX_INT8_ID and core.store.chunk_count() == n + 1
    texts, vecs = _vectors(core.store)
    assert any("Ferries" in t for t in texts)  # the late file was caught up with ONNX vectors
    late = texts.index(next(t for t in texts if "Ferries" in t))
    assert float(vecs[late] @ core.target_embedder.embed([texts[late]])[0]) >= 0.999  # embedded alone, as then
    assert float(np.abs(vecs[late] - real_embedder.embed([texts[late]])[0]).max()) > 1e-3  # not the torch vector
    assert "late.md" in core.search("ferries leave the harbour", 1)[0].path
    core.close()


def test_rebuild_starts_over_with_the_configured_embedder(tmp_path, real_embedder) -> None:  # type: ignore[no-untyped-def]
    from app.core import CoveCore
    from indexer.onnx_embedder import ONNX_INT8_ID

    folder = _folder(tmp_path)
    _torch_index(folder, real_embedder)
    core = CoveCore()
    store = core.open_store_for_writing(rebuild=True)
    assert store.embedder_id == ONNX_INT8_ID and store.chunk_count() == 0 and core.reembed_needed() is None
    core.close()


@pytest.mark.parametrize("backend", ["torch"])
def test_torch_setting_keeps_torch(tmp_path, real_embedder, backend) -> None:  # type: ignore[no-untyped-def]
    from app.core import CoveCore

    folder = _folder(tmp_path)
    _torch_index(folder, real_embedder)
    core = CoveCore(_settings(backend))
    assert core.reembed_needed() is None and core.embedder.id == real_embedder.id
    core.close()


def test_a_writer_opened_before_another_cove_swapped_stops(tmp_path, real_embedder) -> None:  # type: ignore[no-untyped-def]
    """A second Cove (another process: `cove serve`, the app) opened the torch index before this one re-embedded it:
    its next write must fail with a clear message, never put torch vectors into the new table."""
    from app.core import CoveCore
    from indexer.store import StoreMismatch

    folder = _folder(tmp_path)
    n = _torch_index(folder, real_embedder)
    other = CoveCore(_settings("torch"))
    other.open_store_for_writing()
    assert other.indexer.embedder.id == real_embedder.id
    core = CoveCore()
    assert core.reembed() is True
    (folder / "new.md").write_text("# Tide tables\n\nHigh water is at noon.\n", encoding="utf-8")
    with pytest.raises(StoreMismatch, match="re-embedded by another Cove"):
        other.index([str(folder)])
    assert core.store.chunk_count() == n  # nothing was written by the stale writer
    other.close()
    core.close()
