"""Reading order of OCR boxes (pure logic; the boxes are shaped like rapidocr's on a real page)."""
from __future__ import annotations

import numpy as np

from indexer.ocr.engine import group_lines


def box(x0: float, y0: float, x1: float, y1: float, text: str):  # type: ignore[no-untyped-def]
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=float), text


def test_two_prose_columns_are_read_column_by_column_between_full_width_lines() -> None:
    items = [box(200, 100, 1300, 126, "A full-width heading line")]
    for i in range(4):  # the right column sits a few px lower than the left one, as on linn.pdf
        items.append(box(200, 200 + 30 * i, 740, 226 + 30 * i, f"left {i}"))
        items.append(box(780, 207 + 30 * i, 1310, 233 + 30 * i, f"right {i}"))
    items.append(box(200, 400, 1300, 426, "A full-width footer line"))
    assert group_lines(items) == ["A full-width heading line", "left 0", "left 1", "left 2", "left 3",
                                  "right 0", "right 1", "right 2", "right 3", "A full-width footer line"]


def test_aligned_columns_with_a_short_last_line_stay_columns() -> None:
    items = []
    for i in range(3):
        items.append(box(200, 200 + 40 * i, 740, 226 + 40 * i, f"left {i}"))
        items.append(box(780, 200 + 40 * i, 1310, 226 + 40 * i, f"right {i}"))
    items.append(box(200, 320, 400, 346, "left end"))
    assert group_lines(items) == ["left 0", "left 1", "left 2", "left end", "right 0", "right 1", "right 2"]


def test_receipt_and_table_rows_stay_on_one_line() -> None:
    items = []
    for i, (item, price) in enumerate([("Milk", "2.99"), ("Bread", "3.49"), ("Eggs", "4.10"), ("TOTAL", "10.58")]):
        items.append(box(100, 100 + 30 * i, 220, 124 + 30 * i, item))
        items.append(box(600, 102 + 30 * i, 680, 126 + 30 * i, price))
    assert group_lines(items) == ["Milk 2.99", "Bread 3.49", "Eggs 4.10", "TOTAL 10.58"]
