"""Icons drawn from the SVGs in assets/icons: monochrome ones are tinted with the palette's text colour so they follow
light/dark themes; the app icon keeps its colours. `python -m app.gui.icons` writes the PNG sizes of the app icon
(16..512) for packaging, rendered with QSvgRenderer from the same SVG."""
from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QImage, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

ASSETS = Path(__file__).resolve().parents[2] / "assets"
ICONS = ASSETS / "icons"
APP_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def svg_path(name: str) -> Path:
    return ICONS / f"{name}.svg"


def render_svg(path: Path, size: int, color: QColor | None = None) -> QImage:
    """Render an SVG into a square transparent image; with `color`, every drawn pixel takes that colour."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    renderer = QSvgRenderer(str(path))
    if not renderer.isValid():
        return image
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    if color is not None:
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
        painter.fillRect(image.rect(), color)
    painter.end()
    return image


@lru_cache(maxsize=256)
def _icon(name: str, rgba: int) -> QIcon:
    path = svg_path(name)
    icon = QIcon()
    if not path.is_file():
        return icon
    color = QColor.fromRgba(rgba)
    disabled = QColor(color)
    disabled.setAlphaF(0.38)
    ratio = 2  # crisp on high-DPI screens; Qt scales down for 1x
    for size in (16, 20, 24, 32):
        for mode, col in ((QIcon.Mode.Normal, color), (QIcon.Mode.Disabled, disabled)):
            pix = QPixmap.fromImage(render_svg(path, size * ratio, col))
            pix.setDevicePixelRatio(ratio)
            icon.addPixmap(pix, mode)
    return icon


def icon(name: str, color: QColor | None = None) -> QIcon:
    """A themed monochrome icon (tinted with the window text colour unless `color` is given)."""
    if color is None:
        app = QGuiApplication.instance()
        pal = app.palette() if app is not None else QPalette()  # type: ignore[union-attr]
        color = pal.color(QPalette.ColorRole.WindowText)
    return _icon(name, color.rgba())


def clear_cache() -> None:
    """Forget tinted icons after a palette change."""
    _icon.cache_clear()


@lru_cache(maxsize=1)
def app_icon() -> QIcon:
    icon_ = QIcon()
    png_dir = ICONS / "png"
    for size in APP_ICON_SIZES:
        png = png_dir / f"cove-{size}.png"
        if png.is_file():
            icon_.addFile(str(png), QSize(size, size))
    if icon_.isNull() and svg_path("cove").is_file():
        for size in APP_ICON_SIZES:
            icon_.addPixmap(QPixmap.fromImage(render_svg(svg_path("cove"), size)))
    return icon_


def write_app_pngs(out_dir: Path | None = None) -> list[Path]:
    """Render the app icon at every packaging size."""
    out = out_dir or ICONS / "png"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for size in APP_ICON_SIZES:
        target = out / f"cove-{size}.png"
        if not render_svg(svg_path("cove"), size).save(str(target)):
            raise OSError(f"could not write {target}")
        target.chmod(0o644)  # packaged assets: readable by everyone, whatever the umask
        written.append(target)
    out.chmod(0o755)
    return written


def main() -> int:
    from PySide6.QtGui import QGuiApplication as _App

    _app = _App.instance() or _App(sys.argv[:1])  # noqa: F841  (QSvgRenderer needs an application object)
    for path in write_app_pngs():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
