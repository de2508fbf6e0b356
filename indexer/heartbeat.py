"""Progress beats from inside a parser, so the writer can tell a slow but working parse from a hung one.

Why: parsing runs in worker processes (`indexer.isolation`) that are killed when they send nothing for
`parse_timeout_s`. A 3,000-page PDF or a 20,000-message mbox is legitimately slow; each page or message it finishes
is a beat, so the time limit applies per unit of work, while a file that hangs on one page (or one zip bomb, or one
pathological HTML tree) is stopped. Outside a worker `beat` does nothing: parsers can call it unconditionally.
"""
from __future__ import annotations

import time
from typing import Callable

Sink = Callable[[int, int, str], None]

_sink: Sink | None = None
_last = 0.0
MIN_INTERVAL_S = 0.2  # at most ~5 beats a second: one per page of a fast PDF would flood the pipe for nothing


def set_sink(sink: Sink | None) -> None:
    """Install the worker's sender (None to disable)."""
    global _sink, _last
    _sink, _last = sink, 0.0


def beat(done: int, total: int = 0, unit: str = "", *, force: bool = False) -> None:
    """Report that `done` of `total` units (pages, messages, MB...) of the current file are finished. `force` sends
    it even inside the minimum interval (a total the writer's progress needs, e.g. the messages of an mbox)."""
    global _last
    if _sink is None:
        return
    now = time.monotonic()
    if now - _last < MIN_INTERVAL_S and done != total and not force:
        return
    _last = now
    _sink(done, total, unit)
