"""The user is told when the index was built by another embedder (issue 12): `cove status` says so, `cove index`
re-embeds first with a message, and afterwards the index uses the configured embedder. Real store, real embedders."""
from __future__ import annotations

import json
import shutil

from app.cli import main
from tests.conftest import corpus


def test_status_and_index_tell_and_reembed(tmp_path, capsys, real_embedder) -> None:  # type: ignore[no-untyped-def]
    from app.core import CoveCore
    from app.settings import Settings
    from indexer.onnx_embedder import ONNX_INT8_ID

    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(corpus("docs", "pandoc-tests", "markdown", "testsuite.txt"), folder)
    settings = Settings.load()
    settings.set("embedder_backend", "torch")
    core = CoveCore(settings)
    core.index([str(folder)])
    n = core.store.chunk_count()
    core.close()

    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["embedder"]["id"] == real_embedder.id
    assert status["reembed"] == {"from": real_embedder.id, "to": ONNX_INT8_ID, "state": "needed", "done": 0, "total": n}
    assert main(["status"]) == 0
    assert f"switching to {ONNX_INT8_ID}: {n} chunks to re-embed" in capsys.readouterr().out

    assert main(["search", "emphasis", "--json"]) == 0  # the old index answers before the switch
    assert json.loads(capsys.readouterr().out)["results"]

    assert main(["index", str(folder)]) == 0
    captured = capsys.readouterr()
    assert f"the index was built with {real_embedder.id}" in captured.err
    assert f"the index now uses {ONNX_INT8_ID}" in captured.err
    assert "1 unchanged" in captured.out  # nothing was parsed again

    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["embedder"]["id"] == ONNX_INT8_ID and status["reembed"] is None and status["chunks"] == n
