"""rapidocr behind one function: a page image in, reading-order text out (runs inside the OCR worker only).

rapidocr returns one entry per detected text box; boxes on the same visual line (columns, gaps in a table row)
come back as separate entries, so they are grouped into lines by their vertical centre and ordered left to right.
The models are the ones inside the rapidocr wheel: nothing is ever downloaded (the worker also refuses sockets)."""
from __future__ import annotations

import logging
import statistics
from typing import Any

_ENGINE: Any = None


def engine(threads: int) -> Any:
    global _ENGINE
    if _ENGINE is None:
        from rapidocr import RapidOCR

        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        _ENGINE = RapidOCR(params={"Global.log_level": "error",
                                   "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                                   "EngineConfig.onnxruntime.inter_op_num_threads": 1})
    return _ENGINE


def recognize(image: Any, threads: int) -> str:
    """The text on one page image, one line per visual line ("" when nothing was read)."""
    import numpy as np

    result = engine(threads)(np.asarray(image))
    boxes, texts = getattr(result, "boxes", None), getattr(result, "txts", None)
    if boxes is None or not texts:
        return ""
    return "\n".join(group_lines([(np.asarray(b, dtype=float), str(t)) for b, t in zip(boxes, texts)]))


def group_lines(items: list[tuple[Any, str]]) -> list[str]:
    """Join boxes whose vertical centres lie within half a line height into one line, left to right."""
    if not items:
        return []
    rows = [(float(b[:, 1].mean()), float(b[:, 0].min()), float(b[:, 1].max() - b[:, 1].min()), t.strip())
            for b, t in items if t.strip()]
    if not rows:
        return []
    tolerance = 0.5 * statistics.median(r[2] for r in rows)
    rows.sort(key=lambda r: r[0])
    lines: list[list[tuple[float, float, float, str]]] = []
    for r in rows:
        if lines and abs(r[0] - statistics.fmean(x[0] for x in lines[-1])) <= tolerance:
            lines[-1].append(r)
        else:
            lines.append([r])
    return [" ".join(x[3] for x in sorted(line, key=lambda x: x[1])) for line in lines]
