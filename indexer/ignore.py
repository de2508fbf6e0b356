"""Which paths are never indexed: editor/office temp and lock files, partial downloads, hidden folders, VCS and build
caches, plus the user's own ignore globs. Shared by the folder scan and the watcher so they always agree."""
from __future__ import annotations

import fnmatch
import os
from pathlib import PurePath
from typing import Sequence

IGNORED_DIR_NAMES = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", ".tox", ".mypy_cache"})
IGNORED_FILE_GLOBS = ("~$*", ".~lock*", "*.swp", "*.swo", "*.swx", "*~", "*.tmp", "*.temp", "*.part", "*.crdownload",
                      "*.partial", ".#*", "#*#", ".DS_Store", "Thumbs.db", "desktop.ini")


class IgnoreRules:
    def __init__(self, user_globs: Sequence[str] = ()) -> None:
        self.user_globs = tuple(user_globs)

    def ignores_dir(self, name: str, path: str | None = None) -> bool:
        """With `path`, a hidden folder that is a mail folder (Maildir++ `.Sent`, KMail `.inbox.directory`) is kept."""
        if path is not None and name not in IGNORED_DIR_NAMES and is_mail_folder(path):  # (mail)
            return self._user(name)
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
        if any(self.ignores_dir(p, os.path.join(*parts[: i + 1])) for i, p in enumerate(parts) if 0 < i < len(parts) - 1):
            return True
        return any(fnmatch.fnmatch(path, g) for g in self.user_globs)

    def _user(self, name: str) -> bool:
        return any(fnmatch.fnmatch(name, g) for g in self.user_globs)


def is_mail_folder(path: str) -> bool:
    """(mail) Maildir++ and KMail keep folders as hidden directories (`.Sent`, `.Work.Projects`, `.inbox.directory`):
    they hold mail, not tool state, so the hidden-folder rule must not skip them."""
    name = os.path.basename(path.rstrip(os.sep))
    if not name.startswith(".") or len(name) < 2:
        return False
    return name.endswith(".directory") or any(os.path.isdir(os.path.join(path, d)) for d in ("cur", "new"))
