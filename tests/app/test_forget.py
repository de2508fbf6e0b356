"""Forget really forgets: after `forget`, a unique marker is in no byte of the data dir (Lance versions, FTS index,
chat history included)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from app import paths
from app.core import CoveCore
from app.forget import forget, forget_all
from app.history import History, StoredSource
from indexer.locator import Locator

MARKER = "zqxjmarker7731"


def _all_bytes_contain(root: Path, needle: bytes) -> list[str]:
    found = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            full = os.path.join(dirpath, name)
            with open(full, "rb") as fh:
                if needle in fh.read():
                    found.append(full)
    return found


def _index_with_marker(tmp_path: Path, embedder) -> tuple[CoveCore, Path, Path]:  # type: ignore[no-untyped-def]
    docs = tmp_path / "docs"
    docs.mkdir()
    secret = docs / "secret.md"
    secret.write_text(f"# Vault\n\nThe vault code word is {MARKER}. Keep it safe.\n")
    other = docs / "other.md"
    other.write_text("# Garden\n\nTomatoes need full sun and regular watering.\n")
    core = CoveCore(embedder=embedder)
    core.index([str(docs)])
    # edits create more Lance versions that still hold the marker
    core.index([str(docs)])
    return core, secret, other


@pytest.mark.parametrize("use_real", [False, True], ids=["fake-embedder", "real-embedder"])
def test_forget_leaves_no_trace_of_the_text(tmp_path, fake_embedder, request, use_real):
    embedder = request.getfixturevalue("real_embedder") if use_real else fake_embedder
    core, secret, other = _index_with_marker(tmp_path, embedder)
    hits = core.search(f"vault code word {MARKER}", k=3)
    assert hits and MARKER in hits[0].text
    history = History()
    conv = history.create_conversation("test")
    history.add_turn(conv, "What is the vault code word?", f"It is {MARKER} [1].",
                     [StoredSource(1, str(secret), Locator(section="Vault"), hits[0].doc_id, hits[0].snippet())])
    history.add_turn(conv, "Tomatoes?", "Full sun [1].", [StoredSource(1, str(other), Locator(section="Garden"), "", "Tomatoes")])
    data = paths.data_dir()
    assert _all_bytes_contain(data, MARKER.encode()), "precondition: the marker is on disk before forget"

    result = forget(core, [str(secret)])
    assert result.documents == 1
    assert _all_bytes_contain(data, MARKER.encode()) == []
    # the rest of the index still works, and the forgotten document is not found
    assert core.search("tomatoes sun watering", k=1)[0].path == str(other)
    assert all(h.path != str(secret) for h in core.search(f"vault code word {MARKER}", k=5))
    turns = history.turns(conv)
    assert turns[1].sources and turns[1].sources[0].path == str(other)


def test_forget_all_wipes_everything(tmp_path, fake_embedder):
    core, _, _ = _index_with_marker(tmp_path, fake_embedder)
    core.close()
    History().create_conversation("x")
    data, config = paths.data_dir(), paths.config_dir()
    (config / "settings.json").write_text("{}")
    assert any(data.iterdir())
    wiped = forget_all()
    assert sorted(wiped) == sorted({str(data), str(config)})
    assert not data.exists() and not config.exists()
