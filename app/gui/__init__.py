"""The desktop app (PySide6). Everything Qt lives in this package; it drives the same Qt-free core as the CLI.

Importing it first applies the PySide6 reference-count workaround (see _pyside_fix) before any Qt call is made."""
from app.gui import _pyside_fix  # noqa: F401
