"""Light/dark: Cove follows the system palette (or the `theme` setting) and derives its few accent colours from it,
so cards, chips and highlights stay readable in both. The style sheet only uses palette() roles plus these colours."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory


@dataclass(frozen=True)
class Colors:
    dark: bool
    accent: str
    accent_text: str
    accent_soft: str
    card: str
    card_border: str
    card_hover: str
    muted: str
    bubble: str
    bubble_text: str
    highlight: str  # cited passage background
    warning: str
    ok: str
    warning_soft: str = "#fef3c7"  # the "not verified" banner: amber, readable in both themes
    warning_text: str = "#78350f"


def is_dark(palette: QPalette | None = None) -> bool:
    pal = palette or QGuiApplication.palette()
    return pal.color(QPalette.ColorRole.Window).lightness() < 128


def colors(palette: QPalette | None = None) -> Colors:
    pal = palette or QGuiApplication.palette()
    dark = is_dark(pal)
    base = pal.color(QPalette.ColorRole.Base)
    text = pal.color(QPalette.ColorRole.Text)

    def mix(a: QColor, b: QColor, t: float) -> str:
        return QColor(int(a.red() * (1 - t) + b.red() * t), int(a.green() * (1 - t) + b.green() * t),
                      int(a.blue() * (1 - t) + b.blue() * t)).name()

    accent = QColor("#2dd4bf") if dark else QColor("#0f766e")
    return Colors(
        dark=dark,
        accent=accent.name(),
        accent_text="#04201d" if dark else "#ffffff",
        accent_soft=mix(base, accent, 0.18),
        card=mix(base, text, 0.04),
        card_border=mix(base, text, 0.14),
        card_hover=mix(base, accent, 0.10),
        muted=mix(base, text, 0.62),
        bubble=mix(base, accent, 0.16 if dark else 0.10),
        bubble_text=text.name(),
        highlight="#7c5e10" if dark else "#fde68a",
        warning="#fbbf24" if dark else "#b45309",
        ok="#34d399" if dark else "#047857",
        warning_soft="#3a2c08" if dark else "#fef3c7",
        warning_text="#fde68a" if dark else "#78350f",
    )


def dark_palette() -> QPalette:
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#1f2124", QPalette.ColorRole.WindowText: "#e8e8e8",
        QPalette.ColorRole.Base: "#17181a", QPalette.ColorRole.AlternateBase: "#222428",
        QPalette.ColorRole.Text: "#e8e8e8", QPalette.ColorRole.Button: "#2a2d31",
        QPalette.ColorRole.ButtonText: "#e8e8e8", QPalette.ColorRole.Highlight: "#2dd4bf",
        QPalette.ColorRole.HighlightedText: "#04201d", QPalette.ColorRole.ToolTipBase: "#2a2d31",
        QPalette.ColorRole.ToolTipText: "#e8e8e8", QPalette.ColorRole.PlaceholderText: "#8b8f96",
        QPalette.ColorRole.Link: "#5eead4", QPalette.ColorRole.Mid: "#3a3d42", QPalette.ColorRole.Dark: "#101113",
        QPalette.ColorRole.Light: "#3a3d42", QPalette.ColorRole.Midlight: "#32353a",
    }
    for role, value in roles.items():
        pal.setColor(role, QColor(value))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b6f75"))
    return pal


def light_palette() -> QPalette:
    pal = QStyleFactory.create("Fusion").standardPalette()
    pal.setColor(QPalette.ColorRole.Highlight, QColor("#0f766e"))
    pal.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    pal.setColor(QPalette.ColorRole.Link, QColor("#0f766e"))
    return pal


def apply_theme(app: QApplication, setting: str = "system") -> Colors:
    """Apply the theme setting. "system" keeps the platform palette (and Qt updates it when the OS switches)."""
    hints = app.styleHints()
    if setting == "dark":
        hints.setColorScheme(Qt.ColorScheme.Dark)
        app.setPalette(dark_palette())
    elif setting == "light":
        hints.setColorScheme(Qt.ColorScheme.Light)
        app.setPalette(light_palette())
    else:
        hints.unsetColorScheme()
        if app.property("cove_custom_palette"):
            app.setPalette(QPalette())  # an empty palette hands the colours back to the platform theme
    app.setProperty("cove_custom_palette", setting in ("dark", "light"))
    from app.gui import icons

    icons.clear_cache()
    app.setStyleSheet(style_sheet(colors(app.palette())))
    return colors(app.palette())


def style_sheet(c: Colors) -> str:
    return f"""
QFrame#SourceCard {{ background: {c.card}; border: 1px solid {c.card_border}; border-radius: 8px; }}
QFrame#SourceCard:hover, QFrame#SourceCard:focus {{ background: {c.card_hover}; border-color: {c.accent}; }}
QLabel#CardNumber {{ background: {c.accent}; color: {c.accent_text}; border-radius: 9px; font-weight: 700;
                     min-width: 18px; max-width: 30px; min-height: 18px; max-height: 18px; padding: 0 3px; }}
QLabel#Muted, QLabel#CardPath, QLabel#CardMeta {{ color: {c.muted}; }}
QLabel#CardTitle {{ font-weight: 600; }}
QFrame#EvidenceBar {{ background: {c.accent}; border-radius: 1px; }}
QFrame#VerifyBanner {{ background: {c.warning_soft}; border: 1px solid {c.warning}; border-radius: 8px; }}
QFrame#VerifyBanner QLabel, QFrame#VerifyBanner QToolButton {{ color: {c.warning_text}; }}
QLabel#VerifyTitle {{ font-weight: 600; }}
QLabel#QuestionBubble {{ background: {c.bubble}; color: {c.bubble_text}; border-radius: 12px; padding: 8px 12px; }}
QFrame#Chip {{ background: {c.accent_soft}; border: 1px solid {c.accent}; border-radius: 13px; }}
QFrame#Notice {{ background: {c.card}; border: 1px solid {c.warning}; border-radius: 8px; }}
QLabel#NoticeText {{ color: palette(window-text); }}
QToolButton#PrivacyButton {{ color: {c.ok}; font-weight: 600; border: none; padding: 2px 8px; }}
QToolButton#ChipButton {{ border: none; padding: 1px 4px; }}
QToolButton#ChipButton:hover {{ background: {c.card_hover}; border-radius: 6px; }}
QFrame#Composer {{ background: palette(base); border: 1px solid {c.card_border}; border-radius: 10px; }}
QPlainTextEdit#QuestionInput {{ border: none; background: transparent; }}
QPushButton#SendButton {{ background: {c.accent}; color: {c.accent_text}; border: none; border-radius: 8px;
                           padding: 6px 14px; font-weight: 600; }}
QPushButton#SendButton:disabled {{ background: {c.card_border}; color: {c.muted}; }}
QFrame#PopupFrame {{ background: palette(window); border: 1px solid {c.card_border}; border-radius: 10px; }}
QLineEdit#PopupInput {{ font-size: 15px; padding: 8px 10px; border: 1px solid {c.card_border}; border-radius: 8px;
                        background: palette(base); }}
QLineEdit#PopupInput:focus {{ border-color: {c.accent}; }}
QListWidget#ConversationList {{ border: none; background: transparent; }}
QListWidget#ConversationList::item {{ padding: 6px 8px; border-radius: 6px; }}
QListWidget#ConversationList::item:selected {{ background: {c.accent_soft}; color: palette(window-text); }}
QLabel#EmptyTitle {{ font-size: 20px; font-weight: 600; }}
QLabel#SectionTitle {{ font-weight: 600; }}
"""
