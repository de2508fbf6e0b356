"""Outlook `.msg` files (extract-msg): messages, and also appointments, contacts and notes saved from Outlook.

Why the codepage fix-up: non-Unicode .msg files store 8-bit strings in the sender's Windows codepage. extract-msg
reads PR_MESSAGE_CODEPAGE when present but otherwise falls back to Latin-1, which turns Japanese or Russian subjects
into mojibake; the message locale (PR_MESSAGE_LOCALE_ID) tells us the real codepage, and we reopen with it.
"""
from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from indexer.documents import Block, ParseError
from indexer.locator import Locator
from indexer.mail.headers import decode_bytes, iso_date, normalize_message_id
from indexer.mail.headers import format_addresses
from indexer.mail.message import (PART_SEP, SKIP_EXTENSIONS, MailContent, _ext, header_text, html_to_text, nested_part,
                                  indexable_body)
from indexer.parsers.textutil import merge_blocks, normalize_newlines, short

# Windows locale id → ANSI codepage (the common ones).
_LOCALE_CODEPAGE = {
    1041: "cp932", 2052: "gb18030", 4100: "gb18030", 1028: "cp950", 3076: "cp950", 5124: "cp950", 1042: "cp949",
    1049: "cp1251", 1058: "cp1251", 1026: "cp1251", 1059: "cp1251", 1087: "cp1251", 1071: "cp1251", 2074: "cp1250",
    1029: "cp1250", 1045: "cp1250", 1038: "cp1250", 1050: "cp1250", 1051: "cp1250", 1060: "cp1250", 1048: "cp1250",
    1032: "cp1253", 1055: "cp1254", 1037: "cp1255", 1025: "cp1256", 1065: "cp1256", 1061: "cp1257", 1062: "cp1257",
    1063: "cp1257", 1066: "cp1258", 1054: "cp874",
}
_ITEM_KIND = {"AppointmentMeeting": "Outlook appointment", "MeetingRequest": "Outlook meeting request",
              "Contact": "Outlook contact", "StickyNote": "Outlook note", "Task": "Outlook task"}
MAX_DEPTH = 8


def _prop(msg: Any, key: str) -> Any:
    prop = msg.props.get(key) if hasattr(msg, "props") else None
    return getattr(prop, "value", None)


def _open(path: str) -> Any:
    import extract_msg

    logging.getLogger("extract_msg").setLevel(logging.CRITICAL)
    msg = extract_msg.openMsg(path, strict=False, delayAttachments=False)
    if not getattr(msg, "areStringsUnicode", True) and _prop(msg, "3FFD0003") is None:
        codepage = _LOCALE_CODEPAGE.get(_prop(msg, "3FF10003") or 0)
        if codepage:
            msg.close()
            msg = extract_msg.openMsg(path, strict=False, delayAttachments=False, overrideEncoding=codepage)
    return msg


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = decode_bytes(value)
    return " ".join(str(value).replace("\x00", "").split())


def _sender(msg: Any) -> str:
    """`sender` (from the transport headers) or the MAPI sender name, completed with the SMTP address property when
    the name alone came back (Exchange-internal X.500 addresses are left out: they mean nothing to a reader)."""
    sender = _addresses(_safe(msg, "sender"))
    if "@" in sender:
        return sender
    for stream in ("__substg1.0_0C1F", "__substg1.0_0065", "__substg1.0_5D01", "__substg1.0_5D02"):
        try:
            addr = _text(msg.getStringStream(stream))
        except Exception:  # noqa: BLE001
            addr = ""
        if "@" in addr and not addr.startswith("/"):
            return f"{sender} <{addr}>" if sender and sender != addr else addr
    return sender


def _addresses(value: Any) -> str:
    text = _text(value)
    return format_addresses([text]) if text else ""


def _body(msg: Any) -> str:
    """Plain body, else the HTML body stream, else text stripped from the RTF body. extract-msg's own `htmlBody`
    de-encapsulates RTF through a full parser (about a second per message), so it is only used when an HTML
    stream really exists."""
    text = _plain(_safe(msg, "body"))
    if text:
        return text
    if _has_stream(msg, "__substg1.0_10130102"):
        html = _safe(msg, "htmlBody")
        if html:
            return _plain(html_to_text(html))
    rtf = _safe(msg, "rtfBody")
    return _plain(rtf_to_text(rtf)) if isinstance(rtf, (bytes, bytearray)) else ""


def _safe(msg: Any, attr: str) -> Any:
    try:
        return getattr(msg, attr, None)
    except Exception:  # noqa: BLE001 - a broken stream: try the next representation
        return None


def _has_stream(msg: Any, name: str) -> bool:
    try:
        return bool(msg.exists(name))
    except Exception:  # noqa: BLE001
        return False


def _plain(value: Any) -> str:
    if not value:
        return ""
    text = value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else str(value)
    return normalize_newlines(text.replace("\x00", "")).strip()


_RTF_SKIP = re.compile(rb"\\\*|\\(?:fonttbl|colortbl|stylesheet|info|pict|object|themedata|datastore|"
                       rb"latentstyles|listtable|listoverridetable|rsidtbl|generator|xmlnstbl|mmathPr)\b")
_RTF_TOKEN = re.compile(rb"\\'([0-9a-fA-F]{2})|\\u(-?\d+) ?\??|\\([a-z]+)(-?\d+)? ?|\\([{}\\])|([{}])|[\r\n]+|([^\\{}\r\n]+)")


def rtf_to_text(rtf: bytes, codepage: str | None = None) -> str:
    """Readable text of an RTF body (enough for indexing: paragraphs, escapes, Unicode; destinations skipped)."""
    data = bytes(rtf)
    m_cp = re.search(rb"\\ansicpg(\d+)", data[:2000])
    codepage = codepage or (f"cp{int(m_cp.group(1))}" if m_cp else "cp1252")
    try:
        "".encode(codepage)
    except LookupError:
        codepage = "cp1252"
    out: list[str] = []
    raw: bytearray = bytearray()  # \'hh bytes, decoded together (multi-byte codepages)
    depth_skip: list[bool] = [False]
    skip_next = 0  # the ANSI fallback after a \uN escape

    def flush() -> None:
        if raw:
            out.append(raw.decode(codepage, "replace"))
            raw.clear()

    for m in _RTF_TOKEN.finditer(data):
        hexbyte, uni, word, _arg, escaped, brace, text = m.groups()
        if brace:
            flush()
            if brace == b"{":
                depth_skip.append(depth_skip[-1] or bool(_RTF_SKIP.match(data, m.end())))
            elif len(depth_skip) > 1:
                depth_skip.pop()
            continue
        if depth_skip[-1]:
            continue
        if hexbyte:
            if skip_next:
                skip_next -= 1
            else:
                raw.append(int(hexbyte, 16))
            continue
        flush()
        if uni:
            out.append(chr(int(uni) % 65536))
            skip_next = 1
        elif word in (b"par", b"line", b"row"):
            out.append("\n")
        elif word in (b"tab", b"cell"):
            out.append("\t")
        elif escaped:
            out.append(escaped.decode())
        elif text:
            chunk = text.decode(codepage, "replace")
            if skip_next:
                chunk, skip_next = chunk[1:], 0
            out.append(chunk)
    flush()
    return "".join(out)


def read_outlook(msg: Any, *, max_bytes: int, part: str = "", depth: int = 0) -> MailContent:
    """Fields, body and attachments of an opened extract-msg object."""
    content = MailContent()
    content.subject = _text(getattr(msg, "subject", ""))
    content.sender = _sender(msg)
    content.recipients = ", ".join(x for x in (_addresses(getattr(msg, "to", "")), _addresses(getattr(msg, "cc", "")))
                                   if x)
    try:
        content.date = iso_date(getattr(msg, "date", None))
    except Exception:  # noqa: BLE001 - an odd date property must not lose the message
        content.date = ""
    content.message_id = normalize_message_id(getattr(msg, "messageId", None))
    content.body = _body(msg)
    kind = _ITEM_KIND.get(type(msg).__name__)
    extra: list[str] = [kind] if kind else []
    for label, attr in (("Location", "location"), ("Start", "startDate"), ("End", "endDate"),
                        ("Company", "companyName"), ("E-mail", "email1EmailAddress")):
        try:
            value = getattr(msg, attr, None)
        except Exception:  # noqa: BLE001
            value = None
        if value:
            extra.append(f"{label}: {_text(value)}")
    attachments: list[tuple[str, Any]] = []
    for att in getattr(msg, "attachments", []) or []:
        name = _text(getattr(att, "longFilename", None) or getattr(att, "name", None) or getattr(att, "shortFilename", None))
        attachments.append((name or f"attachment {len(attachments) + 1}", att))
    content.attachments = [n for n, _ in attachments]
    content.header_lines = [(k, v) for k, v in (("From", content.sender), ("To", content.recipients),
                                                 ("Date", content.date), ("Subject", content.subject)) if v]
    prefix = part + PART_SEP if part else ""
    blocks = [Block(text="\n".join([header_text(content), *extra]), where=Locator(part=part))]
    body = indexable_body(content.body) if content.body else ""
    blocks.extend(Block(text=p.strip(), where=Locator(part=part)) for p in body.split("\n\n") if p.strip())
    for name, att in attachments:
        blocks.extend(_attachment(name, att, prefix, max_bytes, depth, content.notes))
    content.blocks = merge_blocks(blocks)
    return content


def _attachment(name: str, att: Any, prefix: str, max_bytes: int, depth: int, notes: list[str]) -> list[Block]:
    from indexer.parsers import parse_bytes

    label = prefix + name
    try:
        data = att.data
    except Exception as exc:  # noqa: BLE001
        notes.append(f"{label}: unreadable ({type(exc).__name__})")
        return []
    if data is None:
        return []
    if not isinstance(data, (bytes, bytearray)):  # an embedded Outlook item
        if depth >= MAX_DEPTH or not hasattr(data, "subject"):
            return []
        return read_outlook(data, max_bytes=max_bytes, part=label, depth=depth + 1).blocks
    if len(data) > max_bytes:
        notes.append(f"{label}: too large to index ({len(data) / 1e6:.1f} MB)")
        return []
    if name.lower().endswith(".eml"):
        from indexer.mail.message import parse_rfc822

        try:
            inner = parse_rfc822(bytes(data), max_bytes=max_bytes)
        except ParseError:
            return []
        return [Block(text=b.text, where=Locator(page=b.where.page, section=b.where.section,
                                                 part=nested_part(label, b.where.part))) for b in inner.blocks]
    mime = str(getattr(att, "mimetype", "") or "")
    if mime.startswith(("image/", "audio/", "video/")) or _ext(name) in SKIP_EXTENSIONS:
        return []
    try:
        doc = parse_bytes(bytes(data), name)
    except ParseError as exc:
        notes.append(f"{label}: not indexed ({exc.reason})")
        return []
    return [Block(text=b.text, where=replace(b.where, part=nested_part(label, b.where.part))) for b in doc.blocks]


def parse_msg_file(path: str, *, max_bytes: int) -> MailContent:
    """Read one .msg file. Raises only ParseError."""
    try:
        msg = _open(path)
    except Exception as exc:  # noqa: BLE001 - extract-msg raises many types for damaged files
        raise ParseError(f"unreadable Outlook .msg: {type(exc).__name__}: {short(exc)}") from exc
    try:
        return read_outlook(msg, max_bytes=max_bytes)
    except RecursionError as exc:
        raise ParseError("Outlook item nested too deeply") from exc
    except ParseError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ParseError(f"Outlook .msg parse failed: {type(exc).__name__}: {short(exc)}") from exc
    finally:
        try:
            msg.close()
        except Exception:  # noqa: BLE001
            pass
