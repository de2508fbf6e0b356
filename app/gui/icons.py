"""Icons drawn from the SVGs in assets/icons: monochrome ones are tinted with the palette's text colour so they follow
light/dark themes; the app icon keeps its colours. `python -m app.gui.icons` writes the PNG sizes of the app icon
(16..512, in assets/png) for packaging, rendered with QSvgRenderer from the same SVG."""
from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QEvent, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QImage, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QLabel, QWidget

ASSETS = Path(__file__).resolve().parents[2] / "assets"
ICONS = ASSETS / "icons"
APP_ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
PNG_DIR = ASSETS / "png"  # shared with packaging/render_icons.py (same SVG, same renderer, same file names)


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


class _TintedEngine(QIconEngine):
    """Draws a monochrome SVG in the palette's text colour at paint time, so icons already on screen follow a
    switch between light and dark without being rebuilt."""

    def __init__(self, path: Path, color: QColor | None = None) -> None:
        super().__init__()
        self.path = path
        self.color = color
        self._cache: dict[tuple[int, int, int, int], QPixmap] = {}

    def _color(self, mode: QIcon.Mode) -> QColor:
        color = QColor(self.color) if self.color is not None else QGuiApplication.palette().color(
            QPalette.ColorRole.WindowText)
        if mode == QIcon.Mode.Disabled:
            color.setAlphaF(0.38)
        return color

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:  # noqa: N802
        app = QGuiApplication.instance()
        ratio = max(1.0, app.devicePixelRatio() if app is not None else 1.0)  # type: ignore[union-attr]
        side = max(1, min(size.width(), size.height()))
        color = self._color(mode)
        key = (side, int(ratio * 100), color.rgba(), int(mode == QIcon.Mode.Disabled))
        pix = self._cache.get(key)
        if pix is None:
            pix = QPixmap.fromImage(render_svg(self.path, int(side * ratio), color))
            pix.setDevicePixelRatio(ratio)
            self._cache[key] = pix
        return pix

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        painter.drawPixmap(rect, self.pixmap(rect.size(), mode, state))

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:  # noqa: N802
        side = min(size.width(), size.height())
        return QSize(side, side)

    def clone(self) -> "QIconEngine":
        return _TintedEngine(self.path, self.color)


_engines: list[_TintedEngine] = []  # QIcon owns its engine in C++; keep the Python side alive too


@lru_cache(maxsize=256)
def _icon(name: str, rgba: int | None) -> QIcon:
    path = svg_path(name)
    if not path.is_file():
        return QIcon()
    engine = _TintedEngine(path, QColor.fromRgba(rgba) if rgba is not None else None)
    _engines.append(engine)
    return QIcon(engine)


def icon(name: str, color: QColor | None = None) -> QIcon:
    """A monochrome icon in the current text colour (it follows theme changes), or in a fixed `color`."""
    return _icon(name, color.rgba() if color is not None else None)


def clear_cache() -> None:
    """Nothing to do for themed icons (they are tinted when drawn); kept for callers that switch themes."""


class IconLabel(QLabel):
    """A QLabel showing a themed icon that is redrawn when the palette changes."""

    def __init__(self, name: str, size: int = 16, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._name, self._size = name, size
        self._draw()

    def set_icon(self, name: str) -> None:
        self._name = name
        self._draw()

    def _draw(self) -> None:
        self.setPixmap(icon(self._name).pixmap(self._size, self._size))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.PaletteChange:
            self._draw()
        super().changeEvent(event)


@lru_cache(maxsize=1)
def app_icon() -> QIcon:
    icon_ = QIcon()
    png_dir = PNG_DIR
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
    out = out_dir or PNG_DIR
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
