"""What a parse worker does with one source file: a stream of messages for the writer, never one big result.

Messages (plain tuples, cheap to pickle):
- ("item", Prepared, more): a finished document, or with `more=True` a batch of chunks of a document whose row is
  not final yet (big files: the writer embeds and stores each batch as it arrives, so memory does not grow with the
  file);
- ("ocr", Prepared, ParsedDocument): parsed, but pages need OCR, which the writer runs (`finish_ocr`; the OCR worker
  keeps its own limits and must not inherit this worker's);
- ("end", is_mail): the source is done. Progress beats travel separately (`indexer.heartbeat`).

The same generator runs in a worker process (`indexer.isolation`) or in-process (`isolate=False`, for tests that
patch parsers), so there is one code path.
"""
from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from indexer.chunking import Chunk, TokenCounter, iter_chunks
from indexer.documents import ParsedDocument, ParseError
from indexer.heartbeat import beat
from indexer.parsers import kind_for_name, parse_bytes
from indexer.parsers.textstream import STREAM_BYTES, STREAM_KINDS, iter_text_blocks
from indexer.parsers.textutil import stem
from indexer.prepared import PrepareConfig, Prepared, new_doc_id
from indexer.secrets import CONTENT_SAMPLE, secret_by_content, secret_by_name
from indexer.store import DocRow, now

Message = tuple[Any, ...]
CHUNK_BATCH = 256  # chunks per message: ~250 KB pickled, one embedder batch of work for the writer
_CONTENT_CHECK_MAX = 1024 * 1024  # secrets by content: only files up to 1 MB (keys are small; big logs are not keys)
_TEXT_KINDS = frozenset({"text", "code", "markdown", "rst"})


@dataclass(frozen=True)
class JobOptions:
    """Per-run choices the worker applies before each file (they live in module globals of the parsers)."""

    index_secrets: bool = False
    max_unpacked_mb: float = 256.0
    max_attachment_mb: float = 25.0


def apply_options(options: JobOptions) -> None:
    from indexer.mail.message import set_max_attachment_mb
    from indexer.parsers.ziplimits import set_max_unpacked_mb

    set_max_unpacked_mb(options.max_unpacked_mb)
    set_max_attachment_mb(options.max_attachment_mb)


def run_job(path: str, previous: list[DocRow], config: PrepareConfig, counter: TokenCounter,
            options: JobOptions) -> Iterator[Message]:
    """All messages for one source file, ending with ("end", is_mail)."""
    from indexer.mail import iter_mail

    apply_options(options)
    mail = iter_mail(path, previous, config, counter)
    if mail is not None:
        for p in mail:
            yield ("item", p, False)
        yield ("end", True)
        return
    same = [d for d in previous if d.path == path]
    yield from file_job(path, same[0] if same else None, config, counter, options)
    yield ("end", False)


def _finish(doc: DocRow, status: str, reason: str) -> Prepared:
    doc.status, doc.error, doc.n_chunks, doc.sha256 = status, reason, 0, doc.sha256 if status == "skipped" else ""
    return Prepared(doc, None, status, reason)


def file_job(path: str, previous: DocRow | None, config: PrepareConfig, counter: TokenCounter,
             options: JobOptions) -> Iterator[Message]:
    """One ordinary file: size limit, secrets, hash, unchanged check, then parse and chunk in batches."""
    doc = DocRow(doc_id=previous.doc_id if previous else new_doc_id(), path=path, kind=kind_for_name(path) or "file",
                 source=path, title=os.path.basename(path), indexed_at=now())
    try:
        st = os.stat(path)
    except FileNotFoundError:
        yield ("item", Prepared(doc, None, "vanished", "vanished (deleted while indexing)"), False)
        return
    except OSError as exc:
        yield ("item", _finish(doc, "error", _os_reason(exc)), False)
        return
    doc.size, doc.mtime = st.st_size, st.st_mtime
    secret = None if options.index_secrets else secret_by_name(os.path.basename(path))
    if secret:
        yield ("item", _finish(doc, "skipped", secret + "; set index_secrets to index it"), False)
        return
    if not stat.S_ISREG(st.st_mode):
        yield ("item", _finish(doc, "error", "not a regular file"), False)
        return
    if st.st_size > config.max_bytes:
        limit = config.max_bytes / 1e6
        yield ("item", _finish(doc, "skipped", f"too large ({st.st_size / 1e6:.1f} MB > limit {limit:g} MB; "
                                               "raise max_file_mb)"), False)
        return
    if st.st_size > STREAM_BYTES and doc.kind in STREAM_KINDS:
        yield from _stream_text(path, doc, previous, config, counter, options)
        return
    try:
        data = _read(path, config.max_bytes)
    except OSError as exc:
        yield ("item", _finish(doc, "error", _os_reason(exc)) if not isinstance(exc, FileNotFoundError) else
               Prepared(doc, None, "vanished", "vanished (deleted while indexing)"), False)
        return
    doc.size = len(data)
    doc.sha256 = hashlib.sha256(data).hexdigest()
    if _unchanged(previous, doc):
        yield ("item", _kept(previous, doc, path), False)  # type: ignore[arg-type]
        return
    try:
        parsed = parse_bytes(data, os.path.basename(path))
    except ParseError as exc:
        yield ("item", _finish(doc, exc.status, exc.reason), False)
        return
    del data
    if parsed.meta.get("ocr_pages"):  # (ocr) the writer runs OCR (its worker has its own limits), then chunks
        yield ("ocr", Prepared(doc, None, "indexed"), parsed)
        return
    if not options.index_secrets and parsed.kind in _TEXT_KINDS and st.st_size <= _CONTENT_CHECK_MAX:
        secret = secret_by_content("\n".join(b.text for b in parsed.blocks)[:CONTENT_SAMPLE])
        if secret:
            yield ("item", _finish(doc, "skipped", secret + "; set index_secrets to index it"), False)
            return
    doc.kind = parsed.kind
    doc.title = parsed.title.strip() or doc.title
    yield from _batches(doc, iter_chunks(parsed.blocks, counter, target_tokens=config.chunk_tokens,
                                         overlap_tokens=config.overlap_tokens))


def _stream_text(path: str, doc: DocRow, previous: DocRow | None, config: PrepareConfig, counter: TokenCounter,
                 options: JobOptions) -> Iterator[Message]:
    """A big text file: hash it in one pass, then stream blocks -> chunks -> batches (memory independent of size)."""
    try:
        doc.sha256, sample = _hash_file(path)
    except OSError as exc:
        yield ("item", _finish(doc, "error", _os_reason(exc)), False)
        return
    if _unchanged(previous, doc):
        yield ("item", _kept(previous, doc, path), False)  # type: ignore[arg-type]
        return
    if not options.index_secrets:
        secret = secret_by_content(sample.decode("utf-8", "replace"))
        if secret:
            yield ("item", _finish(doc, "skipped", secret + "; set index_secrets to index it"), False)
            return
    doc.title = stem(path)
    try:
        yield from _batches(doc, iter_chunks(iter_text_blocks(path, doc.kind, doc.size), counter,
                                             target_tokens=config.chunk_tokens, overlap_tokens=config.overlap_tokens))
    except ParseError as exc:  # raised before the first chunk (binary, undecodable): nothing was sent
        yield ("item", _finish(doc, exc.status, exc.reason), False)


def _batches(doc: DocRow, chunks: Iterator[Chunk]) -> Iterator[Message]:
    """Chunks in batches of CHUNK_BATCH (all but the last with more=True), then the final row."""
    batch: list[Chunk] = []
    total = 0
    for chunk in chunks:
        batch.append(chunk)
        total += 1
        if len(batch) >= CHUNK_BATCH:
            yield ("item", Prepared(replace(doc, status="indexed"), batch, "indexed"), True)
            beat(total, 0, "chunks")
            batch = []
    if not total:
        yield ("item", _finish(doc, "skipped", "no text to index"), False)
        return
    doc.status, doc.n_chunks = "indexed", total
    yield ("item", Prepared(doc, batch, "indexed"), False)


def finish_ocr(doc: DocRow, parsed: ParsedDocument, config: PrepareConfig, counter: TokenCounter,
               cancel: Any = None) -> Prepared:
    """(ocr) In the writer: run OCR on the pages the parser marked, then chunk (same steps as `prepare_file`)."""
    from indexer.chunking import chunk_blocks
    from indexer.ocr import complete as complete_ocr

    try:
        data = _read(doc.path, config.max_bytes)
        on_page = config.on_ocr_page
        parsed = complete_ocr(parsed, data, enabled=config.ocr, cancel=cancel,
                              on_page=(lambda d, t: on_page(doc.path, d, t)) if on_page else None)
        if hasattr(doc, "ocr_pages"):
            doc.ocr_pages = int(parsed.meta.get("ocr_pages_done", 0))  # type: ignore[attr-defined]
        doc.error = parsed.meta.get("ocr_errors", "")
    except ParseError as exc:
        return _finish(doc, exc.status, exc.reason)
    except OSError as exc:
        return _finish(doc, "error", _os_reason(exc))
    doc.kind = parsed.kind
    doc.title = parsed.title.strip() or doc.title
    chunks = chunk_blocks(parsed.blocks, counter, target_tokens=config.chunk_tokens,
                          overlap_tokens=config.overlap_tokens)
    if not chunks:
        return _finish(doc, "skipped", "no text to index")
    doc.status, doc.n_chunks = "indexed", len(chunks)
    return Prepared(doc, chunks, "indexed")


def _unchanged(previous: DocRow | None, doc: DocRow) -> bool:
    return previous is not None and previous.status == "indexed" and previous.sha256 == doc.sha256


def _kept(previous: DocRow, doc: DocRow, path: str) -> Prepared:
    kept = DocRow(**{**previous.__dict__, "size": doc.size, "mtime": doc.mtime, "path": path, "source": path})
    return Prepared(kept, None, "unchanged", "touched, content identical")


def _read(path: str, max_bytes: int) -> bytes:
    with open(path, "rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise OSError(errno.EFBIG, "grew past the size limit while reading")
    return data


def _hash_file(path: str) -> tuple[str, bytes]:
    """sha256 of the file in 1 MB reads, and its first bytes (for the secrets check)."""
    h = hashlib.sha256()
    sample = b""
    done = 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            if not sample:
                sample = block[:CONTENT_SAMPLE]
            h.update(block)
            done += len(block)
            if done % (64 << 20) < (1 << 20):
                beat(done >> 20, 0, "MB hashed")
    return h.hexdigest(), sample


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    return f"cannot read: {exc.strerror or exc}"
