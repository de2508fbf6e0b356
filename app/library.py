"""The library: the roots in the index, how each one got there, and the per-root counts that `cove status` and the
desktop library both show. Qt-free; `CoveCore` owns one `RootLog` and builds the `LibrarySnapshot` here.

Why a log of origins: the index holds documents, not the reason they are there. Before, the desktop library guessed
from the settings alone (a document under no watched folder or mail store was a "dropped file"), so a folder indexed
with `cove index` showed up as "Dropped files" (issue 15). Now every explicit way in records its root with an origin
in `roots.json` beside the index. Indexes from before the log have no record: their documents show as "Indexed
files" with no origin, which is the truth, never a guess.

Watched folders and mail stores are still decided by the settings (the user can edit them in the settings file), so
their origin can never disagree with what the watcher and mail catch-up do.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from indexer.store import DocRow

Origin = Literal["watched", "unwatched", "mail", "cli", "drop", "unknown"]
ORIGINS: tuple[Origin, ...] = ("watched", "unwatched", "mail", "cli", "drop", "unknown")
ROOTS_FILE = "roots.json"


def origin_label(origin: str, is_dir: bool = True) -> str:
    """How a root's origin reads in `cove status` and in the library: "Watched folder", "Indexed with cove index"."""
    thing = "folder" if is_dir else "file"
    return {"watched": "Watched folder", "unwatched": "Folder no longer watched", "mail": "Mail store",
            "cli": "Indexed with cove index", "drop": f"Dropped {thing}"}.get(origin, f"Indexed {thing}")


def under(path: str, root: str) -> bool:
    root = root.rstrip(os.sep) or os.sep
    return path == root or path.startswith(root if root.endswith(os.sep) else root + os.sep)


def absolute(path: str) -> str:
    return os.path.abspath(os.path.expanduser(path)).rstrip(os.sep) or os.sep


@dataclass(frozen=True)
class RootRecord:
    path: str
    origin: Origin
    since: float  # when it was first recorded (epoch seconds)


class RootLog:
    """`roots.json` in the data dir: {path: {"origin": ..., "since": ...}}, written atomically and owner-only. A
    later explicit act on the same path (a dropped folder indexed again with `cove index`) replaces its origin."""

    def __init__(self, data_dir: Path) -> None:
        self.file = Path(data_dir) / ROOTS_FILE

    def items(self) -> list[RootRecord]:
        try:
            raw = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []  # no log yet (an index from before issue 15), or unreadable: origins are then unknown
        out = []
        for path, v in (raw.items() if isinstance(raw, dict) else ()):
            origin = v.get("origin") if isinstance(v, dict) else None
            if isinstance(path, str) and origin in ORIGINS:
                out.append(RootRecord(path, origin, float(v.get("since", 0.0))))
        return sorted(out, key=lambda r: r.path)

    def record(self, paths: Iterable[str], origin: Origin) -> list[str]:
        """Record these roots (those that exist) as having come in by `origin`. Returns the recorded paths."""
        current = {r.path: r for r in self.items()}
        added = []
        for p in paths:
            path = absolute(p)
            if not os.path.lexists(path):
                continue
            old = current.get(path)
            if old is None or old.origin != origin:
                current[path] = RootRecord(path, origin, old.since if old else time.time())
                added.append(path)
        if added:
            self._save(current.values())
        return added

    def forget(self, paths: Sequence[str]) -> int:
        """Drop every record at or under these paths (a forgotten path's name is not kept here either)."""
        targets = [absolute(p) for p in paths]
        current = self.items()
        kept = [r for r in current if not any(under(r.path, t) for t in targets)]
        if len(kept) != len(current):
            self._save(kept)
        return len(current) - len(kept)

    def _save(self, records: Iterable[RootRecord]) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        data = {r.path: {"origin": r.origin, "since": round(r.since, 3)} for r in sorted(records, key=lambda r: r.path)}
        tmp = self.file.with_name(self.file.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, ensure_ascii=False)
        os.replace(tmp, self.file)


# --- what the library shows ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    path: str
    status: str  # skipped | error
    reason: str


@dataclass(frozen=True)
class RootCounts:
    """Counts of one root (or of the documents under none), as found in the index."""

    path: str
    kind: str  # folder | mail | other  ("mail" for mail stores; "other" for documents under no root)
    exists: bool
    indexed: int = 0
    skipped: int = 0
    errors: int = 0
    chunks: int = 0
    documents: tuple[str, ...] = ()  # for "other": the paths, so each can be forgotten
    origin: Origin = "unknown"

    @property
    def label(self) -> str:
        return origin_label(self.origin, self.kind != "file")


@dataclass(frozen=True)
class LibrarySnapshot:
    roots: tuple[RootCounts, ...]  # watched folders, mail stores, then roots indexed with cove index or dropped
    other: RootCounts  # documents under no known root: indexed before origins were recorded, leftovers
    problems: tuple[Problem, ...]
    documents: int
    chunks: int

    def of(self, origin: Origin) -> list[RootCounts]:
        return [r for r in self.roots if r.origin == origin]


def library_roots(watched: Sequence[str], mail: Sequence[str], log: Sequence[RootRecord]) -> list[tuple[str, Origin]]:
    """Every root with its origin: the settings decide watched folders and mail stores; the log the rest. A logged
    root inside another root is not a root of its own (its documents count in the outer one)."""
    roots: list[tuple[str, Origin]] = [(absolute(p), "watched") for p in watched]
    roots += [(absolute(p), "mail") for p in mail if absolute(p) not in {r for r, _ in roots}]
    outer = [r for r, _ in roots]
    logged = sorted(log, key=lambda r: (len(r.path), r.path))
    for rec in logged:
        if not any(under(rec.path, o) for o in outer):  # a logged "watched" root no longer in the settings: unwatched
            roots.append((rec.path, "unwatched" if rec.origin == "watched" else rec.origin))
            outer.append(rec.path)
    return roots


def build_snapshot(docs: Iterable["DocRow"], roots: Sequence[tuple[str, Origin]], chunks: int,
                   max_problems: int = 500) -> LibrarySnapshot:
    """Per-root counts and the list of files that could not be indexed, from the documents table."""
    counts: dict[str, list[int]] = {path: [0, 0, 0, 0] for path, _ in roots}
    other = [0, 0, 0, 0]
    other_paths: list[str] = []
    problems: list[Problem] = []
    for d in docs:
        where = d.source or d.path
        slot = next((counts[r] for r, _ in roots if under(where, r) or under(d.path, r)), None)
        if slot is None:
            slot = other
            if where not in other_paths:
                other_paths.append(where)
        if d.status == "indexed":
            slot[0] += 1
        elif d.status == "skipped":
            slot[1] += 1
        else:
            slot[2] += 1
        slot[3] += int(d.n_chunks or 0)
        if d.status != "indexed" and len(problems) < max_problems:
            problems.append(Problem(d.path, d.status, d.error or d.status))
    problems.sort(key=lambda p: (p.status != "error", p.path))
    root_counts = tuple(RootCounts(path, _kind(path, origin), os.path.exists(path), *counts[path], origin=origin)
                        for path, origin in roots)
    return LibrarySnapshot(root_counts, RootCounts("", "other", True, *other, documents=tuple(sorted(other_paths))),
                           tuple(problems), sum(sum(c[:3]) for c in counts.values()) + sum(other[:3]), chunks)


def _kind(path: str, origin: Origin) -> str:
    if origin == "mail":
        return "mail"
    return "file" if os.path.isfile(path) else "folder"


def dropped_to_release(dropped: Sequence[str], roots: Sequence[tuple[str, Origin]]) -> list[str]:
    """Of the dropped items the user stopped asking about (`remember_dropped` off), those Cove removes again: not
    the ones that are also inside a watched folder, a mail store or a root indexed with `cove index`."""
    kept = [r for r, origin in roots if origin not in ("drop", "unknown")]
    return [p for p in (absolute(d) for d in dropped) if not any(under(p, k) for k in kept)]


def roots_json(snap: LibrarySnapshot) -> list[dict[str, object]]:
    """`cove status --json` "roots": each root with its origin and counts."""
    out: list[dict[str, object]] = [
        {"path": r.path, "origin": r.origin, "label": r.label, "exists": r.exists, "indexed": r.indexed,
         "skipped": r.skipped, "errors": r.errors, "chunks": r.chunks} for r in snap.roots]
    o = snap.other
    if o.documents:
        out.append({"path": "", "origin": "unknown", "label": "Indexed files (how is not recorded)", "exists": True,
                    "indexed": o.indexed, "skipped": o.skipped, "errors": o.errors, "chunks": o.chunks,
                    "documents": len(o.documents)})
    return out
