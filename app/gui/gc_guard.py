"""Python's cyclic garbage collector on the GUI thread only.

Why: the collector runs in whichever thread happens to allocate when a generation's threshold trips. If that is a
worker thread (the embedder's warm-up, a model-discovery task) and a collected cycle holds a Qt object, Qt deletes it
off the GUI thread and the process dies. Seen in a fresh-clone CI run (2026-12-01): "Fatal Python error: Segmentation
fault … Current thread: Garbage-collecting" in the embedder warm-up thread during
tests/gui/test_gui_forgotten.py. So while the GUI runs, automatic collection is off and a timer on the GUI thread
collects the generations whose thresholds were passed — what qutebrowser does for the same reason.
"""
from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 1000  # a generation-0 pass over a few hundred objects takes well under a millisecond


class MainThreadGC(QObject):
    """Turns automatic collection off and collects from a timer on the thread that owns this object."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect)
        self._timer.start(INTERVAL_MS)

    def collect(self) -> None:
        counts, thresholds = gc.get_count(), gc.get_threshold()
        generation = max((g for g in range(3) if counts[g] > thresholds[g]), default=-1)
        if generation >= 0:
            gc.collect(generation)


def collect_on_gui_thread(app: QObject) -> MainThreadGC:
    """Install the guard once per application (later calls return the same one)."""
    existing = app.findChild(MainThreadGC)
    return existing if isinstance(existing, MainThreadGC) else MainThreadGC(app)
