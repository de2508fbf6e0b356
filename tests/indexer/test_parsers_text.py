"""Plain text, Markdown, reStructuredText and code: decoding, paragraphs, heading paths and line ranges."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexer.documents import SkipDocument
from indexer.parsers import kind_for_name, parse_bytes
from indexer.parsers.textutil import BLOCK_CHARS

MARKDOWN = """\
---
title: Trip notes
---

# Portugal

We flew to Lisbon on Monday.
The flight was late.

## Food

Pastéis de nata everywhere.

```python
# not a heading
print("hi")
```

## Museums

    # indented code, not a heading either

Tiles museum
============

Azulejos from five centuries.

Porto
-----

Port wine cellars.
"""


def _block(doc, needle: str):
    return next(b for b in doc.blocks if needle in b.text)


def test_markdown_sections_and_line_ranges() -> None:
    doc = parse_bytes(MARKDOWN.encode(), "notes.md")
    assert doc.kind == "markdown"
    assert doc.title == "Trip notes"  # front matter title wins
    lines = MARKDOWN.split("\n")
    flew = _block(doc, "We flew to Lisbon")
    assert flew.where.section == "Portugal"
    food = _block(doc, "Pastéis de nata")
    assert food.where.section == "Portugal › Food"
    assert lines[food.where.line_start - 1] == "## Food"
    code = _block(doc, 'print("hi")')
    assert code.where.section == "Portugal › Food"  # "# not a heading" stayed inside the fence
    assert "# not a heading" in code.text
    assert _block(doc, "indented code").where.section == "Portugal › Museums"
    tiles = _block(doc, "Azulejos")
    assert tiles.where.section == "Tiles museum"  # setext "===" is level 1
    porto = _block(doc, "Port wine")
    assert porto.where.section == "Tiles museum › Porto"
    assert lines[porto.where.line_end - 1] == "Port wine cellars."
    assert lines[porto.where.line_start - 1] == "Porto"
    for b in doc.blocks:  # every range points at lines that contain the block's first and last text
        first, last = b.text.split("\n")[0].strip(), b.text.split("\n")[-1].strip()
        assert first in lines[b.where.line_start - 1] or lines[b.where.line_start - 1].startswith(("#", "---"))
        assert last in lines[b.where.line_end - 1] or set(lines[b.where.line_end - 1]) <= set("=-")


def test_markdown_title_is_first_heading_else_stem() -> None:
    assert parse_bytes(b"intro\n\n## Setup\n\ntext\n", "guide.md").title == "Setup"
    assert parse_bytes(b"just some words\n", "my-notes.markdown").title == "my-notes"


def test_rst_sections() -> None:
    rst = (
        "=====\nGuide\n=====\n\nIntro text.\n\nInstall\n-------\n\nRun pip.\n\n"
        "Details\n~~~~~~~\n\nMore.\n\nUsage\n-------\n\nCall it.\n"
    )
    doc = parse_bytes(rst.encode(), "guide.rst")
    assert doc.kind == "rst" and doc.title == "Guide"
    assert _block(doc, "Intro text.").where.section == "Guide"
    assert _block(doc, "Run pip.").where.section == "Guide › Install"
    assert _block(doc, "More.").where.section == "Guide › Install › Details"
    assert _block(doc, "Call it.").where.section == "Guide › Usage"
    assert _block(doc, "Call it.").where.line_end == 20


def test_plain_text_paragraphs_merge_and_split() -> None:
    paragraphs = [f"Paragraph {i} " + "word " * 60 for i in range(40)]
    text = "\n\n".join(paragraphs)
    doc = parse_bytes(text.encode(), "long.txt")
    assert doc.kind == "text" and doc.title == "long"
    assert len(doc.blocks) > 1
    assert all(len(b.text) <= BLOCK_CHARS for b in doc.blocks)
    assert doc.blocks[0].where.line_start == 1 and doc.blocks[-1].where.line_end == 79
    assert "Paragraph 39" in doc.blocks[-1].text


def test_long_paragraph_split_on_line_boundaries() -> None:
    csv = "\n".join(f"row{i},value {i},another column" for i in range(500))
    doc = parse_bytes(csv.encode(), "data.csv")
    assert len(doc.blocks) > 5
    starts = [b.where.line_start for b in doc.blocks]
    assert starts[0] == 1 and starts == sorted(starts)
    assert doc.blocks[-1].where.line_end == 500
    row = doc.blocks[1].where.line_start - 1  # line n holds row n-1
    assert doc.blocks[1].text.split("\n")[0] == f"row{row},value {row},another column"


def test_code_keeps_indentation() -> None:
    src = "def f(x):\n    if x:\n        return 1\n\n\nclass A:\n    pass\n"
    doc = parse_bytes(src.encode(), "mod.py")
    assert doc.kind == "code" and doc.title == "mod"
    assert "        return 1" in doc.blocks[0].text
    assert kind_for_name("App.TSX") == "code" and kind_for_name("x.yml") == "code"


@pytest.mark.parametrize(("text", "encoding"), [
    ("Le cœur a ses raisons que la raison ne connaît point. Noël à Besançon, déjà très animé.\n", "cp1252"),
    ("Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich. Grüße aus München!\n", "latin-1"),
    ("Съешь же ещё этих мягких французских булок, да выпей чаю. Широкая электрификация.\n", "cp1251"),
    ("Съешь же ещё этих мягких французских булок, да выпей чаю.\n", "koi8-r"),
    ("Unicode: 日本語のテキスト, Ελληνικά, עברית.\n", "utf-16"),
    ("BOM-less little endian: naïve café.\n", "utf-16-le"),
    ("Plain UTF-8 with a BOM: ½ € ✓\n", "utf-8-sig"),
])
def test_legacy_encodings_decoded(text: str, encoding: str) -> None:
    doc = parse_bytes(text.encode(encoding), "note.txt")
    assert doc.blocks[0].text == text.strip()


def test_crlf_line_numbers() -> None:
    doc = parse_bytes(b"one\r\ntwo\r\n\r\nthree\r\n", "crlf.txt")
    assert [(b.where.line_start, b.where.line_end) for b in doc.blocks] == [(1, 4)]
    assert doc.blocks[0].text == "one\ntwo\n\nthree"


def test_blank_text_is_skipped() -> None:
    with pytest.raises(SkipDocument) as info:
        parse_bytes(b"  \n\t\n\n", "blank.md")
    assert info.value.reason == "no text (only blank lines)"


def test_binary_with_text_extension_is_skipped() -> None:
    with pytest.raises(SkipDocument) as info:
        parse_bytes(bytes(range(256)) * 20, "data.txt")
    assert info.value.reason == "binary content, not text"


def test_corpus_pandoc_manual_as_markdown(corpora: Path) -> None:
    path = corpora / "docs" / "pandoc-tests" / "markdown" / "MANUAL.txt"
    data = path.read_bytes()
    doc = parse_bytes(data, "MANUAL.md")
    assert doc.title == "Pandoc User's Guide"
    lines = data.decode("utf-8").split("\n")
    block = _block(doc, "Pandoc is a [Haskell] library for converting from one markup format")
    assert block.where.section == "Description"
    assert lines[block.where.line_start - 1] == "# Description"
    sections = {b.where.section for b in doc.blocks}
    assert "Options › General options" in sections
    # Indented examples such as "    # A level-one heading" are code, not headings.
    assert not any(s.startswith("A level-one heading") for s in sections)
    # As .txt the same file is plain text without sections.
    plain = parse_bytes(data, "MANUAL.txt")
    assert plain.kind == "text" and {b.where.section for b in plain.blocks} == {""}
