"""The OCR worker process: `python -m indexer.ocr.worker`. Never imported by the indexer itself.

It lowers its own priority, caps its address space (RLIMIT_AS) before loading any model, refuses every network
connection (an audit hook: the models ship inside the rapidocr wheel, so a download attempt is a bug), then serves
jobs until its stdin closes or it has been idle for a while. Protocol (why JSON, not pickle: the parent must never
unpickle what a process that decoded hostile bytes sends):
  parent → stdin:  one JSON line {"kind", "pages": [0-based] | null, "size"}, then `size` raw bytes
  worker → fd:     JSON lines {"ready"}, then per job {"total": n}, per page {"start": i} and
                   {"page": i, "text": str, "error": str}, and finally {"done": true}
stdout is redirected to stderr at start so a native library's print can never corrupt the protocol.
"""
from __future__ import annotations

import json
import os
import select
import sys
from dataclasses import fields

from indexer.heap import give_back


def _guard_network() -> None:
    def hook(event: str, args: tuple) -> None:
        if event in ("socket.connect", "socket.getaddrinfo", "socket.sendto", "socket.bind"):
            raise PermissionError(f"the OCR worker never uses the network ({event} refused)")

    sys.addaudithook(hook)


def _limit(memory_mb: int, nice: int) -> None:
    import resource

    if memory_mb > 0:
        cap = memory_mb * 1024 * 1024
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    if nice:
        try:
            os.nice(nice)
        except OSError:
            pass


def _read_exact(stream, n: int) -> bytes:  # noqa: ANN001
    parts, got = [], 0
    while got < n:
        block = stream.read(n - got)
        if not block:
            raise EOFError
        parts.append(block)
        got += len(block)
    return b"".join(parts)


def serve(limits) -> None:  # noqa: ANN001 - OcrLimits, imported after the caps are set
    from indexer.ocr.engine import engine, recognize
    from indexer.ocr.images import PageFailed, open_pages

    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)

    def send(**msg: object) -> None:
        out.write(json.dumps(msg) + "\n")
        out.flush()

    engine(limits.threads)
    send(ready=True)
    stdin = sys.stdin.buffer
    while True:
        readable, _, _ = select.select([stdin], [], [], limits.idle_exit_s)
        if not readable:
            return  # idle: give the memory back; the parent starts a new worker when needed
        header = stdin.readline()
        if not header:
            return
        job = json.loads(header)
        data = _read_exact(stdin, int(job["size"]))
        try:
            total, load = open_pages(job["kind"], data, limits)
        except PageFailed as exc:
            send(total=0, error=str(exc))
            send(done=True)
            continue
        send(total=total)
        pages = [p for p in (job["pages"] if job["pages"] is not None else range(total)) if 0 <= p < total]
        for i in pages:
            send(start=i)
            try:
                text, error = recognize(load(i), limits.threads), ""
            except PageFailed as exc:
                text, error = "", str(exc)
            except MemoryError:
                text, error = "", f"out of memory (OCR memory cap {limits.memory_mb} MB)"
            except Exception as exc:  # noqa: BLE001 - one page's failure is recorded, the next page is tried
                text, error = "", f"{type(exc).__name__}: {str(exc)[:200]}"
            send(page=i, text=text, error=error)
            give_back()  # the page's freed heap back to the OS before the next page (see PAGE_TRIM below)
        send(done=True)


# PAGE_TRIM: why each page ends with indexer.heap.give_back(): onnxruntime (arena off in rapidocr) mallocs and frees
# every tensor, and glibc kept most of it: a fresh process OCR'ing linn.pdf peaked at 807 MB and still held 507 MB
# after the page, 168 MB after malloc_trim; in a whole `cove index` run the worker had climbed to 1,241 MB over 22
# pages (tests/benchmarks/bench_index_rss.py). Trimming costs milliseconds against seconds per page.


def main() -> None:
    from indexer.ocr.limits import OcrLimits

    names = {f.name for f in fields(OcrLimits)}
    given = json.loads(os.environ.get("COVE_OCR_LIMITS", "{}"))
    limits = OcrLimits(**{k: v for k, v in given.items() if k in names})
    _guard_network()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(limits.threads)
    _limit(limits.memory_mb, limits.nice)
    try:
        serve(limits)
    except MemoryError:
        sys.stderr.write("cove ocr worker: out of memory while loading the models\n")
        sys.exit(3)


if __name__ == "__main__":
    main()
