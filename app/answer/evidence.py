"""Evidence: the exact sentences of the retrieved chunks that hold an answer, and the check that an answer says
nothing its sources do not.

Two uses of one scorer:
- before generation, `rank_sentences(question)` picks the sentences the focused prompt shows a small model;
- after generation, `rank_sentences(question, answer)` picks the sentence(s) that support the answer, and
  `supported()` decides whether the answer may be presented as fact (`verified`).

Sentence score = cosine(question, sentence) with the bundled embedder + weighted overlap of the question's content
words + (after generation) how much of the answer the sentence contains. Email header lines are never evidence for
the question alone (they share every word of the subject with it); a header line is evidence only when it holds the
answer itself (a sender's full name for "who…?").
"""
from __future__ import annotations

import hashlib
import math
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # numpy loads only when sentences are scored: `cove ask` talking to a server never needs it
    import numpy as np

from app.answer.events import Evidence  # noqa: F401  (re-exported)
from app.answer.sentences import Span, split_sentences
from indexer.hits import SearchHit

_WORD = re.compile(r"[\w][\w'’.-]*\w|\w")
STOPWORDS = frozenset("""a an the of in on at to for from by with about and or but is are was were be been being do does
did what which who whom whose when where why how many much can could would should will shall may might must have has
had i me my we our you your it its this that these those there their they them he him his she her not no yes please
tell show give find list say said also any some all more most other than then so as if into over under up down out
just only very really know think mean want need get got one use used using""".split())

# Weights: equal cosine and term overlap, the answer's words above both after generation, a small penalty for a
# lower-ranked source. Not tuned sentence by sentence yet (a sweep was started and cut short by the shared machine);
# what they give end to end is measured in the table of app/answer/answering.py.
W_COSINE, W_OVERLAP, W_ANSWER, W_RANK = 1.0, 1.0, 1.5, 0.15
# W_TYPE: bonus for a sentence that holds what the question asks for (a name for "who…?", see has_answer_type).
# Sweep of the weights (/tmp-style script over pickled top-5 hits; gold answer in the top 1 / 3 / 6 sentences):
#   development set, 50 q: 27/35/38 without it, 28/35/39 at 0.1-0.2, 27/34/39 at 0.5;
#   SQuAD dev, 200 q:     146/171/177 without it, 147/172/177 at 0.1, 146/172/177 at 0.5.
# W_OVERLAP 0.5-2 and W_RANK 0-0.3 moved top-1 by at most one question either way.
W_TYPE = 0.1
# A sentence with more than 3 % markup characters (<>{}=|\+) scores 0.7×: development set top-1 28 → 29 and top-6
# 39 → 41 of 50 (a Maven patch line was quoted as the answer to "Which Apache version…?"); SQuAD unchanged (147/200).
MARKUP_DENSITY, MARKUP_PENALTY = 0.03, 0.7
# A reference-list entry of a saved web page ('3. ^ "Freeing the Source…". Retrieved 2016-05-01.'), or any sentence
# under a References/Citations heading, scores 0.7× too: tried as a user, such a line led the closest passage quoted for
# "When was the Mozilla Foundation founded?", and a law quoted in a citation answered who New Zealand's head of state
# is. SQuAD and development set: the gold sentence's rank unchanged for every question (no such sections there).
REFERENCE_PENALTY = 0.7
_REFERENCE_SECTION = re.compile(r"(?:^|›)\s*(?:references|citations|notes|footnotes|bibliography|sources|works cited|"
                                r"further reading|external links)\s*$", re.I)
_REFERENCE = re.compile(r"(?:^|\s)\^\s|\bRetrieved (?:on )?(?:\d{4}-\d{2}-\d{2}|\w+ \d{1,2}, \d{4}|\d{1,2} \w+ \d{4})|"
                        r"\bArchived from the original\b|\bdoi:\s?10\.|\bISBN[ :]")
# Measured and rejected (2026-12-01, onnx-int8, gold in the top 1/3/6 sentences; SQuAD 200 q / development set 50 q):
# as now 149/171/180 / 29/35/41; embedding "title: sentence" 153/173/178 / 28/36/40; the sentence with the one before
# it 143/170/182 / 30/36/41; W_RANK 0.3, W_OVERLAP 0.5 or 1.5, W_TYPE 0.3 all within two questions either way.
# EMBEDDING_ALL: embedding only the 16 sentences with most question words first was measured (60 SQuAD questions,
# Gemma, load ~4): first token 1.55 s instead of 1.85 s, but F1 0.207 instead of 0.220 — every sentence is embedded.


class SentenceEmbedder(Protocol):
    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Candidate:
    source: int  # index into the hits
    span: Span
    text: str
    score: float


_POSSESSIVE = re.compile(r"['’]s$")


def fold(text: str) -> str:
    """Without accents: "Pávlovna" (a translation's spelling) meets "Pavlovna" (as a person types it)."""
    if text.isascii():
        return text
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Lower-case words without accents; a possessive is its noun ("dentist's" → "dentist": it matched nothing
    before, development set u01, d02, d05)."""
    return [_POSSESSIVE.sub("", w.lower()).strip("'’.-") for w in _WORD.findall(fold(text))]


def stem(word: str) -> str:
    """Crude plural/tense folding so "certificates" meets "certificate" and "started" meets "start"."""
    for suffix in ("ies", "es", "s", "ing", "ed"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def content_terms(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for w in words(text):
        if w and w not in STOPWORDS and (len(w) > 1 or w.isdigit()):
            seen.setdefault(stem(w), None)
    return list(seen)


def _overlap(terms: Sequence[str], sentence_terms: set[str], idf: dict[str, float]) -> float:
    if not terms:
        return 0.0
    total = sum(idf.get(t, 1.0) for t in terms)
    return sum(idf.get(t, 1.0) for t in terms if t in sentence_terms) / total if total else 0.0


def candidates(hits: Sequence[SearchHit]) -> list[tuple[int, Span, str]]:
    out = []
    for i, hit in enumerate(hits):
        for span in split_sentences(hit.text):
            out.append((i, span, hit.text[span.start:span.end]))
    return out


class SentenceVectors:
    """Sentence vectors kept between questions, bounded (least recently used out). Why: a person asks several
    questions about the same documents, and embedding the sentences of the top chunks is the second cost of a first
    token after the model's own prompt evaluation (60-200 ms of 0.5-0.9 s in a resident Cove, issue 12). Keys are
    digests of embedder id + text, so no document text is held here."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._vectors: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(embedder: SentenceEmbedder, text: str) -> bytes:
        who = str(getattr(embedder, "id", "") or f"{type(embedder).__name__}@{id(embedder)}")  # a test's fake: itself
        return hashlib.blake2b(f"{who}\0{text}".encode("utf-8", "surrogatepass"), digest_size=16).digest()

    def get(self, key: bytes) -> np.ndarray | None:
        with self._lock:
            v = self._vectors.get(key)
            if v is not None:
                self._vectors.move_to_end(key)
            return v

    def put(self, key: bytes, vector: np.ndarray) -> None:
        with self._lock:
            self._vectors[key] = vector
            self._vectors.move_to_end(key)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()


SHARED_SENTENCE_VECTORS = SentenceVectors(8192)  # 8,192 x 384 float32 = 12.6 MB at most


def _embed_cached(embedder: SentenceEmbedder, texts: Sequence[str], cache: dict[str, np.ndarray] | None) -> np.ndarray:
    """Vectors of `texts`, embedding only those not in `cache` (verification reuses the prompt step's vectors) nor in
    SHARED_SENTENCE_VECTORS (earlier questions)."""
    if cache is None:
        return embedder.embed(list(texts))
    shared = SHARED_SENTENCE_VECTORS
    missing: dict[str, bytes] = {}  # text → its key in the shared store
    for t in dict.fromkeys(t for t in texts if t not in cache):
        key = shared.key(embedder, t)
        v = shared.get(key)
        if v is None:
            missing[t] = key
        else:
            cache[t] = v
    if missing:
        for (t, key), v in zip(missing.items(), embedder.embed(list(missing))):
            cache[t] = v
            shared.put(key, v.copy())  # not a view that keeps the whole batch alive
    import numpy as np

    return np.stack([cache[t] for t in texts]) if texts else np.zeros((0, 1), dtype=np.float32)


def rank_sentences(question: str, hits: Sequence[SearchHit], embedder: SentenceEmbedder | None, *,
                   answer: str = "", question_vec: np.ndarray | None = None,
                   cache: dict[str, np.ndarray] | None = None) -> list[Candidate]:
    """Every sentence of every hit, best first. With an `answer`, sentences that contain it rise, and header
    lines count only when they contain it. `cache` (text → vector) spares re-embedding across calls."""
    cands = candidates(hits)
    if not cands:
        return []
    terms_of = [set(content_terms(text)) for _, _, text in cands]
    n = len(cands)
    df: dict[str, int] = {}
    for ts in terms_of:
        for t in ts:
            df[t] = df.get(t, 0) + 1
    idf = {t: math.log(1 + n / (1 + c)) for t, c in df.items()}
    q_terms = content_terms(question)
    wanted, q_set = answer_type(question), set(q_terms)
    a_terms = [t for t in content_terms(answer) if t not in q_terms] if answer else []
    import numpy as np

    cos = np.zeros(n, dtype=np.float32)
    a_cos = np.zeros(n, dtype=np.float32)
    a_hits = [_overlap(a_terms, ts, idf) if a_terms else 0.0 for ts in terms_of]
    # every sentence is embedded (see EMBEDDING_ALL) but a header line that does not hold the answer: it is dropped
    # below, so its vector would never be used (an email chunk's Subject/From/To/Date lines, and before the model
    # has answered, all of them)
    keep = [j for j in range(n) if cands[j][1].kind != "header" or a_hits[j] >= 0.5]
    if embedder is not None and keep:
        texts = [cands[j][2] for j in keep]
        extra = [question] if question_vec is None else []
        if answer:
            extra.append(answer)
        vecs = _embed_cached(embedder, extra + texts, cache)
        qv = question_vec if question_vec is not None else vecs[0]
        svecs = vecs[len(extra):]
        cos[keep] = svecs @ qv
        if answer:
            a_cos[keep] = svecs @ vecs[len(extra) - 1]
    references = [bool(_REFERENCE_SECTION.search(h.where.section)) for h in hits]
    out: list[Candidate] = []
    for j, ((i, span, text), ts) in enumerate(zip(cands, terms_of)):
        a_hit = a_hits[j]
        if span.kind == "header" and a_hit < 0.5:
            continue  # a header line only supports an answer it contains
        score = W_COSINE * float(cos[j]) + W_OVERLAP * _overlap(q_terms, ts, idf) - W_RANK * i / max(1, len(hits))
        if answer:
            score += W_ANSWER * a_hit + 0.5 * float(a_cos[j])
        elif wanted and W_TYPE and has_answer_type(wanted, text, q_set):
            score += W_TYPE
        if span.kind == "quote":
            score *= 0.8
        if len(text) < 12:
            score *= 0.5  # "Hi all." and "Thanks," are never evidence
        if MARKUP_PENALTY < 1.0 and sum(text.count(ch) for ch in "<>{}=|\\+") > MARKUP_DENSITY * len(text):
            score *= MARKUP_PENALTY  # a patch or XML line ("+ <version>2.12.4</version>") is rarely the answer
        if REFERENCE_PENALTY < 1.0 and (references[i] or _REFERENCE.search(text)):
            score *= REFERENCE_PENALTY
        out.append(Candidate(i, span, text, score))
    out.sort(key=lambda c: -c.score)
    return out


def to_evidence(c: Candidate, hits: Sequence[SearchHit]) -> Evidence:
    return Evidence(c.text, c.span.start, c.span.end, hits[c.source].where.page, round(c.score, 4))


# verification --------------------------------------------------------------------------------------------------
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_REFUSAL = re.compile(r"\b(could ?n[o']t find|not (?:found|mentioned|stated|in the (?:sources|documents))|"
                      r"no information|does not (?:say|mention)|do not (?:say|mention|contain))\b", re.I)


def is_refusal(answer: str) -> bool:
    return bool(_REFUSAL.search(answer))


def _norm(text: str) -> str:
    return " ".join(words(text))


@dataclass(frozen=True)
class Support:
    ok: bool
    coverage: float  # share of the answer's content terms found in the sources
    missing: tuple[str, ...]  # numbers and names of the answer that appear in no source


def supported(answer: str, source_texts: Sequence[str], min_coverage: float = 0.6) -> Support:
    """An answer is supported when every number and every capitalised name in it occurs in some source, and at
    least `min_coverage` of its content terms do. "128 characters" against sources that say 72 fails on the
    number; a name that appears in no source fails on the name."""
    plain = re.sub(r"\[\d+(?:\s*,\s*\d+)*\]", " ", answer)
    corpus = " \n ".join(source_texts)
    corpus_terms = {stem(w) for w in words(corpus)}
    corpus_numbers = set(_NUMBER.findall(corpus))
    missing: list[str] = []
    for num in _NUMBER.findall(plain):
        if num not in corpus_numbers and num.replace(",", "") not in corpus_numbers:
            missing.append(num)
    for tok in re.findall(r"\b[A-Z][\w'’-]+", plain):
        low = _POSSESSIVE.sub("", fold(tok).lower()).strip("'’-")  # "FSF's Board" is the source's "FSF’s" (d03)
        if low in STOPWORDS or stem(low) in corpus_terms:
            continue
        missing.append(tok)
    terms = content_terms(plain)
    coverage = sum(1 for t in terms if t in corpus_terms) / len(terms) if terms else 0.0
    return Support(not missing and bool(terms) and coverage >= min_coverage, round(coverage, 3), tuple(missing))


# the focused prompt ---------------------------------------------------------------------------------------------
# Six sentences keep the prompt at 270 tokens (median of 30 SQuAD questions, Gemma tokenizer) against 972 for the
# five whole chunks; end-to-end quality is in the table of app/answer/answering.py. A same-questions comparison against
# whole chunks (`bench_answers --no-focus`) was cut short by the shared machine and is still to be reported.
# Five instead of six was measured for a faster first token (commit 17ffd96 + this change, load ~1.5): SQuAD 150 q
# TTFT p50 843 vs 956 ms, but answer-or-evidence holds gold 0.827 vs 0.840, cited source 0.813 vs 0.827, and on the
# development set 32/50 vs 33/50 correct with verified-but-wrong 6 vs 4: six stay.
FOCUS_SENTENCES = 6
FOCUS_CONTEXT = 2  # the best this many sentences also bring the sentence before them
FOCUS_MAX_CHARS = 320  # a longer sentence (a log dump) is cut in the prompt; the evidence keeps it whole
# BUDGET: the prompt's source text in characters (0 = none). Every prompt token costs ~2.2 ms before the first token
# on 2 cores (320 tokens 725 ms, 200 tokens 420 ms, the bundled Gemma). Measured 2026-12-01 (onnx-int8, Gemma, load ~2;
# SQuAD 150: EM / F1 / answer-or-evidence / cited / verified / first token p50 from the question; development set 50:
# correct / evidence; bench_resident served first token p50, 9 asks):
#   none  0.073 / 0.203 / 0.827 / 0.807 / 0.320 / 1,005 ms;  32 / 35;  1.00 s
#   1200  0.093 / 0.227 / 0.820 / 0.807 / 0.367 /   884 ms;  31 / 34;  0.92 s
#   1000  0.080 / 0.205 / 0.827 / 0.800 / 0.333 /   794 ms;  31 / 34;  0.84 s
#   800  0.100 / 0.227 / 0.813 / 0.807 / 0.373 /   702 ms;  28 / 33;  ~0.75 s (rejected: verified-but-wrong 4 → 8)
# 1000: the first token a fifth sooner for one development question (e17, "Precious Doe" became "Baby Doe").
FOCUS_BUDGET_CHARS = 1000
FOCUS_MIN_SENTENCES = 3  # the best three are always shown, whatever their length
# DEDUPE: a sentence already in the prompt is not shown again. Chunks of one document overlap, so the same sentence
# came up under two source numbers ("Newcastle is a member of the English Core Cities Group…" as [1] and [2] for
# "What is the dialect of Newcastle known as?"), costing prompt tokens and a place among the six.


def focus_passages(ranked: Sequence[Candidate], hits: Sequence[SearchHit], *, sentences: int = FOCUS_SENTENCES,
                   context: int = FOCUS_CONTEXT, budget: int | None = None) -> list[tuple[int, str]]:
    """(hit index, text) for the prompt: the best `sentences` sentences (header lines never), each hit's in
    document order, hits ordered by their best sentence; the top `context` sentences bring their predecessor.
    `budget` (characters, default FOCUS_BUDGET_CHARS): past the best FOCUS_MIN_SENTENCES, a sentence or context
    sentence that would take the prompt's text over it is left out and a shorter one further down may take its place."""
    budget = FOCUS_BUDGET_CHARS if budget is None else budget
    chosen: dict[int, dict[int, Span]] = {}
    order: list[int] = []
    spans_of = {i: split_sentences(h.text) for i, h in enumerate(hits)}
    seen: set[str] = set()  # DEDUPE: overlapping chunks of one document hold the same sentences
    rank = used = 0

    def fits(text: str) -> bool:
        return not budget or rank < FOCUS_MIN_SENTENCES or used + min(len(text), FOCUS_MAX_CHARS) <= budget

    for c in ranked:
        flat_text = " ".join(c.text.split())
        if c.span.kind == "header" or flat_text in seen:
            continue
        if rank >= sentences:
            break
        if not fits(flat_text):
            continue
        picked = chosen.setdefault(c.source, {})
        if c.source not in order:
            order.append(c.source)
        picked[c.span.start] = c.span
        seen.add(flat_text)
        used += min(len(flat_text), FOCUS_MAX_CHARS)
        if rank < context:
            spans = spans_of[c.source]
            k = next((j for j, sp in enumerate(spans) if sp.start == c.span.start), -1)
            if k > 0 and spans[k - 1].kind != "header":
                before = " ".join(hits[c.source].text[spans[k - 1].start:spans[k - 1].end].split())
                if before not in seen and fits(before):
                    picked[spans[k - 1].start] = spans[k - 1]
                    seen.add(before)
                    used += min(len(before), FOCUS_MAX_CHARS)
        rank += 1
    out: list[tuple[int, str]] = []
    for i in order:
        text, last_end = "", None
        for span in sorted(chosen[i].values(), key=lambda sp: sp.start):
            piece = " ".join(hits[i].text[span.start:span.end].split())
            if len(piece) > FOCUS_MAX_CHARS:  # a log dump or a table row: its start is enough for the model
                piece = piece[:FOCUS_MAX_CHARS].rsplit(" ", 1)[0] + " …"
            gap = last_end is not None and hits[i].text[last_end:span.start].strip()
            text += ("" if last_end is None else (" … " if gap else " ")) + piece
            last_end = span.end
        out.append((i, text))
    return out


def sender_name(sender: str) -> str:
    """"Jack M. Nilles" from '"Jack M. Nilles" <jnilles@jala.com>' (the address when there is no name): the
    source header of an email in the prompt names its sender, because an email's first-person sentences ("I
    recently updated…") answer "who…?" only through it. (Prefixing the text with "Jack M. Nilles wrote:" was tried:
    SmolLM2 then began its answers with that prefix.)"""
    from email.utils import getaddresses

    if "@" not in sender and "<" not in sender:
        return sender.strip().strip('"')  # already a bare name (the address parser would keep only its first word)
    first = sender.split(">,")[0] + (">" if ">," in sender else "")
    pairs = getaddresses([first])
    name, addr = pairs[0] if pairs else ("", "")
    return (name or addr or sender).strip().strip('"')


# does the answer fit the question? ---------------------------------------------------------------------------------
# Development set, Gemma: 21 of 37 "verified" answers were wrong although every word was in the sources — "Apache
# 2.2" (a version the question itself names), "I had a problem with the SSL certificate" for "who…?". A who-question
# wants a name, a when-question a date, a how-many question a number, and no question wants itself repeated.
_WHO = re.compile(r"^\W*(?:(?:to|for|by|with|from) )?(?:who|whom|whose)\b", re.I)
# "What name was given to the baby victim…?" asks for a name as "who…?" does (development set e17)
_NAME_Q = re.compile(r"^\W*(?:what|which) (?:(?:is|was|are|were) (?:the |their |his |her |its )?)?names?\b", re.I)
# "Who does Rory O'Donnell work for?" asks for an employer, not a person: held-out set h09 was answered "Early
# Access", a capitalised phrase of the best sentence, as a name.
_EMPLOYER_Q = re.compile(r"\bwork(?:s|ed|ing)? for\W*$", re.I)
_WHEN = re.compile(r"^\W*(?:when|what (?:year|date|day|time)|in what year|which year)\b", re.I)
_HOW_MANY = re.compile(r"^\W*(?:how (?:many|much|long|old|big|large|tall|far)|what (?:number|percentage|size))\b", re.I)
_MONTHS = ("january february march april may june july august september october november december jan feb mar apr "
           "jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday today yesterday "
           "century decade year week").split()
_NUMBER_WORDS = set("""one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred
thousand million billion dozen once twice half several few""".split())
_PRONOUNS = {"i", "we", "you", "he", "she", "they", "it", "the", "a", "an", "this", "that", "yes", "no", "there"}


_LEADING_CLAUSE = re.compile(r"^\W*(?:when|if|once|after|before|while|since|in|on|for|according to)\b[^?,]*,\s*"
                             r"(?=(?:who|whom|whose|what|which|when|where|why|how)\b)", re.I)


def main_clause(question: str) -> str:
    """The question without a leading clause: "When AsterixDB deprecates AQL, which language remains?" asks
    "which…", not "when…" (development set e09 was refused for want of a date)."""
    return _LEADING_CLAUSE.sub("", question, count=1)


def is_who_question(question: str) -> bool:
    return bool(_WHO.search(main_clause(question)))


# Words that add nothing to a restated question: "You can use the table of contents at the beginning of the
# document" answered "How can I get the table of contents at the beginning of a PDF made with ms?" (development set
# d10, re-encoded Gemma) and was verified, every word being in the sources.
_FILLER = frozenset(stem(w) for w in "document documents source sources information answer question passage way "
                                     "thing things example".split())


def misfit(question: str, answer: str) -> str:
    """Why `answer` cannot be an answer to `question` ("" when it can)."""
    plain = re.sub(r"\[\d+(?:\s*,\s*\d+)*\]", " ", answer)
    q_terms = set(content_terms(question))
    a_terms = content_terms(plain)
    if a_terms and all(t in q_terms or t in _FILLER for t in a_terms):
        return "it only repeats the question"
    low = [w for w in words(plain)]
    kind = answer_type(question)
    question = main_clause(question)
    if kind in ("phone", "email"):
        if not has_answer_type(kind, plain, q_terms):
            return f"a question for {'a phone number' if kind == 'phone' else 'an email address'} needs one"
    elif _WHO.search(question):
        asked = _name_pairs(" ".join(_name_runs(question)))
        runs = _name_runs(plain)
        named = [r for r in runs if not _name_pairs(r) & asked]
        if not [r for r in named if any(stem(w) not in q_terms for w in words(r))]:
            if len(named) == len(runs) and names_a_role(plain, q_terms):
                return ""  # "The keeper on duty" for "Who is on duty when storms are recorded?"
            return "it names whom the question is about" if len(named) < len(runs) else "a who-question needs a name"
    elif _WHEN.search(question):
        if not re.search(r"\d", plain) and not any(w in _MONTHS for w in low):
            return "a when-question needs a date"
    elif _HOW_MANY.search(question):
        if not re.search(r"\d", plain) and not any(w in _NUMBER_WORDS for w in low):
            return "a how-many question needs a number"
    elif _WHICH.search(question) and not names_something_new(plain, q_terms):
        return "a which-question needs the name, number or option it asks for"
    return ""


# "Which version / company / option / language …?" asks for one particular thing. Development set, bundled Gemma
# re-encoded (F16/Q8_0): "Yes, the latest version of the Esri geometry API" (gold 2.0.0), "The query language that is
# supported by AsterixDB" (gold SQL++) and "the table of contents at the beginning of the document" were verified,
# being made of the sources' words; each names nothing that the question did not.
_WHICH = re.compile(r"^\W*(?:which|what (?:version|release|option|command|company|language|file|tool|program|"
                    r"package|setting|flag|format))\b", re.I)
_CODE_TOKEN = re.compile(r"\S*(?:\d|[-_/+=.:]\w|\w[+#]|^-)\S*")


def names_something_new(answer: str, question_terms: set[str]) -> bool:
    """Whether the answer names a thing the question did not: a number or version, a code-like token (`--toc-depth`,
    `SQL++`, `mod_md`), or a capitalised name (the first word only when it is not an ordinary sentence opener)."""
    toks = answer.split()
    for i, raw in enumerate(toks):
        tok = raw.strip("“”\"'‘’()[],;!?*`")
        low = tok.lower().rstrip(".:")
        if not tok or stem(low) in question_terms or low in question_terms:
            continue
        if _CODE_TOKEN.fullmatch(tok.rstrip(".:")):
            return True
        if tok[0].isupper() and low not in STOPWORDS and low not in _PRONOUNS:
            if i > 0 or any(ch.isupper() for ch in tok[1:]) or len(toks) <= 3:
                return True
    return False


_NAME_RUN = re.compile(r"\S+@\S+|\b[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|(?:de|van|von|der|da|di|del|la|le|bin|al)\b))*")


def _name_runs(text: str) -> list[str]:
    """Runs of capitalised words (a person's or an organisation's name), e-mail addresses. A run that holds two
    consecutive words of a name in a who-question names the person asked about, not the answer: "Who was the first
    guest to arrive at Anna Pavlovna's reception?" answered "Anna Pávlovna Schérer" (development set e18); "Who is
    the CEO of Acme?" answered "Acme CEO John Smith" still names someone new."""
    runs = []
    for m in _NAME_RUN.finditer(text):
        run = m.group(0)
        if run.lower().strip(".'’") not in _PRONOUNS:
            runs.append(run)
    return runs


def _name_pairs(text: str) -> set[tuple[str, str]]:
    """Consecutive word pairs of the name runs in `text` ("Anna Pavlovna" → ("anna", "pavlovna"))."""
    out = set()
    for run in _name_runs(text):
        ws = words(run)
        out.update(zip(ws, ws[1:]))
    return out


# what kind of answer does the question want? -----------------------------------------------------------------------
_DATE = re.compile(r"\b(?:1[0-9]{3}|20[0-9]{2})\b|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b")
_PHONE_Q = re.compile(r"\b(?:phone|telephone|mobile|cell|fax)\b", re.I)
_PHONE = re.compile(r"\+?\(?\d[\d ()./-]{5,}\d")
_NUMBER_WORD = re.compile(r"[$€£]?\d+(?:[.,]\d+)*(?:%|k|m|bn|st|nd|rd|th|s)?")
_EMAIL_Q = re.compile(r"\be-?mail address\b", re.I)


# Who someone is can be a role as well as a name: "the keeper on duty", "the NFL owners", "the editor". Without these
# the who-rule rejected the lighthouse fixture's right answer (the README's quick-ask screenshot).
_ROLES = frozenset(stem(w) for w in """keeper owner manager editor author writer president chairman chair director
secretary treasurer officer clerk teacher doctor nurse engineer developer maintainer administrator admin sysadmin staff
team committee board council government police king queen emperor pope mayor governor minister landlord tenant
customer client vendor supplier user employee employer member colonies colonist people citizen parliament congress
court judge jury lawyer attorney partner wife husband mother father son daughter brother sister friend neighbour
neighbor boss colleague assistant guard soldier army priest bishop founder inventor scientist researcher student
professor volunteer organizer organiser host guest""".split())


def names_a_role(text: str, question_terms: set[str], max_words: int = 10) -> bool:
    """Whether `text` names a role the question does not ("the keeper on duty"); a long sentence (more than
    `max_words` words; 0: any length) is not taken for one."""
    low = words(text)
    if max_words and len(low) > max_words:
        return False
    return any(stem(w) in _ROLES and stem(w) not in question_terms for w in low)


def answer_type(question: str) -> str:
    """"phone", "email", "who", "when", "number" or "" (anything): what an answer to `question` must contain."""
    question = main_clause(question)
    if _PHONE_Q.search(question) and re.search(r"\bnumber\b", question, re.I):
        return "phone"
    if _EMAIL_Q.search(question):
        return "email"
    if (_WHO.search(question) or _NAME_Q.search(question)) and not _EMPLOYER_Q.search(question):
        return "who"
    if _WHEN.search(question):
        return "when"
    if _HOW_MANY.search(question):
        return "number"
    return ""


def has_answer_type(kind: str, text: str, question_terms: set[str]) -> bool:
    """Whether `text` holds an answer of `kind` that the question does not already name."""
    if kind == "phone":
        return any(len(re.sub(r"\D", "", m)) >= 7 for m in _PHONE.findall(text))
    if kind == "email":
        return bool(re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text))
    low = words(text)
    if kind == "who":
        toks = re.findall(r"\b[A-Z][\w'’.-]*", text)[1:]  # the first word of a sentence is capitalised anyway
        return any(t.lower().strip(".'’") not in _PRONOUNS and t.lower().strip(".'’") not in STOPWORDS
                   and stem(t.lower().strip(".'’")) not in question_terms for t in toks) or names_a_role(
                       text, question_terms, max_words=0)
    if kind == "when":
        return bool(_DATE.search(text)) or any(w in _MONTHS for w in low)
    if kind == "number":  # a standalone number ("J1K 2R1", a postcode, is none; "six-month" is one)
        parts = [p for w in low if w not in question_terms for p in w.split("-")]
        return any(_NUMBER_WORD.fullmatch(p) or p in _NUMBER_WORDS for p in parts)
    return True
