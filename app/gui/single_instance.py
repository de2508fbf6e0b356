"""One running Cove per data dir: a second launch (e.g. `python -m app.gui --quick-ask` bound to a desktop keyboard
shortcut) just tells the running instance what to show, through a local socket that only this user can reach."""
from __future__ import annotations

import getpass
import hashlib
from typing import Callable

from PySide6.QtCore import QObject
from PySide6.QtNetwork import QLocalServer, QLocalSocket


def server_name() -> str:
    from app import paths

    key = f"{getpass.getuser()}:{paths.data_dir()}".encode()
    return "cove-" + hashlib.sha1(key).hexdigest()[:16]


def send(message: str, timeout_ms: int = 400) -> bool:
    """True when a running instance received the message."""
    sock = QLocalSocket()
    sock.connectToServer(server_name())
    if not sock.waitForConnected(timeout_ms):
        return False
    sock.write((message + "\n").encode())
    sock.flush()
    ok = sock.waitForBytesWritten(timeout_ms)
    sock.disconnectFromServer()
    return ok


class InstanceServer(QObject):
    def __init__(self, on_message: Callable[[str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.on_message = on_message
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        name = server_name()
        if not self.server.listen(name):
            QLocalServer.removeServer(name)  # a stale socket file from a crashed run
            self.server.listen(name)
        self.server.newConnection.connect(self._connection)

    def _connection(self) -> None:
        sock = self.server.nextPendingConnection()
        if sock is None:
            return

        def read() -> None:
            while sock.canReadLine():
                self.on_message(bytes(sock.readLine()).decode(errors="replace").strip())

        sock.readyRead.connect(read)
        sock.disconnected.connect(sock.deleteLater)
        if sock.bytesAvailable():
            read()
