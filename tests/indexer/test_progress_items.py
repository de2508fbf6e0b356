"""Issue 15: progress counts what is being indexed, not only files. A real mbox of 108 messages among 5 files used
to show "0/5 files" (and "1/108 messages", the parser's first beat) for most of its run; now the writer counts the
messages it has stored, the count rises to the true total, and the CLI line and the bar's fraction move with it."""
from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import pytest

from app.cli.output import ProgressLine
from indexer.progress import IndexProgress, ProgressTracker
from tests.conftest import corpus
from tests.indexer.helpers import consistency_problems, make_indexer

MBOX = ("email", "ponymail-mbox", "httpd-users-2020-07.mbox")  # 108 real messages (SOURCES.md)


@pytest.mark.parametrize("isolate", [True, False], ids=["worker-process", "in-process"])
def test_mbox_progress_counts_messages_up_to_the_true_total(tmp_path: Path, real_embedder: Any,
                                                            isolate: bool) -> None:
    box = tmp_path / "box"
    box.mkdir()
    shutil.copy(corpus(*MBOX), box / "httpd-users.mbox")
    for i in range(4):
        (box / f"note{i}.txt").write_text(f"Note {i}: the Apache httpd config was reloaded after the upgrade.\n")
    seen: list[IndexProgress] = []
    idx = make_indexer(real_embedder, isolate=isolate)
    report = idx.index_paths([str(box)], on_progress=seen.append)

    messages = [d for d in idx.store.load_documents().values() if d.source == str(box / "httpd-users.mbox")]
    assert len(messages) == 108 and report.counts.get("indexed", 0) == 112  # the true total, from the index
    counted = [p for p in seen if p.file_unit == "messages"]
    assert counted, "no message-level progress was reported"
    assert {p.file_total for p in counted} == {108}
    dones = [p.file_done for p in counted]
    assert dones == sorted(dones), f"the message count went backwards: {dones}"
    assert dones[-1] == 108
    assert any(0 < d < 108 for d in dones), f"the count jumped from nothing to the total: {sorted(set(dones))}"
    # while the mailbox is written, no file is finished yet, yet the run visibly moves
    during = [p for p in counted if 0 < p.file_done < 108]
    assert all(p.files_done < p.files_total == 5 for p in during)
    assert all(p.fraction > p.files_done / p.files_total for p in during)
    assert any(p.items_text().endswith("message 108/108") for p in counted)
    assert consistency_problems(idx.store) == []

    # the CLI's live line says the same as the event
    out = io.StringIO()
    line = ProgressLine(out)
    line.interval = 0.0
    line.update(during[0])
    assert f"message {during[0].file_done}/108" in out.getvalue() and "file " in out.getvalue()


def test_pages_and_messages_are_counted_by_the_writer_not_the_parser() -> None:
    seen: list[IndexProgress] = []
    t = ProgressTracker(seen.append)
    t.files_total, t.phase = 2, "indexing"
    t.start_file("/d/long.pdf")
    t.file_units(300, 300, "pages")  # the parser ran ahead and read every page
    assert t.snapshot().file_done == 0 and t.snapshot().file_total == 300
    t.wrote("/d/long.pdf", page=120)  # the writer stored chunks up to page 120
    snap = t.snapshot()
    assert (snap.file_done, snap.file_total, snap.file_unit) == (120, 300, "pages")
    assert snap.items_text() == "file 1/2 · page 120/300"
    assert snap.fraction == pytest.approx(0.2)
    t.wrote("/d/other.pdf", page=290)  # a document of another file, written in the same batch, counts not here
    assert t.snapshot().file_done == 120
    t.file_done()
    t.wrote("/d/long.pdf", page=300)  # after the file is done nothing is counted for it any more
    assert t.snapshot().file_done == 0 and t.snapshot().items_text() == "file 2/2"
    t.start_file("/d/mail.mbox")
    t.file_units(0, 50, "messages")
    t.wrote("/d/mail.mbox", messages=30)
    t.wrote("/d/mail.mbox", messages=30)  # never past the total
    assert t.snapshot().items_text() == "file 2/2 · message 50/50"
    t.file_units(512, 0, "chunks")  # a parser beat of another unit does not hide what the writer counts
    assert t.snapshot().items_text() == "file 2/2 · message 50/50"
    t.file_done()
    t.start_file("/d/big.log")
    t.file_units(10, 0, "MB")  # units only the parser counts (a big text file being hashed) pass through
    assert t.snapshot().items_text() == "file 2/2 · 10 MB"


def test_long_pdf_progress_counts_pages_as_they_are_written(tmp_path: Path, fake_embedder: Any) -> None:
    """The real 117-page GeoTopo PDF (PDF_INVENTORY.tsv) in small chunks, so it arrives in several batches of 256
    like a book does; the hashing embedder keeps it fast (the mbox test above uses the real one)."""
    pdf = tmp_path / "GeoTopo.pdf"
    shutil.copy(corpus("pdf", "py-pdf-sample-files", "009-pdflatex-geotopo", "GeoTopo-komprimiert.pdf"), pdf)
    seen: list[IndexProgress] = []
    idx = make_indexer(fake_embedder, isolate=True, chunk_tokens=48, overlap_tokens=8)
    report = idx.index_paths([str(pdf)], on_progress=seen.append)
    assert report.counts == {"indexed": 1}
    pages = [p for p in seen if p.file_unit == "pages"]
    assert pages and {p.file_total for p in pages} == {117}
    dones = [p.file_done for p in pages]
    assert dones == sorted(dones) and any(0 < d < dones[-1] for d in dones), sorted(set(dones))
    last_page = max(c for c in idx.store.chunks_table.to_arrow().column("page").to_pylist() if c is not None)
    assert dones[-1] == last_page  # the last page with text, once its chunks are stored
    assert all(p.files_done == 0 for p in pages)  # all of it happened while the file was "0 of 1" before
