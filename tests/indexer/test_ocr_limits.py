"""OCR's limits and switches: the setting turns it off (and on again for files skipped meanwhile), a page over its
time limit is killed and recorded, a worker that cannot start under its memory cap costs one document a reason."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from indexer.documents import ParseError, SkipDocument
from indexer.ocr import complete
from indexer.ocr.client import POOL
from indexer.ocr.limits import OcrLimits
from indexer.parsers import parse_bytes
from tests.indexer.helpers import write
from tests.indexer.ocr_helpers import SCAN_PDF, scan_image


@pytest.fixture(autouse=True)
def _no_workers_left():  # type: ignore[no-untyped-def]
    yield
    POOL.close()


def test_setting_off_skips_as_before_and_on_again_reads_what_was_skipped(tmp_path: Path, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    from app.cli.output import print_status
    from app.core import CoveCore
    from app.settings import Settings, SettingsError

    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(SCAN_PDF, folder / "scan.pdf")
    scan_image(0.0, 0.15).save(folder / "photo.jpg")
    write(folder / "note.txt", "The boiler was serviced in March.\n")
    settings = Settings.load()
    with pytest.raises(SettingsError):
        settings.set("ocr", "no")
    settings.set("ocr", False)
    core = CoveCore(settings, embedder=fake_embedder)
    report = core.index([str(folder)])
    docs = {Path(d.path).name: d for d in core.store.load_documents().values()}
    assert (docs["scan.pdf"].status, docs["scan.pdf"].error) == ("skipped", "no text layer (scanned); OCR is off")
    assert (docs["photo.jpg"].status, docs["photo.jpg"].error) == ("skipped", "image: only OCR can read it; OCR is off")
    assert docs["note.txt"].status == "indexed" and report.ocr_pages == 0
    core.close()

    settings.set("ocr", True)  # nothing on disk changed: only the skipped-because-off files are read now
    core = CoveCore(settings, embedder=fake_embedder)
    report = core.index([str(folder)], )
    assert report.counts == {"indexed": 2, "unchanged": 1}
    status = core.status()
    assert status["ocr_pages"] == 2 and status["ocr_documents"] == 2
    import io

    out = io.StringIO()
    print_status(status, out)
    assert "OCR:       2 pages read by OCR in 2 documents" in out.getvalue()
    core.close()


def test_a_page_over_its_time_limit_is_killed_and_recorded(tmp_path: Path) -> None:
    tiff = tmp_path / "two.tiff"
    frames = [scan_image(), scan_image()]  # a full scanned page takes 15-50 s here: far over the limit below
    frames[0].save(tiff, save_all=True, append_images=frames[1:])
    data = tiff.read_bytes()
    parsed = parse_bytes(data, tiff.name)
    with pytest.raises(ParseError) as info:
        complete(parsed, data, limits=OcrLimits(page_timeout_s=0.5, max_crashes=1))
    assert info.value.status == "error"
    assert info.value.reason == "p. 1: OCR timed out after 0.5 s; p. 2: not tried: 1 pages of this document already failed"
    assert not POOL._idle  # the timed-out worker was killed, not kept


def test_scan_with_a_worker_that_cannot_start_under_its_cap_is_skipped_with_the_reason() -> None:
    data = SCAN_PDF.read_bytes()
    parsed = parse_bytes(data, SCAN_PDF.name)
    with pytest.raises(SkipDocument) as info:
        complete(parsed, data, limits=OcrLimits(memory_mb=200))
    assert info.value.reason.startswith("no text layer (scanned); OCR unavailable: "), info.value.reason
    # a normal limit works again right after (the failure is not cached)
    assert complete(parsed, data).meta["ocr_pages_done"] == "1"


def test_worker_refuses_the_network(tmp_path: Path) -> None:
    """The models ship in the wheel: the worker's audit hook refuses any connection attempt outright."""
    import subprocess
    import sys

    code = ("from indexer.ocr.worker import _guard_network; _guard_network()\n"
            "import socket\n"
            "try:\n    socket.create_connection(('127.0.0.1', 9), timeout=1)\nexcept PermissionError as e:\n"
            "    print('refused', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parents[2], env={**os.environ})
    assert out.stdout.startswith("refused"), out.stdout + out.stderr


def test_cancel_stops_ocr_within_a_second_and_stores_nothing_half_read(tmp_path: Path) -> None:
    import threading
    import time

    tiff = tmp_path / "two.tiff"
    frames = [scan_image(), scan_image()]
    frames[0].save(tiff, save_all=True, append_images=frames[1:])
    data = tiff.read_bytes()
    cancel = threading.Event()
    threading.Timer(1.0, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(ParseError) as info:
        complete(parse_bytes(data, tiff.name), data, cancel=cancel)
    assert info.value.reason == "OCR cancelled"
    assert time.monotonic() - started < 1.0 + 5.0  # start-up of the worker included; a page takes 15-50 s here
    assert not POOL._idle


def test_engine_reads_line_by_line_without_memory_patterns() -> None:
    """The settings behind the worker's peak (engine.PEAK_MEMORY: 1,062 MB -> 621 MB) really reach onnxruntime and
    rapidocr, and the engine still reads a scan with them."""
    import numpy as np

    from indexer.ocr import engine as ocr_engine

    saved, ocr_engine._ENGINE = ocr_engine._ENGINE, None
    try:
        text = ocr_engine.recognize(np.asarray(scan_image(0.0, 0.3)), threads=1)
        e = ocr_engine.engine(1)
        assert text.strip(), "the engine read nothing from a rendered scan"
        assert e.text_rec.rec_batch_num == 1
        for part in (e.text_det, e.text_rec):
            opts = part.session.session.get_session_options()
            assert opts.enable_mem_pattern is False
            assert opts.enable_cpu_mem_arena is False
    finally:
        ocr_engine._ENGINE = saved
