"""Header and charset decoding that never gives up.

Why our own decoding instead of `policy.default`'s header objects: real mail has RFC 2047 words with unknown or
wrong charsets, raw 8-bit bytes in headers, encoded words glued to text, and address lists that make the strict
parser raise. We parse with `compat32` (raw strings, 8-bit kept as surrogate escapes) and decode every header here:
declared charset, then UTF-8, then the message's body charset, then a guess. Bytes labelled Latin-1 that are valid
UTF-8 are read as UTF-8 (a common mislabel).
"""
from __future__ import annotations

import base64
import binascii
import codecs
import email.utils
import quopri
import re
from datetime import datetime, timezone

# Labels that mean something else in practice (WHATWG-style supersets) or are not Python codec names.
_ALIASES = {
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "l1": "cp1252",
    "us-ascii": "ascii", "ansi_x3.4-1968": "ascii", "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030",
    "euc-cn": "gb18030", "ks_c_5601-1987": "cp949", "euc-kr": "cp949", "ks_c_5601": "cp949", "x-sjis": "cp932",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "windows-31j": "cp932", "big5": "big5hkscs",
    "iso-8859-8-i": "iso-8859-8", "iso-8859-6-i": "iso-8859-6", "tis-620": "cp874", "windows-874": "cp874",
    "x-mac-roman": "mac_roman", "macintosh": "mac_roman", "utf8": "utf-8", "x-utf-8": "utf-8", "unicode-1-1-utf-7":
    "utf-7", "iso-8859-11": "cp874",
}
_UNKNOWN = frozenset({"", "unknown", "unknown-8bit", "x-unknown", "8bit", "default", "charset", "x-user-defined"})


def codec_for(label: str | None) -> str | None:
    """A Python codec for a MIME charset label, or None when the label is missing or unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower().split("*")[0]  # RFC 2231 "utf-8*en"
    if name in _UNKNOWN:
        return None
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _guess(data: bytes) -> str:
    if len(data) >= 64:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is not None:
            return str(best)
    return data.decode("cp1252", errors="replace")


def decode_bytes(data: bytes, charset: str | None = None, hint: str | None = None) -> str:
    """Bytes of a header or body part to text: declared charset, UTF-8, the hint (message charset), a guess."""
    if not data:
        return ""
    codec = codec_for(charset)
    ascii_only = data.isascii()
    if ascii_only and codec not in ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-7", "iso2022_jp",
                                    "iso2022_kr", "hz"):
        return data.decode("ascii")
    if codec and codec not in ("utf-8", "ascii") and not codec.startswith(("utf-16", "utf-32", "iso2022")):
        try:  # valid UTF-8 with non-ASCII bytes is almost never legacy text, whatever the label says
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    for cand in (codec, "utf-8", codec_for(hint)):
        if cand and cand != "ascii":
            try:
                return data.decode(cand)
            except (UnicodeDecodeError, LookupError):
                continue
    return _guess(data)


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)[ \t\r\n]+(?==\?[^?\s]+\?[bBqQ]\?)")


def _word_bytes(enc: str, text: str) -> bytes:
    if enc in "bB":
        text = re.sub(r"[^A-Za-z0-9+/=]", "", text)
        try:
            return base64.b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            return text.encode("ascii", "replace")
    return quopri.decodestring(text.replace("_", " ").encode("ascii", "surrogateescape"), header=True)


def decode_header(raw: object, hint: str | None = None) -> str:
    """A raw header value (str with surrogate-escaped 8-bit bytes, or email.header.Header) as clean text."""
    if raw is None:
        return ""
    text = str(raw)
    if any("\udc80" <= ch <= "\udcff" for ch in text):  # raw 8-bit bytes in the header
        text = decode_bytes(text.encode("ascii", "surrogateescape"), None, hint)
    if "=?" in text:
        text = _BETWEEN_WORDS.sub(r"\1", text)  # whitespace between adjacent encoded words is not content
        # Adjacent words in one charset may split a multi-byte character: decode runs of them together.
        out: list[str] = []
        pos = 0
        run: list[bytes] = []
        run_cs: str | None = None
        for m in _ENCODED_WORD.finditer(text):
            if m.start() != pos or (run and m.group(1).lower() != run_cs):
                if run:
                    out.append(decode_bytes(b"".join(run), run_cs, hint))
                    run = []
                out.append(text[pos:m.start()])
            run_cs = m.group(1).lower()
            run.append(_word_bytes(m.group(2), m.group(3)))
            pos = m.end()
        if run:
            out.append(decode_bytes(b"".join(run), run_cs, hint))
        out.append(text[pos:])
        text = "".join(out)
    return " ".join(text.replace("\x00", "").split())


_AT = re.compile(r"(\S+) at ([\w.-]+\.[A-Za-z]{2,})")


def format_addresses(raws: list[str], hint: str | None = None, limit: int | None = None) -> str:
    """"Name <addr>, ..." from raw address headers; names decoded after parsing, so encoded commas stay inside."""
    pairs: list[tuple[str, str]] = []
    for raw in raws:
        raw_s = str(raw)
        if "@" not in raw_s:  # pipermail archives obfuscate "user@host" as "user at host"
            raw_s = _AT.sub(r"\1@\2", raw_s)
        try:
            parsed = email.utils.getaddresses([raw_s])
        except Exception:  # noqa: BLE001 - a header the address parser chokes on is still readable text
            parsed = [("", raw_s)]
        if not any(addr or name for name, addr in parsed):
            parsed = [("", raw_s)]
        for name, addr in parsed:
            name = decode_header(name, hint).strip().strip('"').strip()
            addr = decode_header(addr, hint).strip()
            if name or addr:
                pairs.append((name, addr))
    if not pairs:
        return decode_header(" ".join(str(r) for r in raws), hint)
    out = [f"{n} <{a}>" if n and a and n != a else (a or n) for n, a in pairs]
    if limit is not None and len(out) > limit:
        return ", ".join(out[:limit]) + f", … ({len(out) - limit} more)"
    return ", ".join(out)


def iso_date(raw: object) -> str:
    """An RFC 5322 date as ISO 8601 UTC ("2024-01-31T09:15:00Z"), or "" when it cannot be read."""
    if raw is None:
        return ""
    if isinstance(raw, datetime):
        return _iso(raw)
    text = " ".join(str(raw).split())
    if not text:
        return ""
    try:
        return _iso(email.utils.parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    m = re.search(r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d))?", text)
    if m:
        try:
            return _iso(datetime(*(int(g or 0) for g in m.groups())))  # type: ignore[misc]
        except ValueError:
            return ""
    return ""


def _iso(dt: datetime) -> str:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    if not 1900 <= dt.year <= 2200:
        return ""
    try:
        return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):
        return ""


def envelope_date(from_line: bytes) -> str:
    """The date in an mbox `From sender Thu Aug 26 16:49:36 2021` line (asctime, local time: read as UTC)."""
    m = re.search(rb"([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d\d):(\d\d)(?::(\d\d))?\s+(?:[A-Z]{3,4}\s+)?(\d{4})", from_line)
    if not m:
        return ""
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    mon = m.group(1).decode()
    if mon not in months:
        return ""
    try:
        dt = datetime(int(m.group(6)), months.index(mon) + 1, int(m.group(2)), int(m.group(3)), int(m.group(4)),
                      int(m.group(5) or 0))
    except ValueError:
        return ""
    return _iso(dt)


def normalize_message_id(raw: object) -> str:
    """The `<id@host>` token of a Message-ID header (whitespace and comments dropped), or ""."""
    text = " ".join(str(raw or "").split())
    m = re.search(r"<[^<>\s]+>", text)
    if m:
        return m.group(0)
    text = text.strip()
    return f"<{text}>" if text and " " not in text and len(text) < 500 else ""
