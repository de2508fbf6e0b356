"""Numbered migrations of the chat history file (history.sqlite3), the simonw/llm way: an ordered list of functions,
each applied once, recorded in the database, all pending ones inside one transaction when the file is opened.

Why this matters more here than for the index: the index can be rebuilt from the user's files, the history cannot.
So a schema change is a new function at the end of MIGRATIONS (never an edit of an old one), and a file written by a
newer Cove (a migration this code does not know) is refused with a clear error instead of being written to.

Recorded in a `_migrations` table (name, time applied), as llm's `_llm_migrations`, rather than in PRAGMA user_version:
a name per step makes "which steps has this file seen" readable when a user's file needs a look, and an unknown name
says exactly which newer step this code lacks, where a bare integer only says "bigger". Both are transactional in
SQLite; the table costs one tiny page.

Files made before migrations existed (no `_migrations` table) are handled by the steps themselves: each is idempotent
(CREATE ... IF NOT EXISTS, a column added only when missing), so such a file simply records them as applied.
"""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    """Append a step; its function name (mNNN_what) is what the database records, so never rename one."""
    MIGRATIONS.append((fn.__name__, fn))
    return fn


class HistoryTooNew(RuntimeError):
    """The history file was written by a newer Cove: this version leaves it untouched."""


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    """The first release's schema (commit d667695), verbatim."""
    db.execute("""CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL
)""")
    db.execute("""CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    sources TEXT NOT NULL DEFAULT '[]',
    model TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL
)""")
    db.execute("CREATE INDEX IF NOT EXISTS turns_by_conversation ON turns(conversation_id, id)")


@migration
def m002_turn_verified_draft(db: sqlite3.Connection) -> None:
    """Answers carry evidence (commit 7ac75ea): whether the answer was verified (NULL for older turns) and the
    model's unsupported draft. That release added them with a guarded ALTER, so a file may already have them."""
    have = {row[1] for row in db.execute("PRAGMA table_info(turns)")}
    for name, decl in (("verified", "INTEGER"), ("draft", "TEXT NOT NULL DEFAULT ''")):
        if name not in have:
            db.execute(f"ALTER TABLE turns ADD COLUMN {name} {decl}")


def _applied(db: sqlite3.Connection) -> list[str]:
    exists = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'").fetchone()
    return [r[0] for r in db.execute("SELECT name FROM _migrations ORDER BY rowid")] if exists else []


def _check_known(applied: list[str], path: Path | str) -> None:
    known = {name for name, _ in MIGRATIONS}
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise HistoryTooNew(f"The chat history {path} was written by a newer version of Cove (it has the schema "
                            f"step{'s' * (len(unknown) > 1)} {', '.join(unknown)}, unknown to this one). It was left "
                            "unchanged: update Cove, or move the file aside to start a new history.")


def migrate(db: sqlite3.Connection, path: Path | str = "history.sqlite3") -> list[str]:
    """Bring `db` up to date; returns the names applied now (empty when it already was). `db` must be in autocommit
    mode (isolation_level=None): the pending steps run inside one explicit BEGIN IMMEDIATE ... COMMIT, so a crash or
    a failing step leaves the file as it was, and a second process opening it at the same moment waits, then finds
    nothing left to do."""
    applied = _applied(db)  # a cheap read first: the common case (up to date) takes no write lock
    _check_known(applied, path)
    if len(applied) == len(MIGRATIONS):
        return []
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied REAL NOT NULL)")
        done = _applied(db)  # again, under the write lock: another process may have migrated meanwhile
        _check_known(done, path)
        now: list[str] = []
        for name, step in MIGRATIONS:
            if name not in done:
                step(db)
                db.execute("INSERT INTO _migrations(name, applied) VALUES (?, ?)", (name, time.time()))
                now.append(name)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return now
