"""Turn document bytes into page images for OCR (runs inside the OCR worker only: this is where hostile bytes are
decoded). PDF pages are rendered by PDFium (pypdfium2), which applies /Rotate and decodes JBIG2, CCITT and JPEG2000
that pypdf cannot; images are read by Pillow with their EXIF orientation, one page per TIFF frame. Every page comes
out at most `max_side` px on its long side, and anything claiming more than `max_pixels` is refused unread."""
from __future__ import annotations

import io
from typing import Any, Callable

from indexer.ocr.limits import OcrLimits


class PageFailed(Exception):
    """One page could not be turned into an image; the message is the reason recorded for that page."""


def open_pages(kind: str, data: bytes, limits: OcrLimits) -> tuple[int, Callable[[int], Any]]:
    """(page count, load(i) -> PIL RGB image) for a "pdf" or "image" document; i is 0-based."""
    if kind == "pdf":
        return _pdf_pages(data, limits)
    return _image_pages(data, limits)


def _pdf_pages(data: bytes, limits: OcrLimits) -> tuple[int, Callable[[int], Any]]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise PageFailed(f"cannot open PDF for rendering: {exc}") from exc

    def load(i: int) -> Any:
        page = pdf[i]
        try:
            w, h = page.get_size()
            if page.get_rotation() in (90, 270):
                w, h = h, w
            if w <= 0 or h <= 0:
                raise PageFailed("page has no size")
            scale = min(limits.max_dpi / 72.0, limits.max_side / max(w, h))
            if w * scale * h * scale > limits.max_pixels:
                raise PageFailed(f"page too large to render ({w:.0f}×{h:.0f} pt)")
            bitmap = page.render(scale=scale, grayscale=True)
            return bitmap.to_pil().convert("RGB")
        finally:
            page.close()

    return len(pdf), load


def _image_pages(data: bytes, limits: OcrLimits) -> tuple[int, Callable[[int], Any]]:
    from PIL import Image, ImageOps, UnidentifiedImageError

    # Opening reads only the header; our own size check below runs before any pixel is decoded, per frame, and
    # names the size (Pillow's bomb check would refuse at open with a less helpful message).
    Image.MAX_IMAGE_PIXELS = None
    try:
        im = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise PageFailed(f"corrupt or unsupported image: {exc}") from exc
    n = max(1, int(getattr(im, "n_frames", 1) or 1))

    def load(i: int) -> Any:
        try:
            im.seek(i)
        except EOFError as exc:
            raise PageFailed("TIFF frame missing") from exc
        w, h = im.size
        if w * h > limits.max_pixels:
            raise PageFailed(f"image too large: {w}×{h} px (limit {limits.max_pixels / 1e6:.0f} Mpx)")
        if w < 8 or h < 8:
            raise PageFailed(f"image too small to hold text ({w}×{h} px)")
        try:
            im.draft("RGB", (limits.max_side, limits.max_side))  # JPEG: decode at a reduced scale, far less memory
            frame = ImageOps.exif_transpose(im) if i == 0 else im.copy()
            frame = frame.convert("RGB")
            frame.thumbnail((limits.max_side, limits.max_side))
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise PageFailed(f"corrupt image data: {exc}") from exc
        return frame

    return n, load
