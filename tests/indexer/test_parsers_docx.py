"""DOCX parsing: reading order, tables, heading paths, headers/footers, notes, comments, broken packages."""
from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from indexer.documents import ParseError
from indexer.parsers import parse_bytes


def _parse(path: Path):
    return parse_bytes(path.read_bytes(), path.name)


def _text(doc) -> str:
    return "\n".join(b.text for b in doc.blocks)


def _section_of(doc, needle: str) -> str:
    return next(b.where.section for b in doc.blocks if needle in b.text)


def test_heading_path(fixtures_dir: Path) -> None:
    doc = _parse(fixtures_dir / "docx" / "headers.docx")
    assert doc.kind == "docx"
    assert doc.title == "A Test of Headers"
    assert _section_of(doc, "Second Level") == "A Test of Headers › Second Level"
    fifth = next(b for b in doc.blocks if b.text.startswith("Fifth level"))
    assert fifth.where.section == "A Test of Headers › Second Level › Third level › Fourth level › Fifth level"
    assert "Some more plain text." in fifth.text


def test_table_cells_in_reading_order(fixtures_dir: Path) -> None:
    doc = _parse(fixtures_dir / "docx" / "tables.docx")
    text = _text(doc)
    assert "Name | Game | Fame | Blame" in text
    assert "Lebron James | Basketball | Very High | Leaving Cleveland" in text
    assert "Simple Multiparagraph | Table Full" in text
    assert text.index("A table, with and without a header row") < text.index("Lebron James")
    assert _section_of(doc, "Russell Wilson") == "A table, with and without a header row"


def test_header_and_footer_text(fixtures_dir: Path) -> None:
    doc = _parse(fixtures_dir / "docx" / "hdr-header-footer.docx")
    assert _section_of(doc, "Header for section-1") == "Header"
    assert _section_of(doc, "Footer for section 1") == "Footer"
    assert "section without header of its own." in _text(doc)


def test_footnotes_endnotes_and_comments(fixtures_dir: Path) -> None:
    notes = _parse(fixtures_dir / "docx" / "notes.docx")
    assert _section_of(notes, "My note.") == "Footnotes"
    assert _section_of(notes, "This is an endnote at the end of the document.") == "Endnotes"
    comments = _parse(fixtures_dir / "docx" / "comments.docx")
    assert _section_of(comments, "I left a comment.") == "Comments"
    assert "One more. And this is one with a comment in a comment." in _text(comments)


def test_built_document_headings_tables_headers() -> None:
    docx = pytest.importorskip("docx")
    d = docx.Document()
    d.core_properties.title = "Quarterly plan"
    d.add_heading("Budget", level=1)
    d.add_paragraph("Money matters.")
    d.add_heading("Travel", level=2)
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "City", "Cost"
    table.cell(1, 0).text, table.cell(1, 1).text = "Lisbon", "1200 EUR"
    d.add_heading("Staff", level=1)
    d.add_paragraph("Two hires.")
    d.sections[0].header.paragraphs[0].text = "Confidential draft"
    d.sections[0].footer.paragraphs[0].text = "Page footer text"
    buf = io.BytesIO()
    d.save(buf)
    doc = parse_bytes(buf.getvalue(), "Plan.DOCX")
    assert doc.title == "Quarterly plan"
    assert _section_of(doc, "Money matters.") == "Budget"
    assert _section_of(doc, "Lisbon | 1200 EUR") == "Budget › Travel"
    assert _section_of(doc, "Two hires.") == "Staff"
    assert _section_of(doc, "Confidential draft") == "Header"
    assert _section_of(doc, "Page footer text") == "Footer"


def test_not_a_zip_is_corrupt() -> None:
    with pytest.raises(ParseError) as info:
        parse_bytes(random.Random(3).randbytes(5000), "letter.docx")
    assert info.value.reason == "corrupt DOCX: not a zip archive"


def test_truncated_docx_is_corrupt(fixtures_dir: Path) -> None:
    data = (fixtures_dir / "docx" / "tables.docx").read_bytes()
    with pytest.raises(ParseError) as info:
        parse_bytes(data[: len(data) // 2], "tables.docx")
    assert type(info.value) is ParseError
    assert info.value.reason.startswith("corrupt DOCX")


def test_zip_that_is_not_a_word_document(tmp_path: Path) -> None:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(ParseError) as info:
        parse_bytes(buf.getvalue(), "fake.docx")
    assert info.value.reason.startswith("corrupt DOCX: ")


def test_password_protected_docx_is_reported_as_encrypted() -> None:
    # An encrypted OOXML file is an OLE container holding an "EncryptedPackage" stream.
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + "EncryptedPackage".encode("utf-16-le") + bytes(500)
    with pytest.raises(ParseError) as info:
        parse_bytes(ole, "secret.docx")
    assert info.value.reason == "encrypted: password required"


def test_corpus_docx_all_parse_with_text(corpora: Path) -> None:
    folder = corpora / "docs" / "pandoc-tests" / "docx"
    empty = 0
    for path in sorted(folder.glob("*.docx")):
        try:
            doc = _parse(path)
        except ParseError as exc:
            assert exc.status == "skipped", (path.name, exc.reason)
            empty += 1
            continue
        assert doc.text_chars > 0
    assert empty <= 3


def test_corpus_docx_i18n_and_track_changes(corpora: Path) -> None:
    folder = corpora / "docs" / "pandoc-tests" / "docx"
    inserted = _text(_parse(folder / "track_changes_insertion.docx"))
    assert "This is a text with two exciting insertions." in inserted
    deleted = _text(_parse(folder / "track_changes_deletion.docx"))
    assert deleted == "This is a text with a deletion."  # the deleted "n excessively modified" is gone
