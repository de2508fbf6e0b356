"""The system-tray icon (when the desktop has a tray): Ask…, Open Cove, Pause/Resume indexing, Quit; a click opens
the quick-ask popup. Qt offers no global keyboard shortcut: users bind `python -m app.gui --quick-ask` (or
`cove --quick-ask` once the CLI passes it through) to a key in their desktop's keyboard settings; with Cove already
running that only signals the running instance, which shows the popup at once."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from app.gui.icons import app_icon, icon

if TYPE_CHECKING:
    from app.gui.controller import Controller


def tray_available() -> bool:
    return QSystemTrayIcon.isSystemTrayAvailable()


class Tray(QObject):
    def __init__(self, ctl: "Controller") -> None:
        super().__init__(ctl)
        self.ctl = ctl
        self.icon = QSystemTrayIcon(app_icon(), self)
        self.icon.setToolTip("Cove — private assistant (everything stays on this computer)")
        self.menu = QMenu()
        self.ask_action = self.menu.addAction(icon("search"), "Ask…", ctl.show_quick_ask)
        self.open_action = self.menu.addAction(app_icon(), "Open Cove", ctl.show_main)
        self.menu.addSeparator()
        self.pause_action = self.menu.addAction(icon("pause"), "Pause indexing", ctl.index.toggle_pause)
        self.menu.addSeparator()
        self.quit_action = self.menu.addAction("Quit Cove", ctl.quit)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        ctl.index.paused_changed.connect(self._paused)
        self.told_still_running = False
        self.icon.show()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.ctl.toggle_quick_ask()

    def _paused(self, paused: bool) -> None:
        self.pause_action.setText("Resume indexing" if paused else "Pause indexing")
        self.pause_action.setIcon(icon("play" if paused else "pause"))

    def tell_still_running(self) -> None:
        if not self.told_still_running:
            self.told_still_running = True
            self.icon.showMessage("Cove is still running", "Ask from the tray icon; Quit from its menu.",
                                  app_icon(), 4000)

    @property
    def visible(self) -> bool:
        return self.icon.isVisible()

    def hide(self) -> None:
        self.icon.hide()
