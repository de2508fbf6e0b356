"""rapidocr behind one function: a page image in, reading-order text out (runs inside the OCR worker only).

rapidocr returns one entry per detected text box; boxes on the same visual line (columns, gaps in a table row)
come back as separate entries, so they are grouped into lines by their vertical centre and ordered left to right.
The models are the ones inside the rapidocr wheel: nothing is ever downloaded (the worker also refuses sockets)."""
from __future__ import annotations

import logging
import statistics
from typing import Any

_ENGINE: Any = None

# PEAK_MEMORY: why batches of one line and no memory patterns. The worker's peak on ocrmypdf cardinal.pdf + linn.pdf
# (4 dense pages rendered at 1600 px, one fresh process, RSS sampled every 5 ms) was 1,062 MB with rapidocr's
# defaults: detection peaked ~300 MB above the between-pages level, recognition of batches of six lines padded to
# the widest ~550 MB. One line per batch: 721 MB; plus onnxruntime's memory patterns off (they plan buffers per
# input shape, and every line has its own width): 621 MB. Same text (CER on linn.pdf 0.87 % vs 0.89 %), same speed
# (35 s vs 38 s for the four pages at load ~1). Pages are rendered at 1800 px (limits.py): 734 MB.
REC_BATCH = 1
CLS_BATCH = 1


def engine(threads: int) -> Any:
    global _ENGINE
    if _ENGINE is None:
        from rapidocr import RapidOCR

        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        _without_memory_patterns()
        _ENGINE = RapidOCR(params={"Global.log_level": "error",
                                   "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                                   "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                                   "Rec.rec_batch_num": REC_BATCH, "Cls.cls_batch_num": CLS_BATCH})
    return _ENGINE


def _without_memory_patterns() -> None:
    """rapidocr (pinned 3.10) builds its onnxruntime SessionOptions in one static method and exposes no switch for
    `enable_mem_pattern`; wrap it once (see PEAK_MEMORY)."""
    from rapidocr.inference_engine.onnxruntime import main as ort_main

    cls = ort_main.OrtInferSession
    build = cls.__dict__.get("_init_sess_opts")
    inner = getattr(build, "__func__", None)
    if inner is None or getattr(inner, "_cove", False):
        return

    def options(cfg: Any) -> Any:
        opts = inner(cfg)
        opts.enable_mem_pattern = False
        return opts

    options._cove = True  # type: ignore[attr-defined]
    cls._init_sess_opts = staticmethod(options)


def recognize(image: Any, threads: int) -> str:
    """The text on one page image, one line per visual line ("" when nothing was read)."""
    import numpy as np

    result = engine(threads)(np.asarray(image))
    boxes, texts = getattr(result, "boxes", None), getattr(result, "txts", None)
    if boxes is None or not texts:
        return ""
    return "\n".join(group_lines([(np.asarray(b, dtype=float), str(t)) for b, t in zip(boxes, texts)]))


Row = tuple[float, float, float, float, str]  # x0, y0, x1, y1, text


def group_lines(items: list[tuple[Any, str]]) -> list[str]:
    """Reading order: text columns first (all of the left column, then the right), then lines top to bottom with
    the boxes of one visual line joined left to right."""
    rows = [(float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 0].max()), float(b[:, 1].max()), t.strip())
            for b, t in items if t.strip()]
    if not rows:
        return []
    height = statistics.median(r[3] - r[1] for r in rows)
    return _order(rows, max(height, 1.0))


def _order(rows: list[Row], h: float) -> list[str]:
    """Cut the page into bands (runs of vertically overlapping boxes); consecutive bands that share an empty
    vertical gutter form a block of columns, read column by column (recursively, for three columns). Only prose
    columns are split (boxes at least 6 line-heights wide on both sides): the label and price of a receipt line,
    or the cells of a table row, stay on one line. Measured on ocrmypdf linn.pdf (two columns under a full-width
    list): CER 39 % when rows were read across both columns."""
    out: list[str] = []
    block: list[list[Row]] = []
    gutter: tuple[float, float] | None = None
    for band in _bands(rows):
        gap = _gap(band, h, gutter) if block and gutter else None
        if gap is not None:
            block.append(band)
            gutter = gap
            continue
        out += _read_block(block, gutter, h)
        block, gutter = [band], _gap(band, h, None)
    return out + _read_block(block, gutter, h)


def _bands(rows: list[Row]) -> list[list[Row]]:
    bands: list[list[Row]] = []
    bottom = float("-inf")
    for r in sorted(rows, key=lambda r: r[1]):
        if bands and r[1] < bottom:
            bands[-1].append(r)
            bottom = max(bottom, r[3])
        else:
            bands.append([r])
            bottom = r[3]
    return bands


def _gap(band: list[Row], h: float, within: tuple[float, float] | None) -> tuple[float, float] | None:
    """The widest empty vertical strip (≥ half a line height) with boxes on both sides, inside `within` if given."""
    best: tuple[float, float] | None = None
    spans = sorted((r[0], r[2]) for r in band)
    right = spans[0][1]
    for x0, x1 in spans[1:]:
        lo, hi = right, x0
        if within is not None:
            lo, hi = max(lo, within[0]), min(hi, within[1])
        if hi - lo >= 0.5 * h and (best is None or hi - lo > best[1] - best[0]):
            best = (lo, hi)
        right = max(right, x1)
    if within is not None and best is None and all(r[2] <= within[0] or r[0] >= within[1] for r in band):
        return within  # a band on one side only (a short last line of a paragraph) keeps the columns going
    return best


def _read_block(block: list[list[Row]], gutter: tuple[float, float] | None, h: float) -> list[str]:
    rows = [r for band in block for r in band]
    if gutter is not None:
        left = [r for r in rows if r[2] <= gutter[0]]
        right = [r for r in rows if r[2] > gutter[0]]
        prose = left and right and min(statistics.median(r[2] - r[0] for r in side) for side in (left, right)) >= 6 * h
        if prose and len(block) + len(rows) > 3:
            return _order(left, h) + _order(right, h)
    return _lines(rows, h)


def _lines(rows: list[Row], h: float) -> list[str]:
    lines: list[list[Row]] = []
    for r in sorted(rows, key=lambda r: (r[1] + r[3]) / 2):
        centre = (r[1] + r[3]) / 2
        if lines and abs(centre - statistics.fmean((x[1] + x[3]) / 2 for x in lines[-1])) <= 0.5 * h:
            lines[-1].append(r)
        else:
            lines.append([r])
    return [" ".join(x[4] for x in sorted(line, key=lambda x: x[0])) for line in lines]
