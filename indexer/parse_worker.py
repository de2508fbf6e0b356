"""The parse worker process: `python -m indexer.parse_worker FD` (started by `indexer.isolation`).

It caps its own address space (RLIMIT_AS, soft limit: `memory_mb` above what it uses after loading the parsers),
then runs `parse_job.run_job` for each task it receives and sends every message back. A MemoryError is reported
and the process exits, so the next file gets a fresh heap. Nothing here touches the network or the index.
"""
from __future__ import annotations

import os
import sys

# before tokenizers is imported: no thread pool in a worker (the writer's embedder already uses the cores), and
# fewer malloc arenas so the address-space cap measures memory, not reserved arenas
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("MALLOC_ARENA_MAX", "2")


def _preload() -> None:
    """Import the parser libraries before the cap, so it measures what reading a file costs, not the libraries."""
    import importlib

    for name in ("lxml.etree", "bs4", "pypdf", "docx", "ebooklib.epub", "trafilatura", "charset_normalizer",
                 "indexer.mail.stores", "indexer.parsers.html", "indexer.parsers.pdf"):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a missing optional parser fails later, on its own files
            pass


def _vm_bytes() -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _cap(memory_mb: float) -> None:
    try:
        import resource
    except ImportError:  # not on this OS: the parent's time limit still applies
        return
    base = _vm_bytes()
    if not base:
        return
    soft = base + int(memory_mb * 1024 * 1024)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    except (ValueError, OSError):
        pass


def main(fd: int) -> int:
    from multiprocessing.connection import Connection

    conn = Connection(fd)
    setup = conn.recv()  # (PrepareConfig, JobOptions, memory_mb)
    config, options, memory_mb = setup
    _preload()
    from indexer import heartbeat
    from indexer.chunking import default_token_counter
    from indexer.parse_job import run_job
    from indexer.parsers.textutil import short

    counter = default_token_counter()
    counter.count_many(["warm up"])
    _cap(memory_mb)
    heartbeat.set_sink(lambda done, total, unit: conn.send(("beat", done, total, unit)))
    conn.send(("ready", os.getpid()))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return 0  # the writer went away
        if task is None:
            return 0
        path, previous = task
        try:
            for message in run_job(path, previous, config, counter, options):
                conn.send(message)
        except MemoryError:
            conn.send(("failed", f"needed more than {memory_mb:g} MB of memory to read (raise parse_memory_mb)"))
            return 3  # a fresh process for the next file
        except (BrokenPipeError, EOFError):
            return 0
        except Exception as exc:  # noqa: BLE001 - a parser bug costs this file only
            conn.send(("failed", f"parser failed: {type(exc).__name__}: {short(exc, 150)}"))


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
