"""HTML and EPUB: block elements separate words ("<p>a</p><p>b</p>" never reads "ab"), inline ones do not.

The same class of bug as issue 11's glued DOCX text boxes; checked here so a change to htmltext cannot bring it back.
"""
from __future__ import annotations

import re

import pytest

from indexer.parsers import parse_bytes
from tests.indexer.test_parsers_epub import _epub

BLOCKS = (
    "<p>alpha</p><p>beta</p>",
    "<div>alpha</div><div>beta</div>",
    "<ul><li>alpha</li><li>beta</li></ul>",
    "<table><tr><td>alpha</td><td>beta</td></tr></table>",
    "<table><tr><th>alpha</th></tr><tr><td>beta</td></tr></table>",
    "alpha<br>beta",
    "<h1>alpha</h1>beta",
    "<dl><dt>alpha</dt><dd>beta</dd></dl>",
    "<blockquote>alpha</blockquote><pre>beta</pre>",
    "<section>alpha</section><article>beta</article>",
    "<figure>alpha<figcaption>beta</figcaption></figure>",
    "<details><summary>alpha</summary>beta</details>",
    "alpha<hr>beta",
)


def _words(doc) -> list[str]:
    return re.findall(r"\w+", "\n".join(b.text for b in doc.blocks))


@pytest.mark.parametrize("body", BLOCKS)
def test_html_blocks_separate_words(body: str) -> None:
    doc = parse_bytes(f"<html><body>{body}</body></html>".encode(), "page.html")
    assert _words(doc) == ["alpha", "beta"]


def test_html_inline_elements_do_not_split_words() -> None:
    doc = parse_bytes(b"<html><body><p>al<b>pha</b> be<span>ta</span></p></body></html>", "inline.html")
    assert _words(doc) == ["alpha", "beta"]


def test_epub_blocks_separate_words() -> None:
    data = _epub({"a.xhtml": "".join(f"<div>{b}</div>" for b in BLOCKS)})
    words = _words(parse_bytes(data, "book.epub"))
    assert words == ["alpha", "beta"] * len(BLOCKS)
