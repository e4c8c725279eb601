"""Judge-free answer metrics for a quote-first bot. Pure functions over plain data.

Passages are located in the documents by exact text; coverage is measured in characters. Every
metric here can score 0 and tests/test_metrics.py shows a case that does.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from bot.text import words

_APOS = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})


def norm(text: str) -> str:
    """Case-insensitive, curly and straight quotes alike, whitespace collapsed."""
    return " ".join(text.translate(_APOS).lower().split())


@dataclass
class Item:
    id: str
    question: str
    answerable: bool
    history: list[dict] = field(default_factory=list)
    category: str = "uncategorised"
    reference: str = ""
    must_include: list[str] = field(default_factory=list)
    gold_quotes: list[str] = field(default_factory=list)
    must_not_include: list[str] = field(default_factory=list)


def includes(entry: str, haystack: str) -> bool:
    """A must_include entry: alternatives separated by '|', any one suffices."""
    h = norm(haystack)
    return any(norm(alt) in h for alt in entry.split("|") if alt.strip())


def answer_haystack(answer: dict) -> str:
    return " ".join([answer.get("answer", ""), *(q["text"] for q in answer.get("quotes", []))])


def has_key_facts(item: Item, answer: dict) -> bool:
    hay = answer_haystack(answer)
    return all(includes(e, hay) for e in item.must_include)


def violations(item: Item, answer: dict) -> list[str]:
    hay = norm(answer_haystack(answer))
    return [s for s in item.must_not_include if norm(s) in hay]


def passed(item: Item, answer: dict) -> bool:
    if violations(item, answer):
        return False
    if item.answerable:
        return bool(answer.get("answered")) and has_key_facts(item, answer)
    return not answer.get("answered")


# ---- spans
Extent = tuple[str, int, int]  # doc, start, end: where a passage lies (index.chunking.Span has its text too)


def locate(passage: str, documents: dict[str, str]) -> Extent | None:
    for doc_id, text in documents.items():
        i = text.find(passage)
        if i >= 0:
            return (doc_id, i, i + len(passage))
    return None


def covered(target: Extent, spans: list[Extent]) -> float:
    """Share of target's characters inside the union of spans (same document)."""
    doc, s, e = target
    if e <= s:
        return 0.0
    marks = bytearray(e - s)
    for d, a, b in spans:
        if d == doc:
            for i in range(max(a, s), min(b, e)):
                marks[i - s] = 1
    return sum(marks) / (e - s)


def overlaps(a: Extent, b: Extent) -> bool:
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def quote_spans(answer: dict) -> list[Extent]:
    return [(q["doc"], q["start"], q["end"]) for q in answer.get("quotes", [])]


def faithful(quote: dict, documents: dict[str, str]) -> bool:
    text = documents.get(str(quote.get("doc")))
    return text is not None and text[quote["start"] : quote["end"]] == quote["text"]


# ---- text similarity
def token_f1(prediction: str, reference: str) -> float:
    p, r = words(prediction), words(reference)
    if not p or not r:
        return float(p == r)
    common = sum((Counter(p) & Counter(r)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(r)
    return 2 * precision * recall / (precision + recall)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    v = sorted(values)
    k = (len(v) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def compute(items: list[Item], answers: list[dict], retrieved: list[list[Extent]], documents: dict[str, str], similarity=None) -> dict:
    """All metrics over a run. ``retrieved[i]`` are the chunk spans retrieval gave item i, in rank
    order; ``similarity(a, b)`` (MiniLM cosine) is optional."""
    answerable = [(it, a, r) for it, a, r in zip(items, answers, retrieved) if it.answerable]
    unanswerable = [(it, a) for it, a in zip(items, answers) if not it.answerable]

    gold_total = gold_hit = cited = cited_ok = 0
    recall_k: list[float] = []
    rr: list[float] = []
    f1s: list[float] = []
    sims: list[float] = []
    for it, a, ret in answerable:
        golds = [g for g in (locate(q, documents) for q in it.gold_quotes) if g]
        qs = quote_spans(a)
        for g in golds:
            gold_total += 1
            gold_hit += covered(g, qs) >= 0.5
        if golds:
            for q in qs:
                cited += 1
                cited_ok += any(overlaps(q, g) for g in golds)
            recall_k.append(sum(covered(g, ret) >= 0.5 for g in golds) / len(golds))
            rank = next((i for i, c in enumerate(ret, 1) if any(overlaps(c, g) for g in golds)), None)
            rr.append(1 / rank if rank else 0.0)
        if it.reference:
            f1s.append(token_f1(a.get("answer", ""), it.reference))
            if similarity is not None:
                sims.append(similarity(a.get("answer", ""), it.reference))

    all_quotes = [q for a in answers for q in a.get("quotes", [])]
    latencies = [a.get("timings_ms", {}).get("total", math.nan) for a in answers]
    metrics: dict[str, object] = {
        "n": len(items),
        "answer_accuracy": mean([float(bool(a.get("answered")) and has_key_facts(it, a)) for it, a, _ in answerable]),
        "refusal_accuracy": mean([float(not a.get("answered")) for _, a in unanswerable]),
        "false_refusal_rate": mean([float(not a.get("answered")) for _, a, _ in answerable]),
        "quote_faithfulness": mean([float(faithful(q, documents)) for q in all_quotes]),
        "gold_quote_recall": gold_hit / gold_total if gold_total else None,
        "citation_precision": cited_ok / cited if cited else None,
        "retrieval_recall_at_k": mean(recall_k),
        "mrr": mean(rr),
        "token_f1": mean(f1s),
        "semantic_similarity": mean(sims) if similarity is not None else None,
        "must_not_include_violations": sum(bool(violations(it, a)) for it, a in zip(items, answers)),
        "latency_p50_ms": percentile([x for x in latencies if not math.isnan(x)], 0.5),
        "latency_p95_ms": percentile([x for x in latencies if not math.isnan(x)], 0.95),
        "pass_rate": mean([float(passed(it, a)) for it, a in zip(items, answers)]),
    }
    cats: dict[str, dict] = {}
    for cat in sorted({it.category for it in items}):
        sel = [(it, a) for it, a in zip(items, answers) if it.category == cat]
        ans = [(it, a) for it, a in sel if it.answerable]
        una = [(it, a) for it, a in sel if not it.answerable]
        cats[cat] = {
            "n": len(sel),
            "pass_rate": mean([float(passed(it, a)) for it, a in sel]),
            "answer_accuracy": mean([float(bool(a.get("answered")) and has_key_facts(it, a)) for it, a in ans]),
            "refusal_accuracy": mean([float(not a.get("answered")) for _, a in una]),
        }
    metrics["per_category"] = cats
    return metrics
