"""The int8 ONNX file of the bundled all-MiniLM-L6-v2, made on this machine from the bundled weights, never downloaded.

Recipe (measured on this project's 2-core AMD EPYC, real chunks of the docs + pdf corpora, tests/benchmarks/
bench_embedder.py): `torch.onnx.export` of BERT + mean pooling + L2 normalisation (so the graph returns the same
sentence vector as the torch encoder), then `onnxruntime.quantization.quantize_dynamic` of the MatMul weights to
signed int8 **per output channel**. Per-tensor int8 lost too much (cosine to torch down to 0.83 on some chunks);
per-channel keeps every real chunk ≥ 0.98 (mean 0.993). The embedding tables (Gather) are int8 too: same quality,
and the file is 23 MB instead of 58 MB (less to hash at load, less resident memory). Unsigned weights (u8u8) were
1.5x slower than s8; ORT's BERT fusion before quantising ran no faster than the session's own fusions.
optimum is not used: it would add a dependency tree for a two-call recipe.

The file lives in the data dir (`<data>/models/`), never in site-packages, beside a manifest holding the sha256 of
the weights it came from and of itself. Every load checks the file's hash (a damaged or swapped file is re-made),
and a changed source (size or mtime) is re-hashed and re-exported if its content changed.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

RECIPE = "minilm-l6-meanpool-norm/opset17/dynamic-int8-s8-per-channel-matmul-gather/v1"
ONNX_NAME = "all-MiniLM-L6-v2.int8.onnx"
MANIFEST_NAME = "all-MiniLM-L6-v2.int8.json"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _source_weights(model_dir: Path) -> Path:
    return model_dir / "model.safetensors"


def _read_manifest(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def cached_model_ok(cache_dir: Path, model_dir: Path) -> bool:
    """True when the cached int8 file exists, has the hash its manifest records, and was made by this recipe from
    these weights. Cost: hashing 23 MB (~20 ms); the 90 MB source is re-hashed only if its size or mtime changed."""
    onnx_path, manifest = cache_dir / ONNX_NAME, _read_manifest(cache_dir / MANIFEST_NAME)
    if not onnx_path.is_file() or manifest.get("recipe") != RECIPE:
        return False
    src = _source_weights(model_dir)
    st = src.stat()
    if (manifest.get("source_size"), manifest.get("source_mtime")) != (st.st_size, st.st_mtime):
        if manifest.get("source_sha256") != sha256_file(src):
            return False
    return manifest.get("onnx_sha256") == sha256_file(onnx_path)


def ensure_int8_model(cache_dir: Path, model_dir: Path) -> Path:
    """The path of a verified int8 ONNX file in `cache_dir`, exporting it first when missing, stale or damaged
    (~10 s once, needs torch + onnx; afterwards only onnxruntime is needed)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    if cached_model_ok(cache_dir, model_dir):
        return cache_dir / ONNX_NAME
    log.warning("preparing the int8 ONNX embedder from the bundled weights (once, about 10 s)")
    src = _source_weights(model_dir)
    st = src.stat()
    with tempfile.TemporaryDirectory(prefix=".onnx-export-", dir=cache_dir) as tmp:
        fp32, int8 = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        export_fp32(model_dir, fp32)
        quantize_int8(fp32, int8)
        manifest = {"recipe": RECIPE, "source": str(src), "source_size": st.st_size, "source_mtime": st.st_mtime,
                    "source_sha256": sha256_file(src), "onnx_sha256": sha256_file(int8)}
        os.replace(int8, cache_dir / ONNX_NAME)  # the file first, then the manifest that vouches for it
        tmp_manifest = Path(tmp) / "manifest.json"
        tmp_manifest.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        os.replace(tmp_manifest, cache_dir / MANIFEST_NAME)
    return cache_dir / ONNX_NAME


def export_fp32(model_dir: Path, out: Path) -> None:
    """BERT → mean pooling over the attention mask → L2 normalisation, exactly as sentence-transformers' Pooling
    (mean, clamp 1e-9) and Normalize (eps 1e-12) modules do, in one graph with dynamic batch and sequence axes."""
    import torch
    from transformers import AutoModel

    # eager attention: the SDPA mask path of transformers 5 holds Python branches on shapes that tracing would freeze
    bert = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class SentenceVector(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    names = ["input_ids", "attention_mask", "token_type_ids"]
    dummy = tuple(torch.ones(2, 16, dtype=torch.long) for _ in names)
    import warnings

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(SentenceVector().eval(), dummy, str(out), input_names=names,
                          output_names=["sentence_embedding"], opset_version=17, dynamo=False,
                          dynamic_axes={**{n: {0: "batch", 1: "sequence"} for n in names},
                                        "sentence_embedding": {0: "batch"}})


def quantize_int8(fp32: Path, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))  # quiet its "consider pre-processing" hint, for this call only
    try:
        quantize_dynamic(str(fp32), str(out), op_types_to_quantize=["MatMul", "Gather"], per_channel=True,
                         weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)
