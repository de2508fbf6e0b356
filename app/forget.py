""""Forget": remove documents so that their text is gone from every byte Cove keeps on disk, and stays out.

Deleting rows is not enough: Lance hides a deleted row behind a deletion vector but keeps its bytes in the shared
fragment, keeps old table versions (which still hold the text), and the full-text index keeps the tokens; SQLite
keeps deleted text in free pages. So forget, holding the writer lock: puts the paths on the exclusion list first (a
running watcher in another process then never brings them back), unwatches forgotten folders and drops forgotten mail
stores from `mail_stores`, deletes the rows, rewrites every fragment that held a deleted row and deletes every old
version (indexer/scrub.py), rebuilds the full-text (and vector) index, then scrubs chat history: every answer that
cited a forgotten file is replaced by a note (the question stays, it is the user's own words) and the source entries
with their quoted snippets are removed, then VACUUM.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from app import paths

if TYPE_CHECKING:
    from app.core import CoveCore
    from indexer.scrub import ScrubResult
    from indexer.store import Store


@dataclass(frozen=True)
class ForgetResult:
    documents: int
    history_sources: int
    paths: tuple[str, ...]


def forget(core: CoveCore, targets: Sequence[str], *, exclude: bool = True, kind: str | None = None) -> ForgetResult:
    """Forget files, folders or mail stores (anything at or under the given paths). With `exclude` (the default)
    they go on the exclusion list and stay out until the user indexes them again explicitly; the GUI passes
    `exclude=False` only when it drops a dragged-in item on its own (`remember_dropped` off)."""
    from app.history import History

    absolute = [os.path.abspath(os.path.expanduser(t)) for t in targets]
    stores = core.settings.get_paths("mail_stores")
    if exclude:  # first, so no writer anywhere brings them back while we delete
        for path in absolute:
            core.exclusions.add([path], kind or ("mail store" if path in stores else None))
    for folder in absolute:  # a forgotten folder is no longer watched, or the watcher would index it again
        if hasattr(core, "set_watched") and folder in core.watched_folders():
            core.set_watched(folder, False)
    kept = [s for s in stores if not any(under(s, t) for t in absolute)]
    if kept != stores:  # a forgotten mail store is not indexed again at the next start
        core.settings.set("mail_stores", kept)
        core.settings.save()
    with core.indexer.writing("forget"):
        removed = core.indexer.remove_paths(absolute)
        purge_old_versions(core.store)
    if hasattr(core, "roots"):  # issue 15: how a forgotten root got in is not kept either
        core.roots.forget(absolute)
    history = History()
    scrubbed = history.forget_paths(sorted(set(removed) | set(absolute)))
    return ForgetResult(len(removed), scrubbed, tuple(removed))


def under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def purge_old_versions(store: Store) -> ScrubResult:
    """Rewrite every fragment that held a deleted row, rebuild the indexes, drop every old version. Call it holding
    the writer lock (`Indexer.writing`)."""
    from indexer.scrub import scrub_store

    return scrub_store(store)


def forget_all() -> list[str]:
    """Wipe every byte Cove wrote: the data dir (index, history, model, journal) and the config dir."""
    wiped: list[str] = []
    for directory in (paths.data_dir(), paths.config_dir()):
        if directory.exists():
            shutil.rmtree(directory)
            wiped.append(str(directory))
    return wiped
