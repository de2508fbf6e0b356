"""Build the files the OCR tests need, in the test's tmp dir: real scan pixels (rendered from the c02-22.pdf page
scan in tests/fixtures/pdf) and hostile files made compactly (a 20,000 × 20,000 PNG is ~60 kB on disk)."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SCAN_PDF = FIXTURES / "pdf" / "c02-22.pdf"  # Huckleberry Finn ch. 2, one scanned page, no text layer
SCAN_PHRASE = "tip-toeing along a path amongst the trees"


def scan_image(top: float = 0.0, bottom: float = 1.0):  # type: ignore[no-untyped-def]
    """The scanned page as a PIL image (cropped to a band of its height: fewer lines, faster OCR)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(SCAN_PDF))
    image = pdf[0].render(scale=200 / 72).to_pil().convert("RGB")
    w, h = image.size
    return image.crop((0, int(top * h), w, int(bottom * h)))


def huge_png(path: Path, side: int = 20_000) -> Path:
    """A valid 1-bit PNG of one colour, `side` px square, streamed so it never exists in memory."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    row = b"\x00" + b"\xff" * ((side + 7) // 8)
    comp = zlib.compressobj(9)
    body = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
                     + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return path


def corrupt_png(path: Path) -> Path:
    """A PNG signature and header, then garbage where the image data should be."""
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + b"\x00\x00\x02\x00" * 2 + b"\x08\x02\x00\x00\x00"
                     + b"\xde\xad\xbe\xef" + b"\x13\x37" * 500)
    return path


def pdf_text_page_and_broken_image_page(path: Path) -> Path:
    """Page 1: real text (Helvetica). Page 2: no text, one image XObject whose JPEG data is garbage and claims
    30,000 × 30,000 px."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, NumberObject, StreamObject

    writer = PdfWriter()
    font = writer._add_object(DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                                                NameObject("/Subtype"): NameObject("/Type1"),
                                                NameObject("/BaseFont"): NameObject("/Helvetica")}))
    page = writer.add_blank_page(612, 792)
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
    text = DecodedStreamObject()
    text.set_data(b"BT /F1 14 Tf 72 700 Td (The quarterly invoice from Brightwater Plumbing is enclosed.) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(text)

    image = StreamObject()
    image._data = b"\xff\xd8\xff\xe0" + b"\x00garbage" * 200
    image.update({NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Image"),
                  NameObject("/Width"): NumberObject(30_000), NameObject("/Height"): NumberObject(30_000),
                  NameObject("/ColorSpace"): NameObject("/DeviceGray"), NameObject("/BitsPerComponent"): NumberObject(8),
                  NameObject("/Filter"): NameObject("/DCTDecode")})
    page2 = writer.add_blank_page(612, 792)
    page2[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject({NameObject("/Im0"): writer._add_object(image)})})
    draw = DecodedStreamObject()
    draw.set_data(b"q 612 0 0 792 0 0 cm /Im0 Do Q")
    page2[NameObject("/Contents")] = writer._add_object(draw)
    with path.open("wb") as fh:
        writer.write(fh)
    return path
