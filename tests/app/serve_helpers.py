"""Helpers for the resident-Cove tests and benchmark: a small real index in a private data dir, `cove` run as a real
subprocess (with or without a server), and a `cove serve` process that is started, waited for and killed."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.conftest import CORPORA

REPO = Path(__file__).resolve().parent.parent.parent
SQUAD = CORPORA / "qa" / "squad-v1.1" / "dev-v1.1.json"
QUESTION = "What is the dialect of Newcastle known as?"


def make_docs(folder: Path) -> Path:
    """Real text: SQuAD articles (one file each) and two licence texts from the docs corpus."""
    folder.mkdir(parents=True, exist_ok=True)
    data = json.loads(SQUAD.read_text("utf-8"))["data"]
    for article in data:
        if article["title"] in ("Newcastle_upon_Tyne", "Oxygen", "Normans"):
            text = "\n\n".join(p["context"] for p in article["paragraphs"][:12])
            (folder / f"{article['title']}.txt").write_text(text, "utf-8")
    for rel in ("pandoc-tests/COPYRIGHT", "python-docx-tests/LICENSE"):
        src = CORPORA / "docs" / rel
        (folder / src.name).write_bytes(src.read_bytes())
    return folder


def env_for(data_dir: Path, *, server: bool = True, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COVE_NO_SERVER", "COVE_CONFIG_DIR")}
    env["COVE_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = str(REPO)
    if not server:
        env["COVE_NO_SERVER"] = "1"
    env.update(extra)
    return env


def write_settings(data_dir: Path, **values: Any) -> None:
    """The user's settings for this data dir (the config dir defaults to DATA/config)."""
    config = data_dir / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.json").write_text(json.dumps(values), "utf-8")


def cove(data_dir: Path, *args: str, server: bool = True, timeout: float = 600,
         **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=REPO, env=env_for(data_dir, server=server,
                          **extra), capture_output=True, text=True, timeout=timeout)


class Server:
    """A real `cove serve` subprocess for one data dir."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        self.data_dir = data_dir
        self.log = data_dir.parent / f"serve-{time.time_ns()}.log"
        self._log = open(self.log, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", *args], cwd=REPO,
                                     env=env_for(data_dir), stdout=self._log, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"cove serve exited: {self.log.read_text()}")
            if "serving" in self.log.read_text():
                return
            time.sleep(0.2)
        raise TimeoutError(f"cove serve not ready after {timeout} s: {self.log.read_text()}")

    def ping(self) -> dict[str, Any]:
        env = env_for(self.data_dir)
        code = ("from app.resident.client import request\n"
                "import json; r = request('ping', {}); print(json.dumps(r.one('result') if r else None))")
        out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                             timeout=60)
        return json.loads(out.stdout)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=60)
        self._log.close()

    def stop(self) -> None:
        self.kill(signal.SIGTERM)
