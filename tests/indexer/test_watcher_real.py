"""The watcher end to end: an edit is found by search with the real embedder, and a watcher killed with SIGKILL in
the middle of a burst leaves an index that the next start makes complete and consistent."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from indexer.journal import JOURNAL_NAME, ChangeJournal
from indexer.retrieval import Searcher
from tests.conftest import FakeEmbedder
from tests.indexer.helpers import consistency_problems, make_indexer, write
from tests.indexer.watch_helpers import Running, state_dir, wait_for

REPO = Path(__file__).resolve().parents[2]


def test_edited_file_is_found_by_search_with_the_real_embedder(tmp_path, real_embedder):
    docs = tmp_path / "docs"
    f = write(docs / "garden.md", "# Garden\n\nThe tomatoes need watering every morning in July.\n")
    write(docs / "boats.md", "# Boats\n\nThe sailing club meets on the harbour wall on Sundays.\n")
    r = Running(make_indexer(real_embedder), [docs], debounce_s=0.5).start()
    try:
        searcher = Searcher(r.indexer.store, real_embedder)
        write(f, "# Garden\n\nThe greenhouse heater broke during the February frost.\n")

        def top() -> str:
            hits = searcher.search("greenhouse heater frost", k=1)
            return hits[0].text if hits else ""

        assert "greenhouse heater" in wait_for(lambda: "greenhouse" in top() and top(), what="new text found")
        assert not any("tomatoes" in h.text for h in searcher.search("tomatoes watering", k=5))
        assert consistency_problems(r.indexer.store) == []
    finally:
        r.stop()


CHILD = """
import sys, time
sys.path.insert(0, {repo!r})
from tests.conftest import FakeEmbedder
from tests.indexer.helpers import make_indexer
from tests.indexer.watch_helpers import state_dir
from indexer.watcher import FolderWatcher

class Slow(FakeEmbedder):
    def embed(self, texts):
        time.sleep(0.05)  # slow enough that the kill lands in the middle of the work
        return super().embed(texts)

idx = make_indexer(Slow(), write_batch_chunks=8)
w = FolderWatcher(idx, [sys.argv[1]], state_dir=state_dir(), debounce_s=0.2,
                  on_event=lambda e: print(e.kind, e.path, flush=True))
w.start()
w.wait_idle(120)
print("READY", flush=True)
while True:
    time.sleep(1)
"""


def _open_ops(journal: Path) -> int:
    """Changes in the child's open journal batches, read without touching the file."""
    try:
        text = journal.read_text(encoding="utf-8")
    except OSError:
        return 0
    return 0 if '"done"' in text else text.count('["c", ') + text.count('["m", ')


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_sigkill_during_a_burst_then_restart_leaves_every_file_indexed_once(tmp_path):
    docs = tmp_path / "docs"
    for i in range(30):
        write(docs / f"old{i:02d}.md", f"# Old {i}\n\nOriginal note number {i} about tides.\n")
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(repo=str(REPO)), encoding="utf-8")
    child = subprocess.Popen([sys.executable, str(script), str(docs)], cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, env=dict(os.environ))
    lines: list[str] = []
    threading.Thread(target=lambda: [lines.append(line.strip()) for line in child.stdout], daemon=True).start()  # type: ignore[union-attr]
    try:
        wait_for(lambda: "READY" in lines, timeout=120, what="child watcher ready")
        for i in range(150):
            write(docs / "burst" / f"new{i:03d}.md", f"# New {i}\n\nBurst note {i} about currents.\n")
        for i in range(0, 20):
            write(docs / f"old{i:02d}.md", f"# Old {i}\n\nEdited note {i} about waves and wind.\n")
        for i in range(20, 25):
            (docs / f"old{i:02d}.md").unlink()
        for i in range(25, 30):
            os.rename(docs / f"old{i:02d}.md", docs / f"renamed{i:02d}.md")
        journal = state_dir() / JOURNAL_NAME
        wait_for(lambda: _open_ops(journal) >= 20, timeout=60, what="the child to be applying a batch of the burst")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    assert child.returncode == -signal.SIGKILL
    interrupted = ChangeJournal(state_dir()).pending()
    assert interrupted, "the kill landed inside a journaled batch"

    embedder = FakeEmbedder()
    r = Running(make_indexer(embedder), [docs]).start()
    try:
        on_disk = {str(p): p for p in docs.rglob("*.md")}
        got = r.docs()
        assert set(got) == set(on_disk), "every file on disk indexed, nothing else"
        assert all(d.status == "indexed" and d.sha256 == _sha(on_disk[path]) for path, d in got.items())
        assert consistency_problems(r.indexer.store) == []
        texts = r.texts()
        assert "Original note number 3 " not in texts and "Edited note 3 " in texts
        assert any(e.kind == "reconciled" and "interrupted" in e.detail for e in r.events)
        assert ChangeJournal(state_dir()).pending() == []
    finally:
        r.stop()
