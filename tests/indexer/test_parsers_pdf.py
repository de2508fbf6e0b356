"""PDF parsing on real files: page locators, encryption, scans and broken files."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from indexer.documents import ParseError, SkipDocument
from indexer.parsers import parse_bytes
from indexer.parsers.pdf import page_text


def _parse(path: Path):
    return parse_bytes(path.read_bytes(), path.name)


def _page(doc, number: int) -> str:
    """A page's text with line breaks flattened, so sentences can be matched across them."""
    return " ".join(" ".join(b.text for b in doc.blocks if b.where.page == number).split())


def test_crazyones_text_title_and_page(fixtures_dir: Path) -> None:
    doc = _parse(fixtures_dir / "pdf" / "crazyones.pdf")
    assert doc.kind == "pdf"
    assert doc.title == "The Crazy Ones"
    assert doc.meta["pages"] == "1"
    assert [b.where.page for b in doc.blocks] == [1]
    text = _page(doc, 1)
    assert "The misfits. The rebels." in text  # the "ﬁ" ligature is spelled out
    assert "Because the people who are crazy enough to think" in text


def test_sentences_land_on_their_own_pages(fixtures_dir: Path) -> None:
    doc = _parse(fixtures_dir / "pdf" / "pagelabels.pdf")
    assert doc.meta["pages"] == "5"
    assert "2 Second section" in _page(doc, 2)
    assert "3 Third section" in _page(doc, 3)
    assert "4 Heading on Level 1 (section)" in _page(doc, 5)
    assert "More text here" in _page(doc, 5)
    assert "More text here" not in _page(doc, 2)


def test_empty_user_password_opens(fixtures_dir: Path) -> None:
    doc = _parse(fixtures_dir / "pdf" / "r6-empty-password.pdf")  # AES-256, user password ""
    assert "pdf encryption test" in _page(doc, 1)


@pytest.mark.parametrize("name", ["r6-both-passwords.pdf", "libreoffice-writer-password.pdf"])
def test_real_password_is_an_error_with_exact_reason(fixtures_dir: Path, name: str) -> None:
    with pytest.raises(ParseError) as info:
        _parse(fixtures_dir / "pdf" / name)
    assert type(info.value) is ParseError
    assert info.value.reason == "encrypted: password required"
    assert info.value.status == "error"


def test_scan_without_text_layer_is_marked_for_ocr_and_skipped_when_ocr_is_off(fixtures_dir: Path) -> None:
    from indexer.ocr import complete

    path = fixtures_dir / "pdf" / "c02-22.pdf"
    doc = _parse(path)  # issue 14: the parser marks the text-less page; indexer.ocr reads it
    assert doc.blocks == () and doc.meta["ocr_pages"] == "1"
    with pytest.raises(SkipDocument) as info:
        complete(doc, path.read_bytes(), enabled=False)
    assert info.value.reason == "no text layer (scanned); OCR is off"
    assert info.value.status == "skipped"


def test_header_then_eof_is_corrupt(fixtures_dir: Path) -> None:
    with pytest.raises(ParseError) as info:
        _parse(fixtures_dir / "pdf" / "invalid.pdf")
    assert type(info.value) is ParseError
    assert info.value.reason.startswith("corrupt PDF: ")


def test_binary_renamed_pdf_is_not_a_pdf() -> None:
    data = random.Random(7).randbytes(20_000)
    with pytest.raises(ParseError) as info:
        parse_bytes(data, "holiday.PDF")
    assert type(info.value) is ParseError
    assert info.value.reason == "not a valid PDF: no %PDF header"


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_truncated_pdf_is_an_error_not_a_crash(fixtures_dir: Path, fraction: float) -> None:
    data = (fixtures_dir / "pdf" / "pagelabels.pdf").read_bytes()
    try:
        doc = parse_bytes(data[: int(len(data) * fraction)], "cut.pdf")
    except ParseError as exc:  # includes SkipDocument
        assert exc.reason
    else:  # pypdf may recover some pages; then they must be real text
        assert doc.blocks and all(b.where.page for b in doc.blocks)


def test_zero_bytes_is_skipped() -> None:
    with pytest.raises(SkipDocument) as info:
        parse_bytes(b"", "empty.pdf")
    assert info.value.reason == "empty file"


def test_pdf_without_extension_is_sniffed(fixtures_dir: Path) -> None:
    doc = parse_bytes((fixtures_dir / "pdf" / "crazyones.pdf").read_bytes(), "download")
    assert doc.kind == "pdf" and doc.title == "The Crazy Ones"


def test_page_text_whitespace() -> None:
    raw = "A  title\nThis is a long enough line of text that goes on and on, exam-\nple of hy-\nphenation.\nEnd.\nNext"
    text = page_text(raw)
    assert "A title" in text
    assert "example of hyphenation." in text
    assert "  " not in text


def test_multipage_corpus_pdf_page_numbers(corpora: Path) -> None:
    doc = _parse(corpora / "pdf" / "py-pdf-sample-files" / "009-pdflatex-geotopo" / "GeoTopo-komprimiert.pdf")
    assert doc.meta["pages"] == "117"
    assert doc.title == "Geometrie und Topologie"
    assert "Dieses Skript wurde im Wintersemester 2013/2014 von Martin Thoma geschrieben" in _page(doc, 2)
    assert "Ein topologischer Raum ist ein Paar" in _page(doc, 6)
    assert "Topologische Grundbegriffe" in _page(doc, 6)  # "ﬀ" spelled out


def test_corpus_permissions_only_encryption_opens(corpora: Path) -> None:
    doc = _parse(corpora / "pdf" / "pdfminer-samples" / "nonfree" / "dmca.pdf")
    assert doc.meta["pages"] == "18"
    assert "Savings clauses" in _page(doc, 5)


@pytest.mark.parametrize("rel", [
    "pypdf-resources/encryption/r2-user-password.pdf",
    "pypdf-resources/encryption/r4-aes-user-password.pdf",
    "pypdf-resources/crazyones-encrypted-256.pdf",
    "pdfminer-samples/encryption/aes-256-r6.pdf",
])
def test_corpus_user_passwords_required(corpora: Path, rel: str) -> None:
    with pytest.raises(ParseError) as info:
        _parse(corpora / "pdf" / rel)
    assert info.value.reason == "encrypted: password required"


@pytest.mark.parametrize("rel", [
    "pypdf-resources/encryption/r2-empty-password.pdf",
    "pypdf-resources/encryption/r4-aes-v2-no-key-length.pdf",
    "pypdf-resources/encryption/r5-owner-password.pdf",
])
def test_corpus_empty_user_passwords_open(corpora: Path, rel: str) -> None:
    assert "pdf encryption test" in _page(_parse(corpora / "pdf" / rel), 1)
