"""Re-encode a GGUF into another llama.cpp weight type, run as a child process (`python -m app.models.requantize SRC
DST TYPE`) so that llama.cpp's per-tensor log lines and the conversion's memory stay out of the app.

Why the bundled Gemma is re-encoded at all: its Q4_K_M weights (q4_K / q5_0 / q6_K) take llama.cpp's slow path
for prompt evaluation on AVX2 CPUs, and prompt evaluation is almost all of the time to first token (300-token
prompts). Measured on this 2-core machine (/work/notes/b14/pp_quant.py, 320-token prompt, 2 threads, median of 10,
two interleaved rounds; then 40 generated tokens):

| weights | prompt, 320 tokens | 40 tokens generated | file |
|---|---:|---:|---:|
| Q4_K_M (as shipped) | 978 / 750 ms | 764 / 589 ms | 253 MB |
| Q8_0 | 857 / 744 ms | 703 / 734 ms | 292 MB |
| F16, token embeddings kept Q8_0 | 674 / 559 ms | 909 / 764 ms | 386 MB |
| F16 | 681 / 596 ms | 1,120 / 1,074 ms | 543 MB |
| Q4_0 | 769 / 628 ms | 645 / 582 ms | 241 MB |

Q4_0 re-quantises 4-bit weights again (lossy); Q8_0 and F16 hold the Q4_K_M weights almost exactly (8 bits per
weight per 32-block, or 11-bit mantissas, against 4-6 bits), so answers stay those of the same model — which one
Cove uses, and its answer quality, is in app/models/bundled_model.py."""
from __future__ import annotations

import ctypes
import sys

TYPES = {"Q8_0": 7, "F16": 1}  # llama.cpp LLAMA_FTYPE_MOSTLY_*
GGML_Q8_0 = 8  # ggml_type of the token-embedding table when it is to stay 8-bit


def requantize(source: str, target: str, ftype: str, keep_embeddings_q8: bool = False) -> None:
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = TYPES[ftype]
    params.allow_requantize = True
    params.nthread = 2
    if keep_embeddings_q8:
        params.token_embedding_type = GGML_Q8_0
    rc = llama_cpp.llama_model_quantize(source.encode(), target.encode(), ctypes.byref(params))
    if rc != 0:
        raise SystemExit(f"llama.cpp could not re-encode {source} as {ftype} (code {rc})")


def main(argv: list[str]) -> int:
    src, dst, kind = argv[:3]
    requantize(src, dst, kind, keep_embeddings_q8="--keep-embeddings-q8" in argv[3:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
