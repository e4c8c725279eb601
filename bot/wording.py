"""Every sentence the bot says in its own voice, in one place: refusals, the hint of what the
op-ed covers, and the attribution that presents quotes as the op-ed's claims, never as facts.

``compose`` renders an answer's parts (lead, quotes, hint) into the plain text of the answer
object; it is the only place that text is made, and nothing parses it back.
"""

from __future__ import annotations

from bot.schema import Quote
from bot.turn import Draft
from index.documents import Document


def refusal(documents: dict[str, Document], reason: str, evidence: object = None, lead: str | None = None) -> Draft:
    """A plain "not in the op-ed" answer, with a hint of what it does cover and no passage."""
    titles = [d.title for d in documents.values()]
    if len(titles) == 1:
        hint = f"It covers “{titles[0].rstrip('.')}”: ask about what it argues on that."  # a headline or a description, quoted as is
    else:
        hint = "The collection covers: " + "; ".join(titles[:5]) + ("…" if len(titles) > 5 else "") + "."
    lead = lead or ("The op-ed doesn't address this." if len(titles) == 1 else "None of the op-eds addresses this.")
    return Draft(answered=False, lead=lead, hint=hint, reason=reason, evidence=evidence)


LEADS = {
    "summary": "In its own words, the op-ed’s main argument and its conclusion:",
    "conclusion": "The op-ed concludes:",
    "objections": "The op-ed takes on the other side:",
    "objections-topical": "On that, the op-ed takes on the other side:",
    "rebuttal": "The op-ed answers the other side:",
    "stance": "In its own words, the op-ed’s main argument and its conclusion:",
    "stance-topical": "On that, the op-ed argues:",
    "blame": "In its own words, where the op-ed puts the responsibility, and its main argument:",
    "blame-topic": "In its own words, where the op-ed puts the responsibility:",
    "problems": "In its own words, what the op-ed finds wrong:",
    "problems-topical": "On that, what the op-ed finds wrong:",
    "evidence": "In its own words, the evidence the op-ed offers:",
    "evidence-topical": "On that, the op-ed offers this evidence:",
    "recommendations": "The op-ed recommends:",
    "recommendations-topical": "On that, the op-ed recommends:",
    "passage": "According to the op-ed:",
    "other-side": "The op-ed sets out the other side’s case and answers it:",
    "item": "That point, in the op-ed’s words:",
    "more": "The op-ed goes on:",
    "related": "That point, which the op-ed makes in one sentence, and what it argues on the same subject elsewhere:",
    "reason-within": "The op-ed gives its reason in the same sentence:",
    "no-more": "The op-ed says no more about that point than this:",
}


NUMBER_WORDS = ("", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def lead_for(kind: str, title: str = "", many: bool = False, topical: bool = False, count: int = 0) -> str:
    """The framing sentence for an answer of a given kind: always attributes to the op-ed, never
    states its claims in the bot's own voice. With several documents the op-ed is named. The
    op-ed's own list of recommendations is counted ("The op-ed makes four recommendations:")."""
    lead = LEADS[f"{kind}-topical"] if topical and f"{kind}-topical" in LEADS else LEADS[kind]
    if kind == "recommendations" and not topical and 2 <= count < len(NUMBER_WORDS):
        lead = f"The op-ed makes {NUMBER_WORDS[count]} recommendations:"
    if many and title:
        lead = lead.replace("the op-ed", f"the op-ed ‘{title}’", 1).replace("The op-ed", f"The op-ed ‘{title}’", 1)
    return lead


def list_too_short(n: int) -> str:
    """A follow-up asked for a point past the end of the op-ed's list ("the fifth one" of four)."""
    return f"The op-ed’s list has {n} points; ask about any of them by number."


def attribution(quotes: list[Quote], documents: dict[str, Document]) -> list[str]:
    """For each quote, the words that introduce it when an answer has no lead of its own:
    "The op-ed argues:", then "It adds:" while the source stays the same; with several
    documents the op-ed is named."""
    many = len(documents) > 1
    out = []
    for i, q in enumerate(quotes):
        who = f"The op-ed ‘{documents[q.doc].title}’" if many else "The op-ed"
        same_source = i > 0 and (not many or q.doc == quotes[i - 1].doc)
        out.append("It adds:" if same_source else f"{who} argues:")
    return out


def compose(draft: Draft, documents: dict[str, Document]) -> str:
    """The plain text of an answer, each quote in it once: a refusal's lead and hint; an
    answer's lead followed by its numbered quotes; without a lead, each quote introduced by its
    attribution."""
    if not draft.answered:
        return f"{draft.lead} {draft.hint}".strip()
    quoted = [f"“{q.text}” [{q.n}]" for q in draft.quotes]
    if draft.lead:
        return " ".join([draft.lead, *quoted])
    return " ".join(f"{intro} {q}" for intro, q in zip(attribution(draft.quotes, documents), quoted))
