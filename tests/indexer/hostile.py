"""Builders of hostile files for tests and benchmarks, generated in a temp dir (kilobytes to a few MB on disk).

Zip bombs are written by hand: a DEFLATE stream of one compressed segment repeated (each segment ends with a full
flush, so it is independent of what came before), so a 1 GB member costs ~1 MB on disk and a second to build.
"""
from __future__ import annotations

import base64
import struct
import zlib
from pathlib import Path

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _deflate_repeated(prefix: bytes, unit: bytes, total: int, suffix: bytes) -> tuple[bytes, int, int]:
    """(raw deflate stream, crc32, uncompressed size) of prefix + unit repeated up to ~total bytes + suffix."""
    seg_plain = unit * max(1, (1 << 20) // len(unit))
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    seg = c.compress(seg_plain) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(seg_plain) + c.flush(zlib.Z_FULL_FLUSH)
    assert seg == again, "full-flush segments must repeat"
    n = max(1, total // len(seg_plain))
    tail = c.compress(suffix) + c.flush(zlib.Z_FINISH)
    crc = zlib.crc32(prefix)
    seg_crc_state = crc
    for _ in range(n):
        seg_crc_state = zlib.crc32(seg_plain, seg_crc_state)
    crc = zlib.crc32(suffix, seg_crc_state)
    # the first segment was emitted as `seg` too; the stream is head + seg * n + tail
    return head + seg * n + tail, crc & 0xFFFFFFFF, len(prefix) + n * len(seg_plain) + len(suffix)


def write_zip(path: Path, members: list[tuple[str, bytes, int, int, int]]) -> Path:
    """members: (name, stored-or-deflated data, method 0/8, crc, uncompressed size). Sizes below 4 GB."""
    out = bytearray()
    central = bytearray()
    for name, data, method, crc, size in members:
        raw = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(data), size, len(raw), 0)
        out += raw + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, len(data), size,
                               len(raw), 0, 0, 0, 0, 0, offset)
        central += raw
    cd_offset = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), cd_offset, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))
    return path


def _small(name: str, data: bytes, deflate: bool = True) -> tuple[str, bytes, int, int, int]:
    if not deflate:
        return (name, data, 0, zlib.crc32(data) & 0xFFFFFFFF, len(data))
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return (name, c.compress(data) + c.flush(), 8, zlib.crc32(data) & 0xFFFFFFFF, len(data))


def docx_bomb(path: Path, unpacked_mb: int = 1024) -> Path:
    """A DOCX whose word/document.xml inflates to `unpacked_mb` of valid WordprocessingML."""
    ct = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
          b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
          b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/'
          b'document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.'
          b'main+xml"/></Types>')
    rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
    prefix = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W_NS}"><w:body>'.encode()
    unit = b"<w:p><w:r><w:t>bomb bomb bomb</w:t></w:r></w:p>"
    data, crc, size = _deflate_repeated(prefix, unit, unpacked_mb << 20, b"</w:body></w:document>")
    return write_zip(path, [_small("[Content_Types].xml", ct), _small("_rels/.rels", rels),
                            ("word/document.xml", data, 8, crc, size)])


def epub_bomb(path: Path, unpacked_mb: int = 400) -> Path:
    """An EPUB whose one chapter inflates to `unpacked_mb` of XHTML."""
    container = (b'<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:'
                 b'container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-'
                 b'package+xml"/></rootfiles></container>')
    opf = (b'<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="2.0" unique-identifier="id">'
           b'<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Bomb</dc:title><dc:identifier id="id">x'
           b'</dc:identifier><dc:language>en</dc:language></metadata><manifest><item id="c1" href="c1.xhtml" '
           b'media-type="application/xhtml+xml"/></manifest><spine><itemref idref="c1"/></spine></package>')
    data, crc, size = _deflate_repeated(b'<html xmlns="http://www.w3.org/1999/xhtml"><body>', b"<p>again and again</p>",
                                        unpacked_mb << 20, b"</body></html>")
    return write_zip(path, [_small("mimetype", b"application/epub+zip", deflate=False),
                            _small("META-INF/container.xml", container), _small("OEBPS/content.opf", opf),
                            ("OEBPS/c1.xhtml", data, 8, crc, size)])


def nested_html(path: Path, depth: int = 200_000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("<html><head><title>deep</title></head><body>" + "<div>" * depth + "deep inside"
                    + "</div>" * depth + "</body></html>")
    return path


def deep_mime(path: Path, depth: int = 3000) -> Path:
    head = b"From: a@example.org\nTo: b@example.org\nSubject: deep\nMessage-ID: <deep@example.org>\nMIME-Version: 1.0\n"
    body = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(depth))
    body += b"Content-Type: text/plain\n\nthe innermost text\n" + b"".join(b"--b%d--\n" % i for i in reversed(range(depth)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(head + body)
    return path


def big_attachment_mail(path: Path, marker: str, attachment_mb: int = 60) -> Path:
    """An .eml whose body says `marker` and which carries a text attachment of `attachment_mb` MB (base64)."""
    line = b"A line of a very long attached log file, repeated until it is large.\n"
    raw = line * ((attachment_mb << 20) // len(line))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(b"From: a@example.org\nTo: b@example.org\nSubject: big attachment\nMessage-ID: <big@example.org>\n"
                 b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"XX\"\n\n--XX\nContent-Type: text/plain\n\n"
                 + f"The body of this message mentions {marker} and nothing else.\n".encode()
                 + b"--XX\nContent-Type: text/plain; name=\"huge.log\"\nContent-Disposition: attachment; "
                   b"filename=\"huge.log\"\nContent-Transfer-Encoding: base64\n\n")
        step = 57 * 20000
        for i in range(0, len(raw), step):
            fh.write(base64.encodebytes(raw[i:i + step]))
        fh.write(b"--XX--\n")
    return path


def looping_pdf(path: Path) -> Path:
    """A PDF whose page tree lists itself as a kid."""
    stream = b"BT /F1 12 Tf 72 720 Td (Hello loop) Tj ET"
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R"
            b" >> >> >>", b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    return _pdf(path, objs)


def text_pdf(path: Path, pages: list[str]) -> Path:
    """A plain PDF with one line of text per page (for long-PDF benchmarks)."""
    n = len(pages)
    objs: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    font = 3
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, text in enumerate(pages):
        page_no, content_no = len(objs) + 1, len(objs) + 2
        kids.append(b"%d 0 R" % page_no)
        esc = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1", "replace")
        lines = b" ".join(b"(%s) Tj 0 -14 Td" % esc[j:j + 90] for j in range(0, len(esc), 90))
        stream = b"BT /F1 11 Tf 50 750 Td " + lines + b" ET"
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R /Resources << /Font << "
                    b"/F1 %d 0 R >> >> >>" % (content_no, font))
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objs[1] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % n
    return _pdf(path, objs)


def _pdf(path: Path, objs: list[bytes]) -> Path:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))
    return path


def garbage_pdf(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 4000)
    return path


def write_mbox(path: Path, n: int, marker_every: int = 1000) -> Path:
    """An mbox of `n` small messages; message i says `topic-<i>` and every `marker_every`-th one `marker-<i>`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        for i in range(n):
            extra = f" It carries the code word marker{i}." if i % marker_every == 0 else ""
            fh.write((f"From sender{i % 50}@example.org Mon Jan  1 00:00:00 2024\n"
                      f"From: Sender {i % 50} <sender{i % 50}@example.org>\nTo: me@example.org\n"
                      f"Subject: Note number {i}\nMessage-ID: <note-{i}@example.org>\n"
                      f"Date: Mon, 1 Jan 2024 00:00:00 +0000\n\n"
                      f"This is message {i} about topic-{i} and the weather on day {i % 365}.{extra}\n\n").encode())
    return path
