"""Chat history in SQLite (data_dir()/history.sqlite3, owner-only). One short-lived connection per call, serialised by
a lock, so the GUI thread and the chat worker can both use it without sharing a connection. Sources are stored as
JSON with snippets, which is why "forget" must scrub them here too and VACUUM so the text is gone from the file.
The schema is brought up to date by numbered migrations when the file is first opened (app/history_migrations.py)."""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from app.history_migrations import HistoryTooNew, migrate  # noqa: F401 (HistoryTooNew: callers catch it from here)
from app.paths import data_dir
from indexer.locator import Locator

FORGOTTEN_ANSWER = "(This answer was removed because a document it used was forgotten.)"

@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    created: float
    updated: float


@dataclass(frozen=True)
class StoredSource:
    """A cited source as remembered with a turn: enough to show and reopen it, not the whole chunk. `where` is the
    same Locator the index and the answer carry (rows stored before it had only page and section)."""

    n: int
    path: str
    where: Locator = field(default_factory=Locator)
    doc_id: str = ""
    snippet: str = ""  # the evidence sentence when the answer had one (evidence_start set), else the chunk's start
    evidence_start: int | None = None  # where the evidence sentence sits in the chunk text (None: no evidence)
    evidence_end: int | None = None

    def to_json(self) -> dict:
        out = {"n": self.n, "path": self.path, **self.where.columns(), "doc_id": self.doc_id, "snippet": self.snippet}
        if self.evidence_start is not None:
            out.update(evidence_start=self.evidence_start, evidence_end=self.evidence_end)
        return out

    @staticmethod
    def from_json(d: dict) -> "StoredSource":
        start, end = d.get("evidence_start"), d.get("evidence_end")
        return StoredSource(int(d.get("n", 0)), str(d.get("path", "")), Locator.from_columns(d),
                            str(d.get("doc_id", "")), str(d.get("snippet", "")),
                            int(start) if start is not None else None, int(end) if end is not None else None)


@dataclass(frozen=True)
class Turn:
    id: int
    conversation_id: int
    question: str
    answer: str
    sources: tuple[StoredSource, ...] = field(default_factory=tuple)
    model: str = ""
    created: float = 0.0
    verified: bool | None = None  # None: stored before answers were verified
    draft: str = ""  # the model's unsupported words, when the answer is what the documents say instead


class History:
    """The chat history store. Cheap to construct; the file is created (0600) on first use."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else data_dir() / "history.sqlite3"
        self._lock = threading.Lock()
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if not self._ready:
                self._create_file()
            conn = sqlite3.connect(self.path, timeout=10)
            try:
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA secure_delete = ON")  # deleted text is overwritten, not just unlinked
                with conn:
                    yield conn
            finally:
                conn.close()

    def _create_file(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        os.chmod(self.path, 0o600)
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            migrate(conn, self.path)  # numbered steps, recorded in the file (app/history_migrations.py)
        finally:
            conn.close()
        self._ready = True

    # conversations -------------------------------------------------------------------------------------------------
    def create_conversation(self, title: str = "New chat") -> int:
        now = time.time()
        with self._connect() as c:
            cur = c.execute("INSERT INTO conversations(title, created, updated) VALUES (?, ?, ?)", (title, now, now))
            return int(cur.lastrowid)

    def list_conversations(self) -> list[Conversation]:
        """Most recently active first."""
        with self._connect() as c:
            rows = c.execute("SELECT id, title, created, updated FROM conversations ORDER BY updated DESC, id DESC")
            return [Conversation(*r) for r in rows.fetchall()]

    def get_conversation(self, conversation_id: int) -> Conversation | None:
        with self._connect() as c:
            row = c.execute("SELECT id, title, created, updated FROM conversations WHERE id = ?",
                            (conversation_id,)).fetchone()
            return Conversation(*row) if row else None

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        with self._connect() as c:
            c.execute("UPDATE conversations SET title = ? WHERE id = ?", (title, conversation_id))

    def delete_conversation(self, conversation_id: int) -> None:
        with self._connect() as c:
            c.execute("DELETE FROM turns WHERE conversation_id = ?", (conversation_id,))
            c.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    # turns ---------------------------------------------------------------------------------------------------------
    def add_turn(self, conversation_id: int, question: str, answer: str,
                 sources: Sequence[StoredSource] = (), model: str = "", *, verified: bool | None = None,
                 draft: str = "") -> int:
        now = time.time()
        payload = json.dumps([s.to_json() for s in sources], ensure_ascii=False)
        with self._connect() as c:
            cur = c.execute(
                "INSERT INTO turns(conversation_id, question, answer, sources, model, created, verified, draft) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (conversation_id, question, answer, payload, model, now,
                 None if verified is None else int(verified), draft))
            c.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, conversation_id))
            return int(cur.lastrowid)

    def turns(self, conversation_id: int) -> list[Turn]:
        """Oldest first, as the conversation happened."""
        with self._connect() as c:
            rows = c.execute("SELECT id, conversation_id, question, answer, sources, model, created, verified, draft "
                             "FROM turns WHERE conversation_id = ? ORDER BY id", (conversation_id,)).fetchall()
        return [Turn(r[0], r[1], r[2], r[3], tuple(StoredSource.from_json(s) for s in json.loads(r[4] or "[]")),
                     r[5], r[6], None if r[7] is None else bool(r[7]), r[8] or "") for r in rows]

    # privacy -------------------------------------------------------------------------------------------------------
    def forget_paths(self, paths: Sequence[str]) -> int:
        """Remove these documents (or everything under these folders) from every stored source list, path and
        snippet; an answer built from one of them quotes it, so that answer is replaced too (the question stays).
        Then VACUUM, so the removed text no longer sits in free pages of the file. Returns how many source entries
        were removed."""
        doomed = {str(p) for p in paths if str(p)}
        if not doomed:
            return 0
        folders = tuple(p.rstrip("/\\") + sep for p in doomed for sep in ("/", "\\"))

        def forgotten(path: str) -> bool:  # the path itself, or anything inside a forgotten folder
            return path in doomed or path.startswith(folders)

        removed = 0
        with self._connect() as c:
            rows = c.execute("SELECT id, sources FROM turns").fetchall()
            for turn_id, raw in rows:
                items = json.loads(raw or "[]")
                kept = [s for s in items if not forgotten(str(s.get("path", "")))]
                if len(kept) != len(items):
                    removed += len(items) - len(kept)
                    c.execute("UPDATE turns SET sources = ?, answer = ?, draft = '' WHERE id = ?",
                              (json.dumps(kept, ensure_ascii=False), FORGOTTEN_ANSWER, turn_id))
        if removed:
            self.vacuum()
        return removed

    def vacuum(self) -> None:
        with self._lock:
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            try:
                conn.execute("VACUUM")
            finally:
                conn.close()
