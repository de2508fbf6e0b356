"""What `cove privacy` and the GUI's privacy indicator show: where every piece of user data lives (with sizes), the
network attempts blocked since start, the telemetry switches set, and any file whose permissions were loosened."""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app import paths
from app.privacy import guard


@dataclass(frozen=True)
class DataLocation:
    what: str
    path: str
    bytes: int
    exists: bool


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def data_locations() -> list[DataLocation]:
    data = paths.data_dir()
    items = [
        ("index (documents, chunks, full-text index)", data / "index"),
        ("chat history", data / "history.sqlite3"),
        ("assembled language model", data / "models"),
        ("watcher journal", data / "journal"),
        ("settings", paths.config_dir() / "settings.json"),
    ]
    known = {p for _, p in items}
    for extra in sorted(data.iterdir()) if data.is_dir() else []:
        if extra not in known and not extra.name.startswith("."):
            items.append((f"other ({extra.name})", extra))
    return [DataLocation(w, str(p), _size(p) if p.exists() else 0, p.exists()) for w, p in items]


def loosened_permissions(limit: int = 50) -> list[str]:
    """Files or folders under Cove's dirs that others could read (expected: none)."""
    found: list[str] = []
    for base in {paths.data_dir(), paths.config_dir()}:
        for root, dirs, files in os.walk(base):
            for name in [*dirs, *files]:
                full = os.path.join(root, name)
                try:
                    mode = os.lstat(full).st_mode
                except OSError:
                    continue
                if stat.S_ISLNK(mode):
                    continue
                if mode & 0o077:
                    found.append(f"{full} ({oct(mode & 0o777)})")
                    if len(found) >= limit:
                        return found
            if os.lstat(root).st_mode & 0o077:
                found.append(f"{root} ({oct(os.lstat(root).st_mode & 0o777)})")
    return sorted(set(found))


def report() -> dict[str, Any]:
    attempts = guard.blocked_attempts()
    return {
        "everything_local": True,
        "data": [loc.__dict__ for loc in data_locations()],
        "total_bytes": sum(loc.bytes for loc in data_locations()),
        "network_attempts_blocked": len(attempts),
        "blocked": [{"when": a.when, "destination": a.destination, "stack": a.stack} for a in attempts],
        "telemetry_switches": guard.telemetry_switches(),
        "loosened_permissions": loosened_permissions(),
        "guard": "audit hook on socket.connect / getaddrinfo: only loopback allowed (always on)",
        "disk_encryption": _disk_encryption(),
    }


def _disk_encryption() -> dict[str, str]:
    """Is the data folder on an encrypted volume (issue 13)? Never fails the report: "unknown" on any error."""
    from app.privacy.disk_encryption import UNKNOWN, DiskEncryption, check

    try:
        return check(paths.data_dir()).as_dict()
    except Exception as exc:  # a privacy report must still print
        return DiskEncryption(UNKNOWN, "", "", "", "", f"Cove could not tell ({exc}).").as_dict()
