"""The watcher at its limits: the OS watch limit (fallback to polling), missing and looping folders, pause/resume,
status seen from another process, a second watcher, and the journal that finishes interrupted work."""
from __future__ import annotations

import errno
import os
import time

import pytest

from indexer.journal import Change, ChangeJournal
from indexer.watch_state import FolderStatus, WatcherBusy, folder_report
from tests.indexer.helpers import consistency_problems, make_indexer, write
from tests.indexer.watch_helpers import Running, state_dir, wait_for


def _limited_observer():  # type: ignore[no-untyped-def]
    """An inotify observer that behaves as if max_user_watches were exhausted."""
    from watchdog.observers import Observer

    class Limited(Observer):  # type: ignore[misc,valid-type]
        def schedule(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise OSError(errno.ENOSPC, "inotify watch limit reached")

    return Limited()


def test_watch_limit_falls_back_to_polling(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    write(docs / "a.md", "# A\n\nFirst.\n")
    r = Running(make_indexer(fake_embedder), [docs], native_observer=_limited_observer, poll_interval_s=0.3).start()
    try:
        [st] = r.watcher.status()
        assert st.state == "polling" and "limit" in st.detail
        assert any(e.kind == "state" and e.detail.startswith("polling") for e in r.events)
        b = write(docs / "b.md", "# B\n\nFound by polling.\n")
        r.wait_doc(b)
        os.rename(b, docs / "c.md")
        r.wait_doc(docs / "c.md")
        r.wait_gone(b)
        (docs / "a.md").unlink()
        r.wait_gone(docs / "a.md")
        assert consistency_problems(r.indexer.store) == []
    finally:
        r.stop()


def test_missing_folder_is_an_error_until_it_appears(tmp_path, fake_embedder):
    docs, later = tmp_path / "docs", tmp_path / "later"
    write(docs / "a.md", "# A\n\nHere.\n")
    r = Running(make_indexer(fake_embedder), [docs, later], retry_s=0.3).start()
    try:
        states = {s.path: s for s in r.watcher.status()}
        assert states[str(later)].state == "error" and states[str(later)].detail == "folder not found"
        assert states[str(docs)].state == "watching"
        write(later / "b.md", "# B\n\nArrived.\n")
        r.wait_doc(later / "b.md")
        wait_for(lambda: {s.path: s.state for s in r.watcher.status()}[str(later)] == "watching")
    finally:
        r.stop()


def test_vanished_watched_folder_keeps_its_documents(tmp_path, fake_embedder):
    """An unmounted drive looks like a vanished folder: report it, keep the index, catch up when it is back."""
    docs = tmp_path / "docs"
    write(docs / "a.md", "# A\n\nOn the drive.\n")
    r = Running(make_indexer(fake_embedder), [docs], retry_s=0.3).start()
    try:
        os.rename(docs, tmp_path / "unmounted")
        wait_for(lambda: r.watcher.status()[0].state == "error", what="error state")
        assert str(docs / "a.md") in r.docs()
        os.rename(tmp_path / "unmounted", docs)
        wait_for(lambda: r.watcher.status()[0].state == "watching", what="watching again")
        assert r.watcher.wait_idle(20)
        write(docs / "b.md", "# B\n\nNew.\n")
        r.wait_doc(docs / "b.md")
        assert set(r.docs()) == {str(docs / "a.md"), str(docs / "b.md")}
    finally:
        r.stop()


def test_symlink_loop_is_reported_not_fatal(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    write(docs / "sub" / "a.md", "# A\n\nText.\n")
    os.symlink(docs, docs / "sub" / "loop")
    r = Running(make_indexer(fake_embedder), [docs]).start()
    try:
        errors = [d for d in r.docs().values() if d.status == "error"]
        assert errors and "loop" in errors[0].error
        b = write(docs / "b.md", "# B\n\nStill watching.\n")
        r.wait_doc(b)
        wait_for(lambda: r.watcher.status()[0].problems == 1, what="problem counted")
    finally:
        r.stop()


def test_pause_holds_changes_and_resume_applies_them(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    r = Running(make_indexer(fake_embedder), [docs]).start()
    try:
        r.watcher.pause()
        assert r.watcher.status()[0].state == "paused"
        f = write(docs / "held.md", "# Held\n\nWaits for resume.\n")
        wait_for(lambda: r.watcher.status()[0].pending == 1, what="change recorded while paused")
        time.sleep(1.0)  # well past the debounce: nothing may be applied while paused
        assert str(f) not in r.docs()
        r.watcher.resume()
        r.wait_doc(f)
        assert r.watcher.status()[0].state == "watching"
    finally:
        r.stop()


def test_status_is_visible_to_other_processes_and_a_second_watcher_is_refused(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    for i in range(3):
        write(docs / f"n{i}.md", f"# N{i}\n\nNote.\n")
    idx = make_indexer(fake_embedder)
    r = Running(idx, [docs]).start()
    try:
        def report() -> FolderStatus:
            return folder_report([str(docs)], idx.store.load_documents().values(), state_dir())[0]

        wait_for(lambda: report().state == "watching" and report().files == 3, what="live state file")
        with pytest.raises(WatcherBusy):
            Running(idx, [docs]).start(idle=False)
    finally:
        r.stop()
    assert report().state == "not running" and report().files == 3


def test_journal_replay_finishes_interrupted_work_by_content(tmp_path, fake_embedder):
    """A batch journaled but never finished (the process was killed) is applied on start, hashing the files, so an
    edit that kept size and mtime (which a size + mtime scan cannot see) is still picked up."""
    docs = tmp_path / "docs"
    f = write(docs / "same.md", "# Same\n\nword one\n")
    idx = make_indexer(fake_embedder)
    idx.index_paths([str(docs)])
    st = f.stat()
    write(f, "# Same\n\nword two\n")  # same size
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    ChangeJournal(state_dir()).begin([Change(str(f))])
    r = Running(idx, [docs]).start()
    try:
        assert "word two" in r.texts() and "word one" not in r.texts()
        assert any(e.kind == "reconciled" and "interrupted" in e.detail for e in r.events)
        assert ChangeJournal(state_dir()).pending() == []
    finally:
        r.stop()


def test_journal_survives_torn_writes_and_tracks_done(tmp_path):
    j = ChangeJournal(tmp_path)
    a = j.begin([Change("/x/a"), Change("/x/b", "/x/c")])
    b = j.begin([Change("/x/d")])
    j.done(a)
    with open(j.path, "a", encoding="utf-8") as fh:
        fh.write('{"id": 9, "ops": [["c", "/x/tor')  # killed mid-write
    assert ChangeJournal(tmp_path).pending() == [Change("/x/d")]
    j.done(b)
    assert ChangeJournal(tmp_path).pending() == [] and j.path.stat().st_size == 0


def test_stop_parks_pending_changes_in_the_journal(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    idx = make_indexer(fake_embedder)
    r = Running(idx, [docs], debounce_s=30).start()
    f = write(docs / "late.md", "# Late\n\nWritten just before quitting.\n")
    wait_for(lambda: r.watcher.status()[0].pending == 1, what="change seen")
    r.stop()
    assert Change(str(f)) in ChangeJournal(state_dir()).pending()
    r2 = Running(idx, [docs]).start()
    try:
        assert str(f) in r2.docs()
    finally:
        r2.stop()


def test_watcher_is_qt_free_and_app_free():
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, indexer.watcher, indexer.watch_state, indexer.journal\n"
            "print([m for m in ('PySide6', 'app', 'torch') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"
