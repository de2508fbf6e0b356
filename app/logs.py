"""Cove's log file: data_dir()/logs/cove.log, owner-only, size-bounded, set up once by each entry point (`cove …`,
the desktop app, `cove serve`) with `configure()`.

Why a file: the desktop app's stderr is seen by nobody, so a failure in a worker must leave its traceback somewhere a
user can find and send (`cove status` names the file). Why owner-only: it sits beside the index and the history and
names the user's files; the directory is 0700 and every file, rotated copies included, is created 0600.

What is logged at INFO (the default): events and failures with their tracebacks, file paths at most. Never document
text, questions or answers: code that wants them logs at DEBUG, which only the user turns on (COVE_LOG_LEVEL=DEBUG).
Third-party libraries log at WARNING and above only, whatever COVE_LOG_LEVEL says (their INFO/DEBUG may quote
content, and is noise).

Size: 1 MB per file and 3 rotated copies, so at most 4 MB. Measured records: a chat-worker failure with its traceback
0.7 KB (tests/gui/test_gui_errors.py prints it), a damaged-index failure raised from deep inside LanceDB 2.1 KB, an INFO
line about 120 bytes (tests/app/test_logs.py). So one file holds some 500 deep failures or 8,000 events, months of
normal use (Cove logs a few events per session), while a failure loop cannot fill the disk; and 4 MB is small beside
an index of hundreds of MB. Only local handlers exist here (a file
and stderr); nothing in logging may open a socket (tests/app/test_logs.py checks).
"""
from __future__ import annotations

import logging
import os
import sys
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_FILE = "cove.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
OUR_LOGGERS = ("app", "indexer", "cove")  # module loggers (logging.getLogger(__name__)) and core notices
FILE_ONLY = {"cove_file_only": True}  # `extra=`: a record for the file, not the terminal (the CLI prints its own line)
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def log_path() -> Path:
    """Where the log is written in the current data dir (for `cove status`). Creates nothing: the directory and the
    file appear when something is first logged."""
    from app.paths import data_dir_path

    return data_dir_path() / "logs" / LOG_FILE


def level_from_env() -> int:
    """COVE_LOG_LEVEL (DEBUG, INFO, WARNING, ERROR); INFO when unset or not one of those."""
    name = os.environ.get("COVE_LOG_LEVEL", "").strip().upper()
    return getattr(logging, name) if name in LEVELS else logging.INFO


class OwnerOnlyRotatingFileHandler(RotatingFileHandler):
    """A RotatingFileHandler whose files are created 0600 whatever the umask (rotation renames them, and a fresh file
    is opened through here again)."""

    def _open(self):  # type: ignore[no-untyped-def]
        from app.paths import owner_only_dir

        logs = Path(self.baseFilename).parent
        owner_only_dir(logs.parent)  # the data dir first, so neither is made with the umask's bits
        owner_only_dir(logs)
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.fchmod(fd, 0o600)  # a file left by an older run with wider bits is narrowed too
        except OSError:
            pass
        return open(fd, self.mode, encoding=self.encoding, errors=self.errors)  # noqa: SIM115 - the handler owns it

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802
        """A log that cannot be written (read-only or vanished data dir) must not put tracebacks on the user's
        terminal or stop the app: the record is dropped. Other errors (a bad format string) are reported as usual."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handleError(record)


class _CurrentStderr(logging.StreamHandler):
    """Warnings on whatever sys.stderr is now, formatted as plain messages: exactly what Python's logging.lastResort
    printed before Cove had any handler (the CLI relies on that for core notices such as the embedder fallback)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setLevel(logging.WARNING)
        self.setFormatter(logging.Formatter("%(message)s"))
        self.addFilter(lambda record: not getattr(record, "cove_file_only", False))

    @property  # type: ignore[override]
    def stream(self):  # type: ignore[no-untyped-def]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:  # type: ignore[no-untyped-def]
        pass


def _install_excepthooks() -> None:
    """Exceptions nobody caught (in a Qt slot, which PySide6 hands to sys.excepthook, or in a helper thread) are
    written to the log too, then handled exactly as before by the hook that was there (which prints them)."""
    if getattr(sys.excepthook, "cove", False) and getattr(threading.excepthook, "cove", False):
        return
    log = logging.getLogger("cove")
    before_sys, before_thread = sys.excepthook, threading.excepthook

    def sys_hook(kind, value, tb):  # type: ignore[no-untyped-def]
        if not issubclass(kind, KeyboardInterrupt):
            log.error("uncaught exception", exc_info=(kind, value, tb), extra=FILE_ONLY)
        before_sys(kind, value, tb)

    def thread_hook(args):  # type: ignore[no-untyped-def]
        if args.exc_type is not SystemExit:
            name = args.thread.name if args.thread is not None else "?"
            log.error("uncaught exception in thread %s", name,
                      exc_info=(args.exc_type, args.exc_value, args.exc_traceback), extra=FILE_ONLY)
        before_thread(args)

    sys_hook.cove = thread_hook.cove = True  # type: ignore[attr-defined]
    if not getattr(sys.excepthook, "cove", False):
        sys.excepthook = sys_hook
    if not getattr(threading.excepthook, "cove", False):
        threading.excepthook = thread_hook


def configure(level: int | None = None) -> Path | None:
    """Send Cove's logging to the rotating file in the current data dir. Idempotent: a second call with the same data
    dir changes nothing, one with another data dir (tests, --data-dir) moves the file there. Returns the file's path
    (made on the first record), or None when the data dir cannot even be located."""
    root = logging.getLogger()
    level = level_from_env() if level is None else level
    for name in OUR_LOGGERS:
        logging.getLogger(name).setLevel(level)
    ours = [h for h in root.handlers if isinstance(h, OwnerOnlyRotatingFileHandler)]
    # Stand in for logging.lastResort, which stops printing once any handler exists; not when someone (pytest's log
    # capture, an embedding application) already handles the root logger.
    if not any(isinstance(h, _CurrentStderr) for h in root.handlers) and not (set(root.handlers) - set(ours)):
        root.addHandler(_CurrentStderr())
    _install_excepthooks()
    try:
        path = log_path()
    except OSError:
        return None
    if ours and Path(ours[0].baseFilename) == path:
        ours[0].setLevel(level)
        return path
    for old in ours:
        root.removeHandler(old)
        old.close()
    handler = OwnerOnlyRotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8",
                                           delay=True)  # opened (and its directory made) on the first record
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    return path
