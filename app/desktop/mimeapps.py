"""Read and edit XDG `mimeapps.list` files (the user's default applications), touching only the keys asked for.

Why not configparser: it lower-cases keys, drops comments and reorders groups; a user's mimeapps.list is theirs and
must come back byte-for-byte the same except for the one value Cove changes. Used by integration.py to restore
the previous default when `cove desktop uninstall` undoes `cove desktop install --default`.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

DEFAULTS_GROUP = "Default Applications"
ADDED_GROUP = "Added Associations"


def _split(value: str) -> list[str]:
    return [v for v in value.strip().split(";") if v]


def read_default(path: Path, mime: str) -> str | None:
    """The first desktop id in [Default Applications] for `mime`, or None."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    group = ""
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            group = stripped[1:-1]
        elif group == DEFAULTS_GROUP and "=" in stripped:
            key, value = stripped.split("=", 1)
            if key.strip() == mime:
                ids = _split(value)
                return ids[0] if ids else None
    return None


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".mimeapps-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def set_default(path: Path, mime: str, desktop_id: str | None) -> None:
    """Make `desktop_id` the default for `mime` (None: remove the key). Other lines stay exactly as they were."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = []
    out: list[str] = []
    group, done, has_group = "", False, False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            if group == DEFAULTS_GROUP and not done and desktop_id:
                out.append(f"{mime}={desktop_id};")
                done = True
            group = stripped[1:-1]
            has_group = has_group or group == DEFAULTS_GROUP
        elif group == DEFAULTS_GROUP and "=" in stripped and stripped.split("=", 1)[0].strip() == mime:
            if desktop_id and not done:
                out.append(f"{mime}={desktop_id};")
            done = True
            continue
        out.append(line)
    if not done and desktop_id:
        if group == DEFAULTS_GROUP:
            out.append(f"{mime}={desktop_id};")
        elif not has_group:
            if out and out[-1].strip():
                out.append("")
            out += [f"[{DEFAULTS_GROUP}]", f"{mime}={desktop_id};"]
        else:  # the group exists earlier in the file but we only learned that now: insert after its header
            index = next(i for i, line in enumerate(out) if line.strip() == f"[{DEFAULTS_GROUP}]")
            out.insert(index + 1, f"{mime}={desktop_id};")
    if out == lines:
        return
    _write_atomically(path, "\n".join(out) + "\n")


def remove_added(path: Path, mime: str, desktop_id: str) -> None:
    """Drop `desktop_id` from [Added Associations] for `mime` (some xdg-mime versions add it there too)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return
    out: list[str] = []
    group = ""
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            group = stripped[1:-1]
        elif group == ADDED_GROUP and "=" in stripped and stripped.split("=", 1)[0].strip() == mime:
            ids = [i for i in _split(stripped.split("=", 1)[1]) if i != desktop_id]
            if ids:
                out.append(f"{mime}={';'.join(ids)};")
            continue
        out.append(line)
    if out != lines:
        _write_atomically(path, "\n".join(out) + "\n")
