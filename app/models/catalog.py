"""Every model Cove can offer: the bundled ones and the GGUFs other apps already put on this computer
(app.models.stores), each described from its GGUF header (never loaded), plus one recommendation: the largest instruct
model (one with a chat template) that fits in free memory. Shared by `cove models` and the GUI's model picker.

Memory a model needs, roughly: the file (llama.cpp maps all of it), the KV cache for the context Cove will use
(2 x layers x n_ctx x kv_heads x head_dim x 2 bytes, f16), and compute buffers. Measured with LocalLLM, RSS growth
after load and a short generation (tests/benchmarks none; `free` showed 23 GB available, load average ~4):
  SmolLM2-135M Q4_1 (98 MB):  n_ctx 2048 171 MB, 4096 218 MB, 8192 313 MB  (KV formula: 47 / 94 / 189 MB)
  Gemma 3 270M Q4_K_M (253 MB): n_ctx 2048 355 MB, 4096 393 MB, 8192 468 MB  (KV formula: 38 / 75 / 151 MB)
so file + KV leaves 26-65 MB of buffers; OVERHEAD below (100 MB + 10 % of the file) covers that with room for
larger models' bigger compute buffers. RESERVE is what must stay free for the rest of the machine."""
from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from app.models.stores import Found, Searched, find_models

if TYPE_CHECKING:
    from app.settings import Settings

RESERVE_BYTES = 1_500_000_000
OVERHEAD_BYTES = 100_000_000
OVERHEAD_FRACTION = 0.10
# Not chat models: sentence-embedding and encoder-only architectures (llama.cpp names).
EMBEDDING_ARCHS = frozenset({"bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "jina-bert-v3", "modern-bert",
                             "neo-bert", "t5encoder", "clip"})
# Bits per weight of llama.cpp's quantisation types (llama.cpp's quantize table; K-quant mixes as published there).
BITS_PER_WEIGHT = {
    "F32": 32.0, "F16": 16.0, "BF16": 16.0, "Q8_0": 8.5, "Q6_K": 6.56, "Q5_1": 6.0, "Q5_K_M": 5.69, "Q5_K_S": 5.54,
    "Q5_0": 5.5, "Q4_1": 5.0, "Q4_K_M": 4.89, "Q4_K_S": 4.58, "Q4_0": 4.5, "IQ4_NL": 4.5, "IQ4_XS": 4.25,
    "MXFP4_MOE": 4.25, "Q3_K_L": 4.27, "Q3_K_M": 3.91, "IQ3_M": 3.66, "Q3_K_S": 3.5, "IQ3_S": 3.44, "IQ3_XS": 3.3,
    "IQ3_XXS": 3.06, "Q2_K": 2.96, "Q2_K_S": 2.96, "IQ2_M": 2.7, "IQ2_S": 2.5, "IQ2_XS": 2.31, "IQ2_XXS": 2.06,
    "TQ2_0": 2.06, "IQ1_M": 1.75, "TQ1_0": 1.69, "IQ1_S": 1.56,
}
_SPLIT = re.compile(r"^(?P<stem>.*)-(?P<i>\d{5})-of-(?P<n>\d{5})\.gguf$", re.IGNORECASE)
_SIZE_LABEL = re.compile(r"^(?:(?P<experts>\d+)x)?(?P<n>\d+(?:\.\d+)?)(?P<unit>[KMBT])$", re.IGNORECASE)
_UNITS = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
_CACHE_FILE = "discovered-headers.json"
_CACHE_VERSION = 1


@dataclass(frozen=True)
class ModelEntry:
    """One model as listed by `cove models --json` (the README documents this shape)."""

    source: str  # bundled | ollama | lmstudio | gpt4all | jan | huggingface | llamafile | downloads | file
    name: str  # Ollama's tag ("llama3.2:3b") for Ollama models, Cove's label for bundled ones, else gguf_name
    path: str  # what model_path is set to when chosen (as found; may be a symlink)
    real_path: str
    size_bytes: int
    params: str  # "135M", or "~1.6B" when estimated from size and quantisation
    params_count: int  # 0 when unknown
    quant: str
    context_length: int
    chat: bool  # has a chat template: an instruct model
    architecture: str
    usable: bool
    reason: str = ""  # why not usable
    store_label: str = ""  # the store's own name ("llama3.2:3b")
    needed_bytes: int = 0  # memory estimate at the configured n_ctx
    fits: bool = True
    recommended: bool = False
    configured: bool = False
    gguf_name: str = ""  # general.name from the header

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Catalog:
    """Frozen, so the GUI can hand it from its discovery thread to widgets."""

    entries: tuple[ModelEntry, ...]
    recommended: int | None  # index into entries
    recommendation: str  # one line: which and why (or why none)
    available_bytes: int | None
    n_ctx: int
    configured_path: str  # the model_path setting ("" = bundled default)
    searched: tuple[Searched, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        from app.models.provenance import BUNDLED

        return {
            "models": [{"n": i, **e.as_dict()} for i, e in enumerate(self.entries, 1)],
            "recommended": None if self.recommended is None else self.recommended + 1,
            "recommendation": self.recommendation,
            "memory": {"available_bytes": self.available_bytes, "reserve_bytes": RESERVE_BYTES, "n_ctx": self.n_ctx},
            "configured": self.configured_path,
            "searched": [s.as_dict() for s in self.searched],
            "provenance": [p.as_dict() for p in BUNDLED],
        }


# memory --------------------------------------------------------------------------------------------------------
def available_memory() -> int | None:
    """Bytes the OS could give a new process now: MemAvailable on Linux, ullAvailPhys on Windows, else free pages."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    if os.name == "nt":
        try:
            import ctypes

            class _Status(ctypes.Structure):
                _fields_ = [("dwLength", ctypes.c_ulong), ("dwMemoryLoad", ctypes.c_ulong),
                            ("ullTotalPhys", ctypes.c_ulonglong), ("ullAvailPhys", ctypes.c_ulonglong),
                            ("ullTotalPageFile", ctypes.c_ulonglong), ("ullAvailPageFile", ctypes.c_ulonglong),
                            ("ullTotalVirtual", ctypes.c_ulonglong), ("ullAvailVirtual", ctypes.c_ulonglong),
                            ("ullAvailExtendedVirtual", ctypes.c_ulonglong)]

            status = _Status()
            status.dwLength = ctypes.sizeof(_Status)
            if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):  # type: ignore[attr-defined]
                return int(status.ullAvailPhys)
        except (OSError, AttributeError):
            return None
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def _kv_bytes(meta: dict[str, object], arch: str, n_ctx: int, size: int) -> int:
    def num(key: str) -> int:
        value = meta.get(f"{arch}.{key}")
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0

    layers, heads, embed = num("block_count"), num("attention.head_count"), num("embedding_length")
    kv_heads = num("attention.head_count_kv") or heads
    k_dim = num("attention.key_length") or (embed // heads if heads else 0)
    v_dim = num("attention.value_length") or k_dim
    if not (layers and kv_heads and k_dim):
        return size // 4  # header lacks the shape (per-layer arrays): a conservative guess
    return layers * n_ctx * kv_heads * (k_dim + v_dim) * 2


def needed_memory(size: int, kv: int) -> int:
    return size + kv + OVERHEAD_BYTES + int(OVERHEAD_FRACTION * size)


# header summary ------------------------------------------------------------------------------------------------
def _params(meta: dict[str, object], size: int, quant: str) -> tuple[str, int]:
    label = str(meta.get("general.size_label") or "").strip()
    m = _SIZE_LABEL.match(label)
    if m:
        count = float(m["n"]) * _UNITS[m["unit"].upper()] * (int(m["experts"]) if m["experts"] else 1)
        return label, int(count)
    count = int(size * 8 / BITS_PER_WEIGHT.get(quant, 5.0))
    if count < 1_000_000:
        return "?", 0  # a header-only or broken file, not a model worth a size
    return "~" + _format_count(count), count


def _format_count(count: float) -> str:
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6)):
        if count >= scale:
            value = count / scale
            return f"{value:.1f}{unit}" if value < 10 else f"{value:.0f}{unit}"
    return f"{count / 1e3:.0f}K"


def _unusable_reason(meta: dict[str, object], arch: str, path: Path) -> str:
    kind = str(meta.get("general.type") or "")
    if kind == "mmproj" or arch == "clip" or "mmproj" in path.name.lower():
        return "vision projector (an add-on for a vision model, not a model on its own)"
    if kind == "adapter":
        return "LoRA adapter (an add-on, not a model on its own)"
    if arch in EMBEDDING_ARCHS or (f"{arch}.pooling_type" in meta and not meta.get("tokenizer.chat_template")):
        return f"embedding model ({arch}): it finds similar text but cannot write answers"
    return ""


def _split_parts(path: Path) -> tuple[int, int, list[Path]] | None:
    """(index, count, sibling paths) for `name-00001-of-00003.gguf`, else None."""
    m = _SPLIT.match(path.name)
    if not m:
        return None
    n = int(m["n"])
    siblings = [path.with_name(f"{m['stem']}-{i:05d}-of-{m['n']}.gguf") for i in range(1, n + 1)]
    return int(m["i"]), n, siblings


def _summarise(path: Path, real: Path) -> dict[str, Any] | None:
    """What the catalog needs from one file's header. None: a later shard of a split model (listed via the first)."""
    from app.models.llm import FILE_TYPES, GGUFError, read_gguf_metadata

    st = real.stat()
    out: dict[str, Any] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
    split = _split_parts(path)
    if split and split[0] != 1:
        return None
    try:
        meta = read_gguf_metadata(real)
    except (GGUFError, OSError, ValueError) as exc:
        return {**out, "usable": False, "reason": f"not a readable GGUF model ({exc})", "name": path.stem,
                "arch": "", "quant": "", "ctx": 0, "chat": False, "kv_per_token": 0, "params": ("?", 0)}
    arch = str(meta.get("general.architecture", "unknown"))
    ftype = meta.get("general.file_type")
    quant = FILE_TYPES.get(ftype, f"type {ftype}") if isinstance(ftype, int) else "unknown"
    size = st.st_size
    reason = _unusable_reason(meta, arch, path)
    if split:
        missing = [p.name for p in split[2] if not p.is_file()]
        if missing:
            reason = reason or f"split model with {len(missing)} of {split[1]} parts missing"
        size = sum(p.stat().st_size for p in split[2] if p.is_file())
    ctx = meta.get(f"{arch}.context_length", 0)
    return {**out, "usable": not reason, "reason": reason, "name": str(meta.get("general.name") or path.stem),
            "arch": arch, "quant": quant, "ctx": int(ctx) if isinstance(ctx, (int, float)) else 0,
            "chat": bool(meta.get("tokenizer.chat_template")), "total_size": size,
            "kv_per_token": _kv_bytes(meta, arch, 1, size), "params": _params(meta, size, quant)}


class _HeaderCache:
    """Header summaries remembered in the data dir by real path + size + mtime: reading a 262k-token vocabulary takes
    0.17 s per file (Gemma 3, load ~5), so a listing of twenty models would otherwise take seconds every time."""

    def __init__(self) -> None:
        from app.paths import models_dir

        self.path = models_dir() / _CACHE_FILE
        try:
            doc = json.loads(self.path.read_text("utf-8"))
            self.data: dict[str, Any] = doc["files"] if doc.get("version") == _CACHE_VERSION else {}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.data = {}
        self.used: dict[str, Any] = {}

    def get(self, path: Path, real: Path) -> dict[str, Any] | None:
        key = f"{real}|{path.name}"
        try:
            st = real.stat()
        except OSError:
            return None
        hit = self.data.get(key)
        if not (isinstance(hit, dict) and hit.get("size") == st.st_size and hit.get("mtime_ns") == st.st_mtime_ns
                and not _split_parts(path)):
            hit = _summarise(path, real)
        if hit is not None:
            self.used[key] = hit
        return hit

    def save(self) -> None:
        if self.used == self.data:
            return
        try:
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(json.dumps({"version": _CACHE_VERSION, "files": self.used}), "utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass  # a cache that cannot be written only costs time


def _entry(source: str, found_path: Path, real: Path, label: str, summary: dict[str, Any], n_ctx: int) -> ModelEntry:
    ctx_used = min(n_ctx, summary["ctx"]) if summary["ctx"] else n_ctx
    size = int(summary.get("total_size", summary["size"]))
    params, count = summary["params"]
    return ModelEntry(
        source=source, name=label if source in ("ollama", "bundled") else summary["name"], path=str(found_path), real_path=str(real), size_bytes=size,
        params=params, params_count=int(count), quant=summary["quant"], context_length=summary["ctx"],
        chat=summary["chat"], architecture=summary["arch"], usable=summary["usable"], reason=summary["reason"],
        store_label=label, needed_bytes=needed_memory(size, summary["kv_per_token"] * ctx_used),
        gguf_name=summary["name"])


def _llamafile_entry(found: Found) -> ModelEntry:
    """A llamafile is a program that is also a zip archive holding the GGUF; the archive's directory (at its end,
    cheap to read) names the model. llama.cpp cannot load a GGUF from inside another file, and Cove never copies
    one out, so it is listed for information only."""
    import zipfile

    size = found.real_path.stat().st_size
    reason = "a llamafile (a program with the model inside); Cove loads plain .gguf files and never extracts one"
    inner = ""
    try:
        with zipfile.ZipFile(found.real_path) as archive:
            inner = next((n for n in archive.namelist() if n.lower().endswith(".gguf")), "")
        if not inner:
            reason = "a llamafile without a model inside"
    except (OSError, zipfile.BadZipFile, ValueError):
        pass
    quant = next((q for q in sorted(BITS_PER_WEIGHT, key=len, reverse=True) if q.lower() in inner.lower()), "")
    return ModelEntry(
        source="llamafile", name=Path(inner).stem if inner else found.path.name, path=str(found.path),
        real_path=str(found.real_path), size_bytes=size, params="?", params_count=0, quant=quant, context_length=0,
        chat=False, architecture="", usable=False, store_label=found.label, reason=reason, gguf_name=inner)


def bundled_models(assemble: bool = True) -> list[tuple[str, Path]]:
    """(label, path) of the bundled models that are installed. Gemma is assembled into the data dir on first use;
    with assemble=False (the GUI, whose chat worker assembles it) it is listed only once it has been (and re-encoded,
    see bundled_model)."""
    from app.models.bundled_model import bundled_model_path, bundled_model_ready
    from app.models.bundled_smollm2 import BundledModelError, installed_path, smollm2_path

    out: list[tuple[str, Path]] = []
    try:
        if assemble or bundled_model_ready():
            out.append(("Gemma 3 270M", bundled_model_path()))
    except (ImportError, OSError, ValueError):
        pass  # not installed or cannot be assembled: `cove ask` reports that when it needs the model
    if installed_path() is not None:
        try:
            out.append(("SmolLM2 135M Instruct", smollm2_path()))
        except BundledModelError:
            pass  # wrong hash: not offered
    return out


def _rank(e: ModelEntry) -> tuple[int, float]:
    """Larger models first; for the same size, the better (less compressed) quantisation."""
    return e.params_count, BITS_PER_WEIGHT.get(e.quant, 0.0)


def recommend(entries: Sequence[ModelEntry], available: int | None, n_ctx: int) -> tuple[int | None, str]:
    """The largest discovered instruct model whose estimated need leaves RESERVE_BYTES free, and why, in one line."""
    instruct = [i for i, e in enumerate(entries) if e.usable and e.chat and e.source != "bundled"]
    if not instruct:
        return None, "No instruct model (one with a chat template) found on this computer; the bundled models are used."
    gb = lambda n: f"{n / 1e9:.1f} GB"  # noqa: E731
    if available is None:
        best = max(instruct, key=lambda i: _rank(entries[i]))
        return best, (f"{entries[best].name}: the largest instruct model found (free memory unknown, so its "
                      f"~{gb(entries[best].needed_bytes)} need was not checked).")
    fitting = [i for i in instruct if entries[i].fits]
    if not fitting:
        smallest = min(entries[i].needed_bytes for i in instruct)
        return None, (f"None of the {len(instruct)} instruct models fits: the smallest needs ~{gb(smallest)} and "
                      f"{gb(available)} is free (keeping {gb(RESERVE_BYTES)} for the rest of the computer).")
    best = max(fitting, key=lambda i: _rank(entries[i]))
    e = entries[best]
    return best, (f"{e.name} ({e.params}, {e.quant}): the largest instruct model that fits — needs ~"
                  f"{gb(e.needed_bytes)} with a {n_ctx:,}-token context, {gb(available)} free.")


def _is_default(e: ModelEntry) -> bool:
    """The bundled Gemma, which model_path "" stands for."""
    from app.models.bundled_model import is_bundled

    return e.source == "bundled" and is_bundled(e.path)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.realpath(a) == os.path.realpath(b)
    except OSError:
        return False


def build_catalog(settings: Settings | None = None, *, available: int | None | bool = True,
                  include_bundled: bool = True, assemble: bool = True) -> Catalog:
    """The full list with memory estimates, the recommendation and the configured model marked. `available=True`
    measures free memory now; an int or None overrides it (tests)."""
    if settings is None:
        from app.settings import Settings

        settings = Settings.load()
    n_ctx = settings.get_int("n_ctx")
    configured = settings.get_str("model_path")
    avail = available_memory() if available is True else (available if available is not False else None)
    cache = _HeaderCache()
    entries: list[ModelEntry] = []
    bundled_real: set[str] = set()
    if include_bundled:
        for label, path in bundled_models(assemble):
            summary = cache.get(path, path.resolve())
            if summary:
                # named by Cove's label: SmolLM2's header says "Smollm2 135M 8k Lc100K Mix1 Ep2"
                entries.append(_entry("bundled", path, path.resolve(), label, summary, n_ctx))
                bundled_real.add(str(path.resolve()))
    found, searched = find_models()
    later: list[ModelEntry] = []
    for f in found:
        if str(f.real_path) in bundled_real:
            continue
        if f.kind == "llamafile":
            later.append(_llamafile_entry(f))
            continue
        summary = cache.get(f.path, f.real_path)
        if summary is not None:
            (entries if summary["usable"] else later).append(
                _entry(f.source, f.path, f.real_path, f.label, summary, n_ctx))
    cache.save()
    entries += later
    if avail is not None:
        entries = [replace(e, fits=e.needed_bytes + RESERVE_BYTES <= avail) for e in entries]
    best, why = recommend(entries, avail, n_ctx)
    def is_configured(i: int, e: ModelEntry) -> bool:
        return _same_file(e.path, configured) if configured else _is_default(e)

    entries = [replace(e, recommended=(i == best), configured=is_configured(i, e)) for i, e in enumerate(entries)]
    return Catalog(tuple(entries), best, why, avail, n_ctx, configured, tuple(searched))


def entry_by_choice(catalog: Catalog, choice: str) -> ModelEntry | None:
    """`cove models --use 3` (the listed number) or a path to a listed model."""
    if choice.isdigit():
        n = int(choice)
        return catalog.entries[n - 1] if 1 <= n <= len(catalog.entries) else None
    return next((e for e in catalog.entries if _same_file(e.path, choice) or e.path == choice), None)


def model_path_setting(entry: ModelEntry, catalog: Catalog) -> str:
    """The value `model_path` gets: "" for the bundled default (so updates of the bundled file follow), else the path."""
    return "" if _is_default(entry) else entry.path
