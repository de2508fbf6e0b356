"""The always-visible privacy indicator: everything runs on this computer, and the number of network connections
the privacy guard has blocked so far (expected: 0). Click for the details and the telemetry switches in force."""
from __future__ import annotations

import time

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QToolButton, QVBoxLayout, QWidget

from app.privacy import guard
from app.gui import theme
from app.gui.icons import icon

EXPLANATION = ("Cove runs entirely on this computer. Your documents, email, the search index, the language model and "
               "your chat history never leave it: there is no account, no cloud and no telemetry. A guard inside "
               "Cove refuses every network connection to another computer and counts the attempts.")


class PrivacyIndicator(QToolButton):
    def __init__(self, parent: QWidget | None = None, interval_ms: int = 2000) -> None:
        super().__init__(parent)
        self.setObjectName("PrivacyButton")
        self.setToolButtonStyle(self.toolButtonStyle().ToolButtonTextBesideIcon)
        self.setAutoRaise(True)
        self.clicked.connect(self.show_details)
        self.blocked = -1
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(interval_ms)
        self.refresh()

    def refresh(self) -> None:
        n = len(guard.blocked_attempts())
        if n == self.blocked:
            return
        self.blocked = n
        c = theme.colors(self.palette())
        color = QColor(c.ok if n == 0 else c.warning)
        self.setIcon(icon("shield", color))
        self.setText(f"Local only · {n} network attempt{'s' * (n != 1)} blocked")
        self.setStyleSheet(f"color: {color.name()};")
        self.setToolTip(f"{EXPLANATION}\n\nNetwork connections blocked so far: {n}. Click for details.")
        self.setAccessibleName(f"Privacy: everything local, {n} network attempts blocked")

    def show_details(self) -> None:
        PrivacyDialog(self.window()).exec()


class PrivacyDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Privacy — Cove")
        self.resize(560, 420)
        lay = QVBoxLayout(self)
        text = QLabel(EXPLANATION)
        text.setWordWrap(True)
        lay.addWidget(text)
        attempts = guard.blocked_attempts()
        lay.addWidget(QLabel(f"<b>Network connections blocked: {len(attempts)}</b>"))
        details = QPlainTextEdit()
        details.setReadOnly(True)
        lines = [f"{time.strftime('%H:%M:%S', time.localtime(a.when))}  {a.destination}" for a in attempts]
        lines += ["", "Offline and telemetry switches in force:"]
        lines += [f"  {k}={v}" for k, v in sorted(guard.telemetry_switches().items())]
        details.setPlainText("\n".join(lines) if attempts else "None so far.\n\n" + "\n".join(lines[1:]))
        lay.addWidget(details, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
