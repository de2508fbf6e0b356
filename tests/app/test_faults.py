"""Issue 13: faults speak plainly — disk full (a real tiny tmpfs), a data dir Cove cannot write, a damaged settings
file, a damaged Lance table: one clear sentence and exit 1, no traceback; after disk full the index is consistent."""
from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

import pytest

import app.cli as cli
from app import paths
from app.core import CoveCore
from indexer.store import Store
from tests.indexer.helpers import consistency_problems


def _mount_tmpfs(where: Path, size: str, *extra: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (the disk-full case cannot be built here)")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join((f"size={size}", "mode=0700") + extra), "tmpfs",
                        str(where)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.strip() or r.returncode}): disk-full case not run")


def _umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


@pytest.fixture
def fake_core(monkeypatch, fake_embedder):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(cli, "_core", lambda: CoveCore(embedder=fake_embedder))
    return fake_embedder


def _docs(folder: Path, n: int = 30, kb: int = 80) -> Path:
    rng = random.Random(7)
    words = [f"w{rng.randrange(10**6)}" for _ in range(4000)]  # many distinct words: text that compresses badly
    for i in range(n):
        (folder / f"doc{i:02d}.txt").parent.mkdir(parents=True, exist_ok=True)
        (folder / f"doc{i:02d}.txt").write_text("\n\n".join(" ".join(rng.choice(words) for _ in range(60))
                                                            for _ in range(kb * 1024 // 500)))
    return folder


def _no_traceback(err: str) -> None:
    assert "Traceback" not in err and "panicked" not in err and ".rs:" not in err, err


def test_disk_full_is_plain_exit_1_and_the_index_stays_consistent(tmp_path, monkeypatch, capfd, fake_core):
    mnt = tmp_path / "small-disk"
    _mount_tmpfs(mnt, "2m")
    try:
        monkeypatch.setenv("COVE_DATA_DIR", str(mnt / "data"))
        docs = _docs(tmp_path / "docs")  # ~2.4 MB of text: cannot fit in 2 MB with vectors and indexes
        rc = cli.main(["index", str(docs)])
        err = capfd.readouterr().err
        assert rc == 1
        assert f"cove: Disk full while writing the index at {mnt / 'data' / 'index'}: free some space; what was " \
               "indexed is kept" in err
        _no_traceback(err)
        emb = fake_core
        store = Store(paths.index_dir(), emb.id, emb.dim)  # it opens; nothing is marked indexed without its chunks
        assert [p for p in consistency_problems(store) if not p.startswith("orphan chunk")] == []
        store.close()

        subprocess.run(["mount", "-o", "remount,size=64m", str(mnt)], check=True)  # space freed
        assert cli.main(["index", str(docs)]) == 0
        store = Store(paths.index_dir(), emb.id, emb.dim)
        assert consistency_problems(store) == []
        assert {d.path for d in store.load_documents().values() if d.status == "indexed"} == \
            {str(p) for p in docs.glob("*.txt")}
        store.close()
    finally:
        _umount(mnt)


def test_data_dir_cove_cannot_write_says_what_to_do(tmp_path, monkeypatch, capfd, fake_core):
    ro = tmp_path / "ro"
    if os.geteuid() == 0:
        _mount_tmpfs(ro, "1m", "ro")  # root ignores permissions: a read-only file system is what stops root
    else:
        ro.mkdir()
        ro.chmod(0o500)
    try:
        monkeypatch.setenv("COVE_DATA_DIR", str(ro / "data"))
        (tmp_path / "docs").mkdir()
        (tmp_path / "docs" / "a.txt").write_text("hello")
        rc = cli.main(["index", str(tmp_path / "docs")])
        err = capfd.readouterr().err
        assert rc == 1
        assert "Cove cannot use its data folder" in err and "--data-dir or COVE_DATA_DIR" in err
        _no_traceback(err)
    finally:
        if os.geteuid() == 0:
            _umount(ro)
        else:
            ro.chmod(0o700)


def test_damaged_settings_file_says_fix_or_delete(capfd, fake_core):
    (paths.config_dir() / "settings.json").write_text("{ this is not json")
    assert cli.main(["status"]) == 1
    err = capfd.readouterr().err
    assert "settings.json" in err and "Fix or delete the file" in err
    _no_traceback(err)


def test_damaged_lance_table_says_how_to_rebuild(tmp_path, capfd, fake_core):
    docs = _docs(tmp_path / "docs", n=3, kb=4)
    assert cli.main(["index", str(docs)]) == 0
    capfd.readouterr()
    for f in (paths.index_dir() / "documents.lance" / "data").iterdir():  # a disk error or a bad copy
        f.write_bytes(b"\0" * 64)
    rc = cli.main(["status"])
    err = capfd.readouterr().err
    assert rc == 1
    assert f"The index at {paths.index_dir()} is damaged" in err and "cove index PATH" in err
    _no_traceback(err)


def test_damaged_list_of_forgotten_paths_stops_indexing_with_a_plain_message(tmp_path, capfd, fake_core):
    """Never index what the user forgot because the list could not be read: stop and say how to fix it."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("hello")
    (paths.data_dir() / "excluded.json").write_text('{"excluded": [{"pa')
    rc = cli.main(["index", str(tmp_path / "docs")])
    err = capfd.readouterr().err
    assert rc == 1 and "list of forgotten paths" in err and "is damaged" in err
    _no_traceback(err)
