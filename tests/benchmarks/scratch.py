"""Scratch folders for benchmarks, removed when the run ends. A data dir holds its own prepared model (640 MB) and
runs that left theirs behind filled this machine's disk (35 folders, 21 GB, found at stop 19)."""
from __future__ import annotations

import atexit
import shutil
import tempfile


def scratch_dir(prefix: str = "cove-bench-") -> str:
    """A new folder under the temp dir, deleted at interpreter exit (also after a failed run)."""
    path = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, path, True)
    return path
