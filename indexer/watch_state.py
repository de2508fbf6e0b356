"""What a running watcher tells other processes: an exclusive lock (two writers on one index is never right) and a
small state file, so `cove status` in another terminal can show each folder's live state, and says "not running"
when the lock is free (a crashed watcher leaves a stale file, never a stale lock)."""
from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Sequence

from indexer.scanner import under
from indexer.store import DocRow
from indexer.writer_lock import try_flock

STATE_NAME = "watch-state.json"
LOCK_NAME = "watch.lock"
NOT_RUNNING = "not running"


@dataclass(frozen=True)
class FolderStatus:
    """One watched folder. state: watching | polling | paused | error | not running."""

    path: str
    state: str
    files: int = 0
    pending: int = 0
    problems: int = 0
    detail: str = ""


class WatcherBusy(RuntimeError):
    """Another watcher (the app or `cove watch`) already writes this index."""


class WatchLock:
    """An advisory lock on a file in the data dir, held for the watcher's lifetime; the OS drops it on any exit."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if not try_flock(fd):
            os.close(fd)
            raise WatcherBusy(f"another Cove watcher (pid {_read_pid(self.path) or '?'}) is already keeping this index "
                              "up to date; stop it first (or use the app's Pause/Resume)")
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock
            self._fd = None


def watcher_running(directory: Path) -> bool:
    """True when some process (this one included) holds the watcher lock for this data dir."""
    path = Path(directory) / LOCK_NAME
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        if try_flock(fd):
            return False
        return True
    finally:
        os.close(fd)  # also releases the probe lock if we got it


def write_state(directory: Path, folders: Sequence[FolderStatus], paused: bool) -> None:
    """Atomically replace the state file (a reader never sees half of it)."""
    data = {"pid": os.getpid(), "updated": time.time(), "paused": paused, "folders": [asdict(f) for f in folders]}
    fd, tmp = tempfile.mkstemp(prefix=".watch-state-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, Path(directory) / STATE_NAME)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_state(directory: Path) -> dict[str, FolderStatus] | None:
    """The live watcher's folder states, or None when no watcher is running."""
    if not watcher_running(directory):
        return None
    try:
        data = json.loads((Path(directory) / STATE_NAME).read_text(encoding="utf-8"))
        return {f["path"]: FolderStatus(**f) for f in data.get("folders", [])}
    except (OSError, ValueError, TypeError, KeyError):
        return {}


def count_files(folders: Iterable[str], docs: Iterable[DocRow]) -> dict[str, tuple[int, int]]:
    """Per folder: (files indexed or recorded under it, files with an error)."""
    folders = [os.path.abspath(f) for f in folders]
    files: dict[str, set[str]] = {f: set() for f in folders}
    bad: dict[str, set[str]] = {f: set() for f in folders}
    for d in docs:
        src = d.source or d.path
        for f in folders:
            if under(src, f):
                files[f].add(src)
                if d.status == "error":
                    bad[f].add(src)
    return {f: (len(files[f]), len(bad[f])) for f in folders}


def folder_report(folders: Sequence[str], docs: Iterable[DocRow], directory: Path) -> list[FolderStatus]:
    """Status of the watched folders for `cove status`: live states if a watcher runs, else "not running"."""
    live = read_state(directory)
    counts = count_files(folders, docs)
    out: list[FolderStatus] = []
    for f in folders:
        path = os.path.abspath(os.path.expanduser(f))
        files, problems = counts.get(path, (0, 0))
        st = (live or {}).get(path)
        if st is not None:
            out.append(FolderStatus(path, st.state, files, st.pending, problems, st.detail))
        elif live is not None:
            out.append(FolderStatus(path, NOT_RUNNING, files, 0, problems, "not watched by the running watcher"))
        else:
            out.append(FolderStatus(path, NOT_RUNNING, files, 0, problems))
    return out


def _read_pid(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""
