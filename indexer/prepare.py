"""Turn one file into something the writer can store: read it once (size limit, permissions, vanished files),
hash it, and, only when its content changed, parse and chunk it. Runs on parser threads, ahead of the embedder."""
from __future__ import annotations

import errno
import hashlib
import os
import stat
from typing import Callable

from indexer.chunking import TokenCounter, chunk_blocks
from indexer.documents import ParseError
from indexer.ocr import complete as complete_ocr
from indexer.ocr import needs_ocr
from indexer.parsers import kind_for_name, parse_bytes
from indexer.prepared import PrepareConfig, Prepared, new_doc_id
from indexer.store import DocRow, now


def _read(path: str, max_bytes: int) -> tuple[bytes, os.stat_result]:
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ParseError("not a regular file")
        if st.st_size > max_bytes:
            raise _TooLarge(st)
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _TooLarge(st)
    return data, st


class _TooLarge(Exception):
    def __init__(self, st: os.stat_result) -> None:
        self.st = st


def prepare_file(path: str, previous: DocRow | None, config: PrepareConfig, counter: TokenCounter) -> Prepared:
    doc = DocRow(
        doc_id=previous.doc_id if previous else new_doc_id(),
        path=path,
        kind=kind_for_name(path) or "file",
        source=path,
        title=os.path.basename(path),
        indexed_at=now(),
    )
    try:
        data, st = _read(path, config.max_bytes)
    except _TooLarge as big:
        doc.size, doc.mtime = big.st.st_size, big.st.st_mtime
        limit = config.max_bytes / 1e6
        return _finish(doc, "skipped", f"too large ({big.st.st_size / 1e6:.1f} MB > limit {limit:g} MB; raise max_file_mb)")
    except FileNotFoundError:
        return Prepared(doc, None, "vanished", "vanished (deleted while indexing)")
    except PermissionError:
        return _finish(doc, "error", "permission denied")
    except ParseError as exc:
        return _finish(doc, exc.status, exc.reason)
    except OSError as exc:
        reason = "symlink loop" if exc.errno == errno.ELOOP else f"cannot read: {exc.strerror or exc}"
        return _finish(doc, "error", reason)
    doc.size, doc.mtime = st.st_size, st.st_mtime
    doc.sha256 = hashlib.sha256(data).hexdigest()
    if previous is not None and previous.status == "indexed" and previous.sha256 == doc.sha256:
        kept = DocRow(**{**previous.__dict__, "size": doc.size, "mtime": doc.mtime, "path": path, "source": path})
        return Prepared(kept, None, "unchanged", "touched, content identical")
    try:
        parsed = parse_bytes(data, os.path.basename(path))
        if needs_ocr(parsed):  # (ocr) pages with no text layer, image files: OCR in a worker process
            on_page = config.on_ocr_page
            parsed = complete_ocr(parsed, data, enabled=config.ocr,
                                  on_page=(lambda d, t: on_page(path, d, t)) if on_page else None)
            doc.ocr_pages, doc.error = int(parsed.meta.get("ocr_pages_done", 0)), parsed.meta.get("ocr_errors", "")
    except ParseError as exc:
        return _finish(doc, exc.status, exc.reason)
    doc.kind = parsed.kind
    doc.title = parsed.title.strip() or doc.title
    chunks = chunk_blocks(parsed.blocks, counter, target_tokens=config.chunk_tokens, overlap_tokens=config.overlap_tokens)
    if not chunks:
        return _finish(doc, "skipped", "no text to index")
    doc.status, doc.n_chunks = "indexed", len(chunks)
    return Prepared(doc, chunks, "indexed")


def _finish(doc: DocRow, status: str, reason: str) -> Prepared:
    doc.status, doc.error, doc.n_chunks, doc.sha256 = status, reason, 0, doc.sha256 if status == "skipped" else ""
    return Prepared(doc, None, status, reason)


SourceHandler = Callable[[str, list[DocRow], PrepareConfig, TokenCounter], "list[Prepared] | None"]


def prepare_source(path: str, previous: list[DocRow], config: PrepareConfig, counter: TokenCounter) -> list[Prepared]:
    """One file on disk may hold many documents (an mbox holds messages). Mail stores are handled by `indexer.mail`;
    everything else is one document per file. `previous` are the index rows whose `source` is this file."""
    from indexer.mail import prepare_mail

    mail = prepare_mail(path, previous, config, counter)
    if mail is not None:
        return mail
    same = [d for d in previous if d.path == path]
    return [prepare_file(path, same[0] if same else None, config, counter)]
