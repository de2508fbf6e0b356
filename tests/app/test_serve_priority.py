"""Indexing runs at low CPU priority (issue 12): the CLI's indexing thread, the resident server's single indexer, and a
GUI/worker thread calling `CoveCore.index`, each at nice >= 10, while the calling thread keeps its priority."""
from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from indexer.priority import INDEX_NICE, run_low_priority, thread_nice

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux-only")


def test_run_low_priority_lowers_only_the_worker() -> None:
    before = thread_nice()
    seen = run_low_priority(thread_nice)
    assert seen is not None and seen >= INDEX_NICE
    assert thread_nice() == before  # the caller (answers, searches) is untouched


def test_errors_and_results_come_back() -> None:
    assert run_low_priority(lambda a, b=0: a + b, 2, b=3) == 5
    with pytest.raises(ZeroDivisionError):
        run_low_priority(lambda: 1 / 0)


def test_server_indexer_thread_is_low_priority(tmp_path: Path) -> None:
    from app.resident.server import ResidentServer

    server = ResidentServer(object(), address=str(tmp_path / "x.api.sock"))
    try:
        assert server._indexer.submit(thread_nice).result(timeout=30) >= INDEX_NICE
    finally:
        server.stop()


def test_core_index_on_a_worker_thread(tmp_path: Path, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    from app.core import CoveCore

    (tmp_path / "a.txt").write_text("Low priority indexing keeps the machine usable. " * 20, "utf-8")
    core = CoveCore(embedder=fake_embedder)
    seen: list[int | None] = []
    original = core.indexer.index_paths

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(thread_nice())
        return original(*args, **kwargs)

    core.indexer.index_paths = spy  # type: ignore[method-assign]
    worker = threading.Thread(target=lambda: core.index([str(tmp_path / "a.txt")]))
    worker.start()
    worker.join(120)
    assert seen and seen[0] is not None and seen[0] >= INDEX_NICE
    assert core.store.chunk_count() > 0
    core.close()
