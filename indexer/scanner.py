"""Walk the folders a user asked to index. Symlink loops, unreadable folders and broken links are reported as
`ScanProblem`s, never fatal, and never followed twice."""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from indexer.ignore import IgnoreRules


@dataclass(frozen=True)
class FoundFile:
    path: str
    size: int
    mtime: float
    root: str


@dataclass(frozen=True)
class ScanProblem:
    path: str
    reason: str


def scan(paths: list[str], rules: IgnoreRules) -> Iterator[FoundFile | ScanProblem]:
    """Yield every indexable file under `paths` (files are yielded as given, even if a rule would ignore them)."""
    seen_dirs: set[tuple[int, int]] = set()
    for given in paths:
        root = os.path.abspath(os.path.expanduser(given))
        try:
            st = os.stat(root)
        except FileNotFoundError:
            yield ScanProblem(root, "not found" if not os.path.islink(root) else "broken symlink")
            continue
        except OSError as exc:
            yield ScanProblem(root, _reason(exc))
            continue
        if stat.S_ISDIR(st.st_mode):
            yield from _walk(root, root, rules, seen_dirs)
        elif stat.S_ISREG(st.st_mode):
            yield FoundFile(root, st.st_size, st.st_mtime, root)
        else:
            yield ScanProblem(root, "not a regular file")


def _walk(directory: str, root: str, rules: IgnoreRules, seen: set[tuple[int, int]]) -> Iterator[FoundFile | ScanProblem]:
    try:
        st = os.stat(directory)
    except OSError as exc:
        yield ScanProblem(directory, _reason(exc))
        return
    key = (st.st_dev, st.st_ino)
    if key in seen:
        yield ScanProblem(directory, "symlink loop (folder already visited)")
        return
    seen.add(key)
    try:
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield ScanProblem(directory, _reason(exc))
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=True):
                if not rules.ignores_dir(entry.name, entry.path):  # (mail) the path keeps Maildir++ folders
                    yield from _walk(entry.path, root, rules, seen)
                continue
            if rules.ignores_file(entry.name):
                continue
            if entry.is_symlink() and not os.path.exists(entry.path):
                yield ScanProblem(entry.path, "broken symlink")
                continue
            if not entry.is_file(follow_symlinks=True):
                continue
            est = entry.stat(follow_symlinks=True)
            yield FoundFile(entry.path, est.st_size, est.st_mtime, root)
        except OSError as exc:
            yield ScanProblem(entry.path, _reason(exc))


def _reason(exc: OSError) -> str:
    import errno

    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ENOENT:
        return "vanished (deleted while indexing)"
    return f"cannot read: {exc.strerror or exc}"


def under(path: str, folder: str) -> bool:
    folder = folder.rstrip(os.sep)
    return path == folder or path.startswith(folder + os.sep)


def display(path: str) -> str:
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path
