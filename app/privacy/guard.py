"""The privacy guard: offline switches set before any library import, and an audit hook that refuses every
non-loopback network destination and records the attempt. Always on; there is no setting to turn it off."""
from __future__ import annotations

import os
import sys
import threading
import time
from typing import NamedTuple

OFFLINE_ENV: dict[str, str] = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "SENTENCE_TRANSFORMERS_HOME": "",
    "LANCEDB_TELEMETRY": "0",
    "LANCE_TELEMETRY": "0",
    "ANONYMIZED_TELEMETRY": "False",
    "SCARF_NO_ANALYTICS": "true",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TQDM_DISABLE": "1",
    "LANCE_LOG": "error",
}


class BlockedAttempt(NamedTuple):
    """A refused connection. (A NamedTuple, not a dataclass: every `cove` process imports this module first, and
    dataclasses brings inspect, ~10 ms of each command's start.)"""

    when: float
    destination: str
    stack: str


class NetworkBlocked(PermissionError):
    """Raised inside the code that tried to reach the network."""


_attempts: list[BlockedAttempt] = []
_lock = threading.Lock()
_installed = False


def _is_local(host: object) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    h = host.strip("[]").lower()
    if h in ("", "localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"):
        return True
    import ipaddress  # only once something connects: not on every command's start

    try:
        return ipaddress.ip_address(h.split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(destination: str) -> None:
    import traceback

    stack = "".join(traceback.format_stack(limit=12)[:-2])
    with _lock:
        _attempts.append(BlockedAttempt(time.time(), destination, stack))
    raise NetworkBlocked(f"Cove blocked a network connection to {destination}: nothing leaves this computer")


def _audit(event: str, args: tuple) -> None:
    if event == "socket.connect" or event == "socket.sendto" or event == "socket.sendmsg":
        sock, address = args[0], args[1] if len(args) > 1 else None
        family = getattr(sock, "family", None)
        if family is not None and int(family) == 1:  # AF_UNIX: local by definition
            return
        if isinstance(address, tuple) and address:
            if not _is_local(address[0]):
                _refuse(f"{address[0]}:{address[1] if len(address) > 1 else ''}")
        elif address is not None and not isinstance(address, (str, bytes)):
            _refuse(repr(address))
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr"):
        host = args[0] if args else None
        if not _is_local(host):
            port = args[1] if event == "socket.getaddrinfo" and len(args) > 1 and args[1] not in (None, 0, "") else None
            _refuse(f"{host}:{port}" if port is not None else str(host))


def set_offline_env() -> None:
    for key, value in OFFLINE_ENV.items():
        if value == "":
            continue
        os.environ[key] = value


def install() -> None:
    """Idempotent: set offline switches and add the audit hook (audit hooks cannot be removed, by design)."""
    global _installed
    set_offline_env()
    if _installed:
        return
    os.umask(0o077)  # everything Cove writes (index, history, settings, model) is owner-only: 0700 dirs, 0600 files
    sys.addaudithook(_audit)
    _installed = True


def blocked_attempts() -> list[BlockedAttempt]:
    with _lock:
        return list(_attempts)


def telemetry_switches() -> dict[str, str]:
    return {k: os.environ.get(k, "") for k, v in OFFLINE_ENV.items() if v}
