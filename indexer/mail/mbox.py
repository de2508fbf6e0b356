"""Reading mbox files by byte offset, without loading them.

Why our own splitter instead of `mailbox.mbox`: we need each message's byte span (the locator `file#offset`, and the
incremental check that a grown mbox still has the same prefix), and we must not load a multi-GB Thunderbird Inbox.
The file is memory-mapped and scanned for `From ` lines. A `From ` line starts a new message only when the next
line is a header line and either a blank line precedes it or the line carries a time (mboxo files leave body lines
like "From there on..." unescaped; those are followed by prose, not a header).
"""
from __future__ import annotations

import hashlib
import mmap
import re
from contextlib import contextmanager
from typing import Iterator

_HEADER_LINE = re.compile(rb"[!-9;-~]{1,76}:")
_TIME = re.compile(rb"\d\d?:\d\d")
_MBOXRD = re.compile(rb"(?m)^>(>*From )")


@contextmanager
def mapped(path: str) -> Iterator[mmap.mmap | bytes]:
    """The file memory-mapped read-only (empty files give b"")."""
    with open(path, "rb") as fh:
        import os

        if os.fstat(fh.fileno()).st_size == 0:
            yield b""
            return
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            yield mm
        finally:
            mm.close()


def _line_end(data: mmap.mmap | bytes, pos: int, end: int) -> int:
    nl = data.find(b"\n", pos, min(end, pos + 4096))
    return end if nl < 0 else nl


def is_boundary(data: mmap.mmap | bytes, pos: int, end: int) -> bool:
    """Does a message start at `pos` (which holds b"From ")?"""
    if data[pos:pos + 5] != b"From ":
        return False
    eol = _line_end(data, pos, end)
    nxt = data[eol + 1:eol + 80]
    if not _HEADER_LINE.match(nxt):
        return False
    if pos == 0:
        return True
    blank_before = data[pos - 2:pos] == b"\n\n" or data[pos - 3:pos] == b"\n\r\n"
    return blank_before or bool(_TIME.search(data[pos:eol]))


def spans(data: mmap.mmap | bytes, start: int, end: int) -> Iterator[tuple[int, int]]:
    """(offset, end) of every message between `start` (a message start) and `end`."""
    if start >= end:
        return
    cur = start
    search = start + 1
    while True:
        i = data.find(b"\nFrom ", search, end)
        if i < 0:
            yield cur, end
            return
        cand = i + 1
        if is_boundary(data, cand, end):
            yield cur, cand
            cur = cand
        search = cand


def next_boundary(data: mmap.mmap | bytes, offset: int, end: int) -> int:
    """End of the message that starts at `offset` (for the viewer, which knows only the start)."""
    for _, stop in spans(data, offset, end):
        return stop
    return end


def split_envelope(span: bytes) -> tuple[bytes, bytes]:
    """(From_ line, message bytes): the envelope line removed, mboxrd `>From ` unescaped, separator dropped."""
    nl = span.find(b"\n")
    head, body = (span, b"") if nl < 0 else (span[:nl], span[nl + 1:])
    if body.endswith(b"\r\n\r\n"):
        body = body[:-2]
    elif body.endswith(b"\n\n"):
        body = body[:-1]
    return head.rstrip(b"\r"), _MBOXRD.sub(rb"\1", body)


# Headers mail clients rewrite in place when a message is read, flagged or synced (Thunderbird's X-Mozilla-Status
# is fixed-width so it can be patched inside the mbox). They say nothing about the message, so they are left out of
# its hash: marking mail as read must not make it look changed (and be embedded again).
_VOLATILE = re.compile(rb"(?i)(x-mozilla-status2?|x-mozilla-keys|status|x-status|x-keywords|x-uid|x-imap|"
                       rb"x-imapbase|content-length|lines|x-evolution-source|x-evolution)\s*:")
_MOZ_STATUS = re.compile(rb"(?im)^x-mozilla-status:[ \t]*([0-9a-f]{1,4})")
_EXPUNGED = 0x0008  # nsMsgMessageFlags::Expunged: deleted in Thunderbird, bytes kept until the folder is compacted


def _split_head(message: bytes) -> tuple[bytes, bytes]:
    end = message.find(b"\n\n")
    return (message, b"") if end < 0 else (message[:end], message[end:])


def content_hash(message: bytes) -> str:
    """Hash of a message's bytes, independent of line endings, trailing blank lines and the status headers clients
    rewrite, so the same message stored as an .eml, in a Maildir or in an mbox hashes the same (used for unchanged
    checks and for dedupe without a Message-ID)."""
    head, body = _split_head(message.replace(b"\r\n", b"\n"))
    if _VOLATILE.search(head):
        keep: list[bytes] = []
        skipping = False
        for line in head.split(b"\n"):
            if line[:1] in (b" ", b"\t"):
                if not skipping:
                    keep.append(line)
                continue
            skipping = bool(_VOLATILE.match(line))
            if not skipping:
                keep.append(line)
        head = b"\n".join(keep)
    return hashlib.sha256((head + body).rstrip(b"\n")).hexdigest()


def expunged(message: bytes) -> bool:
    """Thunderbird marks deleted messages in the mbox and removes them only when the folder is compacted."""
    head = _split_head(message[:65536])[0]
    m = _MOZ_STATUS.search(head)
    return bool(m) and bool(int(m.group(1), 16) & _EXPUNGED)
