"""Decompression limits for ZIP-based documents (DOCX, EPUB), checked before any part is inflated.

Why the central directory is enough: python-docx and ebooklib read parts through `zipfile`, which never inflates
more than an entry's declared size (a part that inflates further fails its CRC check: "Bad CRC-32"), so bounding the
declared sizes bounds what can ever be inflated. A 2 MB DOCX whose XML inflates to 1 GB is refused here in
milliseconds instead of being inflated, parsed by lxml and held as a tree (measured before this check: > 3 GB RSS).

Limits: the total declared size (`max_unpacked_mb`, a setting; 256 MB by default, far above real documents — the
largest DOCX in our corpora unpacks to < 20 MB) and, per entry, an inflation ratio above `MAX_RATIO` once the entry
is bigger than `RATIO_MIN_BYTES` (real XML compresses 5-30x; DEFLATE can reach ~1,000x only on degenerate input).
"""
from __future__ import annotations

import io
import zipfile

from indexer.documents import ParseError

DEFAULT_MAX_UNPACKED_MB = 256.0
MAX_RATIO = 150
RATIO_MIN_BYTES = 32 * 1024 * 1024
MAX_ENTRIES = 20_000

_limit_mb = DEFAULT_MAX_UNPACKED_MB


def set_max_unpacked_mb(mb: float) -> None:
    """The worker sets the user's `max_unpacked_mb` before each file."""
    global _limit_mb
    _limit_mb = float(mb)


def max_unpacked_mb() -> float:
    return _limit_mb


def check_zip(data: bytes, kind: str) -> None:
    """Raise ParseError when the package would inflate beyond the limits; corrupt zips are left to the parser."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return
    with zf:
        infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise ParseError(f"too many parts in {kind.upper()} package ({len(infos):,} > {MAX_ENTRIES:,})")
    total = sum(max(0, i.file_size) for i in infos)
    if total > _limit_mb * 1024 * 1024:
        raise ParseError(f"too large when unpacked ({total / 1048576:,.0f} MB > limit {_limit_mb:g} MB; "
                         "raise max_unpacked_mb)")
    for i in infos:
        if i.file_size > RATIO_MIN_BYTES and i.file_size > MAX_RATIO * max(1, i.compress_size):
            raise ParseError(f"looks like a zip bomb: {i.filename} expands {i.file_size // max(1, i.compress_size):,}x "
                             f"to {i.file_size / 1048576:,.0f} MB")
