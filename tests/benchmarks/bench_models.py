"""Model discovery benchmark (run on purpose, not collected by pytest): how long `cove models` takes to find and
describe the models of a well-stocked computer, with the header cache cold and warm.

    .venv/bin/python tests/benchmarks/bench_models.py [--models 20]

Builds a temp HOME with Ollama, LM Studio and Hugging Face cache layouts holding `--models` distinct real GGUF
files (hard links of one copy each of the bundled Gemma 3 270M, 262k-token vocabulary, and SmolLM2, 49k), so every
header is really parsed. Prints a Markdown table and the load average.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from tests.benchmarks.scratch import scratch_dir  # noqa: E402
TMP = Path(scratch_dir(prefix="cove-bench-models-"))
os.environ["COVE_DATA_DIR"] = str(TMP / "data")
os.environ["COVE_CONFIG_DIR"] = str(TMP / "config")
os.environ["HOME"] = str(TMP / "home")
for _name in ("OLLAMA_MODELS", "HF_HOME", "HF_HUB_CACHE", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
    os.environ.pop(_name, None)

import app  # noqa: E402,F401  (privacy guard + offline switches, as in production)
from tests.model_store_layouts import hf_model, lmstudio_model, ollama_model, sha256_of  # noqa: E402


def build_home(n: int) -> None:
    from app.models.bundled_model import bundled_model_path
    from app.models.bundled_smollm2 import installed_path

    home = Path(os.environ["HOME"])
    home.mkdir()
    originals = [TMP / "gemma.gguf", TMP / "smol.gguf"]
    shutil.copy(bundled_model_path(), originals[0])
    shutil.copy(installed_path(), originals[1])
    digests = [sha256_of(p) for p in originals]
    for i in range(n):
        src = originals[i % 2]
        link = TMP / "files" / f"model-{i}.gguf"  # a hard link: a distinct path, so not de-duplicated
        link.parent.mkdir(exist_ok=True)
        os.link(src, link)
        if i % 3 == 0:
            ollama_model(home, link, f"model{i}", "latest", f"{digests[i % 2][:60]}{i:04d}")
        elif i % 3 == 1:
            lmstudio_model(home, link, "publisher", f"repo-{i}-GGUF", f"model-{i}.Q4.gguf")
        else:
            hf_model(home, link, f"org/repo-{i}-GGUF", f"model-{i}.gguf")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=20)
    args = parser.parse_args()
    try:
        build_home(args.models)
        from app.models.catalog import build_catalog
        from app.settings import Settings

        settings = Settings.load()
        t = time.perf_counter()
        cat = build_catalog(settings)
        cold = time.perf_counter() - t
        t = time.perf_counter()
        build_catalog(settings)
        warm = time.perf_counter() - t
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "app.cli", "models", "--json"], cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL)
        cli = time.perf_counter() - t
        found = sum(e.source != "bundled" for e in cat.entries)
        print(f"| discovery ({found} store models + {len(cat.entries) - found} bundled) | ms |")
        print("|---|---|")
        print(f"| catalog, header cache cold | {cold * 1000:.0f} |")
        print(f"| catalog, header cache warm | {warm * 1000:.0f} |")
        print(f"| `cove models --json` (new process, warm cache) | {cli * 1000:.0f} |")
        print(f"\nload average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
