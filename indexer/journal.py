"""The watcher's persistent to-do list: changes are written here (fsync'd) *before* they are applied and marked done
after, so work cut short by a crash or a kill is finished on the next start instead of waiting for a full scan to
notice it. Changes still waiting when the watcher stops (debouncing, or paused) are parked here too.

Format: JSON lines, append-only. `{"id": n, "ops": [["c", path] | ["m", src, dst], ...]}` opens a batch and
`{"done": n}` closes it. A torn last line (kill mid-write) is ignored. Replaying is safe any number of times: moves
only touch documents still at the source, and changed paths are re-checked against the disk.
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

JOURNAL_NAME = "watch-journal.jsonl"


@dataclass(frozen=True)
class Change:
    """One thing to re-check: a path that changed (`dst` empty) or a rename `path` → `dst`."""

    path: str
    dst: str = ""

    @property
    def is_move(self) -> bool:
        return bool(self.dst)

    def as_op(self) -> list[str]:
        return ["m", self.path, self.dst] if self.dst else ["c", self.path]


class ChangeJournal:
    """Append-only, fsync'd log of open batches. Thread-safe; cheap (one write + fsync per batch)."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / JOURNAL_NAME
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # owner-only, like the rest of the data
        self._lock = threading.Lock()
        self._open: dict[int, list[Change]] = {}
        self._next = 1
        self._load()

    def pending(self) -> list[Change]:
        """Every change of every batch not yet marked done, in the order they were written."""
        with self._lock:
            return [c for n in sorted(self._open) for c in self._open[n]]

    def begin(self, changes: Sequence[Change]) -> int:
        """Record a batch before applying it. Returns its id for `done`."""
        with self._lock:
            n = self._next
            self._next += 1
            self._open[n] = list(changes)
            self._append({"id": n, "ops": [c.as_op() for c in changes]})
            return n

    def done(self, *ids: int) -> None:
        """The batches were applied: forget them. The file is emptied when nothing is open any more."""
        with self._lock:
            for n in ids:
                self._open.pop(n, None)
            if not self._open:
                self._truncate()
            else:
                for n in ids:
                    self._append({"done": n})

    def clear(self) -> None:
        """Everything open was applied (after a replay)."""
        with self._lock:
            self._open.clear()
            self._truncate()

    # --- internals -----------------------------------------------------------------------------------------------
    def _load(self) -> None:
        if not self.path.is_file():
            return
        with open(self.path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue  # torn tail of a killed write: that batch was never started
                if not isinstance(rec, dict):
                    continue
                if "done" in rec:
                    self._open.pop(int(rec["done"]), None)
                elif "id" in rec:
                    ops = [Change(op[1], op[2] if op[0] == "m" else "") for op in rec.get("ops", [])
                           if isinstance(op, list) and len(op) >= 2]
                    self._open[int(rec["id"])] = ops
                    self._next = max(self._next, int(rec["id"]) + 1)
        if not self._open:
            self._truncate()

    def _append(self, record: dict) -> None:
        data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)

    def _truncate(self) -> None:
        if self.path.exists() and self.path.stat().st_size:
            fd = os.open(self.path, os.O_WRONLY | os.O_TRUNC)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
