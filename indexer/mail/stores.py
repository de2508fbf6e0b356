"""Turn one mail file on disk into `Prepared` documents, one per message, re-reading as little as possible.

Ids and rows (the design, in short):
- A message's document id is derived from its Message-ID (or, without one, from a hash of its bytes), so the same
  message found again — moved to another Maildir folder, or present in two stores — maps to the same document.
- The first location owns the document (kind "email", with chunks). Every further location of the same message is a
  small row of kind "email-copy" (no chunks, id `<owner id>.<random>`), so the pipeline can track it per file; the
  owner's `mailbox` lists all locations' folders. `indexer.mail.ledger` keeps this true across stores.
- Messages that cannot be read get a location-bound row (status error/skipped) whose reason names the mailbox and
  the message's position.
- mbox rows use `path = "<file>#<byte offset>"`, `sha256` = hash of the message bytes (status headers excluded),
  and `size`/`mtime` = the file's. If the file only grew (same size recorded in every row, and sampled messages still
  hash the same at their offsets), the old messages are returned unchanged without reading them and only the new
  tail is parsed. Any other change (compaction, flags rewritten in place, a Thunderbird expunge) re-hashes every
  message and re-uses each unchanged one by its hash, so only new or edited messages are parsed and embedded.
"""
from __future__ import annotations

import hashlib
import mmap
import os
import uuid
from collections.abc import Iterator
from dataclasses import replace

from indexer.chunking import TokenCounter, chunk_blocks
from indexer.documents import ParseError
from indexer.heartbeat import beat
from indexer.mail import mbox as mboxfmt
from indexer.mail.detect import MailFile
from indexer.mail.headers import envelope_date
from indexer.mail.message import ATTACHMENT_TOO_LARGE, MailContent, parse_rfc822
from indexer.prepared import PrepareConfig, Prepared
from indexer.store import DocRow, now

KIND, COPY_KIND = "email", "email-copy"
MAILBOX_SEP = "; "


def owner_id(key: str) -> str:
    """The document id of a message: stable for its Message-ID (or content hash)."""
    return "m" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:23]


def message_key(message_id: str, chash: str) -> str:
    return message_id or f"sha256:{chash}"


def local_id(owner: str) -> str:
    """Id of a copy or a failure row: bound to one location, never shared."""
    return f"{owner}.{uuid.uuid4().hex[:8]}"


def owner_of(doc_id: str) -> str:
    return doc_id.split(".", 1)[0]


def is_owner_row(d: DocRow) -> bool:
    return d.kind == KIND and "." not in d.doc_id


def split_locator(path: str) -> tuple[str, int | None]:
    """`file#offset` → (file, offset); any other path → (path, None)."""
    base, sep, frag = path.rpartition("#")
    if sep and frag.isdigit():
        return base, int(frag)
    return path, None


# --- rows -------------------------------------------------------------------------------------------------------
def _row(doc_id: str, path: str, source: str, st_size: int, st_mtime: float, mailbox: str, chash: str,
         content: MailContent | None = None, kind: str = KIND) -> DocRow:
    c = content or MailContent()
    return DocRow(doc_id=doc_id, path=path, kind=kind, size=st_size, mtime=st_mtime, sha256=chash, status="indexed",
                  title=c.title, indexed_at=now(), source=source, message_id=c.message_id, sender=c.sender,
                  recipients=c.recipients, date=c.date, subject=c.subject, mailbox=mailbox)


def failure(doc_id: str, path: str, source: str, st_size: int, st_mtime: float, mailbox: str, chash: str,
            status: str, reason: str, content: MailContent | None = None) -> Prepared:
    row = _row(doc_id, path, source, st_size, st_mtime, mailbox, chash, content)
    row.status, row.error, row.n_chunks = status, reason, 0
    if not content:
        row.title = os.path.basename(path)
    return Prepared(row, None, status, reason)


def as_copy(row: DocRow, doc_id: str) -> DocRow:
    return replace(row, doc_id=doc_id, kind=COPY_KIND, n_chunks=0, status="indexed", error="")


def unchanged(row: DocRow, st_size: int, st_mtime: float, path: str | None = None) -> Prepared:
    kept = replace(row, size=st_size, mtime=st_mtime, path=path or row.path)
    return Prepared(kept, None, "unchanged", "content identical")


class _Ids:
    """Assigns ids within one source: the first occurrence of a message is the owner candidate, later ones copies.
    Rows that existed before keep their ids."""

    def __init__(self, previous: list[DocRow]) -> None:
        self.used: set[str] = set()
        self.prev_copies: dict[str, list[str]] = {}
        self.prev_owners: set[str] = set()
        for d in previous:
            if d.kind == COPY_KIND:
                self.prev_copies.setdefault(owner_of(d.doc_id), []).append(d.doc_id)
            elif is_owner_row(d):
                self.prev_owners.add(d.doc_id)

    def reserve(self, doc_id: str) -> None:
        self.used.add(doc_id)
        copies = self.prev_copies.get(owner_of(doc_id))
        if copies and doc_id in copies:
            copies.remove(doc_id)

    def assign(self, owner: str) -> str:
        """Owner id if this source may own the message, else a (reused or new) copy id."""
        if owner not in self.used and (owner in self.prev_owners or not self.prev_copies.get(owner)):
            self.used.add(owner)
            return owner
        copies = self.prev_copies.get(owner)
        doc_id = copies.pop(0) if copies else local_id(owner)
        self.used.add(doc_id)
        return doc_id


def from_content(content: MailContent, chash: str, ids: _Ids, path: str, source: str, st_size: int,
                 st_mtime: float, mailbox: str, config: PrepareConfig, counter: TokenCounter, where: str) -> Prepared:
    """A parsed message → the owner candidate (chunked) or a copy row (no chunks)."""
    doc_id = ids.assign(owner_id(message_key(content.message_id, chash)))
    row = _row(doc_id, path, source, st_size, st_mtime, mailbox, chash, content)
    if "." in doc_id:
        return Prepared(as_copy(row, doc_id), None, "indexed", "duplicate message (indexed once)")
    return chunked(row, content, config, counter, where)


def chunked(row: DocRow, content: MailContent, config: PrepareConfig, counter: TokenCounter,
            where: str = "") -> Prepared:
    chunks = chunk_blocks(content.blocks, counter, target_tokens=config.chunk_tokens,
                          overlap_tokens=config.overlap_tokens)
    if not chunks:  # an empty message is bound to its location (never an owner other copies could point to)
        reason = f"{where}: empty message (no subject, sender or text)" if where else "empty message"
        return failure(local_id(row.doc_id), row.path, row.source, row.size, row.mtime, row.mailbox, row.sha256,
                       "skipped", reason, content)
    row.n_chunks = len(chunks)
    big = [n for n in content.notes if ATTACHMENT_TOO_LARGE in n]  # indexed, but say what was left out
    if big:
        row.error = "; ".join(big)
    return Prepared(row, chunks, "indexed", row.error)


# --- mbox -------------------------------------------------------------------------------------------------------
def _prefix_intact(data: object, rows: list[tuple[int, DocRow]], size: int) -> bool:
    """True when the file still starts with exactly what was indexed (it may have grown at the end)."""
    old = rows[0][1].size
    if old <= 0 or old > size or any(r.size != old for _, r in rows) or rows[-1][0] >= old:
        return False
    picks = sorted({0, len(rows) // 2, len(rows) - 1})
    for i in picks:
        off = rows[i][0]
        end = rows[i + 1][0] if i + 1 < len(rows) else old
        span = data[off:end]  # type: ignore[index]
        if not span.startswith(b"From ") or mboxfmt.content_hash(mboxfmt.split_envelope(span)[1]) != rows[i][1].sha256:
            return False
    return size == old or mboxfmt.is_boundary(data, old, size)  # type: ignore[arg-type]


def prepare_mbox(path: str, previous: list[DocRow], config: PrepareConfig, counter: TokenCounter,
                 mailbox: str) -> list[Prepared]:
    """Every message of an mbox, in file order (see `iter_mbox`, which the pipeline uses to stream them)."""
    return sorted(iter_mbox(path, previous, config, counter, mailbox), key=lambda p: split_locator(p.doc.path)[1] or 0)


_RELEASE_BYTES = 64 * 1024 * 1024  # pages of the mapping already read are dropped every 64 MB (RSS stays flat)


def iter_mbox(path: str, previous: list[DocRow], config: PrepareConfig, counter: TokenCounter,
              mailbox: str) -> Iterator[Prepared]:
    """The messages of an mbox as a stream: unchanged ones first (never parsed), then new or edited ones, each parsed
    and chunked on its own, so a 20,000-message mbox is never held as one list of chunks. Reports messages done
    through `heartbeat`."""
    located = sorted(((split_locator(d.path)[1], d) for d in previous), key=lambda t: (t[0] is None, t[0] or 0))
    rows = [(off, d) for off, d in located if off is not None]
    ids = _Ids(previous)
    with mboxfmt.mapped(path) as data:
        st = os.stat(path)
        size, mtime = len(data), st.st_mtime
        start = n_kept = 0
        reuse: dict[str, list[DocRow]] = {}
        # Grown: trust the sampled prefix and read only the tail. Same size but touched: a client rewrote flags in
        # place (or expunged a message), so every message is hashed again, but only changed ones are parsed.
        if rows and len(rows) == len(previous) and size > rows[0][1].size and _prefix_intact(data, rows, size):
            for off, d in rows:
                ids.reserve(d.doc_id)
                yield unchanged(d, size, mtime, f"{path}#{off}")  # (the mbox may have been renamed)
            start, n_kept = rows[0][1].size, len(rows)
        else:
            for d in previous:
                if d.status in ("indexed", "skipped"):
                    reuse.setdefault(d.sha256, []).append(d)
        if size == 0 or (start == 0 and not data[:5] == b"From "):  # type: ignore[index]
            return
        fresh: list[tuple[int, int, int, bytes, str]] = []
        released = 0
        for off, end in mboxfmt.spans(data, start, size):
            released = _release(data, off, released)
            envelope, message = mboxfmt.split_envelope(bytes(data[off:end]))  # type: ignore[index]
            if mboxfmt.expunged(message):
                continue  # deleted in Thunderbird, not yet compacted away
            chash = mboxfmt.content_hash(message)
            same = reuse.get(chash)
            if same:
                d = same.pop(0)
                ids.reserve(d.doc_id)
                n_kept += 1
                yield unchanged(d, size, mtime, f"{path}#{off}")
            else:
                fresh.append((off, end, n_kept + len(fresh) + 1, envelope, chash))
        # New messages are parsed after every reused row reserved its id, so ids never collide.
        released = 0
        total = n_kept + len(fresh)  # every message the writer receives: its progress counts them (issue 15)
        beat(n_kept, total, "messages", force=True)
        for i, (off, end, position, envelope, chash) in enumerate(fresh):
            released = _release(data, off, released)
            message = mboxfmt.split_envelope(bytes(data[off:end]))[1]  # type: ignore[index]
            yield _mbox_message(message, envelope, chash, ids, path, off, position, size, mtime, mailbox, config,
                                counter)
            beat(n_kept + i + 1, total, "messages")


def _release(data: object, upto: int, released: int) -> int:
    """Tell the kernel the mapped pages before `upto` are done with (file-backed: nothing is lost)."""
    if upto - released < _RELEASE_BYTES or not isinstance(data, mmap.mmap) or not hasattr(mmap, "MADV_DONTNEED"):
        return released
    aligned = upto - upto % mmap.PAGESIZE
    try:
        data.madvise(mmap.MADV_DONTNEED, 0, aligned)
    except (OSError, ValueError):
        return upto
    return aligned


def _mbox_message(message: bytes, envelope: bytes, chash: str, ids: _Ids, path: str, off: int, position: int,
                  size: int, mtime: float, mailbox: str, config: PrepareConfig, counter: TokenCounter) -> Prepared:
    loc = f"{path}#{off}"
    where = f"mailbox {mailbox}, message {position} (byte {off})"
    if len(message) > config.max_bytes:
        limit = config.max_bytes / 1e6
        return failure(local_id(owner_id(f"sha256:{chash}")), loc, path, size, mtime, mailbox, chash, "skipped",
                       f"{where}: too large ({len(message) / 1e6:.1f} MB > limit {limit:g} MB; raise max_file_mb)")
    try:
        content = parse_rfc822(message, max_bytes=config.max_bytes)
    except ParseError as exc:
        return failure(local_id(owner_id(f"sha256:{chash}")), loc, path, size, mtime, mailbox, chash, "error",
                       f"{where}: {exc.reason}")
    if not content.date:
        content.date = envelope_date(envelope)
    try:
        return from_content(content, chash, ids, loc, path, size, mtime, mailbox, config, counter, where)
    except Exception as exc:  # noqa: BLE001 - chunking trouble in one message must not stop the mailbox
        return failure(local_id(owner_id(f"sha256:{chash}")), loc, path, size, mtime, mailbox, chash, "error",
                       f"{where}: {type(exc).__name__}: {exc}", content)


# --- single-message files (.eml, Maildir, .emlx, .msg) ---------------------------------------------------------
def _emlx_payload(data: bytes) -> bytes:
    """Apple Mail .emlx: a byte count line, the RFC 822 message, then an XML plist."""
    nl = data.find(b"\n")
    first = data[:nl].strip() if nl > 0 else b""
    if first.isdigit():
        return data[nl + 1: nl + 1 + int(first)]
    return data


def prepare_single(path: str, previous: list[DocRow], config: PrepareConfig, counter: TokenCounter,
                   mail: MailFile) -> list[Prepared]:
    prev = next((d for d in previous if d.path == path), previous[0] if previous else None)
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if st.st_size > config.max_bytes:
                chash = f"size:{st.st_size}"
                return [failure(prev.doc_id if prev else local_id(owner_id(path)), path, path, st.st_size,
                                st.st_mtime, mail.mailbox, chash, "skipped",
                                f"too large ({st.st_size / 1e6:.1f} MB > limit {config.max_bytes / 1e6:g} MB; "
                                "raise max_file_mb)")]
            data = fh.read()
    except FileNotFoundError:
        row = prev or DocRow(doc_id=local_id(owner_id(path)), path=path, kind=KIND, source=path)
        return [Prepared(row, None, "vanished", "vanished (deleted while indexing)")]
    except OSError as exc:
        row_id = prev.doc_id if prev else local_id(owner_id(path))
        return [failure(row_id, path, path, 0, 0.0, mail.mailbox, "", "error", f"cannot read: {exc.strerror or exc}")]
    if mail.fmt == "emlx":
        data = _emlx_payload(data)
    chash = mboxfmt.content_hash(data)
    if prev is not None and prev.sha256 == chash and prev.status in ("indexed", "skipped"):
        return [unchanged(prev, st.st_size, st.st_mtime, path)]
    ids = _Ids(previous)
    where = f"mailbox {mail.mailbox or '?'}, message file {os.path.basename(path)}"
    try:
        if mail.fmt == "msg":
            from indexer.mail.outlook import parse_msg_file

            content = parse_msg_file(path, max_bytes=config.max_bytes)
        else:
            content = parse_rfc822(data, max_bytes=config.max_bytes)
    except ParseError as exc:
        row_id = prev.doc_id if prev is not None and "." in prev.doc_id else local_id(owner_id(f"sha256:{chash}"))
        return [failure(row_id, path, path, st.st_size, st.st_mtime, mail.mailbox, chash, "error",
                        f"{where}: {exc.reason}")]
    try:
        return [from_content(content, chash, ids, path, path, st.st_size, st.st_mtime, mail.mailbox, config,
                             counter, where)]
    except Exception as exc:  # noqa: BLE001
        return [failure(local_id(owner_id(f"sha256:{chash}")), path, path, st.st_size, st.st_mtime, mail.mailbox,
                        chash, "error", f"{where}: {type(exc).__name__}: {exc}", content)]


# --- one location on demand (viewer, and promoting a copy whose owner vanished) -------------------------------
def read_location(path: str) -> tuple[bytes, bytes]:
    """(mbox envelope line or b"", message bytes) for a document path: `file#offset` in an mbox, or a file."""
    base, offset = split_locator(path)
    if offset is not None:
        with mboxfmt.mapped(base) as data:
            end = mboxfmt.next_boundary(data, offset, len(data))
            return mboxfmt.split_envelope(bytes(data[offset:end]))  # type: ignore[index]
    with open(path, "rb") as fh:
        data = fh.read()
    if path.lower().endswith(".emlx"):
        data = _emlx_payload(data)
    return b"", data


def prepare_location(row: DocRow, doc_id: str, config: PrepareConfig, counter: TokenCounter) -> Prepared | None:
    """Parse the message at `row`'s location again as document `doc_id` (used when a copy must become the owner)."""
    try:
        if row.path.lower().endswith(".msg"):
            from indexer.mail.outlook import parse_msg_file

            content = parse_msg_file(row.path, max_bytes=config.max_bytes)
        else:
            envelope, message = read_location(row.path)
            content = parse_rfc822(message, max_bytes=config.max_bytes)
            content.date = content.date or envelope_date(envelope)
    except (OSError, ParseError, ValueError):
        return None
    fresh = _row(doc_id, row.path, row.source, row.size, row.mtime, row.mailbox, row.sha256, content)
    return chunked(fresh, content, config, counter)
