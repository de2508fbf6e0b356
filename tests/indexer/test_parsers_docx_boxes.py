"""DOCX text boxes, shapes, tables and breaks: words of separate paragraphs never glued, no text read twice.

Issue 11: text_in_shape_format.docx was indexed as "…2017Using…Valter KiiskInstitute…", so answers named
"Valter KiiskInstitute" as the author.
"""
from __future__ import annotations

import io
import re

import pytest

from indexer.parsers import parse_bytes
from tests.conftest import corpus

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = (
    f'xmlns:w="{W_NS}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:v="urn:schemas-microsoft-com:vml"'
)


def _text(doc) -> str:
    return "\n".join(b.text for b in doc.blocks)


def _box(paragraphs: list[str]) -> str:
    """A run holding a DrawingML text box (mc:Choice) and the same box again as VML (mc:Fallback), as Word saves it."""
    inner = "".join(f"<w:p><w:r><w:t>{t}</w:t></w:r></w:p>" for t in paragraphs)
    return (
        "<w:r><mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing><wp:anchor><a:graphic><a:graphicData>"
        f"<wps:wsp><wps:txbx><w:txbxContent>{inner}</w:txbxContent></wps:txbx></wps:wsp>"
        "</a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent>{inner}</w:txbxContent></v:textbox></v:shape>"
        "</w:pict></mc:Fallback></mc:AlternateContent></w:r>"
    )


def _built_docx() -> bytes:
    docx = pytest.importorskip("docx")
    from docx.oxml import parse_xml

    d = docx.Document()
    d.add_paragraph("Alpha paragraph")
    d.add_paragraph("Beta paragraph")
    body = d.element.body
    sect = body[-1]  # w:sectPr stays last
    xml = [
        # Text before, a text box with two paragraphs, text after: all in one host paragraph.
        f"<w:p {NS}><w:r><w:t>Hostbefore</w:t></w:r>{_box(['Boxone line', 'Boxtwo line'])}"
        "<w:r><w:t>Hostafter</w:t></w:r></w:p>",
        # Tab and line break inside one paragraph; a field code that must not be read, its result that must.
        f"<w:p {NS}><w:r><w:t>Tableft</w:t><w:tab/><w:t>Tabright</w:t><w:br/>"
        '<w:t xml:space="preserve">Afterbreak </w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> SAVEDATE \\@ "MMMM" </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>Fieldresult</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>',
        # A table whose cells hold two paragraphs each, one cell with a text box.
        f"<w:tbl {NS}><w:tr>"
        "<w:tc><w:p><w:r><w:t>Cellone</w:t></w:r></w:p><w:p><w:r><w:t>Cellonebis</w:t></w:r></w:p></w:tc>"
        f"<w:tc><w:p><w:r><w:t>Celltwo</w:t></w:r>{_box(['Cellbox'])}</w:p></w:tc>"
        "</w:tr></w:tbl>",
    ]
    for frag in xml:
        sect.addprevious(parse_xml(frag))
    header = d.sections[0].header.paragraphs[0]._p
    header.append(parse_xml(f"<w:r {NS}><w:t>Headertext</w:t></w:r>"))
    header.append(parse_xml(_box(["Headerbox"]).replace("<w:r>", f"<w:r {NS}>", 1)))
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_corpus_text_in_shapes_is_not_glued() -> None:
    path = corpus("docs", "pandoc-tests", "docx", "text_in_shape_format.docx")
    text = _text(parse_bytes(path.read_bytes(), path.name))
    words = re.findall(r"\w+", text)
    assert "KiiskInstitute" not in text and "2017Using" not in text and "DocumentsValter" not in text
    assert re.search(r"(^|\s)Valter Kiisk(\s|$)", text)
    assert "Institute" in words and "Using" in words
    assert text.count("Valter Kiisk") == 1  # the Fallback (VML) copy of the box is not read again


def test_corpus_footer_text_box_read_once() -> None:
    # Footer page numbers in a text box were read three times (host paragraph, Choice, Fallback): "-2\n-2\n-2".
    path = corpus("docs", "pandoc-tests", "docx", "lists_continuing.docx")
    footer = [b.text for b in parse_bytes(path.read_bytes(), path.name).blocks if b.where.section == "Footer"]
    assert footer == ["-2"]


def test_built_text_box_table_and_paragraphs_are_separated_once() -> None:
    doc = parse_bytes(_built_docx(), "boxes.docx")
    text = _text(doc)
    words = re.findall(r"\w+", text)
    expected = [
        "Alpha", "Beta", "Hostbefore", "Boxone", "Boxtwo", "Hostafter", "Tableft", "Tabright", "Afterbreak",
        "Fieldresult", "Cellone", "Cellonebis", "Celltwo", "Cellbox", "Headertext", "Headerbox",
    ]
    for word in expected:
        assert words.count(word) == 1, (word, text)
    assert "SAVEDATE" not in text and "MMMM" not in text
    lines = text.split("\n")
    for line in ("Hostbefore", "Boxone line", "Boxtwo line", "Hostafter", "Afterbreak Fieldresult"):
        assert line in lines, (line, text)
    assert "Tableft Tabright" in lines
    assert "Alpha paragraph" in lines and "Beta paragraph" in lines
    assert "Cellone Cellonebis | Celltwo Cellbox" in lines  # one row per line: cell paragraphs and boxes spaced
    header = next(b.text for b in doc.blocks if b.where.section == "Header")
    assert header == "Headertext\nHeaderbox"
    order = [text.index(w) for w in ("Alpha", "Beta", "Hostbefore", "Boxone", "Boxtwo", "Hostafter", "Cellone")]
    assert order == sorted(order)


def test_choice_without_text_falls_back() -> None:
    """A Choice the parser finds no text in (e.g. an equation picture) must not cost the Fallback's text."""
    docx = pytest.importorskip("docx")
    from docx.oxml import parse_xml

    d = docx.Document()
    d.element.body[-1].addprevious(parse_xml(
        f"<w:p {NS}><w:r><w:t>Lead</w:t></w:r><w:r><mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing/>"
        "</mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r><w:t>Onlyfallback</w:t>"
        "</w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>"
    ))
    buf = io.BytesIO()
    d.save(buf)
    assert _text(parse_bytes(buf.getvalue(), "fallback.docx")).split("\n") == ["Lead", "Onlyfallback"]
