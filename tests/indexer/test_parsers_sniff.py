"""Dispatch by extension, sniffing unknown files, and the contract that only ParseError/SkipDocument escape."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

import indexer.parsers as parsers
from indexer.documents import ParseError, SkipDocument
from indexer.parsers import SUPPORTED_EXTENSIONS, kind_for_name, parse_bytes


def test_kind_for_name() -> None:
    assert kind_for_name("Report.PDF") == "pdf"
    assert kind_for_name("/home/a/b/letter.docx") == "docx"
    assert kind_for_name("C:\\Users\\x\\page.HTM") == "html"
    assert kind_for_name("book.epub") == "epub"
    assert kind_for_name("README.md") == "markdown"
    assert kind_for_name("index.rst") == "rst"
    assert kind_for_name("notes.txt") == "text"
    assert kind_for_name("main.rs") == "code"
    assert kind_for_name("photo.jpeg") == "image"  # issue 14: read by OCR
    assert kind_for_name("photo.heic") is None
    assert kind_for_name("Makefile") is None
    assert kind_for_name(".bashrc") is None
    for email in (".eml", ".msg", ".mbox"):  # handled by the email module, not here
        assert email not in SUPPORTED_EXTENSIONS
    assert {".pdf", ".docx", ".html", ".epub", ".md", ".txt", ".py"} <= SUPPORTED_EXTENSIONS


def test_unknown_extension_text_is_parsed_as_text() -> None:
    doc = parse_bytes("Shopping list\n\nMilk, eggs, Brötchen\n".encode("cp1252"), "list.weird")
    assert doc.kind == "text"
    assert doc.title == "list"
    assert doc.blocks[0].text == "Shopping list\n\nMilk, eggs, Brötchen"
    assert (doc.blocks[0].where.line_start, doc.blocks[0].where.line_end) == (1, 3)


def test_no_extension_text_file() -> None:
    doc = parse_bytes(b"all:\n\tcc -o app main.c\n", "Makefile")
    assert doc.kind == "text" and "cc -o app main.c" in doc.blocks[0].text


def test_random_bytes_are_skipped_as_binary() -> None:
    with pytest.raises(SkipDocument) as info:
        parse_bytes(random.Random(0).randbytes(8192), "mystery.xyz")
    assert info.value.reason == "binary file (unsupported type .xyz)"
    with pytest.raises(SkipDocument) as info:
        parse_bytes(b"\x89PNG\r\n\x1a\n" + random.Random(1).randbytes(3000), "image")
    assert info.value.reason == "binary file (unsupported type no extension)"


def test_known_formats_sniffed_without_extension(fixtures_dir: Path) -> None:
    assert parse_bytes((fixtures_dir / "docx" / "tables.docx").read_bytes(), "attachment").kind == "docx"
    assert parse_bytes((fixtures_dir / "epub" / "wasteland.epub").read_bytes(), "book").kind == "epub"
    assert parse_bytes(b"<!DOCTYPE html><title>T</title><p>Hello there</p>", "saved").kind == "html"


def test_empty_file_is_skipped_for_every_kind() -> None:
    for name in ("a.pdf", "a.docx", "a.html", "a.epub", "a.md", "a.txt", "a.unknown", "noext"):
        with pytest.raises(SkipDocument) as info:
            parse_bytes(b"", name)
        assert info.value.reason == "empty file"


def test_unexpected_exceptions_become_parse_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(data: bytes, name: str):
        raise ZeroDivisionError("x" * 1000)

    monkeypatch.setitem(parsers._PARSERS, "pdf", boom)
    with pytest.raises(ParseError) as info:
        parse_bytes(b"%PDF-1.4 whatever", "a.pdf")
    assert type(info.value) is ParseError
    assert info.value.reason.startswith("pdf parse failed: ZeroDivisionError: xxx")
    assert len(info.value.reason) < 260


@pytest.mark.parametrize("name", ["a.pdf", "a.docx", "a.html", "a.epub", "a.md", "a.rst", "a.txt", "a.py", "a.x"])
@pytest.mark.parametrize("seed", range(3))
def test_garbage_never_escapes_the_contract(name: str, seed: int) -> None:
    rng = random.Random(seed)
    samples = [
        rng.randbytes(rng.randint(1, 5000)),
        b"%PDF-1.7\n" + rng.randbytes(2000),
        b"PK\x03\x04" + rng.randbytes(2000),
        b"<html>" * 5000,
        ("<div>" * 3000 + "deep" + "</div>" * 3000).encode(),
    ]
    for data in samples:
        try:
            parse_bytes(data, name)
        except ParseError:
            pass


def test_import_is_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, indexer.parsers\n"
        "libs = ('pypdf', 'docx', 'trafilatura', 'bs4', 'ebooklib', 'PySide6', 'app')\n"
        "heavy = [m for m in libs if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"


# --- the sweep: every real file in the shared corpora keeps the contract ------------------------------------------

SWEEP_FOLDERS = ("pdf", "docs", "html")


@pytest.fixture(scope="module")
def sweep(corpora: Path) -> dict[str, dict[str, tuple[str, str, float]]]:
    """folder -> relative path -> (status, reason or kind, seconds), parsing each file once for the module."""
    import time

    results: dict[str, dict[str, tuple[str, str, float]]] = {}
    for folder in SWEEP_FOLDERS:
        out = results.setdefault(folder, {})
        for path in sorted((corpora / folder).rglob("*")):
            if not path.is_file():
                continue
            started = time.monotonic()
            try:
                doc = parse_bytes(path.read_bytes(), path.name)
                status, detail = "indexed", doc.kind
                if not doc.blocks and doc.meta.get("ocr_pages"):  # issue 14: only OCR can read it
                    status, detail = "needs ocr", doc.meta["ocr_reason"]
            except SkipDocument as exc:
                status, detail = "skipped", exc.reason
            except ParseError as exc:
                status, detail = "error", exc.reason
            # Any other exception propagates and fails the test: that is the contract under test.
            out[str(path.relative_to(corpora / folder))] = (status, detail, time.monotonic() - started)
    return results


def test_sweep_every_corpus_file_keeps_the_contract(sweep, capsys: pytest.CaptureFixture[str]) -> None:
    from collections import Counter

    lines = []
    for folder, files in sweep.items():
        counts = Counter(status for status, _, _ in files.values())
        slowest = max(files.items(), key=lambda kv: kv[1][2])
        lines.append(f"{folder}: {len(files)} files, indexed {counts['indexed']}, skipped {counts['skipped']}, "
                     f"error {counts['error']}; slowest {slowest[0]} {slowest[1][2]:.1f}s")
        reasons = Counter(f"{status}: {detail}" for status, detail, _ in files.values() if status != "indexed")
        lines.extend(f"    {n:3d} × {reason}" for reason, n in reasons.most_common())
        for rel, (status, detail, seconds) in files.items():
            assert detail, rel
            assert seconds < 30, f"{rel} took {seconds:.1f}s"
            if status == "error":
                assert not detail.endswith("parse failed"), rel
    with capsys.disabled():
        print("\nparser sweep summary\n" + "\n".join(lines))
    assert sum(len(f) for f in sweep.values()) > 400


def test_sweep_agrees_with_pdf_inventory(sweep, corpora: Path) -> None:
    import csv

    with (corpora / "pdf" / "PDF_INVENTORY.tsv").open(encoding="utf-8") as fh:
        inventory = list(csv.DictReader(fh, delimiter="\t"))
    pdfs = sweep["pdf"]
    for row in inventory:
        status, detail, _ = pdfs[row["path"]]
        password = row["decrypt_with"]
        if password and password != "''":
            assert (status, detail) == ("error", "encrypted: password required"), row["path"]
        elif row["note"].startswith("PdfReadError"):
            assert status == "error" and detail.startswith("corrupt PDF"), row["path"]
        elif row["text_chars_first3pages"] not in ("", "0"):
            assert status == "indexed", (row["path"], detail)
        if status == "needs ocr":
            assert detail == "no text layer (scanned)", row["path"]
    # Documented scans are handed to OCR (issue 14), not errors.
    for scan in ("ocrmypdf-resources/c02-22.pdf", "ocrmypdf-resources/linn.pdf", "ocrmypdf-resources/skew.pdf"):
        assert pdfs[scan][:2] == ("needs ocr", "no text layer (scanned)")
