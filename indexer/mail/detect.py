"""Which files are mail, and which mailbox they belong to.

Why content sniffing: mail clients rarely use extensions. Thunderbird folders are extension-less mbox files, Maildir
messages are named like `1354585346.000260:2,S`, and pipermail archives are `.txt` mboxes. A file is mail when its
name says so (.eml, .msg, .mbox, .emlx), when it sits in a Maildir `cur/`/`new/`, or when its first bytes look like
an mbox `From ` line or an RFC 822 header block. Known document formats (PDF, DOCX, Markdown, code...) are never
sniffed, so a note that happens to start with "From:" stays a note.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Literal

from indexer.parsers import SUPPORTED_EXTENSIONS
from indexer.parsers.textutil import extension

MailFormat = Literal["mbox", "maildir", "eml", "msg", "emlx", "ignore"]

SNIFF_BYTES = 16 * 1024
# Extensions whose content may still be mail: none, unknown ones (Maildir names like "123.456:2,S"), and plain text.
_SNIFFABLE_KNOWN = frozenset({".txt", ".text"})
_HEADER_LINE = re.compile(rb"^[!-9;-~]{1,76}:")
_STRONG = frozenset({
    "from", "received", "return-path", "message-id", "delivered-to", "mime-version", "content-type",
    "content-transfer-encoding", "in-reply-to", "references", "x-mailer", "user-agent", "reply-to", "sender",
    "list-id", "dkim-signature", "x-original-to", "envelope-to", "thread-topic", "x-mailman-version",
})
_WEAK = frozenset({"to", "cc", "bcc", "subject", "date", "organization", "x-priority", "importance"})


@dataclass(frozen=True)
class MailFile:
    """How to read one file: its format and the human-readable mailbox (folder) it belongs to."""

    fmt: MailFormat
    mailbox: str


def _header_block(head: bytes) -> list[bytes]:
    out: list[bytes] = []
    for line in head.replace(b"\r\n", b"\n").split(b"\n")[:300]:
        if not line.strip():
            break
        out.append(line)
    return out


def looks_like_message(head: bytes) -> bool:
    """An RFC 822 header block: header lines (with continuations) that name real mail headers."""
    block = _header_block(head)
    if block and block[0].startswith(b"From "):  # a single message saved with its mbox envelope line
        block = block[1:]
    if not block or not _HEADER_LINE.match(block[0]):
        return False
    names: list[str] = []
    junk = 0
    for line in block:
        if line[:1] in (b" ", b"\t"):
            continue
        m = _HEADER_LINE.match(line)
        if m:
            names.append(m.group(0)[:-1].decode("ascii").lower())
        else:
            junk += 1
    if junk > max(1, len(block) // 10):
        return False
    known = [n for n in names if n in _STRONG or n in _WEAK]
    strong = [n for n in names if n in _STRONG]
    if len(known) >= 2 and strong:
        return True
    return bool(names) and names[0] in ("content-type", "mime-version")


def looks_like_mbox(head: bytes) -> bool:
    """mbox: the file opens with a `From ` envelope line followed by a header line."""
    if not head.startswith(b"From "):
        return False
    nl = head.find(b"\n")
    if nl < 0:
        return False
    rest = head[nl + 1:]
    return bool(_HEADER_LINE.match(rest)) or looks_like_message(rest)


def maildir_of(path: str) -> str | None:
    """The Maildir folder a message file belongs to (the dir holding cur/new), or None."""
    parent = os.path.dirname(path)
    if os.path.basename(parent) not in ("cur", "new"):
        return None
    folder = os.path.dirname(parent)
    siblings = sum(os.path.isdir(os.path.join(folder, d)) for d in ("cur", "new", "tmp"))
    name = os.path.basename(path)
    # A checked-out corpus may lack the empty tmp/ (git keeps no empty dirs); a ":2," name is Maildir's own mark.
    if siblings >= 2 or ":2," in name or "!2," in name:
        return folder
    return None


def is_maildir_tmp(path: str) -> bool:
    """A message still being delivered (Maildir tmp/): never read."""
    parent = os.path.dirname(path)
    folder = os.path.dirname(parent)
    return (os.path.basename(parent) == "tmp" and os.path.isdir(os.path.join(folder, "cur"))
            and os.path.isdir(os.path.join(folder, "new")))


def maildir_label(folder: str) -> str:
    """Folder name as the user sees it: Maildir++ `.Work.Projects` → `Work/Projects`; nested Maildirs (notmuch,
    KMail's `.name.directory`) → `parent/child`; a top Maildir called Maildir/mail is INBOX."""
    names: list[str] = []
    cur = folder
    for _ in range(32):
        names.append(os.path.basename(cur))
        parent = os.path.dirname(cur)
        if parent == cur or not (os.path.isdir(os.path.join(parent, "cur")) or parent.endswith(".directory")):
            break
        cur = parent
    names.reverse()
    if names and names[0].lower() in _TOP_NAMES:
        names = names[1:] or ["INBOX"]
    labels = []
    for name in names:
        if name.endswith(".directory"):
            name = name[: -len(".directory")]
        if name.startswith(".") and len(name) > 1:
            name = name[1:].replace(".", "/")
        labels.append(name)
    return "/".join(x for x in labels if x) or "INBOX"


_TOP_NAMES = frozenset({"maildir", "mail", "local-mail", "inbox"})


def mbox_label(path: str) -> str:
    """Thunderbird nests folders as `Parent.sbd/Child`; the label is `Parent/Child`."""
    parts = [os.path.basename(path)]
    if extension(parts[0]) in (".mbox", ".mbx", ".txt"):
        parts[0] = os.path.splitext(parts[0])[0]
    cur = os.path.dirname(path)
    while os.path.basename(cur).endswith(".sbd"):
        parts.append(os.path.basename(cur)[:-4])
        cur = os.path.dirname(cur)
    return "/".join(reversed(parts))


def _read_head(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(SNIFF_BYTES)
    except OSError:
        return b""


def classify(path: str) -> MailFile | None:
    """What kind of mail file `path` is, or None when it is not mail (the document parsers take it)."""
    name = os.path.basename(path)
    ext = extension(name)
    if ext == ".msf":  # Thunderbird's folder index: derived data, never content
        return MailFile("ignore", "")
    if is_maildir_tmp(path):
        return MailFile("ignore", "")
    if ext == ".msg":
        return MailFile("msg", os.path.basename(os.path.dirname(path)))
    if ext == ".emlx":
        return MailFile("emlx", _apple_label(path))
    folder = maildir_of(path)
    if folder is not None and (ext not in SUPPORTED_EXTENSIONS or ext in _SNIFFABLE_KNOWN):
        head = _read_head(path)
        if looks_like_mbox(head):
            return MailFile("mbox", mbox_label(path))
        return MailFile("maildir", maildir_label(folder))
    if ext in (".mbox", ".mbx"):
        return MailFile("mbox", mbox_label(path))
    if ext == ".eml":
        return MailFile("eml", os.path.basename(os.path.dirname(path)))
    if ext in SUPPORTED_EXTENSIONS and ext not in _SNIFFABLE_KNOWN:
        return None
    head = _read_head(path)
    if not head:
        if os.path.exists(path + ".msf"):  # an empty Thunderbird folder
            return MailFile("ignore", "")
        return None
    if looks_like_mbox(head):
        return MailFile("mbox", mbox_label(path))
    if looks_like_message(head):
        return MailFile("eml", os.path.basename(os.path.dirname(path)))
    if head.startswith(_OLE_MAGIC) and _is_outlook_msg(path):
        return MailFile("msg", os.path.basename(os.path.dirname(path)))
    return None


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _is_outlook_msg(path: str) -> bool:
    """An extension-less OLE file is an Outlook message when it has the MAPI property stream (not a .doc/.xls)."""
    try:
        import olefile

        with olefile.OleFileIO(path) as ole:
            return bool(ole.exists("__properties_version1.0"))
    except Exception:  # noqa: BLE001 - not readable as OLE: not a message
        return False


def _apple_label(path: str) -> str:
    """Apple Mail keeps `Folder.mbox/<uuid>/Data/.../Messages/123.emlx`; the label is the `.mbox` folder's name."""
    cur = os.path.dirname(path)
    for _ in range(12):
        base = os.path.basename(cur)
        if base.endswith(".mbox"):
            return base[:-5]
        cur = os.path.dirname(cur)
    return os.path.basename(os.path.dirname(path))
