"""Issue 13: one writer across processes. The lock makes a second writer wait (with a message naming the holder),
repair runs only under it, and two real writer processes (a watcher and `cove index`-style runs) on one data dir
with files changing underneath leave an index with exactly each document's chunks."""
from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

from app import paths
from indexer.writer_lock import LOCK_NAME, writer_lock
from tests.conftest import FakeEmbedder
from tests.indexer.helpers import consistency_problems, make_indexer, write

REPO = Path(__file__).resolve().parents[2]

HOLDER = """
import sys, time, os
sys.path.insert(0, {repo!r})
from indexer.writer_lock import writer_lock
with writer_lock(sys.argv[1]).hold("test holder") as held:
    print("held", flush=True)
    if sys.argv[2] == "die":
        os._exit(0)  # dies mid-write: the lock goes (the OS drops it), its line in the file stays
    time.sleep(float(sys.argv[2]))
"""


def _holder(lock_path: Path, arg: str) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", HOLDER.format(repo=str(REPO)), str(lock_path), arg],
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None and p.stdout.readline().strip() == "held"
    return p


def test_second_writer_waits_with_a_message_then_goes(tmp_path):
    path = tmp_path / LOCK_NAME
    child = _holder(path, "1.5")
    lock = writer_lock(path)
    assert lock.holder() is not None and lock.holder().pid == child.pid  # type: ignore[union-attr]
    messages: list[str] = []
    started = time.monotonic()
    with lock.hold("me", on_wait=messages.append) as held:
        waited = time.monotonic() - started
        assert held is not None and held.first and not held.previous_died
        assert lock.holder() is None or lock.holder().pid == os.getpid()  # type: ignore[union-attr]
    child.wait(10)
    assert waited >= 0.5, "the second writer went while the first still held the lock"
    assert messages == [f"Another Cove is indexing (pid {child.pid}, test holder); waiting…"]
    assert lock.holder() is None  # released


def test_cancel_or_timeout_while_waiting_holds_nothing(tmp_path):
    path = tmp_path / LOCK_NAME
    child = _holder(path, "3")
    try:
        with writer_lock(path).hold("me", timeout=0.3) as held:
            assert held is None
        cancel = threading.Event()
        threading.Timer(0.3, cancel.set).start()
        with writer_lock(path).hold("me", cancel=cancel) as held:
            assert held is None
    finally:
        child.kill()
        child.wait()


def test_a_holder_that_died_mid_write_makes_the_next_one_repair(tmp_path, fake_embedder):
    idx = make_indexer(fake_embedder)
    write(tmp_path / "docs" / "a.md", "# A\n\nAlpha text.\n")
    idx.index_paths([str(tmp_path / "docs")])
    # an orphan chunk, as another writer's document in flight (or a writer killed mid-document) leaves it
    rows = [{"chunk_id": "x:0", "doc_id": "ghost", "doc_sha": "s", "ordinal": 0, "text": "in flight", "page": 0,
             "section": "", "line_start": 1, "line_end": 1, "part": ""}]
    idx.store.upsert_chunks(rows, fake_embedder.embed(["in flight"]))
    assert idx.repaired == 0
    child = _holder(idx.lock.path, "die")
    child.wait(10)
    assert idx.lock.path.read_text().strip(), "the dead holder's line is still in the lock file"
    with idx.writing("test") as ok:
        assert ok
    assert idx.repaired == 1  # the previous holder died: repair ran, under the lock
    assert consistency_problems(idx.store) == []
    with idx.writing("test"):
        pass
    assert idx.repaired == 1  # a clean release does not trigger another repair


WRITER = """
import sys, time, threading
sys.path.insert(0, {repo!r})
from tests.conftest import FakeEmbedder
from tests.indexer.helpers import make_indexer

class Slow(FakeEmbedder):
    def embed(self, texts):
        time.sleep(0.02)  # long enough that the two writers' runs overlap in time
        return super().embed(texts)

idx = make_indexer(Slow(), write_batch_chunks=8)
mode, folder, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
end = time.monotonic() + seconds
if mode == "watch":
    from indexer.watcher import FolderWatcher
    from tests.indexer.watch_helpers import state_dir
    w = FolderWatcher(idx, [folder], state_dir=state_dir(), debounce_s=0.1, force_polling=True,
                      poll_interval_s=0.2)
    w.start()
    time.sleep(seconds)
    w.wait_idle(30)
    w.stop()
else:
    runs = 0
    while time.monotonic() < end:
        idx.index_paths([folder])
        runs += 1
    print("runs", runs, flush=True)
"""


def test_two_writer_processes_with_files_changing_leave_a_consistent_index(tmp_path):
    folder = tmp_path / "docs"
    rng = random.Random(13)
    words = "harbour garden invoice tomato sailing winter meeting budget kettle lantern orchard".split()

    def text(i: int) -> str:
        return f"# Note {i}\n\n" + "\n\n".join(" ".join(rng.choice(words) for _ in range(40)) for _ in range(6))

    for i in range(30):
        write(folder / f"n{i:02d}.md", text(i))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    seconds = "8"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER.format(repo=str(REPO)), mode, str(folder), seconds],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for mode in ("watch", "index")]
    try:
        end = time.monotonic() + float(seconds) - 1
        i = 30
        while time.monotonic() < end:  # files change during both runs: edits, new files, deletions
            op = rng.random()
            if op < 0.5:
                write(folder / f"n{rng.randrange(i):02d}.md", text(rng.randrange(1000)))
            elif op < 0.8:
                write(folder / f"n{i:02d}.md", text(i))
                i += 1
            else:
                (folder / f"n{rng.randrange(i):02d}.md").unlink(missing_ok=True)
            time.sleep(0.05)
        outs = [p.communicate(timeout=240) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    assert "runs" in outs[1][0]
    # as the two writers left it (no repair has run since): exactly each document's chunks
    from indexer.store import Store

    emb = FakeEmbedder()
    assert consistency_problems(Store(paths.index_dir(), emb.id, emb.dim)) == []
    # one final run brings the index in line with the disk; then it must be exactly right
    idx = make_indexer(emb)
    idx.index_paths([str(folder)])
    assert consistency_problems(idx.store) == []
    on_disk = {str(p) for p in folder.glob("*.md")}
    assert {d.path for d in idx.store.load_documents().values()} == on_disk
    assert not (paths.data_dir() / LOCK_NAME).read_text().strip(), "the lock file says nobody is writing"


def test_a_reader_in_another_process_keeps_working_across_a_forget_and_sees_new_writes(tmp_path, fake_embedder):
    """Readers never take the lock; a reader's store opened before another writer's forget (which deletes every old
    version) must not fail on deleted files, and sees the writer's changes."""
    from indexer.scrub import scrub_store
    from indexer.store import Store

    docs = tmp_path / "docs"
    for i in range(5):
        write(docs / f"f{i}.md", f"# T{i}\n\n" + f"word{i} " * 60)
    writer = make_indexer(fake_embedder)
    writer.index_paths([str(docs)])
    reader = Store(paths.index_dir(), fake_embedder.id, fake_embedder.dim)  # as the app's searcher holds it
    assert len(reader.load_documents()) == 5
    (docs / "f0.md").unlink()
    writer.index_paths([str(docs)])
    with writer.writing("forget"):
        scrub_store(writer.store)
    assert len(reader.load_documents()) == 4
    assert reader.chunks_table.search().limit(100).to_arrow().num_rows == reader.chunk_count() > 0


OPENER = """
import sys, time
sys.path.insert(0, {repo!r})
from indexer.store import Store
from tests.conftest import FakeEmbedder
emb = FakeEmbedder()
start = float(sys.argv[1])
while time.time() < start:
    time.sleep(0.001)
for d in sys.argv[2:]:
    Store(d, emb.id, emb.dim)  # a new index: check or create meta, documents and chunks
print("opened", flush=True)
"""


def test_processes_opening_a_new_index_at_once_all_succeed(tmp_path):
    """The app's watcher and `cove index` may both open an index that does not exist yet: one of them failed with
    "Table 'meta' already exists" before stores took turns while creating their tables (seen once in a CI run)."""
    from indexer.store import Store

    dirs = [str(tmp_path / f"index{i}") for i in range(4)]
    start = time.time() + 4  # every process has imported LanceDB by then
    procs = [subprocess.Popen([sys.executable, "-c", OPENER.format(repo=str(REPO)), str(start), *dirs],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=240) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0 and "opened" in out, err[-2000:]
    emb = FakeEmbedder()
    for d in dirs:  # one meta row per key, and the index opens again as the same embedder's
        store = Store(d, emb.id, emb.dim)
        keys = [r["key"] for r in store.db.open_table("meta").to_arrow().to_pylist()]
        assert sorted(keys) == sorted(set(keys)) and "embedder_id" in keys
