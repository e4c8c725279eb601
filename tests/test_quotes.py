"""The quote check: only exact document text at its offsets survives, and nothing of a failed
quote is left in the answer text."""

from dataclasses import replace

import pytest

from bot.quotes import REMOVED, finalize, is_verbatim
from bot.schema import Quote
from index.builtin import default_document

DOC = default_document()
DOCS = {DOC.id: DOC}
SENT = "Since 2021, ceasefire talks, many brokered with the help of the Afghan Taliban, included the release of prisoners and pauses in operations."


def real_quote(text=SENT, n=1):
    start = DOC.text.index(text)
    return Quote(n, text, DOC.id, DOC.paragraph_at(start), start, start + len(text))


def test_exact_quote_passes():
    q = real_quote()
    assert is_verbatim(q, DOCS)
    checked = finalize(f"The op-ed argues: “{q.text}” [1]", [q], DOCS)
    assert checked.quotes == [q] and not checked.dropped
    assert checked.answer == f"The op-ed argues: “{q.text}” [1]"


@pytest.mark.parametrize(
    "change",
    [
        lambda q: replace(q, text=q.text.replace("Afghan", "Afghani")),  # altered
        lambda q: replace(q, text=q.text[:-1] + "!"),  # one character
        lambda q: replace(q, start=q.start + 1, end=q.end + 1),  # shifted offsets
        lambda q: replace(q, doc="another-doc"),  # wrong document
        lambda q: replace(q, paragraph=5),  # wrong paragraph
        lambda q: replace(q, text="", end=q.start),  # empty
        lambda q: replace(q, start=-5),  # out of range
    ],
)
def test_tampered_quotes_are_rejected(change):
    assert not is_verbatim(change(real_quote()), DOCS)


def test_retyped_quote_with_straight_apostrophe_is_rejected():
    curly = "Multiple reviews show that the TTP’s resurgence has been fuelled by sanctuaries across the Durand Line"
    q = real_quote(curly)
    retyped = replace(q, text=curly.replace("’", "'"))
    assert is_verbatim(q, DOCS) and not is_verbatim(retyped, DOCS)


def test_invented_quote_and_its_traces_leave_the_answer():
    good = real_quote()
    fake = Quote(2, "The TTP has agreed to disarm by 2026.", DOC.id, 2, 10, 47)
    answer = f"The op-ed argues: “{good.text}” [1] It adds: “{fake.text}” [2]"
    checked = finalize(answer, [good, fake], DOCS)
    assert checked.quotes == [good]
    assert checked.dropped == [fake]
    assert "disarm" not in checked.answer and "[2]" not in checked.answer
    assert good.text in checked.answer


def test_surviving_quotes_are_renumbered():
    fake = Quote(1, "Invented words that are not there at all.", DOC.id, 1, 0, 41)
    good = real_quote(n=2)
    checked = finalize(f"“{fake.text}” [1] and “{good.text}” [2]", [fake, good], DOCS)
    assert [q.n for q in checked.quotes] == [1]
    assert checked.answer.endswith("[1]") and "[2]" not in checked.answer


def test_unlisted_quoted_passage_in_answer_text_is_removed():
    checked = finalize("The op-ed says “militants have all been defeated for good”.", [], DOCS)
    assert "defeated" not in checked.answer and REMOVED in checked.answer
    kept = finalize("The op-ed says “procedural delays matter”.", [], DOCS)
    assert "“procedural delays matter”" in kept.answer


def test_quote_containing_inner_quotes_survives():
    text = "Moreover, politicising counter-terrorism, whether by portraying operations as externally driven “Dollar Wars” or by insisting that the federal government consult provincial assemblies before action, can slow operational responses and fracture intelligence-led campaigns."
    q = real_quote(text)
    checked = finalize(f"The op-ed argues: “{text}” [1]", [q], DOCS)
    assert checked.quotes == [q] and text in checked.answer and REMOVED not in checked.answer
