"""Issue 13: forget erases the bytes even when the forgotten file shares a Lance fragment with other files, and a
forgotten path stays out of the index (watcher restart, mail store, drops) until the user indexes it again."""
from __future__ import annotations

import collections
import os
import shutil
import time
from pathlib import Path

from app import paths
from app.core import CoveCore
from app.forget import forget
from app.history import FORGOTTEN_ANSWER, History, StoredSource
from app.settings import Settings
from indexer.scrub import fragment_of, fragments_with_deletions
from tests.conftest import corpus
from indexer.locator import Locator

MARKER = "qvzkwsecret4417"


def files_containing(root: Path, needle: bytes) -> list[str]:
    found = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            with open(os.path.join(dirpath, name), "rb") as fh:
                if needle in fh.read():
                    found.append(os.path.join(dirpath, name))
    return found


def fragments_by_doc(core: CoveCore) -> dict[str, set[int]]:
    t = core.store.chunks_table
    data = t.search().with_row_id(True).select(["doc_id"]).limit(t.count_rows()).to_arrow()
    out: dict[str, set[int]] = collections.defaultdict(set)
    for doc_id, row in zip(data.column("doc_id").to_pylist(), data.column("_rowid").to_pylist()):
        out[doc_id].add(fragment_of(row))
    return out


def test_forget_rewrites_a_fragment_shared_with_a_large_file(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(corpus("docs", "pandoc-tests", "markdown", "MANUAL.txt"), docs / "manual.md")  # 305 KB Markdown
    secret = docs / "secret.txt"
    secret.write_text(f"The vault code word is {MARKER}.\n")
    core = CoveCore(embedder=fake_embedder)
    by_path: dict[str, str] = {}
    shared: set[int] = set()
    for _ in range(4):  # a run writes per batch; compaction at the end of later runs merges them into one fragment
        core.index([str(docs)])
        by_path = {d.path: d.doc_id for d in core.store.load_documents().values()}
        frags = fragments_by_doc(core)
        shared = frags[by_path[str(secret)]] & frags[by_path[str(docs / "manual.md")]]
        if shared:
            break
    assert shared, "precondition: the one-line secret shares a fragment with the large file"
    manual_docs = len([1 for d in core.store.load_documents().values() if d.path.endswith("manual.md")])
    n_before = core.store.chunk_count()
    history = History()
    conv = history.create_conversation("t")
    history.add_turn(conv, "What is the vault code word?", f"It is {MARKER} [1].",
                     [StoredSource(1, str(secret), Locator(section="secret"), by_path[str(secret)],
                                   f"code word is {MARKER}")])
    data = paths.data_dir()
    assert files_containing(data, MARKER.encode()), "precondition: the marker is on disk before forget"

    result = forget(core, [str(secret)])

    assert result.documents == 1
    assert files_containing(data, MARKER.encode()) == []
    for table in ("chunks", "documents"):  # no deletion vector is left hiding a row that is still on disk
        assert fragments_with_deletions(paths.index_dir() / f"{table}.lance") == set()
    assert not (set().union(*fragments_by_doc(core).values()) & shared), "the shared fragment was rewritten"
    assert core.store.chunk_count() == n_before - 1 and manual_docs == 1
    assert core.search("pandoc markdown extensions", k=1)[0].path.endswith("manual.md")
    turn = history.turns(conv)[0]
    assert turn.answer == FORGOTTEN_ANSWER and turn.sources == ()


def _watch_once(core: CoveCore) -> None:
    w = core.watcher(force_polling=True, poll_interval_s=0.2)
    w.start()
    try:
        assert w.wait_idle(60), "watcher did not catch up"
    finally:
        w.stop()


def test_forgotten_file_in_a_watched_folder_stays_out_until_indexed_again(tmp_path, fake_embedder):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "garden.md").write_text("# Garden\n\nTomatoes need full sun.\n")
    secret = folder / "secret.md"
    secret.write_text(f"# Secret\n\nThe vault code word is {MARKER}.\n")
    core = CoveCore(embedder=fake_embedder)
    core.set_watched(str(folder))
    _watch_once(core)
    assert str(secret) in {d.path for d in core.store.load_documents().values()}

    forget(core, [str(secret)])
    core.close()
    time.sleep(0.05)
    secret.write_text(f"# Secret\n\nThe vault code word is still {MARKER}.\n")  # an edit after forget
    (folder / "boats.md").write_text("# Boats\n\nThe club meets on Sundays.\n")

    core = CoveCore(embedder=fake_embedder)  # the app starting again: watcher start-up reconciles the folder
    _watch_once(core)
    indexed = {d.path for d in core.store.load_documents().values()}
    assert str(folder / "boats.md") in indexed, "the watcher did run"
    assert str(secret) not in indexed
    assert not files_containing(paths.data_dir() / "index", MARKER.encode())
    assert [e["path"] for e in core.status()["excluded"]] == [str(secret)]
    report = core.index([str(folder)])  # indexing the folder again does not bring a forgotten file back
    assert str(secret) not in {d.path for d in core.store.load_documents().values()}
    assert not any(o.path == str(secret) and o.outcome == "indexed" for o in report.outcomes)

    assert core.index_again([str(secret)]) == [str(secret)]  # the explicit user action
    core.index([str(secret)])
    assert str(secret) in {d.path for d in core.store.load_documents().values()}
    assert core.status()["excluded"] == []


def _mbox(path: Path) -> Path:
    msgs = []
    for i, subject in enumerate(("Harbour meeting", "Invoice 42")):
        msgs.append(f"From sender{i}@example.org Mon Jan  1 10:0{i}:00 2024\nFrom: sender{i}@example.org\n"
                    f"To: me@example.org\nSubject: {subject}\nMessage-ID: <m{i}@example.org>\n"
                    f"Date: Mon, 1 Jan 2024 10:0{i}:00 +0000\n\nBody of {subject} with {MARKER}{i}.\n")
    path.write_text("\n".join(msgs))
    return path


def test_forgotten_mail_store_leaves_settings_and_is_not_indexed_at_the_next_start(tmp_path, fake_embedder):
    (tmp_path / "mail").mkdir()
    mbox = _mbox(tmp_path / "mail" / "inbox.mbox")
    core = CoveCore(embedder=fake_embedder)
    core.settings.set("mail_stores", [str(mbox)])
    core.settings.save()
    core.index([str(mbox)])
    assert any(d.kind == "email" for d in core.store.load_documents().values())

    forget(core, [str(mbox)])
    assert Settings.load().get("mail_stores", []) == []  # saved: the app will not index it at its next start
    core.close()

    core = CoveCore(embedder=fake_embedder)  # next start; a drop or a stale caller asking for it changes nothing
    report = core.index([str(mbox)])
    assert not [d for d in core.store.load_documents().values() if d.kind.startswith("email")]
    assert any(o.outcome == "skipped" and "forgotten" in o.reason for o in report.outcomes)
    assert core.status()["excluded"] == [{"path": str(mbox), "kind": "mail store",
                                          "since": core.status()["excluded"][0]["since"]}]

    assert core.index_again([str(mbox)]) == [str(mbox)]  # explicit: back in settings and in the index
    assert Settings.load().get("mail_stores", []) == [str(mbox)]
    core.index([str(mbox)])
    assert len([d for d in core.store.load_documents().values() if d.kind == "email"]) == 2


def test_mail_discovery_does_not_offer_a_forgotten_store(tmp_path, monkeypatch, capsys, fake_embedder):
    import json

    import app.cli as cli

    home = tmp_path / "home"
    md = home / "Maildir"
    for d in ("cur", "new", "tmp"):
        (md / d).mkdir(parents=True)
    (md / "cur" / "1.host:2,S").write_text("From: a@example.org\nSubject: Hi\nMessage-ID: <x1@e>\n\nHello there.\n")
    monkeypatch.setenv("HOME", str(home))

    def discovered() -> dict:
        assert cli.main(["mail", "discover", "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    assert [s["path"] for s in discovered()["stores"]] == [str(md)]
    core = CoveCore(embedder=fake_embedder)
    forget(core, [str(md)], kind="mail store")
    found = discovered()
    assert found["stores"] == [] and found["forgotten"] == [str(md)]
    from app.gui.first_run import discover_mail_stores  # the first-run dialog's list (Qt-free function)

    assert str(md) not in discover_mail_stores()


def test_forget_drops_a_vector_index_that_saw_the_row(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(corpus("docs", "pandoc-tests", "markdown", "MANUAL.txt"), docs / "manual.md")
    secret = docs / "secret.txt"
    secret.write_text(f"The vault code word is {MARKER}.\n")
    core = CoveCore(embedder=fake_embedder)
    core.index([str(docs)])
    assert core.store.ensure_vector_index(min_rows=100) and core.store.has_vector_index()
    forget(core, [str(secret)])
    assert not core.store.has_vector_index()  # it held the forgotten row's (compressed) vector
    assert files_containing(paths.data_dir(), MARKER.encode()) == []
    hits = core.search("pandoc markdown extensions", k=3)
    assert hits and all(h.path.endswith("manual.md") for h in hits)
