"""``opedbot bench --prose``: how fast a model writes the lead of an answer, printed, never
asserted.

For each of N answerable questions (default 8) it asks the bot with prose on, as
``ask --stream`` does, and times:
* the answer with its quotes (retrieval, the answerer, for ``llamacpp`` the sentence selector);
* the model's first token of the lead, counted from when the lead starts;
* the first word released to the reader (through the gate of ``bot.prose``), counted from the
  question;
* the whole lead, and the decode rate after the first token;
* whether the lead passed the checks (kept) or the template lead stood.

For the local model it also streams the *same* prompt straight through llama-cpp-python (fresh
context, no prefix reuse, no gate) in the same run, so the decode rate has a baseline: ours
divided by that is the overhead of our streaming and checks.
"""

from __future__ import annotations

import time
from pathlib import Path

from bot.config import Settings
from bot.errors import InputError
from bot.evaluation.metrics import percentile
from bot.evaluation.runner import load_items
from bot.schema import Answer
from bot.service import Bot
from bot.validation import parse_request

DEFAULT_SET = Path(__file__).resolve().parents[2] / "tests" / "data" / "eval.jsonl"


def _questions(bot: Bot, files: list[Path] | None, n: int) -> list[str]:
    """The first ``n`` answerable questions (no history) that the bot answers with quotes."""
    out: list[str] = []
    for f in files or [DEFAULT_SET]:
        for it in load_items(f):
            if it.answerable and not it.history and it.question not in out:
                a = bot.ask(parse_request(it.question, None, bot.settings))
                if a.answered and a.quotes:
                    out.append(it.question)
            if len(out) >= n:
                return out
    return out


def run_prose_bench(settings: Settings, files: list[Path] | None, n: int = 8) -> dict:
    bot = Bot(settings.model_copy(update={"llm_prose": True, "answer_cache": 0}))
    bot.load(build_if_missing=True)
    answerer = bot.parts.answerers[-1]
    writer = getattr(answerer, "lead_stream", None)
    if writer is None:
        raise InputError(f"--prose needs a backend whose model writes leads (llamacpp, openai), not {settings.backend!r}")
    stamps: list[float] = []

    def timed(question, quotes):
        for piece in writer(question, quotes):
            stamps.append(time.perf_counter())
            yield piece

    answerer.lead_stream = timed  # type: ignore[attr-defined]
    questions = _questions(bot, files, n)
    rows = []
    for q in [questions[0], *questions]:  # the first, once more, to warm the lead's prefix
        request = parse_request(q, None, bot.settings)
        stamps.clear()
        t0 = time.perf_counter()
        first_word = None
        final: Answer | None = None
        for kind, value in bot.ask_stream(request):
            if kind == "delta" and first_word is None:
                first_word = time.perf_counter() - t0
            if isinstance(value, Answer):
                final = value
        end = time.perf_counter()
        quotes_ms = final.timings_ms.get("total", 0.0) if final is not None else 0.0
        lead_start = t0 + quotes_ms / 1000
        rows.append(
            {
                "question": q,
                "quotes_ms": quotes_ms,
                "first_token_ms": (stamps[0] - lead_start) * 1000 if stamps else None,
                "first_word_ms": first_word * 1000 if first_word is not None else None,
                "lead_ms": (end - lead_start) * 1000,
                "tokens": len(stamps),
                "decode_tps": (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 2 and stamps[-1] > stamps[0] else None,
                "kept": final is not None and not final.fallback,
            }
        )
    rows = rows[1:]
    raw = _raw_decode(answerer, bot, questions) if hasattr(answerer, "lead_prompt") else []
    fig = _figures(rows, raw)
    fig["backend"] = settings.backend
    _print(fig)
    return fig


def _raw_decode(answerer, bot: Bot, questions: list[str]) -> list[dict]:
    """The same lead prompts streamed straight through llama-cpp-python: a fresh context each
    time (the whole prompt evaluated), no prefix reuse, no gate."""
    model = answerer.model
    out = []
    for q in questions:
        a = bot.ask(parse_request(q, None, bot.settings.model_copy(update={"llm_prose": False})))
        _key, text, pieces, _numbers = answerer.lead_prompt(a.question, a.quotes)
        tokens = model.tokens(text, bos=True) + [t for piece, special in pieces for t in model.tokens(piece, special=special)]
        with model._lock:
            model.llm.reset()
            stamps = []
            t0 = time.perf_counter()
            for _chunk in model.llm.create_completion(tokens, max_tokens=96, temperature=0.0, stop=["<|im_end|>"], stream=True):
                stamps.append(time.perf_counter())
        out.append(
            {
                "first_token_ms": (stamps[0] - t0) * 1000 if stamps else None,
                "tokens": len(stamps),
                "decode_tps": (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 2 and stamps[-1] > stamps[0] else None,
            }
        )
    return out


def _p(values, q):
    values = [v for v in values if v is not None]
    return percentile(values, q) if values else None


def _figures(rows: list[dict], raw: list[dict]) -> dict:
    fig: dict = {"questions": len(rows), "kept": sum(r["kept"] for r in rows), "per_question": rows}
    for name in ("quotes_ms", "first_token_ms", "first_word_ms", "lead_ms"):
        fig[f"{name[:-3]}_p50_ms"] = _p([r[name] for r in rows], 0.5)
        fig[f"{name[:-3]}_p95_ms"] = _p([r[name] for r in rows], 0.95)
    ours = [r["decode_tps"] for r in rows if r["decode_tps"]]
    fig["decode_tps"] = sum(ours) / len(ours) if ours else None
    if raw:
        theirs = [r["decode_tps"] for r in raw if r["decode_tps"]]
        fig["raw_decode_tps"] = sum(theirs) / len(theirs) if theirs else None
        fig["raw_first_token_p50_ms"] = _p([r["first_token_ms"] for r in raw], 0.5)
        if fig["decode_tps"] and fig["raw_decode_tps"]:
            fig["decode_ratio"] = fig["decode_tps"] / fig["raw_decode_tps"]
        fig["raw"] = raw
    return fig


def _print(fig: dict) -> None:
    def ms(v):
        return "-" if v is None else f"{v:7.0f} ms"

    print(f"prose leads ({fig['backend']}), {fig['questions']} questions, warm; kept {fig['kept']} of {fig['questions']}")
    print(f"answer with quotes         p50 {ms(fig['quotes_p50_ms'])}   p95 {ms(fig['quotes_p95_ms'])}")
    print(f"lead: model's first token  p50 {ms(fig['first_token_p50_ms'])}   p95 {ms(fig['first_token_p95_ms'])}   (from the lead's start)")
    print(f"first word to the reader   p50 {ms(fig['first_word_p50_ms'])}   p95 {ms(fig['first_word_p95_ms'])}   (from the question)")
    print(f"whole lead                 p50 {ms(fig['lead_p50_ms'])}   p95 {ms(fig['lead_p95_ms'])}")
    if fig.get("decode_tps"):
        line = f"decode                     {fig['decode_tps']:.1f} tokens/s"
        if fig.get("raw_decode_tps"):
            line += (
                f"; raw llama-cpp-python, same prompts: {fig['raw_decode_tps']:.1f} tokens/s (ratio {fig.get('decode_ratio', 0):.2f}x), "
                f"its first token p50 {fig['raw_first_token_p50_ms']:.0f} ms with the whole prompt evaluated"
            )
        print(line)
