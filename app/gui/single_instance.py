"""The GUI side of app.desktop.single_instance: one running Cove per data dir. A second launch (`cove gui FILE`, a
desktop shortcut bound to `python -m app.gui --quick-ask`) hands its message to the running instance and exits; here
the listener thread's messages become a Qt signal carrying a frozen record, handled on the GUI thread."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal


@dataclass(frozen=True)
class InstanceMessage:
    action: str  # ask (files to index and ask about) | show | quick-ask
    files: tuple[str, ...] = ()


def message_for(files: list[str], quick_ask: bool) -> dict[str, Any]:
    from app.desktop.single_instance import open_message

    if files:
        return open_message(files)
    return {"action": "quick-ask" if quick_ask else "show"}


def hand_off(files: list[str], *, quick_ask: bool = False, tray: bool = False) -> bool:
    """True when a running Cove took over (this process should exit)."""
    from app.desktop.single_instance import is_running, send_to_running

    try:
        if tray and not files and not quick_ask:
            return is_running()  # autostart while Cove runs: nothing to show
        return send_to_running(message_for(files, quick_ask))
    except OSError:
        return False  # never let a hand-off problem stop Cove from opening


class InstanceBridge(QObject):
    received = Signal(object)  # InstanceMessage

    def __init__(self, parent: QObject | None = None, address: str | None = None) -> None:
        super().__init__(parent)
        from app.desktop.single_instance import InstanceServer

        self.server = InstanceServer(self._on_message, address=address)

    def start(self) -> bool:
        try:
            return self.server.start()
        except OSError:
            return False

    def stop(self) -> None:
        self.server.stop()

    def _on_message(self, message: dict[str, Any]) -> None:  # the listener thread
        self.received.emit(InstanceMessage(str(message.get("action", "show")),
                                           tuple(str(f) for f in message.get("open", []))))
