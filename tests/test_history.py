"""A conversation's history may come from any client (the REST API takes it as given), so the
previous answer is known by the op-ed sentences it shows, whether it quotes them whole, quotes
part of one, or restates one in most of its words."""

from __future__ import annotations

import pytest

from bot.answerers.conversation import shown_sentences
from tests.conftest import ask

pytestmark = pytest.mark.slow


def _shown(bot, text: str) -> list[str]:
    return [bot.index.sentences[r].text for r in shown_sentences(bot.index, text)]


def test_a_sentence_is_shown_whole_in_part_or_in_most_of_its_words(bot):
    whole = "According to the op-ed: “In an environment where militants exploit time and terrain, procedural delays matter.” [1]"
    assert _shown(bot, whole) == ["In an environment where militants exploit time and terrain, procedural delays matter."]
    # eight words or more in a row: a quote of part of a longer sentence
    part = "It says the consultation “in practice can delay decisive action against fast-moving threats”."
    assert [s[:30] for s in _shown(bot, part)] == ["KP’s elected leadership has pu"]
    # most of a sentence's words in runs, without quotation marks or its first word
    restated = "It says political narratives from PTI aligned movements are undermining national consensus."
    assert [s[:30] for s in _shown(bot, restated)] == ["Further, the political narrati"]
    # in the order the answer shows them
    both = restated + " " + whole
    assert [s[:20] for s in _shown(bot, both)] == ["Further, the politic", "In an environment wh"]


def test_words_the_op_ed_uses_do_not_make_a_sentence_shown(bot):
    for text in (
        "The op-ed does not say who brokered the 2014 operation in North Waziristan.",
        "It argues that KP needs talks, force and the federal government together.",
        "The talks collapsed and the militants regrouped, the author says.",
    ):
        assert _shown(bot, text) == [], text


def test_a_list_another_client_wrote_can_be_pointed_into(bot):
    history = [
        {"role": "user", "content": "What does the op-ed recommend?"},
        {
            "role": "assistant",
            "content": (
                "Its recommendations: KP's leadership should avoid binary choices between talks and force; "
                "provincial-federal coordination needs urgent improvement: joint operational planning and "
                "intelligence-sharing; and the state must increase civic resilience by upholding the rule of law."
            ),
        },
    ]
    a = ask(bot, "What was the second one?", history)
    assert a.answered and [q.text[:40] for q in a.quotes] == ["Second, provincial-federal coordination "], a.answer


def test_a_large_collection_finds_the_same_sentences(bot):
    """The sentences sharing a run of words with the answer are looked up, not scanned one by
    one: among 2,000 other sentences the same ones are found, in the same order."""
    from dataclasses import replace

    import numpy as np

    from index.chunking import Span

    texts = [f"Zone {k} reported {k * 7} sparrows near pier {k * 3} this week." for k in range(2000)]
    filler = [Span(f"zoo-{k}", "zoo", k, 0, len(t), t) for k, t in enumerate(texts)]
    sentences = [*filler, *bot.index.sentences]
    big = replace(bot.index, sentences=sentences, sentence_vectors=np.zeros((len(sentences), 384), dtype=np.float32))
    for text in (
        "According to the op-ed: “In an environment where militants exploit time and terrain, procedural delays matter.” [1]",
        "It says the consultation “in practice can delay decisive action against fast-moving threats”.",
        "It says political narratives from PTI aligned movements are undermining national consensus.",
    ):
        assert [big.sentences[r].text for r in shown_sentences(big, text)] == _shown(bot, text), text
    quoted = "The log says: “Zone 12 reported 84 sparrows near pier 36 this week.” Zone 1999 reported 13993 sparrows near pier 5997 too."
    assert [big.sentences[r].text for r in shown_sentences(big, quoted)] == [filler[12].text, filler[1999].text]
