"""Which paths are never indexed: editor/office temp and lock files, partial downloads, hidden folders, VCS and build
caches, plus the user's own ignore globs. Shared by the folder scan and the watcher so they always agree."""
from __future__ import annotations

import fnmatch
from pathlib import PurePath
from typing import Sequence

IGNORED_DIR_NAMES = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", ".tox", ".mypy_cache"})
IGNORED_FILE_GLOBS = ("~$*", ".~lock*", "*.swp", "*.swo", "*.swx", "*~", "*.tmp", "*.temp", "*.part", "*.crdownload",
                      "*.partial", ".#*", "#*#", ".DS_Store", "Thumbs.db", "desktop.ini")


class IgnoreRules:
    def __init__(self, user_globs: Sequence[str] = ()) -> None:
        self.user_globs = tuple(user_globs)

    def ignores_dir(self, name: str) -> bool:
        return name in IGNORED_DIR_NAMES or name.startswith(".") or self._user(name)

    def ignores_file(self, name: str) -> bool:
        return name.startswith(".") or any(fnmatch.fnmatch(name, g) for g in IGNORED_FILE_GLOBS) or self._user(name)

    def ignores_path(self, path: str) -> bool:
        """True if the file itself or any folder on its way is ignored (used for watcher events)."""
        parts = PurePath(path).parts
        if not parts:
            return False
        if self.ignores_file(parts[-1]):
            return True
        if any(self.ignores_dir(p) for p in parts[1:-1]):
            return True
        return any(fnmatch.fnmatch(path, g) for g in self.user_globs)

    def _user(self, name: str) -> bool:
        return any(fnmatch.fnmatch(name, g) for g in self.user_globs)
