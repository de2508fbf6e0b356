"""Helpers for the watcher tests: start a real watcher (real watchdog observer, real LanceDB) and wait on conditions
by polling with a timeout, never by fixed sleeps, so the tests hold on a loaded machine."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from app import paths
from indexer.store import DocRow
from indexer.watcher import FolderWatcher, WatchEvent

WAIT_S = 20.0


def wait_for(cond: Callable[[], Any], timeout: float = WAIT_S, what: str = "condition") -> Any:
    end = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def state_dir() -> Path:
    return paths.data_dir() / "journal"


class Running:
    """A started watcher plus what it reported."""

    def __init__(self, indexer: Any, folders: list[Path], **kwargs: Any) -> None:
        self.indexer = indexer
        self.events: list[WatchEvent] = []
        kwargs.setdefault("debounce_s", 0.3)
        self.watcher = FolderWatcher(indexer, [str(f) for f in folders], state_dir=state_dir(),
                                     on_event=self.events.append, **kwargs)

    def start(self, idle: bool = True) -> "Running":
        self.watcher.start()
        if idle:
            assert self.watcher.wait_idle(60), "watcher did not finish catching up"
        return self

    def docs(self) -> dict[str, DocRow]:
        """Document rows by path."""
        return {d.path: d for d in self.indexer.store.load_documents().values()}

    def wait_doc(self, path: Path, cond: Callable[[DocRow], bool] = lambda d: True, what: str = "") -> DocRow:
        return wait_for(lambda: (d := self.docs().get(str(path))) is not None and cond(d) and d,
                        what=what or f"{path.name} indexed")

    def wait_gone(self, path: Path) -> None:
        wait_for(lambda: not any(p == str(path) or p.startswith(str(path) + "/") for p in self.docs()),
                 what=f"{path.name} removed")

    def texts(self) -> str:
        return " ".join(self.indexer.store.chunks_table.to_arrow().column("text").to_pylist())

    def kinds(self, path: Path) -> list[str]:
        return [e.kind for e in self.events if e.path == str(path) or e.dest == str(path)]

    def settle(self) -> None:
        """Let events already on their way (and a move's delayed other half) arrive and be applied."""
        time.sleep(1.2)
        assert self.watcher.wait_idle(WAIT_S)

    def stop(self) -> None:
        self.watcher.stop()
