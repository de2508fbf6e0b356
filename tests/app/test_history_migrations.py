"""History migrations: a real first-release file (built here with the ORIGINAL CREATE statements of commit d667695)
opens with the current code with every row kept and the new columns working; a file from the guarded-ALTER release
too; steps are recorded and run once; a failing step leaves the file as it was; a file from a newer Cove is refused,
byte for byte unchanged."""
from __future__ import annotations

import hashlib
import json
import sqlite3
import stat
from pathlib import Path

import pytest

from app import history_migrations
from app.history import History, HistoryTooNew, StoredSource
from indexer.locator import Locator

# Verbatim from `git show d667695:app/history.py` (the first release): the v1 file a user may have today.
V1_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    sources TEXT NOT NULL DEFAULT '[]',
    model TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS turns_by_conversation ON turns(conversation_id, id);
"""

V1_SOURCES = [{"n": 1, "path": "/docs/lease.pdf", "page": 4, "section": "Rent", "doc_id": "d2",
               "snippet": "Rent is due on the 1st."}]  # the v1 source record: no evidence offsets yet


def _v1_file(path: Path, *, guarded_columns: bool = False) -> None:
    db = sqlite3.connect(path)
    db.executescript(V1_SCHEMA)
    db.execute("INSERT INTO conversations(title, created, updated) VALUES ('Flat', 100.0, 200.0)")
    db.execute("INSERT INTO conversations(title, created, updated) VALUES ('Empty', 50.0, 60.0)")
    db.execute("INSERT INTO turns(conversation_id, question, answer, sources, model, created) VALUES "
               "(1, 'When is rent due?', 'On the 1st [1].', ?, 'Gemma 3 270m', 150.0)", (json.dumps(V1_SOURCES),))
    db.execute("INSERT INTO turns(conversation_id, question, answer, created) VALUES (1, 'And the deposit?', "
               "'Two months.', 190.0)")
    if guarded_columns:  # what the 7ac75ea release did on open, before migrations existed
        db.execute("ALTER TABLE turns ADD COLUMN verified INTEGER")
        db.execute("ALTER TABLE turns ADD COLUMN draft TEXT NOT NULL DEFAULT ''")
        db.execute("UPDATE turns SET verified = 1, draft = 'my draft' WHERE id = 2")
    db.commit()
    db.close()


def _recorded(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [r[0] for r in db.execute("SELECT name FROM _migrations ORDER BY rowid")]
    finally:
        db.close()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_v1_file_opens_with_rows_kept_and_new_columns_working(tmp_path: Path):
    path = tmp_path / "history.sqlite3"
    _v1_file(path)
    h = History(path)
    assert [(c.id, c.title, c.created, c.updated) for c in h.list_conversations()] == \
        [(1, "Flat", 100.0, 200.0), (2, "Empty", 50.0, 60.0)]
    old = h.turns(1)
    assert [(t.id, t.question, t.answer, t.model, t.created) for t in old] == \
        [(1, "When is rent due?", "On the 1st [1].", "Gemma 3 270m", 150.0), (2, "And the deposit?", "Two months.", "", 190.0)]
    lease = StoredSource(1, "/docs/lease.pdf", Locator(page=4, section="Rent"), "d2", "Rent is due on the 1st.")
    assert old[0].sources == (lease,)
    assert all(t.verified is None and t.draft == "" for t in old)  # stored before answers were verified
    new = h.add_turn(1, "Who is the landlord?", "Ms Lee [1].", verified=False, draft="I think Bob")
    t = History(path).turns(1)[-1]
    assert (t.id, t.verified, t.draft) == (new, False, "I think Bob")
    assert _recorded(path) == [name for name, _ in history_migrations.MIGRATIONS]
    assert h.forget_paths(["/docs/lease.pdf"]) == 1  # the privacy scrub works on the migrated file


def test_file_from_the_guarded_alter_release_keeps_its_values(tmp_path: Path):
    path = tmp_path / "history.sqlite3"
    _v1_file(path, guarded_columns=True)
    turns = History(path).turns(1)
    assert [(t.verified, t.draft) for t in turns] == [(None, ""), (True, "my draft")]
    assert _recorded(path) == ["m001_initial", "m002_turn_verified_draft"]


def test_migrations_run_once_and_a_new_file_is_owner_only(tmp_path: Path):
    path = tmp_path / "history.sqlite3"
    h = History(path)
    h.create_conversation("A")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = _recorded(path)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        assert history_migrations.migrate(db, path) == []  # idempotent: nothing left to do
    finally:
        db.close()
    History(path).list_conversations()
    assert _recorded(path) == first and len(first) == len(history_migrations.MIGRATIONS)


def test_a_failing_step_leaves_the_file_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "history.sqlite3"
    _v1_file(path)
    before = _sha(path)

    def m999_broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("step failed midway")

    monkeypatch.setattr(history_migrations, "MIGRATIONS", [*history_migrations.MIGRATIONS, ("m999_broken", m999_broken)])
    with pytest.raises(RuntimeError, match="midway"):
        History(path).list_conversations()
    assert _sha(path) == before  # one transaction: not even m001/m002 were recorded
    db = sqlite3.connect(path)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    db.close()
    assert "half_done" not in tables and "_migrations" not in tables


def test_a_file_from_a_newer_cove_is_refused_and_left_unchanged(tmp_path: Path):
    path = tmp_path / "history.sqlite3"
    History(path).create_conversation("Mine")
    db = sqlite3.connect(path)  # what a newer Cove would have done: a step this code does not know
    db.execute("ALTER TABLE turns ADD COLUMN rating INTEGER")
    db.execute("INSERT INTO _migrations(name, applied) VALUES ('m003_turn_rating', 1.0)")
    db.commit()
    db.close()
    before = _sha(path)
    with pytest.raises(HistoryTooNew) as info:
        History(path).list_conversations()
    message = str(info.value)
    assert "newer version of Cove" in message and "m003_turn_rating" in message and str(path) in message
    assert _sha(path) == before


def test_the_cli_says_so_in_plain_words(tmp_path: Path):
    from app.faults import explain

    exc = HistoryTooNew("The chat history x was written by a newer version of Cove")
    assert explain(exc) == str(exc)  # printed as is by `cove`, not as a "HistoryTooNew: ..." traceback hint



def test_an_opener_that_waited_for_the_lock_finds_the_work_done(tmp_path: Path):
    """Another process (here: a second connection) migrates while this opener waits for the write lock: the opener
    must look again under the lock and do nothing, not run the steps twice."""
    import threading
    import time

    path = tmp_path / "history.sqlite3"
    _v1_file(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the other process holds the write lock
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            History(path).turns(1)
        except BaseException as e:  # noqa: BLE001 - collected for the assertion
            errors.append(e)

    opener = threading.Thread(target=open_it)
    opener.start()
    time.sleep(1.0)  # the opener has read "nothing applied" and now waits for the lock
    other.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied REAL NOT NULL)")
    for name, step in history_migrations.MIGRATIONS:
        step(other)
        other.execute("INSERT INTO _migrations(name, applied) VALUES (?, ?)", (name, time.time()))
    other.execute("COMMIT")
    other.close()
    opener.join(timeout=30)
    assert errors == []
    assert _recorded(path) == ["m001_initial", "m002_turn_verified_draft"]


def test_two_openers_at_once_migrate_once(tmp_path: Path):
    """The app and `cove serve` (or two threads) opening an old file at the same moment: one migrates, the other
    waits for its write lock and finds nothing left to do."""
    import threading

    path = tmp_path / "history.sqlite3"
    _v1_file(path)
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def open_it() -> None:
        try:
            start.wait()
            History(path).turns(1)
        except BaseException as e:  # noqa: BLE001 - collected for the assertion
            errors.append(e)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _recorded(path) == ["m001_initial", "m002_turn_verified_draft"]
    assert len(History(path).turns(1)) == 2
