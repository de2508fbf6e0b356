"""Models already on this computer: fake Ollama / LM Studio / HF-cache / llamafile layouts in a temp HOME whose model
files are symlinks to the REAL bundled Gemma and SmolLM2 GGUFs. Discovery must read their headers correctly, never
write into those stores, recommend the instruct model, and `cove models` must list it and switch to it."""
from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import smollm2_path
from tests.model_store_layouts import (fake_home, hf_model, lmstudio_model, ollama_model, snapshot,
                                       tiny_gguf)

GEMMA_SHA = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"


@pytest.fixture(scope="session")
def smol_path() -> Path:
    return smollm2_path()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return fake_home(tmp_path, monkeypatch)


@pytest.fixture
def shipped_path(bundled_path: Path) -> Path:
    """The bundled Gemma as its package ships it (Q4_K_M), assembled beside the re-encoded file Cove loads."""
    from app.models.bundled_model import _package

    path = bundled_path.with_name(_package().MODEL_NAME)
    assert path.is_file(), path
    return path


@pytest.fixture
def stores(home: Path, shipped_path: Path, smol_path: Path) -> dict[str, Path]:
    """Ollama holds SmolLM2 (instruct), LM Studio holds Gemma 3 (base)."""
    from app.models.bundled_smollm2 import EXPECTED_SHA256

    return {
        "ollama": ollama_model(home, smol_path, "smollm2", "135m", EXPECTED_SHA256),
        "lmstudio": lmstudio_model(home, shipped_path, "lmstudio-community", "gemma-3-270m-GGUF",
                                   "gemma-3-270m-Q4_K_M.gguf"),
    }


def _by_source(cat: Any) -> dict[str, Any]:
    return {e.source: e for e in cat.entries}


def test_finds_ollama_and_lmstudio_models_with_header_details(stores: dict[str, Path], smol_path: Path,
                                                              shipped_path: Path) -> None:
    from app.models.catalog import build_catalog
    from app.settings import Settings

    cat = build_catalog(Settings.load(), include_bundled=False, available=8_000_000_000)
    found = _by_source(cat)
    assert set(found) == {"ollama", "lmstudio"}, cat.entries
    smol, gemma = found["ollama"], found["lmstudio"]
    assert smol.name == smol.store_label == "smollm2:135m" and smol.path == str(stores["ollama"])
    assert smol.gguf_name.startswith("Smollm2 135M")  # the header's general.name
    assert smol.real_path == str(smol_path.resolve())
    assert (smol.architecture, smol.quant, smol.context_length, smol.chat) == ("llama", "Q4_1", 8192, True)
    assert (smol.params, smol.params_count, smol.size_bytes) == ("135M", 135_000_000, smol_path.stat().st_size)
    assert gemma.store_label == "lmstudio-community/gemma-3-270m-GGUF"
    assert (gemma.architecture, gemma.quant, gemma.context_length, gemma.chat) == ("gemma3", "Q4_K_M", 32768, False)
    assert gemma.params == "270M" and gemma.real_path == str(shipped_path.resolve())
    assert smol.usable and gemma.usable
    # the memory estimate is the file plus a KV cache for the configured context: more than the file, far below 1 GB
    assert smol.size_bytes < smol.needed_bytes < 1_000_000_000


def test_discovery_writes_nothing_into_the_stores(stores: dict[str, Path], home: Path, smol_path: Path,
                                                  shipped_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main

    before = snapshot(home)
    targets = {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in (smol_path, shipped_path)}
    assert main(["models"]) == 0 and main(["models", "--json"]) == 0
    capsys.readouterr()
    assert snapshot(home) == before
    assert {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in targets} == targets


def test_recommends_the_instruct_model_that_fits(stores: dict[str, Path]) -> None:
    from app.models.catalog import build_catalog
    from app.settings import Settings

    cat = build_catalog(Settings.load(), include_bundled=False, available=8_000_000_000)
    assert cat.recommended is not None
    best = cat.entries[cat.recommended]
    assert best.source == "ollama" and best.chat and best.recommended
    assert "fits" in cat.recommendation and "\n" not in cat.recommendation
    # with too little free memory (the model plus the 1.5 GB reserve does not fit) nothing is recommended
    tight = build_catalog(Settings.load(), include_bundled=False, available=best.needed_bytes + 1_000_000_000)
    assert tight.recommended is None and "None of the 1 instruct models fits" in tight.recommendation
    assert not any(e.recommended for e in tight.entries)


def test_prefers_the_larger_instruct_model_among_those_that_fit() -> None:
    from app.models.catalog import RESERVE_BYTES, ModelEntry, recommend

    def entry(name: str, count: int, need: int, chat: bool = True) -> ModelEntry:
        return ModelEntry(source="ollama", name=name, path=name, real_path=name, size_bytes=need // 2, params="",
                          params_count=count, quant="Q4_K_M", context_length=8192, chat=chat, architecture="llama",
                          usable=True, needed_bytes=need, fits=need + RESERVE_BYTES <= 6_000_000_000)

    entries = [entry("small", 500_000_000, 700_000_000), entry("base-big", 3_000_000_000, 2_000_000_000, chat=False),
               entry("mid", 3_000_000_000, 2_500_000_000), entry("huge", 8_000_000_000, 5_500_000_000)]
    best, why = recommend(entries, 6_000_000_000, 4096)
    assert entries[best].name == "mid" and why.startswith("mid")


def test_hf_cache_snapshot_and_duplicates_are_one_model(home: Path, smol_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from app.models.bundled_smollm2 import EXPECTED_SHA256
    from app.models.stores import find_models

    hf = hf_model(home, smol_path, "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF", "smollm2-135m-instruct-q4_1.gguf")
    found, searched = find_models()
    assert [(f.source, f.label, f.path) for f in found] == [
        ("huggingface", "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF", hf)]
    # the same file again in Ollama and in an HF_HUB_CACHE elsewhere: still listed once (by real path)
    ollama_model(home, smol_path, "smollm2", "latest", EXPECTED_SHA256)
    monkeypatch.setenv("HF_HUB_CACHE", str(home / ".cache" / "huggingface" / "hub"))
    found, searched = find_models()
    assert [f.source for f in found] == ["ollama"]
    assert any(s.source == "huggingface" and s.exists for s in searched)


def test_bundled_models_are_listed_first_and_store_copies_of_them_are_not_repeated(
        home: Path, bundled_path: Path, smol_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.models.catalog import build_catalog
    from app.settings import Settings

    lmstudio_model(home, smol_path, "bartowski", "SmolLM2-135M-Instruct-GGUF", "SmolLM2-135M-Instruct-Q4_1.gguf")
    cat = build_catalog(Settings.load(), available=8_000_000_000)
    assert [(e.source, e.name) for e in cat.entries] == [("bundled", "Gemma 3 270M"),
                                                        ("bundled", "SmolLM2 135M Instruct")]
    assert cat.entries[0].configured and not cat.entries[1].configured  # model_path "" = the bundled default
    assert cat.recommended is None  # bundled models are the defaults, not recommendations


def test_unusable_files_are_listed_with_a_reason_and_later_shards_are_not(home: Path) -> None:
    from app.models.catalog import build_catalog
    from app.settings import Settings

    pub = home / ".lmstudio" / "models" / "nomic-ai" / "nomic-embed-text-v1.5-GGUF"
    tiny_gguf(pub / "nomic-embed-text-v1.5.Q4_K_M.gguf", {"general.architecture": "nomic-bert",
                                                          "general.name": "nomic-embed-text-v1.5"})
    tiny_gguf(pub / "mmproj-model-f16.gguf", {"general.architecture": "clip", "general.type": "mmproj"})
    (pub / "broken.gguf").write_bytes(b"not a model at all")
    split = home / ".lmstudio" / "models" / "someone" / "Big-GGUF"
    for i in (1, 2):
        tiny_gguf(split / f"big-0000{i}-of-00002.gguf", {"general.architecture": "llama", "general.name": "Big",
                                                         "tokenizer.chat_template": "{{ x }}",
                                                         "llama.context_length": 4096})
    (home / "Downloads").mkdir()
    llamafile = home / "Downloads" / "mistral-7b-instruct.llamafile"
    llamafile.write_bytes(b"MZqFpD='\n" + b"\0" * 64)  # a program first, then a zip with the weights appended
    inner = tiny_gguf(home / "inner.gguf", {"general.architecture": "llama"})
    with zipfile.ZipFile(llamafile, "a", compression=zipfile.ZIP_STORED) as archive:
        archive.write(inner, "mistral-7b-instruct-v0.2.Q4_K_M.gguf")
    inner.unlink()
    (home / "bare.llamafile").write_bytes(b"MZqFpD='\n")
    cat = build_catalog(Settings.load(), include_bundled=False, available=8_000_000_000)
    by_name = {Path(e.path).name: e for e in cat.entries}
    assert "big-00002-of-00002.gguf" not in by_name
    big = by_name["big-00001-of-00002.gguf"]
    assert big.usable and big.chat and big.size_bytes == sum(p.stat().st_size for p in split.iterdir())
    assert "embedding model" in by_name["nomic-embed-text-v1.5.Q4_K_M.gguf"].reason
    assert "vision projector" in by_name["mmproj-model-f16.gguf"].reason
    assert "not a readable GGUF" in by_name["broken.gguf"].reason
    lf = by_name["mistral-7b-instruct.llamafile"]
    assert lf.source == "llamafile" and not lf.usable and "never extracts" in lf.reason
    assert (lf.name, lf.quant) == ("mistral-7b-instruct-v0.2.Q4_K_M", "Q4_K_M")  # from the zip's directory
    assert not by_name["bare.llamafile"].usable and by_name["bare.llamafile"].name == "bare.llamafile"
    assert [e.usable for e in cat.entries] == sorted((e.usable for e in cat.entries), reverse=True)  # usable first
    assert cat.recommended is not None and cat.entries[cat.recommended].name == "Big"


def test_cove_models_json_lists_them_and_use_sets_model_path(stores: dict[str, Path], bundled_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main
    from app.settings import Settings

    monkeypatch.setattr("app.models.catalog.bundled_models", lambda assemble=True: [])  # the stores hold the two
    assert main(["models", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"models", "recommended", "recommendation", "memory", "configured", "searched", "provenance"}
    rows = {m["source"]: m for m in doc["models"]}
    assert rows["ollama"]["chat"] is True and rows["lmstudio"]["chat"] is False
    assert rows["ollama"]["name"] and rows["ollama"]["quant"] == "Q4_1" and rows["ollama"]["context_length"] == 8192
    assert doc["recommended"] == rows["ollama"]["n"] and rows["ollama"]["recommended"] is True
    assert doc["memory"]["available_bytes"] > 0 and doc["configured"] == ""
    assert {p["key"] for p in doc["provenance"]} == {"gemma", "smollm2"}
    assert any(s["source"] == "ollama" and s["exists"] and s["found"] == 1 for s in doc["searched"])

    assert main(["models", "--use", str(rows["ollama"]["n"])]) == 0
    assert "Cove now answers with" in capsys.readouterr().out
    assert Settings.load().get("model_path") == str(stores["ollama"])
    assert main(["models", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [m["source"] for m in doc["models"] if m["configured"]] == ["ollama"]
    assert main(["models", "--use", str(stores["lmstudio"])]) == 0
    assert Settings.load().get("model_path") == str(stores["lmstudio"])
    assert main(["models", "--use", "99"]) == 2
    assert "there is no model 99" in capsys.readouterr().err


def test_use_refuses_an_unusable_file(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main
    from app.settings import Settings

    emb = tiny_gguf(home / ".lmstudio" / "models" / "x" / "y" / "embed.gguf", {"general.architecture": "bert"})
    assert main(["models", "--use", str(emb)]) == 2
    assert "embedding model" in capsys.readouterr().err
    assert Settings.load().get("model_path") == ""


def test_use_with_the_bundled_default_resets_model_path(bundled_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main
    from app.settings import Settings

    s = Settings.load()
    s.set("model_path", "/somewhere/else.gguf")
    s.save()
    assert main(["models", "--use", "1"]) == 0
    assert Settings.load().get("model_path") == ""
    assert os.path.exists(bundled_path)


@pytest.mark.slow
def test_a_discovered_ollama_blob_loads_and_answers_as_a_chat_model(stores: dict[str, Path]) -> None:
    """Ollama's blobs have no .gguf name; the path `--use` stores must still load through the product's LocalLLM."""
    pytest.importorskip("llama_cpp")
    from app.models.llm import LocalLLM
    from app.models.catalog import build_catalog
    from app.settings import Settings

    entry = next(e for e in build_catalog(Settings.load(), include_bundled=False).entries if e.source == "ollama")
    llm = LocalLLM(entry.path, n_ctx=512)
    try:
        assert llm.is_chat and llm.info.context_length == entry.context_length
        answer = llm.complete([{"role": "user", "content": "What is the capital of France? Answer with one word."}],
                              max_tokens=24)
        assert "Paris" in answer
    finally:
        llm.close()


def test_gpt4all_jan_downloads_and_env_overrides_are_searched(home: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from app.models.stores import find_models

    meta = {"general.architecture": "llama", "tokenizer.chat_template": "{{ x }}"}
    xdg = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(xdg))
    tiny_gguf(xdg / "nomic.ai" / "GPT4All" / "Llama-3.2-1B-Instruct-Q4_0.gguf", meta)
    tiny_gguf(home / ".local" / "share" / "nomic.ai" / "GPT4All" / "not-here.gguf", meta)  # XDG moved it
    tiny_gguf(home / "jan" / "models" / "tinyllama" / "tinyllama-1.1b.Q4_K_M.gguf", meta)
    tiny_gguf(xdg / "Jan" / "data" / "llamacpp" / "models" / "qwen3-0.6b" / "model.gguf", meta)
    tiny_gguf(home / "Downloads" / "phi-3-mini.Q4_K_M.gguf", meta)
    elsewhere = tmp_path / "big-disk" / "ollama"
    monkeypatch.setenv("OLLAMA_MODELS", str(elsewhere))
    blob = tiny_gguf(tmp_path / "blob.gguf", meta)
    ollama_model(elsewhere.parent, blob, "qwen3", "0.6b", "c" * 64)  # lays out <parent>/.ollama/models …
    (elsewhere.parent / ".ollama" / "models").rename(elsewhere)
    found, _ = find_models()
    got = {(f.source, f.label) for f in found}
    assert got == {("ollama", "qwen3:0.6b"), ("gpt4all", "Llama-3.2-1B-Instruct-Q4_0.gguf"),
                   ("jan", "tinyllama"), ("jan", "qwen3-0.6b"), ("downloads", "phi-3-mini.Q4_K_M.gguf")}, got


def test_the_walk_is_bounded_and_survives_a_folder_link_loop(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.models import stores as model_stores

    pub = home / ".lmstudio" / "models" / "pub"
    for i in range(6):
        tiny_gguf(pub / f"repo{i}" / f"m{i}.gguf", {"general.architecture": "llama"})
    (pub / "repo0" / "loop").symlink_to(pub)  # a link back up the tree
    tiny_gguf(home / ".lmstudio" / "models" / "a" / "b" / "c" / "too-deep.gguf", {"general.architecture": "llama"})
    monkeypatch.setattr(model_stores, "MAX_PER_STORE", 4)
    found, searched = model_stores.find_models()
    assert len(found) == 4 and all(f.source == "lmstudio" for f in found)
    assert "too-deep.gguf" not in {f.path.name for f in found}
    assert next(s for s in searched if s.source == "lmstudio" and s.exists).found == 4
