"""Unload the language model after `model_idle_minutes` without questions; the next question loads it again.

Why: the loaded model is most of an idle Cove's memory (the bundled Gemma 270M ~0.3 GB resident, a 7B model 4–5 GB),
and a resident Cove (`cove serve`, the tray app) idles for hours. Reloading the bundled model takes ~0.5–1 s, paid
once after a pause. A daemon timer thread per assistant does the check, so memory is returned even if no further
call ever comes; it runs only while a model is loaded. `model_idle_minutes` = 0 keeps the model loaded.
"""
from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from app.settings_schema import SCHEMA

log = logging.getLogger(__name__)


class IdleUnloader:
    def __init__(self, assistant: Any) -> None:
        self.assistant = assistant
        self._last = time.monotonic()
        self._busy = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        return self._busy > 0

    def idle_s(self) -> float:
        """The setting in seconds (0 = never unload)."""
        try:
            minutes = self.assistant.core.settings.get_float("model_idle_minutes")
        except ValueError:  # a value that bypassed validation: the timer thread must not die of it
            minutes = float(SCHEMA["model_idle_minutes"].default)
        return max(0.0, minutes * 60.0)

    def idle_for(self) -> float:
        return time.monotonic() - self._last

    def touch(self) -> None:
        self._last = time.monotonic()

    @contextlib.contextmanager
    def in_use(self) -> Iterator[None]:
        """Hold the model for the duration (a question being answered): never unloaded meanwhile."""
        with self._lock:
            self._busy += 1
        try:
            yield
        finally:
            with self._lock:
                self._busy -= 1
            self.touch()

    def watch(self) -> None:
        """Start the timer thread (called when a model is loaded; it ends when the model is unloaded)."""
        if self.idle_s() <= 0:
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._run, name="cove-model-idle", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            idle = self.idle_s()
            if idle <= 0:
                return
            # check often enough to unload within ~25 % of the idle time, but at most every 30 s
            time.sleep(min(30.0, max(0.05, idle / 4)))
            if not self.assistant.model_loaded:
                return
            if self.assistant.unload_if_idle(idle):
                log.info("language model unloaded after %.0f s without questions", idle)
                _return_freed_memory()
                return


def _return_freed_memory() -> None:
    """Ask glibc to hand freed heap pages back to the OS (the model's buffers are large but not all mmapped)."""
    import ctypes
    import sys

    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # musl or another libc: the memory is still reusable by Cove
            pass
