"""Fixtures for app tests: a private data dir per test, the real bundled model loaded once per session, real SQuAD
passages, and a tiny in-memory retriever."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pytest

from indexer.hits import SearchHit

from tests.conftest import CORPORA  # noqa: E402  (one definition: ../shared/corpora or COVE_CORPORA)
SQUAD = CORPORA / "qa" / "squad-v1.1" / "dev-v1.1.json"


@pytest.fixture(autouse=True)
def cove_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "cove-data"
    monkeypatch.setenv("COVE_DATA_DIR", str(data))
    monkeypatch.setenv("COVE_CONFIG_DIR", str(tmp_path / "cove-config"))
    return data


@pytest.fixture(scope="session")
def bundled_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COVE_DATA_DIR", str(tmp_path_factory.mktemp("model-data")))
        from app.models.bundled_model import bundled_model_path

        return bundled_model_path()


def _load(path: Path, **kwargs):
    pytest.importorskip("llama_cpp")
    from app.models.llm import LocalLLM

    return LocalLLM(path, **kwargs)


@pytest.fixture(scope="session")
def llm(bundled_path: Path):
    model = _load(bundled_path, n_ctx=2048)
    yield model
    model.close()


@pytest.fixture(scope="session")
def small_llm(bundled_path: Path):
    """n_ctx=512, to make context budgeting bite."""
    model = _load(bundled_path, n_ctx=512)
    yield model
    model.close()


@pytest.fixture(scope="session")
def small_chat_llm(bundled_path: Path):
    """The bundled model forced into chat style, to exercise chat-template budgeting."""
    model = _load(bundled_path, n_ctx=512, prompt_style="chat")
    yield model
    model.close()


@lru_cache(maxsize=1)
def _squad() -> dict[str, list[dict]]:
    if not SQUAD.exists():
        from tests.conftest import corpus

        corpus("qa", "squad-v1.1", "dev-v1.1.json")  # skips, or fails under CI
    data = json.loads(SQUAD.read_text("utf-8"))["data"]
    return {a["title"]: a["paragraphs"] for a in data}


def squad_paragraph(title: str, contains: str) -> str:
    """The first paragraph of a SQuAD article containing a phrase (real text, stable choice)."""
    for p in _squad()[title]:
        if contains in p["context"]:
            return p["context"]
    raise LookupError(f"{title!r} has no paragraph containing {contains!r}")


def make_hit(text: str, *, title: str = "Notes", path: str = "/docs/notes.txt", similarity: float = 0.6,
             n: int = 0, **extra) -> SearchHit:
    return SearchHit(chunk_id=f"c{n}", doc_id=f"d{n}", ordinal=n, path=path, title=title,
                     kind=extra.pop("kind", "text"), text=text, score=1.0 / (60 + n), similarity=similarity,
                     **extra)


class FakeRetriever:
    """Returns its hits (best first) for any query, and remembers what it was asked."""

    def __init__(self, hits: list[SearchHit]) -> None:
        self.hits = hits
        self.queries: list[str] = []

    def search(self, query: str, k: int, *, scope: list[str] | None = None,
               email_only: bool = False, weak_below: float | None = None) -> list[SearchHit]:
        self.queries.append(query)
        self.weak_below = weak_below
        return self.hits[:k]


@pytest.fixture
def newcastle_hits() -> list[SearchHit]:
    """[1] holds the answer to "What is the dialect of Newcastle known as?" (Geordie); [2], [3] do not."""
    return [
        make_hit(squad_paragraph("Newcastle_upon_Tyne", "Geordie"), title="Newcastle upon Tyne",
                 path="/docs/newcastle.txt", similarity=0.62, n=1),
        make_hit(squad_paragraph("Oxygen", "diatomic"), title="Oxygen", path="/docs/oxygen.txt",
                 similarity=0.12, n=2),
        make_hit(squad_paragraph("Normans", "Normandy"), title="Normans", path="/docs/normans.txt",
                 similarity=0.10, n=3),
    ]
