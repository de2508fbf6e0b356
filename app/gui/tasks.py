"""One-off background jobs (read a GGUF header, prepare the viewer's text, discover mail stores) on Qt's thread
pool, with the result delivered back on the GUI thread. The function must return a frozen record or a str."""
from __future__ import annotations

import logging
from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from app.gui.errors import Failure, failure

log = logging.getLogger(__name__)

_alive: set["_Relay"] = set()  # keeps relays alive until their result is delivered


class _Relay(QObject):
    done = Signal(object)
    failed = Signal(object)  # a Failure (app/gui/errors.py): the message, with details when unexpected


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn = fn
        self.relay = relay
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # reported to the caller as a message, never a crash
            detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            if isinstance(exc, (OSError, ValueError)):  # expected (an unreadable file): the message says it all
                log.info("a background task failed: %s", type(exc).__name__)  # its text only at DEBUG: may quote a file
                log.debug("a background task failed: %s", detail)
                self.relay.failed.emit(Failure(detail))
            else:
                self.relay.failed.emit(failure(log, exc, "a background task", detail))
        else:
            self.relay.done.emit(result)


def run_task(fn: Callable[[], Any], on_done: Callable[[Any], None],
             on_error: Callable[[str], None] | None = None, owner: QObject | None = None) -> None:
    """Run `fn` off the GUI thread; `on_done(result)` / `on_error(message)` are called on the GUI thread, and not
    at all when `owner` (the widget that asked) has been deleted meanwhile."""
    relay = _Relay()
    _alive.add(relay)

    def owner_gone() -> bool:
        return owner is not None and not shiboken6.isValid(owner)

    def finish(result: Any) -> None:
        _alive.discard(relay)
        if not owner_gone():
            on_done(result)

    def fail(message: str) -> None:
        _alive.discard(relay)
        if on_error is not None and not owner_gone():
            on_error(message)

    relay.done.connect(finish)
    relay.failed.connect(fail)
    QThreadPool.globalInstance().start(_Runnable(fn, relay))


def wait_for_tasks(timeout_ms: int = 10_000) -> bool:
    """Let pending background tasks finish (used at shutdown and in tests)."""
    return QThreadPool.globalInstance().waitForDone(timeout_ms)
