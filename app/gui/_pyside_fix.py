"""Work around a reference-counting bug of the PySide6 6.12 abi3 wheels on Python 3.11.

Every Qt call that returns None (any void method, processEvents, setText, ...) or a bool from `Signal.emit` hands the
singleton back without taking a reference. Python 3.12+ made None/True/False immortal, so there it is harmless; on
3.11 each call drops one reference and after some ten thousand calls the interpreter aborts with
"Fatal Python error: none_dealloc". Until a fixed PySide6 is installed, give the three singletons a huge reference
count — what 3.12 does by design; they are never freed anyway, so nothing else changes."""
from __future__ import annotations

import ctypes
import sys

_BALLAST = 1 << 40  # a trillion lost references before trouble
_applied = False


def apply() -> None:
    global _applied
    if _applied or sys.version_info >= (3, 12) or not hasattr(sys, "getrefcount"):
        return
    for singleton in (None, True, False):
        # ob_refcnt is the first field of every PyObject in release builds of CPython.
        ctypes.c_ssize_t.from_address(id(singleton)).value += _BALLAST
    _applied = True


apply()
