"""`cove index` when the index was built by another embedder (issue 12): say so, re-embed the stored chunk texts with
a progress line (no file is parsed again; the old index answers searches meanwhile), then index as asked."""
from __future__ import annotations

import sys
import time
from typing import Any, TextIO


def describe(need: dict[str, str]) -> str:
    return (f"the index was built with {need['from']}; Cove now uses {need['to']} (setting embedder_backend). "
            "The stored chunks are re-embedded; the old index answers until the new one replaces it")


def reembed_first(core: Any, stream: TextIO = sys.stderr, *, show: bool = True, cancel: Any = None) -> bool:
    """Re-embed before an indexing run, if needed. Returns False when cancelled (what was done is kept)."""
    for notice in getattr(core, "notices", []):
        print(f"cove: {notice}", file=stream, flush=True)
    need = core.reembed_needed()
    if need is None:
        return True
    print(f"cove: {describe(need)}.", file=stream, flush=True)
    tty = hasattr(stream, "isatty") and stream.isatty()
    last = [0.0]

    def progress(p: Any) -> None:
        now = time.monotonic()
        if not show or (now - last[0] < (0.2 if tty else 5.0) and p.phase == "embedding"):
            return
        last[0] = now
        eta = (p.total - p.done) / p.chunks_per_s if p.chunks_per_s > 0 else 0
        line = f"re-embedding {p.done}/{p.total} chunks ({p.chunks_per_s:.1f}/s) | ETA {eta:.0f} s | {p.phase}"
        stream.write(("\r" + line.ljust(79)) if tty else line + "\n")
        stream.flush()

    ok = core.reembed(on_progress=progress, cancel=cancel)
    if show and tty:
        stream.write("\n")
    if ok:
        print(f"cove: the index now uses {need['to']}.", file=stream, flush=True)
    return ok
