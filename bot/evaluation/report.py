"""report.md and report.html for an eval run. Charts are inline SVG: no JavaScript, no CDN,
and every question, answer and quote is HTML-escaped (test sets hold script payloads on purpose).
"""

from __future__ import annotations

import html
import math

from bot.evaluation.metrics import Item, passed

SCORE_METRICS = [
    "answer_accuracy",
    "refusal_accuracy",
    "false_refusal_rate",
    "quote_faithfulness",
    "gold_quote_recall",
    "citation_precision",
    "retrieval_recall_at_k",
    "mrr",
    "token_f1",
    "semantic_similarity",
    "pass_rate",
]
OTHER_METRICS = ["must_not_include_violations", "latency_p50_ms", "latency_p95_ms", "n"]


def fmt(v) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.3f}"
    return str(v)


def summary_rows(metrics: dict, previous: dict | None = None) -> list[tuple[str, str, str]]:
    rows = []
    for name in SCORE_METRICS + OTHER_METRICS:
        v = metrics.get(name)
        delta = ""
        if previous is not None:
            p = previous.get(name)
            if isinstance(v, (int, float)) and isinstance(p, (int, float)):
                delta = f"{v - p:+.3f}"
            else:
                delta = "n/a"
        rows.append((name, fmt(v), delta))
    return rows


def render_markdown(items: list[Item], answers: list[dict], metrics: dict) -> str:
    out = [f"# opedbot eval: {metrics.get('test_set', '')} ({metrics.get('backend', '')})", "", "| metric | value |", "|---|---|"]
    out += [f"| {n} | {v} |" for n, v, _ in summary_rows(metrics)]
    out += ["", "## Per category", "", "| category | n | pass rate | answer accuracy | refusal accuracy |", "|---|---|---|---|---|"]
    for cat, m in metrics.get("per_category", {}).items():
        out.append(f"| {cat} | {m['n']} | {fmt(m['pass_rate'])} | {fmt(m['answer_accuracy'])} | {fmt(m['refusal_accuracy'])} |")
    out += ["", "## Items", "", "| id | category | result | question | answer | why refused |", "|---|---|---|---|---|---|"]
    for it, a in zip(items, answers):
        cell = lambda s: s.replace("|", "\\|").replace("\n", " ")  # noqa: E731
        verdict = "pass" if passed(it, a) else "FAIL"
        why = cell(a.get("reason") or "")
        out.append(f"| {it.id} | {it.category} | {verdict} | {cell(it.question)} | {cell(a['answer'])} | {why} |")
    return "\n".join(out) + "\n"


def _bar_chart(metrics: dict) -> str:
    names = [n for n in SCORE_METRICS if isinstance(metrics.get(n), (int, float))]
    w, row = 560, 22
    parts = [
        f'<svg role="img" aria-label="metrics chart" width="{w + 260}" height="{row * len(names) + 10}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, n in enumerate(names):
        v = max(0.0, min(1.0, float(metrics[n])))
        y = i * row + 4
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{html.escape(n)}</text>')
        parts.append(f'<rect x="200" y="{y}" width="{w}" height="16" fill="#eee"/>')
        parts.append(f'<rect x="200" y="{y}" width="{w * v:.1f}" height="16" fill="#3b6ea5"/>')
        parts.append(f'<text x="{205 + w * v:.1f}" y="{y + 13}" font-size="11">{v:.2f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _histogram(latencies: list[float], bins: int = 12) -> str:
    lat = [x for x in latencies if isinstance(x, (int, float)) and not math.isnan(x)]
    if not lat:
        return "<p>no latencies</p>"
    lo, hi = min(lat), max(lat)
    width = (hi - lo) / bins or 1.0
    counts = [0] * bins
    for x in lat:
        counts[min(bins - 1, int((x - lo) / width))] += 1
    top = max(counts)
    bw, h, pad = 40, 140, 16
    parts = [
        f'<svg role="img" aria-label="latency histogram" width="{bins * bw + 20}" height="{h + pad + 40}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, c in enumerate(counts):
        bh = h * c / top
        y = pad + h - bh
        parts.append(f'<rect x="{i * bw + 10}" y="{y:.1f}" width="{bw - 4}" height="{bh:.1f}" fill="#6a9f58"/>')
        parts.append(f'<text x="{i * bw + 12}" y="{y - 3:.1f}" font-size="10">{c}</text>')
        parts.append(f'<text x="{i * bw + 10}" y="{pad + h + 16}" font-size="9">{lo + i * width:.0f}</text>')
    parts.append(
        f'<text x="10" y="{pad + h + 34}" font-size="11">total latency per question, ms (each bin starts at the value shown)</text></svg>'
    )
    return "".join(parts)


def render_html(items: list[Item], answers: list[dict], metrics: dict) -> str:
    e = html.escape
    summary = "".join(f"<tr><td>{e(n)}</td><td>{e(v)}</td></tr>" for n, v, _ in summary_rows(metrics))
    cats = "".join(
        f"<tr><td>{e(c)}</td><td>{m['n']}</td><td>{fmt(m['pass_rate'])}</td><td>{fmt(m['answer_accuracy'])}</td><td>{fmt(m['refusal_accuracy'])}</td></tr>"
        for c, m in metrics.get("per_category", {}).items()
    )
    rows = []
    for it, a in zip(items, answers):
        ok = passed(it, a)
        quotes = "".join(f"<blockquote>[{q['n']}] ¶{q['paragraph']} {e(q['text'])}</blockquote>" for q in a.get("quotes", []))
        rows.append(
            f'<tr class="{"pass" if ok else "fail"}"><td>{e(it.id)}</td><td>{e(it.category)}</td>'
            f"<td>{'pass' if ok else 'FAIL'}</td><td>{e(it.question)}</td>"
            f"<td>{e(a.get('answer', ''))}{quotes}</td><td>{e(a.get('reason') or '')}</td><td>{fmt(a.get('timings_ms', {}).get('total'))}</td></tr>"
        )
    latencies = [a.get("timings_ms", {}).get("total") for a in answers]
    title = f"opedbot eval: {metrics.get('test_set', '')} ({metrics.get('backend', '')})"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font-family:system-ui,sans-serif;margin:2rem;max-width:1200px}}
table{{border-collapse:collapse;margin:1rem 0}} td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}}
tr.fail td:nth-child(3){{color:#b00020;font-weight:bold}} tr.pass td:nth-child(3){{color:#2e7d32}}
blockquote{{margin:4px 0 4px 8px;padding-left:8px;border-left:3px solid #3b6ea5;color:#333}}
</style></head><body>
<h1>{e(title)}</h1>
<h2>Summary</h2><table><tr><th>metric</th><th>value</th></tr>{summary}</table>
<h2>Metrics</h2>{_bar_chart(metrics)}
<h2>Latency</h2>{_histogram(latencies)}
<h2>Per category</h2><table><tr><th>category</th><th>n</th><th>pass rate</th><th>answer accuracy</th><th>refusal accuracy</th></tr>{cats}</table>
<h2>Items</h2><table><tr><th>id</th><th>category</th><th>result</th><th>question</th><th>answer and quotes</th><th>why refused</th><th>ms</th></tr>{"".join(rows)}</table>
</body></html>
"""
