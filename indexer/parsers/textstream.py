"""Very large text files (logs, dumps, CSV exports) read as a stream of blocks, never as one string.

Why: the whole-file path holds the bytes, the decoded text, a list of every line and a list of every block at once;
for a 95 MB log that alone is over a gigabyte before chunking. Here the file is decoded incrementally and yields the
same blank-line paragraphs and line-range runs as `text.split_plain` + `merge_blocks`, so memory does not depend on
the file size. Headings of very large Markdown/RST files are not tracked (they are read as plain paragraphs).
"""
from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator

from indexer.documents import Block, SkipDocument
from indexer.locator import Locator
from indexer.heartbeat import beat
from indexer.parsers.textutil import (_CP1252_SLACK, BLOCK_CHARS, bom_encoding, clean_line, looks_binary,
                                      printable_ratio)

# Text files above this size are streamed. Below it the whole-file parser (with Markdown headings) peaks at roughly
# 15-20x the file size (measured: 8 MB Markdown -> ~150 MB), which is comfortable.
STREAM_BYTES = 8 * 1024 * 1024
STREAM_KINDS = frozenset({"text", "code", "markdown", "rst"})
_SAMPLE = 1 << 20
_BAD = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def detect_encoding(sample: bytes) -> str:
    """BOM, else UTF-8 if the sample decodes (a cut multi-byte tail is fine), else charset-normalizer's guess."""
    enc = bom_encoding(sample)
    if enc:
        return enc
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    results = from_bytes(sample)
    best = results.best()
    if best is None:
        raise SkipDocument("undecodable text (unknown encoding)")
    if printable_ratio(str(best)[:20000]) < 0.9:
        raise SkipDocument(f"undecodable text (best guess {best.encoding} gives garbage)")
    # as textutil.decode_text: Windows-1252 wins when it decodes about as cleanly (French/German text)
    if "cp1252" not in best.could_be_from_charset and any(
            "cp1252" in m.could_be_from_charset and m.chaos <= best.chaos + _CP1252_SLACK for m in results):
        return "cp1252"
    return best.encoding


def iter_text_blocks(path: str, kind: str, size: int) -> Iterator[Block]:
    """Blocks of a big text file in order, with 1-based line ranges; reports MB read through `heartbeat`."""
    with open(path, "rb") as raw:
        sample = raw.read(_SAMPLE)
        if looks_binary(sample):
            raise SkipDocument("binary content, not text")
        encoding = detect_encoding(sample)
        raw.seek(0)
        text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline=None)
        code = kind == "code"
        prev: Block | None = None
        for block in _runs(text, code, raw, size >> 20):
            if prev is not None and len(prev.text) + 2 + len(block.text) <= BLOCK_CHARS:
                prev = Block(text=prev.text + "\n\n" + block.text,
                             where=Locator(line_start=prev.where.line_start, line_end=block.where.line_end))
                continue
            if prev is not None:
                yield prev
            prev = block
        if prev is not None:
            yield prev
        beat(size >> 20, size >> 20, "MB")


def _runs(text: io.TextIOWrapper, code: bool, raw: io.BufferedReader, total: int) -> Iterator[Block]:
    """Paragraphs split into runs of whole lines of at most BLOCK_CHARS (what split_plain + line_runs produce)."""
    run: list[tuple[int, str]] = []
    size = 0
    for n, line in enumerate(text, 1):
        line = line.rstrip("\n")
        cleaned = _BAD.sub("", line.rstrip()) if code else clean_line(line)
        if n % 20000 == 0:
            beat(raw.tell() >> 20, total, "MB")
        if not cleaned.strip():
            if run:
                yield _block(run)
                run, size = [], 0
            continue
        if run and size + 1 + len(cleaned) > BLOCK_CHARS:
            yield _block(run)
            run, size = [], 0
        run.append((n, cleaned))
        size += len(cleaned) + 1
    if run:
        yield _block(run)


def _block(run: list[tuple[int, str]]) -> Block:
    return Block(text="\n".join(t for _, t in run).strip("\n"),
                 where=Locator(line_start=run[0][0], line_end=run[-1][0]))
