"""The watcher on real file operations: a real watchdog observer, a real LanceDB, the fake embedder (these test the
bookkeeping; test_watcher_real.py checks search with the real embedder)."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.indexer.helpers import consistency_problems, make_indexer, write
from tests.indexer.watch_helpers import Running, wait_for


@pytest.fixture
def run(fake_embedder):  # type: ignore[no-untyped-def]
    started: list[Running] = []

    def start(*folders: Path, **kwargs) -> Running:  # type: ignore[no-untyped-def]
        r = Running(make_indexer(fake_embedder, **kwargs.pop("config", {})), list(folders), **kwargs).start()
        started.append(r)
        return r

    yield start
    for r in started:
        r.stop()


def test_new_file_then_edit_replaces_chunks(tmp_path, run, fake_embedder):
    docs = tmp_path / "docs"
    write(docs / "old.md", "# Old\n\nThe original lighthouse notes.\n")
    r = run(docs)
    assert r.docs()[str(docs / "old.md")].status == "indexed"
    new = write(docs / "new.md", "# New\n\nNotes about zebras.\n")
    first = r.wait_doc(new)
    write(new, "# New\n\nNotes about quasars instead.\n")
    r.wait_doc(new, lambda d: d.sha256 != first.sha256, "edit applied")
    assert "quasars" in r.texts() and "zebras" not in r.texts()
    assert r.docs()[str(new)].doc_id == first.doc_id
    assert consistency_problems(r.indexer.store) == []
    assert ("indexed" in r.kinds(new))


@pytest.mark.parametrize("temp_name", ["notes.md.tmp", ".notes.md.swx", "notes.md.new"])
def test_atomic_save_via_temp_file_and_replace(tmp_path, run, temp_name):
    docs = tmp_path / "docs"
    target = write(docs / "notes.md", "# Notes\n\nFirst draft about herons.\n")
    r = run(docs)
    before = r.docs()[str(target)]
    tmp = write(docs / temp_name, "# Notes\n\nSecond draft about pelicans.\n")
    os.replace(tmp, target)
    r.wait_doc(target, lambda d: d.sha256 != before.sha256, "save applied")
    r.settle()
    after = r.docs()
    assert after[str(target)].doc_id == before.doc_id, "a save must keep the document's id"
    assert str(tmp) not in after and "pelicans" in r.texts() and "herons" not in r.texts()
    assert consistency_problems(r.indexer.store) == []


def test_rename_keeps_id_and_chunks(tmp_path, run, fake_embedder):
    docs = tmp_path / "docs"
    a = write(docs / "a.md", "# A\n\nAlpha text about owls.\n")
    r = run(docs)
    before = r.docs()[str(a)]
    embedded = fake_embedder.texts_embedded
    b = docs / "b.md"
    os.rename(a, b)
    moved = r.wait_doc(b)
    r.wait_gone(a)
    assert moved.doc_id == before.doc_id and moved.title == "A"
    assert fake_embedder.texts_embedded == embedded, "a rename must not re-embed"
    assert any(e.kind == "moved" and e.dest == str(b) for e in r.events)
    assert consistency_problems(r.indexer.store) == []


def test_move_between_subfolders_and_between_watched_folders(tmp_path, run, fake_embedder):
    one, two = tmp_path / "one", tmp_path / "two"
    x = write(one / "inbox" / "x.md", "# X\n\nText about kestrels.\n")
    y = write(one / "y.md", "# Y\n\nText about falcons.\n")
    (one / "archive").mkdir()
    two.mkdir()
    r = run(one, two)
    ids = {p: d.doc_id for p, d in r.docs().items()}
    embedded = fake_embedder.texts_embedded
    shutil.move(str(x), str(one / "archive" / "x.md"))
    shutil.move(str(y), str(two / "y.md"))
    assert r.wait_doc(one / "archive" / "x.md").doc_id == ids[str(x)]
    assert r.wait_doc(two / "y.md").doc_id == ids[str(y)], "a move between watched folders keeps the id"
    r.wait_gone(x)
    r.wait_gone(y)
    assert fake_embedder.texts_embedded == embedded
    assert consistency_problems(r.indexer.store) == []


def test_delete_file_and_folder(tmp_path, run):
    docs = tmp_path / "docs"
    keep = write(docs / "keep.md", "# Keep\n\nStays.\n")
    gone = write(docs / "gone.md", "# Gone\n\nTo be deleted: ibis.\n")
    for i in range(5):
        write(docs / "old" / "deep" / f"n{i}.md", f"# N{i}\n\nOld note {i} about storks.\n")
    r = run(docs)
    assert len(r.docs()) == 7
    gone.unlink()
    shutil.rmtree(docs / "old")
    r.wait_gone(gone)
    r.wait_gone(docs / "old")
    assert list(r.docs()) == [str(keep)]
    assert "ibis" not in r.texts() and "storks" not in r.texts()
    assert consistency_problems(r.indexer.store) == []


def test_folder_rename_keeps_every_document(tmp_path, run, fake_embedder):
    docs = tmp_path / "docs"
    for i in range(6):
        write(docs / "projects" / ("sub" if i % 2 else "") / f"p{i}.md", f"# P{i}\n\nProject {i}.\n")
    r = run(docs)
    ids = {p.replace("/projects/", "/renamed/"): d.doc_id for p, d in r.docs().items()}
    embedded = fake_embedder.texts_embedded
    os.rename(docs / "projects", docs / "renamed")
    wait_for(lambda: {p: d.doc_id for p, d in r.docs().items()} == ids, what="folder renamed in the index")
    r.settle()
    assert {p: d.doc_id for p, d in r.docs().items()} == ids
    assert fake_embedder.texts_embedded == embedded
    assert consistency_problems(r.indexer.store) == []


def test_new_folder_with_files_is_indexed(tmp_path, run):
    docs = tmp_path / "docs"
    docs.mkdir()
    r = run(docs)
    src = tmp_path / "outside"
    for i in range(4):
        write(src / "nested" / f"f{i}.md", f"# F{i}\n\nFile {i}.\n")
    shutil.copytree(src, docs / "copied")
    wait_for(lambda: len(r.docs()) == 4, what="copied folder indexed")
    assert all(p.startswith(str(docs / "copied")) for p in r.docs())


def test_burst_of_saves_is_one_update(tmp_path, run, fake_embedder):
    docs = tmp_path / "docs"
    f = write(docs / "busy.md", "# Busy\n\nversion 0\n")
    r = run(docs, debounce_s=1.0)
    calls = fake_embedder.calls
    for i in range(1, 21):
        write(f, f"# Busy\n\nversion {i}\n")
        time.sleep(0.02)
    r.wait_doc(f, lambda d: d.size == f.stat().st_size and "version 20" in r.texts(), "last save applied")
    r.settle()
    assert fake_embedder.calls - calls == 1, "twenty quick saves must be one update"
    assert r.kinds(f).count("indexed") == 1


def test_temp_lock_hidden_and_ignored_files_are_never_indexed(tmp_path, run):
    docs = tmp_path / "docs"
    docs.mkdir()
    r = run(docs, config={"ignore_globs": ("*.secret", "drafts")})
    junk = ["~$report.docx", ".~lock.report.odt#", "notes.md.swp", "download.pdf.part", "file.crdownload",
            "x.tmp", ".hidden.md", ".git/config.md", "node_modules/pkg/readme.md", "__pycache__/m.md",
            ".cache/deep/a.md", "key.secret", "drafts/plan.md", "sub/drafts/plan2.md"]
    for name in junk:
        write(docs / name, "# Junk\n\nShould never be indexed.\n")
    real = write(docs / "real.md", "# Real\n\nIndexed.\n")
    r.wait_doc(real)
    r.settle()
    assert list(r.docs()) == [str(real)]
    assert not [e for e in r.events if e.kind == "indexed" and e.path != str(real)]


def test_changes_made_while_stopped_are_applied_on_start(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    a = write(docs / "a.md", "# A\n\nAbout cranes.\n")
    b = write(docs / "b.md", "# B\n\nAbout swans.\n")
    c = write(docs / "c.md", "# C\n\nAbout geese, a longer text to rename.\n")
    r = Running(make_indexer(fake_embedder), [docs]).start()
    ids = {p: d.doc_id for p, d in r.docs().items()}
    r.stop()
    write(a, "# A\n\nAbout herons now.\n")
    b.unlink()
    os.rename(c, docs / "c2.md")
    d = write(docs / "new" / "d.md", "# D\n\nAbout ducks.\n")
    embedded = fake_embedder.texts_embedded
    r2 = Running(r.indexer, [docs]).start()
    try:
        got = r2.docs()
        assert set(got) == {str(a), str(docs / "c2.md"), str(d)}
        assert got[str(docs / "c2.md")].doc_id == ids[str(c)], "renamed while stopped: recognised by content"
        assert got[str(a)].doc_id == ids[str(a)]
        texts = r2.texts()
        assert "herons" in texts and "cranes" not in texts and "swans" not in texts and "ducks" in texts
        assert fake_embedder.texts_embedded - embedded == 2, "only the edited and the new file are embedded"
        assert any(e.kind == "reconciled" for e in r2.events)
        assert consistency_problems(r2.indexer.store) == []
    finally:
        r2.stop()
