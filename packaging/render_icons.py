"""Render the app icon SVG to the PNG sizes the hicolor theme and the bundle use (assets/png/cove-N.png), plus a
256 px assets/cove.ico for a future Windows bundle. Run after changing the SVG; the PNGs are committed.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/render_icons.py

Uses PySide6's QSvgRenderer (already a dependency) so no extra package is needed; this is a build script, not core
code, so importing Qt here does not break the "only app/gui imports PySide6" rule for the application.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def source_svg() -> Path:
    """The GUI's icon when it exists (assets/icons/cove.svg), else a fallback at assets/cove.svg."""
    for candidate in (ROOT / "assets" / "icons" / "cove.svg", ROOT / "assets" / "cove.svg"):
        if candidate.is_file():
            return candidate
    raise SystemExit("no cove.svg in assets/icons/ or assets/")


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841  (QPainter needs one)
    svg = source_svg()
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG")
    out_dir = ROOT / "assets" / "png"
    out_dir.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        target = out_dir / f"cove-{size}.png"
        if not image.save(str(target), "PNG"):
            raise SystemExit(f"could not write {target}")
        if size == 256:
            image.save(str(ROOT / "assets" / "cove.ico"), "ICO")
    print(f"rendered {svg.relative_to(ROOT)} -> assets/png/cove-{{{','.join(map(str, SIZES))}}}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
