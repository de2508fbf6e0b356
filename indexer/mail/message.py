"""One RFC 822 message (bytes) → `MailContent`: decoded headers, body text and attachment blocks.

Why these choices:
- The plain-text part is preferred (it is what the sender wrote); HTML-only mail is turned into readable text with
  the same HTML walk the document parsers use, which never fetches anything.
- Quoted reply text ("> ...") and the signature are left out of the *indexed* body when the message says something
  of its own, so a mailing-list answer is found in the message that states it, not in every reply quoting it. The
  viewer still shows everything.
- Attachments go through `parse_bytes` (PDF, DOCX, text, HTML...) and keep their page/section locators, with
  `part` = the attachment's name; attached messages (message/rfc822) are read recursively.
- Headers form the first block, so "from alice about the budget" finds the message.
"""
from __future__ import annotations

import email
import email.message
import email.policy
import mimetypes
import re
from dataclasses import dataclass, field, replace
from typing import Iterable

from indexer.documents import Block, ParseError
from indexer.locator import Locator
from indexer.mail.headers import decode_bytes, decode_header, format_addresses, iso_date, normalize_message_id
from indexer.parsers.textutil import merge_blocks, normalize_newlines

PART_SEP = " › "


def nested_part(label: str, inner: str) -> str:
    """The part name of a block inside an attachment: "a.eml › b.pdf"."""
    return label + (PART_SEP + inner if inner else "")


MAX_DEPTH = 12
# Attachments above this are listed but not read (setting `max_attachment_mb`): a 60 MB attachment parsed as text
# took the message past 1.2 GB RSS (measured); the message's own text is still indexed.
DEFAULT_MAX_ATTACHMENT_MB = 25.0
ATTACHMENT_TOO_LARGE = "attachment not indexed, too large"
_max_attachment_mb = DEFAULT_MAX_ATTACHMENT_MB


def set_max_attachment_mb(mb: float) -> None:
    """The parse worker applies the user's `max_attachment_mb` before each file."""
    global _max_attachment_mb
    _max_attachment_mb = float(mb)
_SKIP_TYPES = ("image/", "audio/", "video/", "font/")
# Attachments that hold no text worth trying (media, archives, executables): not parsed, not reported.
SKIP_EXTENSIONS = frozenset(
    ".png .jpg .jpeg .gif .bmp .tif .tiff .ico .webp .heic .svgz .emf .wmf .mp3 .m4a .wav .ogg .mp4 .mov .avi .mkv "
    ".zip .gz .tgz .bz2 .xz .7z .rar .tar .exe .dll .bin .iso .dmg .p7s .asc .sig .ttf .otf .woff".split())
_SIGNATURES = ("application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature")
_ENCRYPTED = ("application/pgp-encrypted", "application/pkcs7-mime", "application/x-pkcs7-mime")


@dataclass
class MailContent:
    """What the index needs from one message (or Outlook item)."""

    subject: str = ""
    sender: str = ""
    recipients: str = ""
    date: str = ""
    message_id: str = ""
    body: str = ""  # full readable body (quotes kept), for the viewer
    blocks: list[Block] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    header_lines: list[tuple[str, str]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.subject or "(no subject)"


_HEADER_START = re.compile(rb"^[!-9;-~]+:")
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")


def _repair_folding(raw: bytes) -> bytes:
    """Some mailers fold a long encoded subject without the leading space; the parser would end the headers there.
    Such `=?...?=` lines are made continuations again."""
    m = _BLANK_LINE.search(raw, 0, 256 * 1024)
    end = m.start() if m else min(len(raw), 256 * 1024)
    lines = raw[:end].split(b"\n")
    fixed = [ln if i == 0 or ln[:1] in (b" ", b"\t") or _HEADER_START.match(ln) or not ln.startswith(b"=?")
             else b" " + ln for i, ln in enumerate(lines)]
    return raw if fixed == lines else b"\n".join(fixed) + raw[end:]


def parse_message_bytes(raw: bytes) -> email.message.Message:
    """compat32 keeps raw header strings (we decode them ourselves) and never raises on odd headers."""
    return email.message_from_bytes(_repair_folding(raw), policy=email.policy.compat32)


def _all(msg: email.message.Message, name: str) -> list[str]:
    """Raw header values (8-bit bytes kept as surrogate escapes; `get_all` would turn them into U+FFFD)."""
    want = name.lower()
    return [str(v) for k, v in msg.raw_items() if k.lower() == want]


def body_charset(msg: email.message.Message) -> str | None:
    """The first charset a text part declares: the best hint for undeclared 8-bit bytes in headers."""
    for part in msg.walk():
        cs = part.get_param("charset")
        if isinstance(cs, str) and cs:
            return cs
    return None


def read_headers(msg: email.message.Message, content: MailContent, hint: str | None) -> None:
    content.subject = decode_header(msg.get("Subject"), hint)
    content.sender = format_addresses(_all(msg, "From") or _all(msg, "Sender"), hint)
    content.recipients = format_addresses(_all(msg, "To") + _all(msg, "Cc"), hint)
    content.date = iso_date(msg.get("Date"))
    if not content.date:
        for received in _all(msg, "Received"):
            content.date = iso_date(received.rpartition(";")[2])
            if content.date:
                break
    content.message_id = normalize_message_id(msg.get("Message-ID"))
    for name in ("From", "To", "Cc", "Date", "Subject"):
        values = _all(msg, name)
        if values:
            value = (format_addresses(values, hint) if name in ("From", "To", "Cc")
                     else decode_header(values[0], hint))
            content.header_lines.append((name, value))


def header_text(content: MailContent, recipient_limit: int = 12) -> str:
    """The first block: who, when, what about (recipient lists are capped; the row keeps them all)."""
    lines = [f"Subject: {content.subject}"] if content.subject else []
    if content.sender:
        lines.append(f"From: {content.sender}")
    if content.recipients:
        names = [r.strip() for r in content.recipients.split(">, ")]
        shown = ">, ".join(names[:recipient_limit])
        more = f" … and {len(names) - recipient_limit} more" if len(names) > recipient_limit else ""
        lines.append(f"To: {shown}{more}")
    if content.date:
        lines.append(f"Date: {content.date[:10]} {content.date[11:16]} UTC")
    if content.attachments:
        lines.append("Attachments: " + ", ".join(content.attachments[:20]))
    return "\n".join(lines)


# --- body text --------------------------------------------------------------------------------------------------
_ATTRIBUTION = re.compile(r"^(On .{0,200}wrote:|.{0,120}(wrote|writes|schrieb|a écrit)\s*:)\s*$", re.I)
_SIG = re.compile(r"^-- ?$")


def indexable_body(text: str) -> str:
    """Drop quoted lines, reply attributions and the signature — unless nothing else would remain."""
    lines = text.split("\n")
    cut = next((i for i in range(len(lines) - 1, -1, -1) if _SIG.match(lines[i])), None)
    if cut is not None and len(lines) - cut <= 15:
        lines = lines[:cut]
    kept = [ln for i, ln in enumerate(lines)
            if not ln.lstrip().startswith(">") and not (_ATTRIBUTION.match(ln.strip()) and _quote_follows(lines, i))]
    own = "\n".join(kept).strip()
    return own if len(own) >= 20 else text.strip()


def _quote_follows(lines: list[str], i: int) -> bool:
    rest = [ln for ln in lines[i + 1:i + 4] if ln.strip()]
    return bool(rest) and rest[0].lstrip().startswith(">")


def html_to_text(html: bytes | str, charset: str | None = None) -> str:
    """Readable text of an HTML body: no scripts/styles, nothing fetched (the markup is only walked)."""
    from indexer.parsers.htmltext import decode_html, html_blocks, soup_of

    text = html if isinstance(html, str) else (decode_bytes(html, charset) if charset else decode_html(html))
    soup = soup_of(text)
    return "\n\n".join(b.text for b in html_blocks(soup.body or soup))


_ENRICHED = re.compile(r"<<|<[^<>]{0,40}>")


def _part_text(part: email.message.Message, hint: str | None) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        payload = str(part.get_payload()).encode("utf-8", "surrogateescape")
    charset = part.get_param("charset")
    charset = charset if isinstance(charset, str) else None
    ctype = part.get_content_type()
    if ctype == "text/html":
        return html_to_text(payload, charset)
    text = decode_bytes(payload, charset, hint)
    if ctype == "text/enriched":
        text = _ENRICHED.sub(lambda m: "<" if m.group(0) == "<<" else "", text)
    return normalize_newlines(text)


# --- the MIME walk ----------------------------------------------------------------------------------------------
@dataclass
class _Walk:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[tuple[str, email.message.Message]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _filename(part: email.message.Message, hint: str | None, n: int) -> str:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001 - a broken RFC 2231 parameter: fall back to a generic name
        name = None
    if name and "\ufffd" in name:  # 8-bit bytes in the parameter: read the raw header ourselves
        name = _raw_param_name(part, hint) or name
    if name:
        name = decode_header(name, hint).replace("/", "_").replace("\\", "_").strip()
    if not name:
        ext = mimetypes.guess_extension(part.get_content_type()) or ""
        name = f"part {n}{ext}"
    return name


_NAME_PARAM = re.compile(r'(?:file)?name\s*=\s*(?:"([^"]*)"|([^;\s]+))', re.I)


def _raw_param_name(part: email.message.Message, hint: str | None) -> str:
    for header in ("Content-Disposition", "Content-Type"):
        for raw in _all(part, header):
            text = decode_bytes(raw.encode("ascii", "surrogateescape"), None, hint)
            m = _NAME_PARAM.search(text)
            if m:
                return (m.group(1) or m.group(2) or "").strip()
    return ""


def _walk(part: email.message.Message, acc: _Walk, hint: str | None, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        acc.notes.append("MIME nesting too deep; inner parts not read")
        return
    ctype = part.get_content_type()
    if ctype in ("message/rfc822", "message/global"):  # before is_multipart(): compat32 calls these multipart
        acc.attachments.append((_filename(part, hint, len(acc.attachments) + 1), part))
        return
    if part.is_multipart():
        children = [p for p in (part.get_payload() or []) if isinstance(p, email.message.Message)]
        if ctype == "multipart/encrypted":
            acc.notes.append("encrypted body (not readable without the key)")
            return
        if ctype == "multipart/signed" and children:
            children = children[:1]
        if ctype == "multipart/alternative" and children:
            children = [_pick_alternative(children)]
        for child in children:
            _walk(child, acc, hint, depth + 1)
        return
    disposition = (part.get_content_disposition() or "").lower()
    has_name = bool(part.get_param("name") or part.get_param("filename", header="content-disposition"))
    if ctype.startswith("text/"):
        named_other = has_name and ctype not in ("text/plain", "text/html")
        if disposition == "attachment" or named_other or (has_name and ctype == "text/plain" and acc.plain):
            acc.attachments.append((_filename(part, hint, len(acc.attachments) + 1), part))
        elif ctype == "text/html":
            acc.html.append(_part_text(part, hint))
        else:
            acc.plain.append(_part_text(part, hint))
        return
    if ctype in _SIGNATURES:
        return
    if ctype in _ENCRYPTED:
        acc.notes.append("encrypted part (not readable without the key)")
        return
    acc.attachments.append((_filename(part, hint, len(acc.attachments) + 1), part))


def _pick_alternative(children: list[email.message.Message]) -> email.message.Message:
    for want in ("text/plain", "text/html"):
        for child in children:
            if child.get_content_type() == want:
                payload = child.get_payload(decode=True)
                if want == "text/html" or (isinstance(payload, bytes) and payload.strip()):
                    return child
    return children[-1]


def _attachment_blocks(name: str, part: email.message.Message, prefix: str, max_bytes: int, hint: str | None,
                       depth: int, notes: list[str]) -> list[Block]:
    from indexer.parsers import parse_bytes

    label = prefix + name
    ctype = part.get_content_type()
    if ctype.startswith("message/"):
        inner = part.get_payload()
        inner_msg = inner[0] if isinstance(inner, list) and inner else None
        if not isinstance(inner_msg, email.message.Message):
            raw = part.get_payload(decode=True)
            inner_msg = parse_message_bytes(raw) if isinstance(raw, bytes) and raw else None
        if inner_msg is None:
            return []
        sub = read_message(inner_msg, max_bytes=max_bytes, part=label, depth=depth + 1)
        notes.extend(f"{label}: {n}" for n in sub.notes)
        return sub.blocks
    if ctype.startswith(_SKIP_TYPES) or _ext(name) in SKIP_EXTENSIONS:
        return []
    limit = min(max_bytes, int(_max_attachment_mb * 1024 * 1024))
    encoded = part.get_payload(decode=False)
    if isinstance(encoded, str) and len(encoded) * 3 // 4 > limit:  # judged before decoding: base64 is 4/3 the size
        notes.append(f"{label}: {ATTACHMENT_TOO_LARGE} ({len(encoded) * 3 / 4 / 1048576:.0f} MB > limit "
                     f"{limit / 1048576:g} MB)")
        return []
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes) or not data:
        return []
    if len(data) > limit:
        notes.append(f"{label}: {ATTACHMENT_TOO_LARGE} ({len(data) / 1048576:.0f} MB > limit {limit / 1048576:g} MB)")
        return []
    parse_name = name if "." in name.rpartition("/")[2] else name + (mimetypes.guess_extension(ctype) or "")
    try:
        doc = parse_bytes(data, parse_name)
    except ParseError as exc:
        notes.append(f"{label}: not indexed ({exc.reason})")
        return []
    return [Block(text=b.text, where=replace(b.where, part=nested_part(label, b.where.part))) for b in doc.blocks]


def _ext(name: str) -> str:
    base = name.rpartition("/")[2].lower()
    return "." + base.rpartition(".")[2] if "." in base else ""


def read_message(msg: email.message.Message, *, max_bytes: int, part: str = "", depth: int = 0,
                 with_attachments: bool = True) -> MailContent:
    """Headers, body and attachments of a parsed message. `part` is the attachment path of an inner message;
    without `with_attachments` attachments are only listed (the viewer)."""
    hint = body_charset(msg)
    content = MailContent()
    read_headers(msg, content, hint)
    acc = _Walk()
    _walk(msg, acc, hint)
    texts = [t for t in acc.plain if t.strip()] or [t for t in acc.html if t.strip()]
    content.body = "\n\n".join(t.strip("\n") for t in texts)
    content.attachments = [name for name, _ in acc.attachments]
    content.notes = acc.notes
    prefix = part + PART_SEP if part else ""
    blocks: list[Block] = [Block(text=header_text(content), where=Locator(part=part))]
    body = indexable_body(content.body) if content.body else ""
    if content.notes and not body:
        body = "[" + "; ".join(content.notes) + "]"
    blocks.extend(Block(text=p, where=Locator(part=part)) for p in _paragraphs(body))
    for name, sub in acc.attachments:
        if depth >= MAX_DEPTH or not with_attachments:
            break
        blocks.extend(_attachment_blocks(name, sub, prefix, max_bytes, hint, depth, content.notes))
    content.blocks = merge_blocks(b for b in blocks if b.text.strip())
    return content


def _paragraphs(text: str) -> Iterable[str]:
    return (p.strip() for p in re.split(r"\n\s*\n", text) if p.strip())


def parse_rfc822(raw: bytes, *, max_bytes: int) -> MailContent:
    """Bytes of one message → content. Raises only ParseError."""
    try:
        return read_message(parse_message_bytes(raw), max_bytes=max_bytes)
    except (ParseError, MemoryError):  # MemoryError: the parse worker's cap reports it
        raise
    except RecursionError as exc:
        raise ParseError("message nested too deeply") from exc
    except Exception as exc:  # noqa: BLE001 - one bad message must never stop a mailbox
        from indexer.parsers.textutil import short

        raise ParseError(f"unreadable message: {type(exc).__name__}: {short(exc)}") from exc
