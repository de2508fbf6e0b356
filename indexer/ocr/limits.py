"""The limits every OCR job runs under, in one place so tests and benchmarks can tighten them.

Why these numbers (measured on the 2-core dev machine, load average ~2-3, rapidocr 3.10 PP-OCRv6 small models):
- A dense letter page (ocrmypdf linn.pdf, 82 lines) takes 25-28 s at load ~2 and 50 s at load ~6 (other work on
  the same 2 cores); a sparse page 2-6 s. A page is abandoned after `page_timeout_s` (3x the loaded dense case),
  so a hostile page costs minutes, never hours.
- Pages are rendered at up to 300 dpi and at most `max_side` px on the long side. 1800 px, not rapidocr's own
  2000 px cap: detection's peak grows with the pixels, and the text did not suffer: linn.pdf + cardinal.pdf in one
  worker peaked at 856-893 MB at 2000 px and 734 MB at 1800 px; CER on linn.pdf 4.53 % at 2000 px, 0.85 % at
  1800 px (rapidocr's detector is tuned for smaller inputs). Not 1600 px (621 MB, CER 0.87 %): at 1600 px the
  detector lost the first line of the Huckleberry Finn scan next to its drop cap (tests/indexer/test_ocr.py).
- The worker's peak RSS was 1.07 GB for a 2400 px page with rapidocr's defaults, 734 MB now (engine.PEAK_MEMORY and
  the 1800 px pages);
  the address-space cap leaves room for that plus the thread stacks onnxruntime reserves, and stops a
  decompression bomb long before the machine.
- Images above `max_pixels` (80 Mpx, under Pillow's own 89 Mpx bomb warning) are refused before decoding.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OcrLimits:
    page_timeout_s: float = 180.0
    start_timeout_s: float = 60.0
    memory_mb: int = 4096
    max_side: int = 1800
    max_dpi: int = 300
    max_pixels: int = 80_000_000
    nice: int = 10
    threads: int = 2
    idle_exit_s: float = 120.0
    max_crashes: int = 3

