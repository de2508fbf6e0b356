""""Forget": remove documents so that their text is gone from every byte Cove keeps on disk.

Deleting rows is not enough: Lance keeps old table versions (which still hold the text) and the full-text index keeps
the tokens; SQLite keeps deleted text in free pages. So forget deletes the rows, scrubs chat history, compacts the
tables, rebuilds the full-text index, deletes every old version, and VACUUMs the history.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import Any, Sequence

from app import paths


@dataclass(frozen=True)
class ForgetResult:
    documents: int
    history_sources: int
    paths: tuple[str, ...]


def forget(core: Any, targets: Sequence[str]) -> ForgetResult:
    """Forget files, folders or mail stores (anything at or under the given paths)."""
    from app.history import History

    absolute = [os.path.abspath(os.path.expanduser(t)) for t in targets]
    for folder in absolute:  # a forgotten folder is no longer watched, or the watcher would index it again
        if hasattr(core, "set_watched") and folder in core.watched_folders():
            core.set_watched(folder, False)
    removed = core.indexer.remove_paths(absolute)
    history = History()
    scrubbed = history.forget_paths(sorted(set(removed)))
    purge_old_versions(core.store)
    return ForgetResult(len(removed), scrubbed, tuple(removed))


def purge_old_versions(store: Any) -> None:
    """Compact, rebuild the full-text index from the remaining rows, and drop every old version."""
    store.optimize(cleanup=True)
    store.rebuild_fts_index()
    store.optimize(cleanup=True)


def forget_all() -> list[str]:
    """Wipe every byte Cove wrote: the data dir (index, history, model, journal) and the config dir."""
    wiped: list[str] = []
    for directory in (paths.data_dir(), paths.config_dir()):
        if directory.exists():
            shutil.rmtree(directory)
            wiped.append(str(directory))
    return wiped
