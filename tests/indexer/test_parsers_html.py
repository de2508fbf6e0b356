"""HTML: main article text only, titles, heading sections, charsets, and the no-trafilatura fallback."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.documents import SkipDocument
from indexer.parsers import parse_bytes
from indexer.parsers.html import fallback_blocks
from indexer.parsers.htmltext import decode_html, html_title


def _parse_page(folder: Path):
    doc = parse_bytes((folder / "source.html").read_bytes(), "source.html")
    expected = json.loads((folder / "expected-metadata.json").read_text(encoding="utf-8"))
    return doc, expected, " ".join(" ".join(b.text for b in doc.blocks).split())


def test_heise_article_without_navigation_or_scripts(fixtures_dir: Path) -> None:
    doc, expected, text = _parse_page(fixtures_dir / "html" / "heise")
    assert doc.kind == "html"
    assert doc.title == expected["title"] == "1Password für Mac generiert Einmal-Passwörter"
    assert "Das in der iOS-Version bereits enthaltene TOTP-Feature ist nun auch für OS X 10.10 verfügbar" in text
    for junk in ("Menü auf-/zuklappen", "Preisvergleich", "Stellenmarkt", "jQuery", "dfp_ord", "ontouchstart"):
        assert junk not in text


def test_lemonde_sections_and_french_text(fixtures_dir: Path) -> None:
    doc, expected, text = _parse_page(fixtures_dir / "html" / "lemonde-1")
    assert doc.title == expected["title"]
    assert "adopté à une large majorité (438 contre 86 et 42 abstentions)" in text
    black_box = next(b for b in doc.blocks if "fournisseurs d’accès à Internet" in b.text)
    assert black_box.where.section == "Les « boîtes noires »"
    for junk in ("Jeux vidéo", "Banc d'essai", "requirejs", "lmd.context", "onerror"):
        assert junk not in text


def test_fallback_when_there_is_no_article() -> None:
    html = b"""<html><head><title>Links</title><script>var secret = 'tracking';</script>
    <style>body { color: red }</style></head><body>
    <nav><a href="/">Home</a> <a href="/about">About us</a></nav>
    <header>Site banner</header>
    <ul><li>Dentist: Tuesday 9am</li><li>Passport renewal form</li></ul>
    <aside>Sidebar ads</aside><footer>Copyright 2024</footer></body></html>"""
    doc = parse_bytes(html, "links.htm")
    text = "\n".join(b.text for b in doc.blocks)
    assert doc.title == "Links"
    assert "Dentist: Tuesday 9am" in text and "Passport renewal form" in text
    for junk in ("tracking", "color: red", "About us", "Site banner", "Sidebar ads", "Copyright 2024"):
        assert junk not in text


def test_fallback_walk_keeps_headings_tables_and_pre() -> None:
    from indexer.parsers.htmltext import soup_of

    html = """<body><h1>Recipes</h1><p>Intro <b>bold</b> text.</p><h2>Bread</h2>
    <table><tr><th>Flour</th><th>500 g</th></tr><tr><td>Water</td><td>350 ml</td></tr></table>
    <pre>  indented
    code</pre><h2>Soup</h2><p>Line one<br>line two</p></body>"""
    blocks = fallback_blocks(html)
    by_text = {b.text: b.where.section for b in blocks}
    assert any("Intro bold text." in t for t in by_text)
    bread = next(b for b in blocks if "Flour | 500 g" in b.text)
    assert bread.where.section == "Recipes › Bread" and "Water | 350 ml" in bread.text
    assert "  indented\n    code" in bread.text
    soup = next(b for b in blocks if "Line one" in b.text)
    assert soup.where.section == "Recipes › Soup" and "Line one\nline two" in soup.text
    assert soup_of("<p>x</p>").get_text() == "x"


@pytest.mark.parametrize(("declared", "encoding", "text"), [
    ("iso-8859-1", "cp1252", "Café “Noël” – déjà vu"),  # browsers read latin-1 labels as windows-1252
    ("windows-1251", "cp1251", "Привет, мир"),
    ("shift_jis", "shift_jis", "日本語のページ"),
])
def test_meta_charset_respected(declared: str, encoding: str, text: str) -> None:
    html = f'<html><head><meta charset="{declared}"><title>{text}</title></head><body><p>{text}</p></body></html>'
    data = html.encode(encoding)
    assert decode_html(data) == html
    doc = parse_bytes(data, "page.html")
    assert doc.title == text
    assert text in doc.blocks[0].text


def test_utf8_page_with_wrong_declared_charset_and_bom() -> None:
    html = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"></head>ünïcødé</html>'
    assert decode_html(html.encode("utf-8")) == html  # valid UTF-8 beats a stale latin-1 declaration
    assert decode_html(b"\xef\xbb\xbf<p>caf\xc3\xa9</p>") == "<p>café</p>"
    assert decode_html("<p>ok</p>".encode("utf-16")) == "<p>ok</p>"


def test_title_prefers_og_title() -> None:
    html = '<head><title>Story - Site</title><meta content="Story" property="og:title"></head>'
    assert html_title(html) == "Story"
    assert html_title("<title>\n  A   &amp; B\n</title>") == "A & B"


def test_script_only_page_is_skipped() -> None:
    with pytest.raises(SkipDocument) as info:
        parse_bytes(b"<html><body><script>var x = 1;</script></body></html>", "app.html")
    assert info.value.reason == "no readable text in HTML"


def test_corpus_readability_pages(corpora: Path) -> None:
    pages = sorted(p for p in (corpora / "html" / "readability-test-pages").iterdir() if p.is_dir())
    assert len(pages) >= 18
    same_title = 0
    for folder in pages:
        doc, expected, text = _parse_page(folder)
        assert doc.text_chars > 300, folder.name
        same_title += doc.title == expected["title"]
    # og:title / <title> agree with Readability's expected title on 14 of these 18 pages.
    assert same_title >= 14


def test_corpus_wikipedia_sections_without_chrome(corpora: Path) -> None:
    doc, expected, text = _parse_page(corpora / "html" / "readability-test-pages" / "wikipedia")
    assert doc.title == expected["title"] == "Mozilla - Wikipedia"
    assert "Mozilla is a free-software community, created in 1998 by members of Netscape." in text
    for junk in ("Jump to", "mw.config", "Personal tools", "Donate to Wikipedia", "[edit]"):
        assert junk not in text
    sections = {b.where.section for b in doc.blocks}
    assert "Mozilla › History › Eich CEO promotion controversy" in sections
