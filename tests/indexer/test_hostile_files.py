"""Hostile files cost one file, never the run (issue 13): each is recorded with a reason, in bounded time, while a
normal file beside it is indexed. Real parse workers, real embedder, real LanceDB in the test's data dir."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from indexer.retrieval import Searcher
from tests.indexer import hostile
from tests.indexer.helpers import consistency_problems, make_indexer, write

NORMAL = "The heron nests by the quiet millpond; its code word is {marker}."


def _by_name(report):  # type: ignore[no-untyped-def]
    return {os.path.basename(o.path): o for o in report.outcomes}


def _found(indexer, embedder, query: str, marker: str) -> list[str]:  # type: ignore[no-untyped-def]
    hits = Searcher(indexer.store, embedder).search(query, k=5)
    return [h.path for h in hits if marker in h.text]


def test_hostile_folder_each_file_recorded_normal_file_indexed(tmp_path, real_embedder):
    d = tmp_path / "hostile"
    write(d / "normal.txt", NORMAL.format(marker="zebracorn17"))
    hostile.docx_bomb(d / "bomb.docx", unpacked_mb=1024)
    hostile.epub_bomb(d / "bomb.epub", unpacked_mb=400)
    hostile.nested_html(d / "deep.html")
    hostile.deep_mime(d / "deep.eml")
    hostile.big_attachment_mail(d / "big.eml", "quokkaflux42")
    hostile.looping_pdf(d / "loop.pdf")
    hostile.garbage_pdf(d / "garbage.pdf")
    idx = make_indexer(real_embedder, isolate=True, parse_timeout_s=60)
    started = time.monotonic()
    report = idx.index_paths([str(d)])
    elapsed = time.monotonic() - started
    out = _by_name(report)
    assert out["normal.txt"].outcome == "indexed"
    assert out["bomb.docx"].outcome == "error" and out["bomb.docx"].reason.startswith("too large when unpacked (1,024 MB")
    assert out["bomb.epub"].outcome == "error" and "too large when unpacked (400 MB" in out["bomb.epub"].reason
    assert out["loop.pdf"].outcome == "error" and "cyclic" in out["loop.pdf"].reason
    assert out["garbage.pdf"].outcome == "error" and "corrupt PDF" in out["garbage.pdf"].reason
    assert out["deep.eml"].outcome == "error" and "nested too deeply" in out["deep.eml"].reason
    # 200,000 nested <div>s: lxml stops at its depth limit, so the page is read (bounded), not a hang
    assert out["deep.html"].outcome in ("indexed", "skipped", "error") and (out["deep.html"].outcome == "indexed"
                                                                            or out["deep.html"].reason)
    # the 60 MB attachment is left out with a reason; the message's own text is indexed
    assert out["big.eml"].outcome == "indexed" and "huge.log: attachment not indexed, too large" in out["big.eml"].reason
    assert _found(idx, real_embedder, "quokkaflux42", "quokkaflux42") == [str(d / "big.eml")]
    assert _found(idx, real_embedder, "heron millpond zebracorn17", "zebracorn17") == [str(d / "normal.txt")]
    rows = {os.path.basename(r.path): r for r in idx.store.load_documents().values()}
    assert rows["bomb.docx"].status == "error" and "too large when unpacked" in rows["bomb.docx"].error
    assert "attachment not indexed" in rows["big.eml"].error and rows["big.eml"].status == "indexed"
    assert consistency_problems(idx.store) == []
    assert elapsed < 600, f"hostile folder took {elapsed:.0f} s"  # was: killed after 5 min at 3.2 GB, nothing indexed


def test_time_limit_kills_the_worker_and_the_run_goes_on(tmp_path, real_embedder):
    d = tmp_path / "slow"
    hostile.nested_html(d / "a-deep.html", depth=400_000)  # ~10 s of lxml + bs4 work, no progress beats
    write(d / "b-after.txt", NORMAL.format(marker="gnomewhistle8"))
    write(d / "c-after.md", "# Later\n\nAnother file queued behind the slow one mentions " + "otterquill5.")
    idx = make_indexer(real_embedder, isolate=True, parse_timeout_s=1, parse_workers=1)
    report = idx.index_paths([str(d)])
    out = _by_name(report)
    assert out["a-deep.html"].outcome == "skipped" and out["a-deep.html"].reason.startswith("timed out after 1 s")
    assert out["b-after.txt"].outcome == "indexed" and out["c-after.md"].outcome == "indexed"
    assert _found(idx, real_embedder, "otterquill5", "otterquill5") == [str(d / "c-after.md")]
    again = idx.index_paths([str(d)])  # recorded with size and mtime: not retried until the file changes
    assert again.counts.get("unchanged") == 3
    assert consistency_problems(idx.store) == []


def test_memory_cap_is_reported_and_the_run_goes_on(tmp_path, real_embedder):
    d = tmp_path / "fat"
    para = "".join(f"<p>Paragraph {i} of a very large saved page, full of words to parse.</p>\n" for i in range(200_000))
    (d).mkdir()
    (d / "a-fat.html").write_text(f"<html><body>{para}</body></html>")  # ~15 MB: its DOM needs far more than 128 MB
    write(d / "b-after.txt", NORMAL.format(marker="lemurtwine3"))
    idx = make_indexer(real_embedder, isolate=True, parse_memory_mb=128, parse_workers=1, parse_timeout_s=300)
    report = idx.index_paths([str(d)])
    out = _by_name(report)
    assert out["a-fat.html"].outcome in ("skipped", "error")
    assert "128 MB of memory" in out["a-fat.html"].reason, out["a-fat.html"].reason
    assert out["b-after.txt"].outcome == "indexed"
    assert consistency_problems(idx.store) == []


def test_odd_file_names_are_indexed_searchable_and_forgettable(tmp_path, real_embedder):
    root = tmp_path / "names"
    root.mkdir()
    bad_dir = os.path.join(os.fsencode(root), b"bad\xffdir")
    os.makedirs(bad_dir)
    latin = os.path.join(bad_dir, b"latin1-\xe9.txt")
    with open(latin, "wb") as fh:
        fh.write(NORMAL.format(marker="badbytes77").encode())
    newline = root / "two\nlines.txt"
    newline.write_text(NORMAL.format(marker="newlinename55"))
    long_name = root / ("l" * 246 + ".txt")
    long_name.write_text(NORMAL.format(marker="longname99"))
    write(root / "plain.txt", NORMAL.format(marker="plainname11"))
    idx = make_indexer(real_embedder, isolate=True)
    report = idx.index_paths([str(root)])
    assert report.counts.get("indexed") == 4 and not report.of("error"), report.outcomes
    latin_path = os.fsdecode(latin)
    assert _found(idx, real_embedder, "heron badbytes77", "badbytes77") == [latin_path]
    assert _found(idx, real_embedder, "heron newlinename55", "newlinename55") == [str(newline)]
    assert _found(idx, real_embedder, "heron longname99", "longname99") == [str(long_name)]
    paths = {d.path for d in idx.store.load_documents().values()}
    assert latin_path in paths and os.path.exists(latin_path)  # the exact on-disk name comes back from the store
    again = idx.index_paths([str(root)])
    assert again.counts.get("unchanged") == 4  # no duplicates, no re-indexing
    assert idx.remove_paths([latin_path]) == [latin_path]
    assert _found(idx, real_embedder, "heron badbytes77", "badbytes77") == []
    assert consistency_problems(idx.store) == []


def test_secrets_are_skipped_unless_allowed(tmp_path, real_embedder):
    import base64

    d = tmp_path / "keys"
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + base64.encodebytes(os.urandom(600)).decode() + \
          "-----END OPENSSH PRIVATE KEY-----\n"
    write(d / "id_rsa", key)
    write(d / "id_ed25519.pub", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB public key of me@host\n")
    write(d / "server.pem", key.replace("OPENSSH", "RSA"))
    write(d / ".env", "DATABASE_PASSWORD=hunter2\nAPI_KEY=abc123\n")
    write(d / "Chrome Passwords.csv", "name,url,username,password\nbank,https://bank,me,hunter2\n")
    write(d / "notes.txt", "my server key, pasted so I would not lose it:\n" + key)
    write(d / "normal.md", NORMAL.format(marker="yakfeather4"))
    idx = make_indexer(real_embedder, isolate=True)
    out = _by_name(idx.index_paths([str(d)]))
    assert ".env" not in out  # dot-files are not even scanned in a folder; named explicitly, they are checked:
    out.update(_by_name(idx.index_paths([str(d / ".env")])))
    assert out["id_rsa"].reason.startswith("looks like a secret (private key)")
    assert out["server.pem"].reason.startswith("looks like a secret (private key")
    assert out[".env"].reason.startswith("looks like a secret (.env")
    assert out["Chrome Passwords.csv"].reason.startswith("looks like a secret (password export)")
    assert out["notes.txt"].reason.startswith("looks like a secret (private key)")
    assert all(out[n].outcome == "skipped" for n in ("id_rsa", "server.pem", ".env", "Chrome Passwords.csv", "notes.txt"))
    assert out["normal.md"].outcome == "indexed" and out["id_ed25519.pub"].outcome == "indexed"
    assert _found(idx, real_embedder, "DATABASE_PASSWORD hunter2", "hunter2") == []
    allowed = make_indexer(real_embedder, isolate=True, index_secrets=True)
    allowed_out = _by_name(allowed.index_paths([str(d / "notes.txt")]))
    allowed_out.update(_by_name(allowed.index_paths([str(d / ".env")])))
    assert allowed_out["notes.txt"].outcome == "indexed" and allowed_out[".env"].outcome == "indexed"


@pytest.mark.parametrize("builder", ["docx", "epub"])
def test_zip_bomb_refused_before_inflating(tmp_path, builder):
    """The parser refuses from the central directory alone, in well under a second (inflating took minutes)."""
    from indexer.documents import ParseError
    from indexer.parsers import parse_bytes

    path = hostile.docx_bomb(tmp_path / "b.docx") if builder == "docx" else hostile.epub_bomb(tmp_path / "b.epub")
    started = time.monotonic()
    with pytest.raises(ParseError, match="too large when unpacked"):
        parse_bytes(Path(path).read_bytes(), path.name)
    assert time.monotonic() - started < 5


def test_deeply_nested_xml_is_bounded(tmp_path):
    """100,000 nested elements: inside a DOCX lxml refuses past its depth limit (an error with the reason, in
    seconds); as an .xml file it is read as text."""
    import zipfile

    from indexer.documents import ParseError
    from indexer.parsers import parse_bytes

    deep = "<w:p>" * 100_000 + "<w:r><w:t>deep</w:t></w:r>" + "</w:p>" * 100_000
    xml = (f'<?xml version="1.0"?><w:document xmlns:w="{hostile.W_NS}"><w:body>{deep}</w:body></w:document>')
    path = tmp_path / "deep.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                   'package.relationships+xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.'
                   'openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml", xml)
    started = time.monotonic()
    with pytest.raises(ParseError, match="corrupt DOCX"):
        parse_bytes(path.read_bytes(), path.name)
    assert time.monotonic() - started < 30
    doc = parse_bytes(xml.encode(), "deep.xml")
    assert doc.kind == "code" and "deep" in doc.blocks[0].text
