"""Real OCR (rapidocr in its worker process) on a real scan, images, and hostile files, through the real pipeline
and store. One indexing run is shared by the module: OCR costs seconds per page on this machine."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.ocr.client import POOL
from indexer.retrieval import Searcher
from tests.indexer.helpers import consistency_problems, make_indexer, write
from tests.indexer.ocr_helpers import (SCAN_PDF, SCAN_PHRASE, corrupt_png, huge_png,
                                       pdf_text_page_and_broken_image_page, scan_image)


@pytest.fixture(scope="module")
def run(tmp_path_factory, real_embedder):  # type: ignore[no-untyped-def]
    import os

    from app import paths

    base = tmp_path_factory.mktemp("ocr")
    os.environ["COVE_DATA_DIR"], os.environ["COVE_CONFIG_DIR"] = str(base / "data"), str(base / "config")
    folder = base / "docs"
    folder.mkdir()
    shutil.copy(SCAN_PDF, folder / "huck.pdf")
    scan_image(0.35, 0.6).save(folder / "band.png")  # bands below the first lines: their own text
    frames = [scan_image(0.6, 0.8), scan_image(0.8, 1.0)]
    frames[0].save(folder / "two.tiff", save_all=True, append_images=frames[1:])
    huge_png(folder / "huge.png")
    corrupt_png(folder / "corrupt.png")
    (folder / "liar.jpg").write_bytes(b"this is not a JPEG at all\n" * 10)
    pdf_text_page_and_broken_image_page(folder / "mixed.pdf")
    write(folder / "note.txt", "A normal note beside the scans: the boiler was serviced in March.\n")
    indexer = make_indexer(real_embedder)
    progress = []
    report = indexer.index_paths([str(folder)], on_progress=progress.append)
    docs = {Path(d.path).name: d for d in indexer.store.load_documents().values()}
    yield {"report": report, "docs": docs, "indexer": indexer, "folder": folder, "progress": progress,
           "searcher": Searcher(indexer.store, real_embedder), "data": paths.data_dir()}
    POOL.close()


def test_scanned_pdf_is_read_and_cited_with_its_page(run) -> None:  # type: ignore[no-untyped-def]
    doc = run["docs"]["huck.pdf"]
    assert (doc.status, doc.kind, doc.ocr_pages) == ("indexed", "pdf", 1)
    hits = run["searcher"].search("went tip-toeing along a path amongst the trees", 3)
    top = hits[0]  # only the PDF holds the page's first lines (the images are bands further down)
    assert Path(top.path).name == "huck.pdf" and top.where.page == 1 and top.locator == "p. 1"
    assert SCAN_PHRASE in " ".join(top.text.split())


def test_image_files_are_read_single_page_without_page_and_tiff_frames_as_pages(run) -> None:  # type: ignore[no-untyped-def]
    png, tiff = run["docs"]["band.png"], run["docs"]["two.tiff"]
    assert (png.status, png.kind, png.ocr_pages) == ("indexed", "image", 1)
    assert (tiff.status, tiff.kind, tiff.ocr_pages) == ("indexed", "image", 2)
    chunks = run["indexer"].store.chunks_table.to_arrow().select(["doc_id", "page", "text"]).to_pylist()
    assert {c["page"] for c in chunks if c["doc_id"] == png.doc_id} == {None}
    assert {c["page"] for c in chunks if c["doc_id"] == tiff.doc_id} == {1, 2}
    for doc in (png, tiff):
        text = next(c["text"] for c in chunks if c["doc_id"] == doc.doc_id)
        query = " ".join(text.split()[3:15])  # words read from the image itself
        hits = run["searcher"].search(query, 5)
        assert Path(doc.path).name in [Path(h.path).name for h in hits[:3]], (query, [h.path for h in hits])


def test_hostile_files_are_recorded_with_a_reason_and_the_rest_is_indexed(run) -> None:  # type: ignore[no-untyped-def]
    docs = run["docs"]
    huge = docs["huge.png"]
    assert huge.status == "skipped" and "too large" in huge.error and "20000" in huge.error, huge.error
    corrupt = docs["corrupt.png"]
    assert corrupt.status == "error" and "corrupt" in corrupt.error, corrupt.error
    liar = docs["liar.jpg"]
    assert (liar.status, liar.error) == ("error", "corrupt image: not a JPG image")
    mixed = docs["mixed.pdf"]  # p. 1 text, p. 2 an image whose data is garbage: p. 1 kept, p. 2 noted
    assert mixed.status == "indexed" and mixed.n_chunks >= 1 and "p. 2" in mixed.error, mixed.error
    assert docs["note.txt"].status == "indexed"
    assert run["report"].counts.get("indexed", 0) == 5
    assert consistency_problems(run["indexer"].store) == []


def test_progress_counts_ocr_pages_apart_and_unchanged_scans_are_not_read_again(run) -> None:  # type: ignore[no-untyped-def]
    # pages that went to the OCR worker: huck 1 + band 1 + two 2 + mixed p. 2 + the huge image's page (refused
    # there) = 6; the corrupt PNG fails before it has pages. The documents count only pages that gave text (4 + 1).
    assert run["report"].ocr_pages == 6
    assert max(p.ocr_pages for p in run["progress"]) == 6
    assert sum(d.ocr_pages for d in run["docs"].values()) == 5
    again = run["indexer"].index_paths([str(run["folder"])])
    # every readable file is unchanged and nothing is OCR'd again; the two errors are retried as any error is
    assert again.ocr_pages == 0 and again.counts == {"unchanged": 6, "error": 2}


def test_worker_runs_capped_and_at_low_priority(run) -> None:  # type: ignore[no-untyped-def]
    """The idle worker left by the run carries the address-space cap and the nice value it set for itself."""
    from indexer.ocr.limits import OcrLimits

    workers = [w for w in POOL._idle if w.alive()]
    assert workers, "the OCR worker should be kept for the next document"
    pid = workers[0].proc.pid
    limits = Path(f"/proc/{pid}/limits").read_text()
    line = next(x for x in limits.splitlines() if x.startswith("Max address space"))
    assert int(line.split()[3]) == OcrLimits().memory_mb * 1024 * 1024
    nice = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
    assert nice >= OcrLimits().nice
    rss_kb = int(next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmHWM")).split()[1])
    assert rss_kb * 1024 < OcrLimits().memory_mb * 1024 * 1024
