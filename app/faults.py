"""Faults in plain words: turn the failures a user can meet (disk full, a data folder Cove may not use, a damaged
index, a damaged settings file) into one sentence that says what happened and what to do — never a Python or Rust
traceback (set COVE_DEBUG=1 for that). The CLI prints it and exits 1; the GUI shows the same text.

Why string matching too: LanceDB raises its Rust errors as plain `OSError`/`RuntimeError`/`ValueError` whose only
trace of the cause is the text (e.g. "LanceError(IO): ... No space left on device (os error 28)").
"""
from __future__ import annotations

import errno
import os
from pathlib import Path

DISK_FULL = ("no space left on device", "os error 28", "disk quota exceeded", "os error 122")
DENIED = ("permission denied", "os error 13", "read-only file system", "os error 30")
DAMAGED = ("lanceerror", "corrupt", "manifest", "invalid data", "not a valid", "unexpected end",
           "failed to read", "did not find", "was not found", "object at location", ".lance")


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    while exc is not None and exc not in out and len(out) < 10:
        out.append(exc)
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return out


def _text(exc: BaseException) -> str:
    return " ".join(f"{type(e).__name__} {e}" for e in _chain(exc)).lower()


def _errno(exc: BaseException) -> int | None:
    for e in _chain(exc):
        if isinstance(e, OSError) and e.errno is not None:
            return e.errno
    return None


def explain(exc: BaseException, data_dir: Path | None = None) -> str | None:
    """A plain message for a known fault, or None (the caller then shows the exception's own text)."""
    from app import paths  # lazy: importing must not create the data dir

    data = data_dir or _data_dir_or_none(paths)
    index = (data / "index") if data else None
    text = _text(exc)
    code = _errno(exc)
    from app.history_migrations import HistoryTooNew
    from app.settings import SettingsError

    from indexer.exclusions import ExclusionsDamaged

    if any(isinstance(e, (SettingsError, ExclusionsDamaged, HistoryTooNew)) for e in _chain(exc)):
        return str(exc)
    if code in (errno.ENOSPC, errno.EDQUOT) or any(s in text for s in DISK_FULL):
        return (f"Disk full while writing the index at {index or 'the data folder'}: free some space; what was indexed "
                "is kept (run the same command again to finish).")
    if code in (errno.EACCES, errno.EPERM, errno.EROFS) or any(s in text for s in DENIED):
        where = getattr(exc, "filename", None) or data or "Cove's data folder"
        return (f"Cove cannot use its data folder ({where}): {_short(exc)}. Make it yours and writable "
                f"(`chmod -R u+rwX {data or where}`), or choose another folder with --data-dir or COVE_DATA_DIR.")
    if _from_lance(exc) or (index is not None and str(index).lower() in text and any(s in text for s in DAMAGED)):
        return (f"The index at {index or 'the data folder'} is damaged ({_short(exc)}). Your files are not touched: "
                f"move that folder away (or delete it) and run `cove index PATH...` to build it again.")
    return None


def _from_lance(exc: BaseException) -> bool:
    for e in _chain(exc):
        mod = type(e).__module__ or ""
        if mod.startswith(("lance", "lancedb")) or "lanceerror" in str(e).lower():
            return True
    return False


def _short(exc: BaseException, limit: int = 160) -> str:
    """The first line of the innermost message, without Rust source locations."""
    msg = str(_chain(exc)[-1]) or type(exc).__name__
    line = msg.strip().splitlines()[0] if msg.strip() else msg
    line = line.split(", /")[0].split(" at /")[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _data_dir_or_none(paths) -> Path | None:  # type: ignore[no-untyped-def]
    env = os.environ.get("COVE_DATA_DIR")
    if env:
        return Path(env).expanduser()
    try:
        from platformdirs import user_data_dir

        return Path(user_data_dir(paths.APP_NAME, appauthor=False))
    except Exception:
        return None
