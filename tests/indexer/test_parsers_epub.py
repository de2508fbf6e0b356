"""EPUB: spine order, chapter titles from the table of contents (including anchors inside one file), damage."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from indexer.documents import ParseError
from indexer.parsers import parse_bytes


def _block(doc, needle: str):
    return next(b for b in doc.blocks if needle in b.text)


def test_wasteland_chapters(fixtures_dir: Path) -> None:
    doc = parse_bytes((fixtures_dir / "epub" / "wasteland.epub").read_bytes(), "wasteland.epub")
    assert doc.kind == "epub"
    assert doc.title == "The Waste Land"
    assert doc.meta["author"] == "T.S. Eliot"
    assert _block(doc, "April is the cruellest month, breeding").where.section.casefold() == "i. the burial of the dead"
    assert _block(doc, "The Chair she sat in, like a burnished throne").where.section.casefold() == "ii. a game of chess"
    assert _block(doc, "For Ezra Pound").where.section == "The Waste Land"
    sections = []
    for b in doc.blocks:
        if b.where.section not in sections:
            sections.append(b.where.section)
    titles = [s.casefold() for s in sections]
    assert titles.index("i. the burial of the dead") < titles.index("ii. a game of chess")
    assert any(s.startswith('notes on "the waste land"') for s in titles)
    # Spine order is reading order.
    text = "\n".join(b.text for b in doc.blocks)
    assert text.index("April is the cruellest month") < text.index("A GAME OF CHESS") < text.index("NOTES ON")


def _epub(files: dict[str, str], *, extra: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        zf.writestr("META-INF/container.xml", """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>""")
        manifest = "".join(
            f'<item id="c{i}" href="{n}" media-type="application/xhtml+xml"/>' for i, n in enumerate(files)
        )
        spine = "".join(f'<itemref idref="c{i}"/>' for i in range(len(files)))
        zf.writestr("OEBPS/content.opf", f"""<?xml version="1.0"?>
<package xmlns="http://www.idpf.org/2007/opf" version="2.0" unique-identifier="id">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Built Book</dc:title>
<dc:identifier id="id">x</dc:identifier><dc:language>en</dc:language></metadata>
<manifest>{manifest}</manifest><spine>{spine}</spine></package>""")
        for n, body in files.items():
            zf.writestr(f"OEBPS/{n}", f'<html xmlns="http://www.w3.org/1999/xhtml"><body>{body}</body></html>')
        for n, body in (extra or {}).items():
            zf.writestr(n, body)
    return buf.getvalue()


def test_built_epub_without_toc_uses_chapter_headings() -> None:
    data = _epub({"b.xhtml": "<h1>Second</h1><p>Beta text.</p>", "a.xhtml": "<h1>First</h1><p>Alpha text.</p>"})
    doc = parse_bytes(data, "book.epub")
    assert doc.title == "Built Book"
    assert [b.where.section for b in doc.blocks] == ["Second", "First"]  # spine order, not file name order
    assert "Beta text." in doc.blocks[0].text


def test_drm_epub_is_reported() -> None:
    enc = """<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container"
      xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>
      <enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
      <enc:CipherData><enc:CipherReference URI="OEBPS/a.xhtml"/></enc:CipherData></enc:EncryptedData></encryption>"""
    data = _epub({"a.xhtml": "<p>x</p>"}, extra={"META-INF/encryption.xml": enc})
    with pytest.raises(ParseError) as info:
        parse_bytes(data, "locked.epub")
    assert info.value.reason == "encrypted: DRM-protected EPUB"


def test_corrupt_epub(fixtures_dir: Path) -> None:
    data = (fixtures_dir / "epub" / "wasteland.epub").read_bytes()
    with pytest.raises(ParseError) as info:
        parse_bytes(data[:4000], "cut.epub")
    assert type(info.value) is ParseError and info.value.reason.startswith("corrupt EPUB")
    with pytest.raises(ParseError) as info:
        parse_bytes(_epub({"a.xhtml": "<p>x</p>"})[:-200] + b"junk", "broken.epub")
    assert info.value.reason.startswith("corrupt EPUB")


def test_corpus_epubs(corpora: Path) -> None:
    folder = corpora / "docs" / "pandoc-tests" / "epub"
    docs = {p.name: parse_bytes(p.read_bytes(), p.name) for p in sorted(folder.glob("*.epub"))}
    assert len(docs) == 8
    assert docs["features.epub"].title == "EPUBTEST 0100 - Reflowable Content Tests"
    assert docs["epub2_cover.epub"].blocks[0].where.section == "EPUB Pandoc Test"
    formatting = docs["formatting.epub"]
    assert any(b.where.section.startswith("Multi-Column Layouts") for b in formatting.blocks)
    # The EPUB 3 navigation document is not indexed as a chapter of its own.
    assert not any(b.where.section.startswith("Table of Contents") for b in formatting.blocks)
