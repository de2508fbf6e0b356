"""Forget means forever: the paths the user forgot, kept in `excluded.json` in the data dir.

Every way into the index asks `Exclusions.excluded(path)` first — the folder scan, the watcher's batches and its
start-up reconciliation (all through `Indexer._sync`), watcher moves, mail discovery and drag-and-drop — so a
forgotten file, folder or mail store (and anything under it) is never indexed again by itself. Only an explicit
user action lifts an entry (`cove index PATH`, or "Index again" in the library), and only for exactly that path.

The file keeps the path (not the content): remembering what to keep out needs its name. It is re-read whenever it
changed on disk, so a `cove forget` in a terminal reaches the app's running watcher at its next batch.
"""
from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Sequence

EXCLUSIONS_NAME = "excluded.json"


@dataclass(frozen=True)
class Exclusion:
    """kind: file | folder | mail store | dropped (what the user forgot), `since`: when (epoch seconds)."""

    path: str
    kind: str = "file"
    since: float = 0.0


def _norm(path: str) -> str:
    return os.path.abspath(os.path.expanduser(path)).rstrip(os.sep) or os.sep


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


class Exclusions:
    """Thread-safe; cheap to ask (one stat per call to notice changes made by another process)."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / EXCLUSIONS_NAME
        self._lock = threading.Lock()
        self._items: dict[str, Exclusion] = {}
        self._stamp: tuple[int, int] | None = None

    # --- reading -------------------------------------------------------------------------------------------------
    def items(self) -> list[Exclusion]:
        with self._lock:
            self._reload()
            return sorted(self._items.values(), key=lambda e: e.path)

    def excluded(self, path: str) -> Exclusion | None:
        """The entry that keeps `path` out (the path itself or a forgotten folder above it), or None."""
        p = _norm(path)
        with self._lock:
            self._reload()
            for e in self._items.values():
                if _under(p, e.path):
                    return e
        return None

    def filter(self, paths: Iterable[str]) -> list[str]:
        return [p for p in paths if self.excluded(p) is None]

    # --- changing (the caller is a writer and holds the writer lock) ---------------------------------------------
    def add(self, paths: Sequence[str], kind: str | None = None) -> list[Exclusion]:
        added = []
        with self._lock:
            self._reload()
            for raw in paths:
                p = _norm(raw)
                k = kind or ("folder" if os.path.isdir(p) else "file")
                self._items[p] = Exclusion(p, k, time.time())
                added.append(self._items[p])
            self._save()
        return added

    def lift(self, paths: Sequence[str]) -> list[str]:
        """Remove the entries for exactly these paths (an explicit "index it again"). Returns the lifted paths."""
        lifted = []
        with self._lock:
            self._reload()
            for raw in paths:
                if self._items.pop(_norm(raw), None) is not None:
                    lifted.append(_norm(raw))
            if lifted:
                self._save()
        return lifted

    # --- the file ------------------------------------------------------------------------------------------------
    def _reload(self) -> None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._items, self._stamp = {}, None
            return
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            items = {e["path"]: Exclusion(e["path"], e.get("kind", "file"), float(e.get("since", 0)))
                     for e in data.get("excluded", [])}
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            # never silently forget what to keep out: refuse to go on with a damaged list
            raise ExclusionsDamaged(f"the list of forgotten paths ({self.path}) is damaged ({exc}); fix or delete "
                                    "it (deleting it lets forgotten files be indexed again)") from None
        self._items, self._stamp = items, stamp

    def _save(self) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = {"version": 1, "excluded": [asdict(e) for e in sorted(self._items.values(), key=lambda e: e.path)]}
        fd, tmp = tempfile.mkstemp(prefix=".excluded-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1)  # ASCII: a non-UTF-8 file name survives as \\udcXX
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        st = self.path.stat()
        self._stamp = (st.st_mtime_ns, st.st_size)


class ExclusionsDamaged(RuntimeError):
    """excluded.json cannot be read: stop rather than index what the user forgot."""
