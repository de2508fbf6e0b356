"""The desktop app is a resident Cove too (issue 12): while its window is open, `cove status` and `cove search` are
answered by it (real app offscreen, real store, real CLI subprocesses), with the same search JSON as in-process."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.app.serve_helpers import REPO, cove, env_for

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def test_desktop_app_serves_the_cli(tmp_path: Path) -> None:
    data = tmp_path / "data"
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "tides.txt").write_text("Spring tides happen at new and full moon, when the sun and moon line up. "
                                    "Neap tides happen at the quarter moons.\n", "utf-8")
    r = cove(data, "index", str(docs), "--json", server=False)
    assert r.returncode == 0, r.stderr
    app = subprocess.Popen([sys.executable, "-m", "app.gui"], cwd=REPO,
                           env=env_for(data, QT_QPA_PLATFORM="offscreen"),
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline, status = time.monotonic() + 180, {}
        while time.monotonic() < deadline and app.poll() is None:
            status = json.loads(cove(data, "status", "--json").stdout or "{}")
            if status.get("server"):
                break
            time.sleep(1)
        assert app.poll() is None, app.stderr.read().decode()[-3000:] if app.stderr else ""
        assert status.get("server", {}).get("pid") == app.pid
        remote = json.loads(cove(data, "search", "when are neap tides", "--json").stdout)
        local = json.loads(cove(data, "search", "when are neap tides", "--json", server=False).stdout)
        remote.pop("took_ms"), local.pop("took_ms")
        assert remote == local and remote["results"]
    finally:
        app.terminate()
        try:
            app.wait(timeout=30)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait(timeout=30)
    assert json.loads(cove(data, "status", "--json").stdout)["server"] is None  # gone: in-process again
