"""Loaders for the QA benchmark sets in ../shared/corpora/qa (SQuAD v1.1 dev, SciFact + BEIR qrels)."""
from __future__ import annotations

import ast
import csv
import io
import json
import re
import tokenize
import zipfile
from dataclasses import dataclass
from pathlib import Path

QA = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "qa"


@dataclass(frozen=True)
class SquadQuestion:
    qid: str
    article: str
    question: str
    answers: tuple[str, ...]
    answer_sentence: str  # the sentence of the question's own paragraph that holds the first gold answer


def norm(text: str) -> str:
    return " ".join(text.split())


_SENT = re.compile(r"(?<=[.!?;:。！？])\s+|\n+")


def _sentence_at(paragraph: str, start: int) -> str:
    pos = 0
    for piece in _SENT.split(paragraph):
        idx = paragraph.find(piece, pos)
        if idx <= start < idx + len(piece) + 1:
            return norm(piece)
        pos = idx + len(piece)
    return ""


def load_squad() -> tuple[dict[str, str], list[SquadQuestion]]:
    """The 48 articles as 48 Markdown documents (title heading, one paragraph per block), and every question."""
    data = json.loads((QA / "squad-v1.1" / "dev-v1.1.json").read_text(encoding="utf-8"))["data"]
    docs: dict[str, str] = {}
    questions: list[SquadQuestion] = []
    for article in data:
        title = article["title"].replace("_", " ")
        paras = [p["context"] for p in article["paragraphs"]]
        docs[article["title"]] = f"# {title}\n\n" + "\n\n".join(paras) + "\n"
        for p in article["paragraphs"]:
            for qa in p["qas"]:
                first = qa["answers"][0]
                questions.append(SquadQuestion(qa["id"], article["title"], qa["question"],
                                               tuple(a["text"] for a in qa["answers"]),
                                               _sentence_at(p["context"], first["answer_start"])))
    return docs, questions


def _sentences(value: str) -> list[str]:
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(value).readline):
        if tok.type == tokenize.STRING:
            out.append(ast.literal_eval(tok.string))
    return out


def load_scifact() -> tuple[dict[str, tuple[str, str]], dict[str, str], dict[str, set[str]]]:
    """Corpus {doc_id: (title, text)}, BEIR test queries {qid: text}, qrels {qid: {doc_id}}."""
    with zipfile.ZipFile(QA / "scifact" / "hf-allenai-scifact-csv" / "scifact.zip") as z:
        raw = z.read("corpus_train.csv").decode("utf-8")
    csv.field_size_limit(10**8)
    corpus = {row["doc_id"]: (row["title"], " ".join(_sentences(row["abstract"])))
              for row in csv.DictReader(io.StringIO(raw))}
    qrels: dict[str, set[str]] = {}
    for line in (QA / "scifact" / "beir" / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        parts = line.strip().split("\t")
        if len(parts) >= 3 and int(parts[2]) > 0:
            qrels.setdefault(parts[0], set()).add(parts[1])
    queries = {}
    for line in (QA / "scifact" / "beir" / "queries.jsonl").read_text().splitlines():
        q = json.loads(line)
        if q["_id"] in qrels:
            queries[q["_id"]] = q["text"]
    return corpus, queries, qrels
