"""The local language model: GGUF metadata without loading weights (ModelInfo), and LocalLLM, a thin streaming
wrapper over llama_cpp.Llama. The wrapper drives llama-cpp's token generator itself instead of create_completion so
it can check a stop Event on every token, count tokens exactly and skip create_completion's quadratic
re-detokenising; a benchmark (tests/benchmarks/bench_generation.py) keeps it at least as fast as the raw call.
Chat models are prompted through their own GGUF template (rendered by llama-cpp's Jinja2ChatFormatter), so the
prompt builder can count the exact tokens the model will see."""
from __future__ import annotations

import codecs
import io
import mmap
import os
import struct
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

PromptStyle = Literal["auto", "completion", "chat"]
Prompt = str | list[dict]

# ---------------------------------------------------------------------------------------------------------------
# GGUF header reading. A tiny reader of the documented header instead of the `gguf` package, which would add
# `requests` (a network library) to an offline app just to read a few key/values.
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
FILE_TYPES = {  # llama.cpp's LLAMA_FTYPE_* numbering of `general.file_type`
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S",
    12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K",
    19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL",
    26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0",
    37: "TQ2_0", 38: "MXFP4_MOE",
}


class GGUFError(ValueError):
    """The file is not a GGUF model we can read."""


@dataclass(frozen=True)
class ModelInfo:
    """What a GGUF says about itself, read from its header only (instant, no weights loaded)."""

    name: str
    path: Path
    size_bytes: int
    architecture: str
    file_type: str  # the quantisation, e.g. "Q4_K_M"
    context_length: int
    has_chat_template: bool


def read_gguf_metadata(path: str | Path) -> dict[str, object]:
    """All header key/values; arrays (the vocabulary) are skipped and reported as None."""
    with Path(path).open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        pos = 0

        def unpack(fmt: str):
            nonlocal pos
            size = struct.calcsize(fmt)
            if pos + size > len(buf):
                raise GGUFError("truncated GGUF header")
            value = struct.unpack_from(fmt, buf, pos)[0]
            pos += size
            return value

        def string(keep: bool = True) -> str | None:
            nonlocal pos
            n = unpack("<Q")
            if pos + n > len(buf):
                raise GGUFError("truncated GGUF string")
            s = bytes(buf[pos:pos + n]).decode("utf-8", "replace") if keep else None
            pos += n
            return s

        def value(vtype: int):
            nonlocal pos
            if vtype in _SCALARS:
                return unpack(_SCALARS[vtype])
            if vtype == _STRING:
                return string()
            if vtype == _ARRAY:
                etype, count = unpack("<I"), unpack("<Q")
                if etype in _SCALARS:
                    pos += struct.calcsize(_SCALARS[etype]) * count
                elif etype == _STRING:
                    for _ in range(count):
                        string(keep=False)
                else:
                    for _ in range(count):
                        value(etype)
                return None
            raise GGUFError(f"unknown GGUF value type {vtype}")

        if bytes(buf[:4]) != b"GGUF":
            raise GGUFError(f"{Path(path).name} is not a GGUF file")
        pos = 4
        if unpack("<I") < 2:
            raise GGUFError("GGUF version 1 is not supported")
        unpack("<Q")  # tensor count
        meta: dict[str, object] = {}
        for _ in range(unpack("<Q")):
            key = string()
            meta[str(key)] = value(unpack("<I"))
        return meta


def model_info(path: str | Path) -> ModelInfo:
    p = Path(path)
    meta = read_gguf_metadata(p)
    arch = str(meta.get("general.architecture", "unknown"))
    ftype = meta.get("general.file_type")
    ctx = meta.get(f"{arch}.context_length", 0)
    return ModelInfo(
        name=str(meta.get("general.name") or p.stem), path=p, size_bytes=p.stat().st_size, architecture=arch,
        file_type=FILE_TYPES.get(ftype, f"type {ftype}") if isinstance(ftype, int) else "unknown",
        context_length=int(ctx) if isinstance(ctx, (int, float)) else 0,
        has_chat_template=bool(meta.get("tokenizer.chat_template")))


def resolve_prompt_style(info: ModelInfo, setting: PromptStyle = "auto") -> Literal["completion", "chat"]:
    """Chat only for models with a template that are not the bundled base model (which rambles in chat form)."""
    if setting in ("completion", "chat"):
        return setting
    from app.models.bundled_model import is_bundled

    return "chat" if info.has_chat_template and not is_bundled(info.path) else "completion"


# Used only when a chat prompt is forced on a GGUF that carries no template.
_GEMMA_TEMPLATE = ("{{ bos_token }}{% for m in messages %}{% set role = 'model' if m['role'] == 'assistant' else "
                   "'user' %}<start_of_turn>{{ role }}\n{{ m['content'] | trim }}<end_of_turn>\n{% endfor %}"
                   "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}")
_CHATML_TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
                    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def default_threads() -> int:
    """Half the usable logical CPUs (about the physical cores), for the prompt as well as generation. llama.cpp's
    threads spin while waiting, so oversubscribing is a cliff, not a slope: on a 2-CPU machine with other work
    running, prompt evaluation with 2 threads ran at 113 tokens/s and with 1 thread at 445 tokens/s."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cpus // 2)


def busy_cpus_now(samples: int = 8, gap_s: float = 0.002) -> int | None:
    """How many CPUs other work keeps busy right now: the median count of runnable tasks in /proc/loadavg over a few
    milliseconds, less the thread asking (Linux; None elsewhere). Why not the load average: it is a one-minute mean
    that counts Cove's own previous answer — two llama.cpp threads spinning for a second — so back-to-back questions
    to a resident Cove on a quiet 2-CPU machine saw load 1.5-1.8 and ran on one thread
    (tests/benchmarks/bench_resident.py: first token p50 1.77 s)."""
    counts = []
    try:
        for i in range(samples):
            with open("/proc/loadavg", "rb") as fh:
                counts.append(int(fh.read().split()[3].split(b"/")[0]))
            if i + 1 < samples:
                time.sleep(gap_s)
    except (OSError, ValueError, IndexError):
        return None
    return max(0, sorted(counts)[len(counts) // 2] - 1)


def threads_for_now(cpus: int | None = None, load: float | None = None, busy: int | None = None) -> int:
    """Threads for the next answer when the user left `n_threads` at 0: every CPU that other work leaves free, or
    default_threads() once half of them are taken (llama.cpp's spinning threads fall off a cliff when they
    oversubscribe: see default_threads). Measured here on 2 CPUs, a 300-token prompt: 1 thread 1.64-1.77 s,
    2 threads 0.83-1.08 s on a quiet machine. Decided per answer, not once at load. Other work is counted with
    busy_cpus_now(); where that cannot be read, the 1-minute load average stands in (quiet below CPUs - 0.5)."""
    if cpus is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if busy is None and load is None:
        busy = busy_cpus_now()
    if busy is not None:
        return cpus - busy if busy < cpus / 2 else max(1, cpus // 2)
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (OSError, AttributeError):  # no load average on this OS: stay on the safe side
            return max(1, cpus // 2)
    return cpus if load < cpus - 0.5 else max(1, cpus // 2)


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """llama.cpp writes load-time notices straight to fd 2 even with verbose=False; hide them during load."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull, redirect_stderr(io.StringIO()):  # fd 2 and Python's log callback
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@dataclass(frozen=True)
class Timings:
    """Of the last stream() call; ttft counts from the call to the first text piece handed out."""

    prompt_tokens: int = 0
    tokens: int = 0
    ttft_ms: float = 0.0
    total_ms: float = 0.0
    tokens_per_s: float = 0.0
    stopped: str = ""  # "eos", "stop_sequence", "length", "cancelled"
    threads: int = 0  # llama.cpp threads this answer ran on (threads_for_now decides per answer)


class LocalLLM:
    """One loaded GGUF. Not thread-safe: owned by the chat worker thread."""

    def __init__(self, path: str | Path, *, n_ctx: int = 4096, n_threads: int | None = None,
                 n_gpu_layers: int = 0, prompt_style: PromptStyle = "auto", seed: int = 0) -> None:
        import llama_cpp  # heavy; imported only when a model is actually loaded

        self.info = model_info(path)
        self.prompt_style = resolve_prompt_style(self.info, prompt_style)
        self._llama_cpp = llama_cpp
        threads = n_threads or default_threads()
        self._auto_threads, self._threads = not n_threads, threads
        with _quiet_stderr():
            self._llm = llama_cpp.Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads,
                                        n_threads_batch=threads, n_gpu_layers=n_gpu_layers, seed=seed, verbose=False)
        self._vocab = self._llm._model.vocab
        self._model = self._llm._model
        self._formatter = None
        self.last_timings = Timings()

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def n_ctx(self) -> int:
        return int(self._llm.n_ctx())

    @property
    def is_chat(self) -> bool:
        return self.prompt_style == "chat"

    # tokens ---------------------------------------------------------------------------------------------------
    def render(self, prompt: Prompt) -> str:
        """The exact text fed to the model: chat messages go through the GGUF's own chat template."""
        if isinstance(prompt, str):
            return prompt
        if self._formatter is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            template = self._llm.metadata.get("tokenizer.chat_template") or (
                _GEMMA_TEMPLATE if self.info.architecture.startswith("gemma") else _CHATML_TEMPLATE)
            eos, bos = self._llm.token_eos(), self._llm.token_bos()
            self._formatter = Jinja2ChatFormatter(
                template=template, eos_token=self._model.token_get_text(eos) if eos != -1 else "",
                bos_token=self._model.token_get_text(bos) if bos != -1 else "")
        return self._formatter(messages=prompt).prompt

    def tokenize(self, prompt: Prompt) -> list[int]:
        """Tokens exactly as stream() evaluates them (BOS added when the model wants one and the text lacks it)."""
        text = self.render(prompt)
        bos = self._llm.token_bos()
        written = bos != -1 and text.startswith(self._model.token_get_text(bos))  # a chat template wrote <bos>
        return self._llm.tokenize(text.encode("utf-8"), add_bos=not written, special=True)

    def count_tokens(self, prompt: Prompt) -> int:
        """The model's own token count of a prompt (or fragment; fragments include the BOS, so sums over-count)."""
        return len(self.tokenize(prompt))

    def count_text_tokens(self, text: str) -> int:
        """Token count of a fragment without BOS: for budgeting pieces of a prompt."""
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def truncate_to_tokens(self, text: str, max_tokens: int) -> str:
        """The longest prefix of `text` within max_tokens of this model's tokenizer."""
        if max_tokens <= 0:
            return ""
        toks = self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        if len(toks) <= max_tokens:
            return text
        return self._model.detokenize(toks[:max_tokens]).decode("utf-8", "ignore")

    # generation -----------------------------------------------------------------------------------------------
    def stream(self, prompt: Prompt, *, max_tokens: int = 256, stop: Sequence[str] = (),
               stop_event: threading.Event | None = None, temperature: float = 0.0,
               top_k: int = 40, top_p: float = 0.95, min_p: float = 0.05,
               repeat_penalty: float = 1.0, lstrip: bool = False,
               stop_at: Callable[[str], int] | None = None) -> Iterator[str]:
        """Yield text pieces as they are generated. Stops at end-of-generation tokens, at the first stop sequence
        (never yielding it, nor any text after it), after max_tokens, or as soon as stop_event is set.
        With lstrip, leading whitespace is dropped and cannot trigger a stop sequence such as "\n".
        `stop_at(text)` sees everything generated so far and returns where to cut it (or -1): a stop that needs
        context, such as "the end of the first sentence, but not the full stop of an initial"; a trailing full
        stop is held back until the next piece shows whether it ends the sentence."""
        t0 = time.perf_counter()
        if self._auto_threads and (n := threads_for_now()) != self._threads:
            self._llm._ctx.set_n_threads(n, n)
            self._threads = n
        tokens = self.tokenize(prompt)
        if len(tokens) >= self.n_ctx:
            raise ValueError(f"prompt has {len(tokens)} tokens; the context window is {self.n_ctx}")
        if self.is_chat and self._formatter is not None and self._formatter.eos_token:
            stop = [*stop, self._formatter.eos_token]
        stops = [s for s in stop if s]
        hold = max((len(s) for s in stops), default=1) - 1
        limit = min(max_tokens, self.n_ctx - len(tokens))
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        is_eog, detok = self._llama_cpp.llama_vocab_is_eog, self._model.detokenize
        pending, produced, ttft, reason = "", 0, 0.0, "length"
        whole = ""  # everything handed out so far (stop_at sees it with the pending tail)
        gen = self._llm.generate(tokens, top_k=top_k, top_p=top_p, min_p=min_p, temp=temperature,
                                 repeat_penalty=repeat_penalty)
        try:
            for token in gen:
                if stop_event is not None and stop_event.is_set():
                    reason = "cancelled"
                    break
                if is_eog(self._vocab, token):
                    reason = "eos"
                    break
                produced += 1
                pending += decoder.decode(detok([token]))
                if lstrip:
                    pending = pending.lstrip()
                    if not pending:
                        if produced >= limit:
                            break
                        continue
                    lstrip = False
                if stops or stop_at is not None:
                    cut = min((i for i in (pending.find(s) for s in stops) if i >= 0), default=-1)
                    if cut >= 0:
                        pending, reason = pending[:cut], "stop_sequence"
                    if stop_at is not None:
                        at = stop_at(whole + pending) - len(whole)
                        if at >= 0:
                            pending, reason = pending[:at], "stop_sequence"
                    if reason == "stop_sequence":
                        break
                    # hold back a tail that could still grow into a stop sequence
                    keep = next((k for k in range(min(hold, len(pending)), 0, -1)
                                 if any(s.startswith(pending[-k:]) for s in stops)), 0)
                    if stop_at is not None and keep < len(pending) and pending[-keep - 1] in ".!?":
                        keep += 1  # a full stop that may yet end the sentence
                    keep = min(keep, len(pending))
                    out, pending = (pending[:-keep], pending[-keep:]) if keep else (pending, "")
                else:
                    out, pending = pending, ""
                whole += out
                if out:
                    if not ttft:
                        ttft = time.perf_counter() - t0
                    yield out
                    if stop_event is not None and stop_event.is_set():  # don't compute one more token
                        reason = "cancelled"
                        break
                if produced >= limit:
                    break
            if pending and reason != "cancelled":
                if not ttft:
                    ttft = time.perf_counter() - t0
                yield pending
        finally:
            gen.close()
            total = time.perf_counter() - t0
            gen_time = total - ttft if ttft else total
            self.last_timings = Timings(
                prompt_tokens=len(tokens), tokens=produced, ttft_ms=ttft * 1000, total_ms=total * 1000,
                tokens_per_s=(produced - 1) / gen_time if produced > 1 and gen_time > 0 else 0.0,
                stopped=reason, threads=self._threads)

    def complete(self, prompt: Prompt, **kwargs) -> str:
        """The whole answer at once (tests, query rewriting)."""
        return "".join(self.stream(prompt, **kwargs))

    def close(self) -> None:
        """Free the weights and context now rather than whenever the garbage collector gets to them."""
        close = getattr(self._llm, "close", None)
        if close is not None:
            close()
