"""The model picker lists the models other apps keep on this computer (fake Ollama and LM Studio stores in a temp
HOME, symlinked to the real bundled Gemma and SmolLM2), stars the recommended instruct model, and switches to a model
with one click on its Use button."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.conftest import smollm2_path
from tests.gui.conftest import make_settings
from tests.model_store_layouts import fake_home, lmstudio_model, ollama_model, snapshot

pytestmark = pytest.mark.gui


@pytest.fixture
def stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, session_dir: Path) -> dict[str, Path]:
    from app.models.bundled_smollm2 import EXPECTED_SHA256

    smol = smollm2_path()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COVE_DATA_DIR", str(session_dir / "model-data"))
        from app.models.bundled_model import bundled_model_path

        gemma = bundled_model_path()
    home = fake_home(tmp_path, monkeypatch)
    monkeypatch.setattr("app.models.catalog.bundled_models", lambda assemble=True: [])  # the stores hold them
    return {"home": home,
            "ollama": ollama_model(home, smol, "smollm2", "135m", EXPECTED_SHA256),
            "lmstudio": lmstudio_model(home, gemma, "lmstudio-community", "gemma-3-270m-GGUF", "gemma-3-270m.gguf")}


def test_picker_lists_discovered_models_and_uses_one_in_one_click(qtbot: Any, tmp_path: Path,
                                                                  stores: dict[str, Path]) -> None:
    from app.gui.model_picker import ModelPicker

    before = snapshot(stores["home"])
    settings = make_settings(tmp_path)
    picker = ModelPicker(settings)
    qtbot.addWidget(picker)
    qtbot.waitUntil(lambda: picker.catalog is not None, timeout=30_000)
    items = {picker.combo.itemData(i): picker.combo.itemText(i) for i in range(picker.combo.count())}
    assert items[""] == "Gemma 3 270M (bundled)"
    assert items[str(stores["ollama"])].startswith("★ ") and items[str(stores["ollama"])].endswith("(Ollama)")
    assert "Q4_1" in items[str(stores["ollama"])] and "135M" in items[str(stores["ollama"])]
    assert items[str(stores["lmstudio"])].endswith("(LM Studio)") and "★" not in items[str(stores["lmstudio"])]

    picker.show_models()
    dialog = picker.dialog
    qtbot.waitUntil(dialog.isVisible)
    table = dialog.table
    names = [table.item(r, 1).text() for r in range(table.rowCount())]
    assert len(names) == 2 and "recommended" in names[0]
    assert [table.item(r, 6).text() for r in range(table.rowCount())] == ["yes", "no"]  # instruct column
    assert dialog.recommendation.text().startswith("★ ") and "fits" in dialog.recommendation.text()

    with qtbot.waitSignal(picker.model_chosen, timeout=5_000) as chosen:
        qtbot.mouseClick(dialog.buttons[0], Qt.MouseButton.LeftButton)  # one click
    assert chosen.args == [str(stores["ollama"])]
    assert settings.get("model_path") == str(stores["ollama"])
    assert not dialog.isVisible()
    assert picker.combo.currentData() == str(stores["ollama"])
    qtbot.waitUntil(lambda: picker.catalog.entries[0].configured, timeout=30_000)  # "In use" moved
    assert snapshot(stores["home"]) == before  # nothing written into the other apps' folders
