"""Give freed heap back to the OS (glibc `malloc_trim`) at moments when a long-lived process goes quiet.

Why: glibc keeps freed memory in its arenas rather than unmapping it, so a process that indexed for minutes kept its
high-water mark while idle (issue 12: the desktop app idle after indexing). ONNX Runtime's allocations, Arrow buffers
and Python's large objects all come back through here. Trimming costs milliseconds; on musl or another libc it is a
no-op (the memory stays reusable by the process itself).
"""
from __future__ import annotations

import sys


def give_back() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim this way
        pass
