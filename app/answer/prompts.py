"""Prompt building for grounded answers: numbered sources the model must cite, budgeted to the context window with
the model's own tokenizer (never by guessing characters), citation clean-up, and follow-up rewriting for retrieval.

Base models (the bundled Gemma 3 270M) get a plain completion prompt (numbered sources, "Question:", "Answer:")
whose stop sequences end the answer at the first sentence or line break. Telling a 270M base model to cite made its
answers worse (measurements below), so answering attributes an uncited answer to the source it was taken from
(`attribute`). Instruct models get their chat template with explicit "use only the sources, cite [n]" rules."""
from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from indexer.hits import SearchHit


class PromptModel(Protocol):
    """What prompt building needs from a model (LocalLLM satisfies it; tests may fake it)."""

    @property
    def n_ctx(self) -> int: ...
    @property
    def is_chat(self) -> bool: ...

    def count_tokens(self, prompt: str | list[dict]) -> int: ...
    def count_text_tokens(self, text: str) -> int: ...
    def truncate_to_tokens(self, text: str, max_tokens: int) -> str: ...


@dataclass(frozen=True)
class Prompt:
    prompt: str | list[dict]  # completion text, or chat messages
    stop: tuple[str, ...]
    hits: tuple[SearchHit, ...]  # the sources actually included, in order
    numbers: tuple[int, ...]  # their citation numbers (1-based, same order)
    prompt_tokens: int
    max_answer_tokens: int  # what is left of n_ctx for the answer


# Base-model frame, chosen by measurement (40 SQuAD dev questions, 5 paragraphs each, greedy; answer contains the
# fact / fact and right [n] after attribution): sources + "Question:" + "Answer:" 38% / 35%; the same with an
# instruction line first 28% / 25%; with "Answer (cite sources like [1]):" the model cites 85% of the time but is
# right only 12%; a worked example 30% / 28%; "Q:/A:" 38% / 33%; Gemma chat turns 0% (it echoes the instruction).
# So the 270M model is not told to cite: answering attributes the answer to its source instead.
# No ". " here: it cut "T.S. Eliot" to "T.S" and "p. 3" to "p" (development set d16, p04); answering passes
# app.answer.sentences.first_sentence_end as `stop_at`, which ends the answer at the first real sentence end instead.
COMPLETION_STOPS = ("\n", "Question:", "Sources:", "<end_of_turn>", "<start_of_turn>")
_CHAT_SYSTEM = (
    "You answer questions about the user's own documents and email. Use only the numbered sources below. "
    "Cite every fact with its source number in square brackets, like [1] or [2]. If the sources do not contain "
    "the answer, say you could not find it in the documents."
)
_FACTOID = re.compile(r"^\W*(?:who|whom|whose|when|where|which|what (?:year|date|time|day|is the name)|"
                      r"how (?:many|much|long|old|far|often|big|large|tall))\b", re.I)


def answer_shape(question: str) -> str:
    """The length asked of a chat model: a factoid ("who…", "when…", "how many…") gets just the answer, which the
    small instruct models otherwise bury in a restated question; anything else one or two sentences."""
    if _FACTOID.search(question):
        return "Reply with only the answer (a name, number, date or short phrase) and its source number, like: Paris [1]."
    return "Answer in one or two sentences."


MIN_SOURCE_TOKENS = 24  # a source cut shorter than this is noise, not evidence
_HOME = os.path.expanduser("~")


def _flat(text: str) -> str:
    return " ".join(text.split())


def _short_path(path: str) -> str:
    return "~" + path[len(_HOME):] if _HOME not in ("", "/") and path.startswith(_HOME + os.sep) else path


def source_header(n: int, hit: SearchHit, with_path: bool = True) -> str:
    """`[1] title — path, p. 4`; for email the sender, date and subject say more than a path. Base models get no path:
    for a 270M completion model a path is noise (digits in it were seen to leak into answers) and it makes the
    prompt, hence the answer, depend on where the file happens to live. Prompts get no locator either (with_path
    False): answers were seen ending in a copied "p. 3" (development set p04, p05; SmolLM2 p02, p08, u04)."""
    loc = f", {hit.locator}" if hit.locator and with_path else ""
    if hit.kind == "email" or hit.sender or hit.subject:
        from app.answer.evidence import sender_name

        subject = re.sub(r"^((?:re|fwd?|aw|sv)\s*:\s*)?\[[^\]]{1,40}\]\s*", r"\1", _flat(hit.subject), flags=re.I)
        bits = [b for b in (f"from {sender_name(hit.sender)}" if hit.sender else "", hit.date[:10],
                            f"“{subject}”" if subject else "") if b]  # a list tag and a time of day are noise
        return f"[{n}] Email " + ", ".join(bits) + loc
    title = _flat(hit.title) or os.path.basename(hit.path)
    return f"[{n}] {title} — {_short_path(hit.path)}{loc}" if with_path else f"[{n}] {title}{loc}"


def _source_block(n: int, hit: SearchHit, text: str, with_path: bool = True) -> str:
    return f"{source_header(n, hit, with_path)}\n{text}\n"


def _render(llm: PromptModel, question: str, blocks: list[str],
            history: list[tuple[str, str]]) -> str | list[dict]:
    sources = "".join(blocks)
    if not llm.is_chat:
        return f"{sources}\nQuestion: {_flat(question)}\nAnswer:"
    messages: list[dict] = []
    for q, a in history:
        messages += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
    messages.append({"role": "user", "content": f"{_CHAT_SYSTEM} {answer_shape(question)}\n\nSources:\n{sources}\n"
                                                f"Question: {question}"})
    return messages


def build_prompt(llm: PromptModel, question: str, hits: list[SearchHit], history: list[tuple[str, str]],
                 *, answer_tokens: int, texts: Sequence[str] | None = None) -> Prompt:
    """Fit instruction + sources + question (+ recent history for chat models) into n_ctx - answer_tokens.
    History keeps its newest turns within half the budget. Sources are added best-ranked first; the first one that does not fit whole is cut by tokens and the rest
    dropped. Base models get no history: they cannot use it, so follow-ups arrive already rewritten."""
    budget = llm.n_ctx - answer_tokens
    if budget <= 0:
        raise ValueError(f"answer_tokens={answer_tokens} leaves no room in a {llm.n_ctx}-token context")
    hist = list(history) if llm.is_chat else []
    while True:  # sources matter more than history: it may take at most half the budget, oldest turns go first
        fixed = llm.count_tokens(_render(llm, question, [], hist))
        if fixed <= budget // 2 or not hist:
            break
        hist = hist[1:]
    if fixed > budget:
        question = llm.truncate_to_tokens(question, max(8, llm.count_text_tokens(question) - (fixed - budget)))
        fixed = llm.count_tokens(_render(llm, question, [], hist))

    blocks: list[str] = []
    used: list[SearchHit] = []
    shown: list[str] = []
    left = budget - fixed
    for n, hit in enumerate(hits, start=1):
        text = _flat(texts[n - 1] if texts is not None else hit.text)
        cost = llm.count_text_tokens(_source_block(n, hit, text, False))
        if cost > left:
            room = left - llm.count_text_tokens(_source_block(n, hit, "", False)) - 2
            if room >= MIN_SOURCE_TOKENS:
                text = llm.truncate_to_tokens(text, room)
                used.append(hit), shown.append(text)
            break
        used.append(hit), shown.append(text)
        left -= cost

    # fragment counts can differ from the whole by a token at each seam: check the real prompt and trim until it fits
    while True:
        blocks = [_source_block(i, h, t, False) for i, (h, t) in enumerate(zip(used, shown), start=1)]
        rendered = _render(llm, question, blocks, hist)
        total = llm.count_tokens(rendered)
        if total <= budget or not used:
            break
        over = total - budget
        keep = llm.count_text_tokens(shown[-1]) - over - 4
        if keep >= MIN_SOURCE_TOKENS:
            shown[-1] = llm.truncate_to_tokens(shown[-1], keep)
        else:
            used.pop(), shown.pop()
    stops = () if llm.is_chat else COMPLETION_STOPS
    return Prompt(prompt=rendered, stop=stops, hits=tuple(used), numbers=tuple(range(1, len(used) + 1)),
                  prompt_tokens=total, max_answer_tokens=llm.n_ctx - total)


# citations -----------------------------------------------------------------------------------------------------------
_CITE = re.compile(r"\s?\[(\s*\d+(?:\s*(?:,|;|-|–|and)\s*\d+)*\s*)\]")


def _numbers(group: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*(?:,|;|and)\s*", group.strip()):
        if re.fullmatch(r"\d+\s*[-–]\s*\d+", part):
            a, b = (int(x) for x in re.split(r"\s*[-–]\s*", part))
            out += list(range(a, b + 1)) if 0 < b - a < 20 else [a, b]
        elif part.strip().isdigit():
            out.append(int(part))
    return out


def clean_citations(text: str, n_sources: int) -> tuple[str, list[int]]:
    """Drop citation numbers that match no source ([7] with 3 sources), rewrite "[1, 7]" as "[1]", and return the
    cleaned text with the valid numbers cited, in order of first appearance."""
    cited: list[int] = []

    def fix(m: re.Match) -> str:
        valid = [k for k in _numbers(m.group(1)) if 1 <= k <= n_sources]
        if not valid:  # keep the space when another citation follows directly: "C [9][2]" -> "C [2]"
            return m.group(0)[:1] if m.string.startswith("[", m.end()) and m.group(0)[:1].isspace() else ""
        for k in valid:
            if k not in cited:
                cited.append(k)
        lead = m.group(0)[: len(m.group(0)) - len(m.group(0).lstrip())]
        return lead + "[" + ", ".join(str(k) for k in dict.fromkeys(valid)) + "]"

    cleaned = _CITE.sub(fix, text)
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", cleaned)  # "Paris [7]." -> "Paris."
    return cleaned.strip(), cited


# follow-ups ----------------------------------------------------------------------------------------------------------
_STOPWORDS = frozenset("""a an the of in on at to for from by with about and or but is are was were be been being do does
did what which who whom whose when where why how many much can could would should will shall may might must have has
had i me my we our you your it its this that these those there their they them he him his she her not no yes please
tell show give find list say said also any some all more most other than then so as if into over under up down out
just only very really know think mean want need get got""".split())
_FOLLOWUP_WORDS = frozenset("it its it's this that these those they them their theirs he him his she her hers there "
                            "one ones same".split())
_FOLLOWUP_START = re.compile(r"^\s*(and|also|what about|how about|and what|what else|why|how so|really)\b", re.I)
_WORD = re.compile(r"[\w][\w'’.-]*\w|\w")


def is_follow_up(question: str) -> bool:
    """Pronouns pointing back ("its price"), "what about …" openers, or a very short question."""
    words = [w.lower() for w in _WORD.findall(question)]
    return (len(words) <= 3 or bool(_FOLLOWUP_START.search(question))
            or any(w in _FOLLOWUP_WORDS for w in words))


def key_terms(text: str, limit: int = 6) -> str:
    """Content words of a question in their original order (names kept with their capitals)."""
    seen: list[str] = []
    for w in _WORD.findall(text):
        lw = w.lower().strip("'’")
        if lw in _STOPWORDS or (len(lw) < 2 and not lw.isdigit()) or lw in (s.lower() for s in seen):
            continue
        seen.append(w)
    return " ".join(seen[:limit])


def standalone_query(llm: object | None, history: list[tuple[str, str]], question: str) -> str:
    """A retrieval query that stands on its own. Follow-ups borrow the key terms of the conversation's previous
    standalone question: "what about its price?" after "How big is the Tesla Model 3 battery?" becomes
    "Tesla Model 3 battery: what about its price?". A heuristic on purpose: a 270M base model cannot rewrite
    reliably, and a wrong rewrite silently retrieves the wrong documents. `llm` is accepted for instruct models
    later; it is not called."""
    question = question.strip()
    if not history or not is_follow_up(question):
        return question
    previous = ""
    for q, _a in history:  # resolve earlier follow-ups too, so chains keep their subject
        previous = standalone_query(None, [(previous, "")] if previous else [], q)
    terms = key_terms(previous)
    own = {w.lower() for w in _WORD.findall(question)}
    extra = " ".join(w for w in terms.split() if w.lower() not in own)
    return f"{extra}: {question}" if extra else question


def attribute(answer: str, source_texts: Sequence[str], min_overlap: float = 0.6) -> int | None:
    """The 1-based number of the source an uncited answer was taken from: the one containing most of the answer's
    content words (ties go to the better-ranked source), or None when no source holds at least min_overlap."""
    words = [w.lower() for w in _WORD.findall(answer)]
    content = {w for w in words if w not in _STOPWORDS} or set(words)
    if not content:
        return None
    best, best_score = None, 0.0
    for n, text in enumerate(source_texts, start=1):
        have = {w.lower() for w in _WORD.findall(text)}
        score = len(content & have) / len(content)
        if score > best_score:
            best, best_score = n, score
    return best if best_score >= min_overlap else None
