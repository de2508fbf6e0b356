"""The pipeline on real files and a real LanceDB in a temp dir (fake embedder: these test the bookkeeping)."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from tests.indexer.helpers import consistency_problems, make_indexer, write

PARA = ("The lighthouse keeper recorded the storm in the logbook every evening. " * 3).strip()


def _corpus(root: Path, n: int = 5) -> list[Path]:
    return [write(root / f"note{i}.md", f"# Note {i}\n\n{PARA} Unique token alpha{i}.\n\nSecond paragraph {i}.\n")
            for i in range(n)]


def test_index_then_nothing_to_do_when_unchanged(tmp_path, fake_embedder):
    _corpus(tmp_path / "docs")
    idx = make_indexer(fake_embedder)
    first = idx.index_paths([str(tmp_path / "docs")])
    assert first.counts["indexed"] == 5
    assert idx.store.chunk_count() >= 5
    embedded = fake_embedder.texts_embedded
    second = idx.index_paths([str(tmp_path / "docs")])
    assert second.counts.get("unchanged") == 5 and second.counts.get("indexed", 0) == 0
    assert fake_embedder.texts_embedded == embedded, "unchanged files must not be re-embedded"
    assert consistency_problems(idx.store) == []


def test_unchanged_file_is_not_parsed(tmp_path, fake_embedder, monkeypatch):
    _corpus(tmp_path / "docs", 2)
    idx = make_indexer(fake_embedder)
    idx.index_paths([str(tmp_path / "docs")])
    import indexer.parse_job as parse_job

    def boom(*a, **k):  # type: ignore[no-untyped-def]
        raise AssertionError("parsed an unchanged file")

    monkeypatch.setattr(parse_job, "parse_bytes", boom)
    report = idx.index_paths([str(tmp_path / "docs")])
    assert report.counts["unchanged"] == 2


def test_touched_identical_file_is_not_reembedded(tmp_path, fake_embedder):
    files = _corpus(tmp_path / "docs", 3)
    idx = make_indexer(fake_embedder)
    idx.index_paths([str(tmp_path / "docs")])
    before = fake_embedder.texts_embedded
    later = time.time() + 5
    os.utime(files[0], (later, later))
    report = idx.index_paths([str(tmp_path / "docs")])
    assert fake_embedder.texts_embedded == before
    assert report.counts.get("unchanged") == 3
    doc = next(d for d in idx.store.load_documents().values() if d.path == str(files[0]))
    assert doc.mtime == pytest.approx(later)
    # the next run sees the new mtime as unchanged (no hashing at all)
    assert idx.index_paths([str(tmp_path / "docs")]).counts["unchanged"] == 3


def test_changed_file_replaces_its_chunks(tmp_path, fake_embedder):
    files = _corpus(tmp_path / "docs", 2)
    idx = make_indexer(fake_embedder)
    idx.index_paths([str(tmp_path / "docs")])
    write(files[0], "# Changed\n\nCompletely different words about zebras and quasars.\n")
    report = idx.index_paths([str(tmp_path / "docs")])
    assert report.counts["indexed"] == 1 and report.counts["unchanged"] == 1
    texts = " ".join(idx.store.chunks_table.to_arrow().column("text").to_pylist())
    assert "zebras" in texts and "alpha0" not in texts and "alpha1" in texts
    assert consistency_problems(idx.store) == []


def test_deleted_file_is_removed(tmp_path, fake_embedder):
    files = _corpus(tmp_path / "docs", 3)
    idx = make_indexer(fake_embedder)
    idx.index_paths([str(tmp_path / "docs")])
    files[1].unlink()
    report = idx.index_paths([str(tmp_path / "docs")])
    assert [o.path for o in report.of("removed")] == [str(files[1])]
    assert str(files[1]) not in {d.path for d in idx.store.load_documents().values()}
    assert "alpha1" not in " ".join(idx.store.chunks_table.to_arrow().column("text").to_pylist())
    assert consistency_problems(idx.store) == []


def test_bad_inputs_are_recorded_not_fatal(tmp_path, fake_embedder):
    d = tmp_path / "docs"
    write(d / "good.txt", PARA)
    (d / "empty.txt").write_bytes(b"")
    (d / "fake.pdf").write_bytes(os.urandom(2048))
    (d / "blob.bin").write_bytes(bytes(range(256)) * 40)
    (d / "huge.txt").write_text("word " * 300_000)
    os.symlink(d, d / "loop")
    os.symlink(d / "missing-target.txt", d / "dangling.txt")
    idx = make_indexer(fake_embedder, max_file_mb=1)
    report = idx.index_paths([str(d)])
    reasons = {Path(o.path).name: (o.outcome, o.reason) for o in report.outcomes}
    assert reasons["good.txt"][0] == "indexed"
    assert reasons["empty.txt"] == ("skipped", "empty file")
    assert reasons["fake.pdf"][0] == "error" and "PDF" in reasons["fake.pdf"][1]
    assert reasons["blob.bin"][0] == "skipped" and "binary" in reasons["blob.bin"][1]
    assert reasons["huge.txt"][0] == "skipped" and reasons["huge.txt"][1].startswith("too large")
    assert reasons["loop"] == ("error", "symlink loop (folder already visited)")
    assert reasons["dangling.txt"] == ("error", "broken symlink")
    status = {Path(doc.path).name: doc for doc in idx.store.load_documents().values()}
    assert status["fake.pdf"].status == "error" and status["fake.pdf"].error == reasons["fake.pdf"][1]
    assert status["huge.txt"].status == "skipped"
    assert consistency_problems(idx.store) == []


def test_unreadable_file_is_an_error(tmp_path, fake_embedder, monkeypatch):
    d = tmp_path / "docs"
    write(d / "secret.txt", PARA)
    write(d / "open.txt", PARA + " open")
    real_open = open

    def guarded_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(file).endswith("secret.txt"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    import indexer.parse_job as parse_job

    monkeypatch.setattr(parse_job, "open", guarded_open, raising=False)
    report = make_indexer(fake_embedder).index_paths([str(d)])
    outcome = {Path(o.path).name: (o.outcome, o.reason) for o in report.outcomes}
    assert outcome["secret.txt"] == ("error", "permission denied")
    assert outcome["open.txt"][0] == "indexed"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read files without read permission")
def test_unreadable_file_real_permissions(tmp_path, fake_embedder):
    d = tmp_path / "docs"
    f = write(d / "secret.txt", PARA)
    f.chmod(0)
    report = make_indexer(fake_embedder).index_paths([str(d)])
    assert report.of("error")[0].reason == "permission denied"


def test_file_vanishing_during_run_is_reported(tmp_path, fake_embedder, monkeypatch):
    files = _corpus(tmp_path / "docs", 4)
    import indexer.parse_job as parse_job

    real = parse_job.file_job

    def vanish_then_prepare(path, *a, **k):  # type: ignore[no-untyped-def]
        if path == str(files[2]):
            files[2].unlink()
        return real(path, *a, **k)

    monkeypatch.setattr(parse_job, "file_job", vanish_then_prepare)
    idx = make_indexer(fake_embedder)
    report = idx.index_paths([str(tmp_path / "docs")])
    errors = report.of("error")
    assert [(Path(e.path).name, e.reason) for e in errors] == [("note2.md", "vanished (deleted while indexing)")]
    assert report.counts["indexed"] == 3
    assert consistency_problems(idx.store) == []


def test_cancel_between_batches_keeps_index_consistent(tmp_path, fake_embedder):
    _corpus(tmp_path / "docs", 40)
    cancel = threading.Event()
    seen = []

    def on_progress(p):  # type: ignore[no-untyped-def]
        seen.append(p)
        if p.chunks_done > 0:
            cancel.set()

    idx = make_indexer(fake_embedder, write_batch_chunks=8)
    report = idx.index_paths([str(tmp_path / "docs")], on_progress=on_progress, cancel=cancel)
    assert report.cancelled
    assert 0 < report.counts.get("indexed", 0) < 40
    assert consistency_problems(idx.store) == []
    again = idx.index_paths([str(tmp_path / "docs")])
    assert again.counts.get("indexed", 0) + again.counts.get("unchanged", 0) == 40
    assert consistency_problems(idx.store) == []
    assert seen[-1].phase == "cancelled"


def test_progress_reports_files_and_rates(tmp_path, fake_embedder):
    _corpus(tmp_path / "docs", 6)
    seen = []
    make_indexer(fake_embedder, write_batch_chunks=4).index_paths([str(tmp_path / "docs")], on_progress=seen.append)
    assert seen[-1].phase == "done"
    assert seen[-1].files_done == seen[-1].files_total == 6
    assert any(p.chunks_done > 0 and p.chunks_per_s > 0 for p in seen)
    assert max(p.files_done for p in seen if p.phase == "indexing") >= 1


def test_repair_removes_orphans_left_by_a_kill(tmp_path, fake_embedder):
    _corpus(tmp_path / "docs", 3)
    idx = make_indexer(fake_embedder)
    idx.index_paths([str(tmp_path / "docs")])
    # simulate a kill between writing chunks and writing the document row: chunks of an unknown version
    rows = [{"chunk_id": "x:dead:0", "doc_id": "x", "doc_sha": "dead", "ordinal": 0, "text": "orphan", "page": None,
             "section": "", "line_start": None, "line_end": None, "part": ""}]
    idx.store.upsert_chunks(rows, fake_embedder.embed(["orphan"]))
    assert consistency_problems(idx.store)
    assert idx.store.repair() == 1
    assert consistency_problems(idx.store) == []


def test_move_keeps_chunks_and_ids(tmp_path, fake_embedder):
    _corpus(tmp_path / "a", 2)
    idx = make_indexer(fake_embedder)
    idx.index_paths([str(tmp_path / "a")])
    before = {d.doc_id for d in idx.store.load_documents().values()}
    (tmp_path / "a").rename(tmp_path / "b")
    assert idx.move_path(str(tmp_path / "a"), str(tmp_path / "b")) == 2
    embedded = fake_embedder.texts_embedded
    report = idx.index_paths([str(tmp_path / "b")])
    assert report.counts["unchanged"] == 2 and fake_embedder.texts_embedded == embedded
    docs = idx.store.load_documents().values()
    assert {d.doc_id for d in docs} == before
    assert all(d.path.startswith(str(tmp_path / "b")) for d in docs)
    # a new file later created at the old path is a new document, not the moved one
    _corpus(tmp_path / "a", 1)
    idx.index_paths([str(tmp_path / "a")])
    assert len(idx.store.load_documents()) == 3
    assert consistency_problems(idx.store) == []
