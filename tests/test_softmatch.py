"""The word-by-word soft match (``bot.softmatch``) with the real MiniLM: a paraphrase in other
words finds its sentence over one that shares a word with the question, frame words and
stopwords carry no weight, and a question with no content words scores nothing."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from bot.answerers.extractive import FRAME_STEMS
from bot.softmatch import SoftMatcher

pytestmark = pytest.mark.slow

SENTENCES = [
    "The practice of exchanging pauses in violence for prisoner releases has allowed militants to regroup.",
    "Jailed reformers wrote letters about the fighting spirit of the city's football fans.",
    "The city council approved a new budget for road repairs.",
]


@pytest.fixture(scope="module")
def matcher(embedder):
    sentences = [SimpleNamespace(doc="a", text=t) for t in SENTENCES] + [SimpleNamespace(doc="b", text=t) for t in SENTENCES]
    return SoftMatcher(sentences, lambda texts: embedder.encode_with_tokens(texts)[1], ignore=FRAME_STEMS)


def test_a_paraphrase_finds_its_sentence_over_shared_words(embedder, matcher):
    ((_, question),) = embedder.encode_queries_with_tokens(
        ["What has trading lulls in the conflict for freed inmates done for the insurgents?"]
    )
    scores = matcher.scores(question, [0, 1, 2])
    assert scores.shape == (3,)
    assert scores[0] > scores[1] > scores[2]
    assert np.all(scores <= 1.0 + 1e-6)
    assert list(matcher.scores(question, [2, 0])) == pytest.approx([scores[2], scores[0]], abs=1e-6)  # any rows, any order
    # a second op-ed: its wordpieces are made when first reached, and rows across both score alike
    assert list(matcher.scores(question, [1, 3, 2, 5])) == pytest.approx([scores[1], scores[0], scores[2], scores[2]], abs=1e-5)
    assert set(matcher._ops) == {"a", "b"}


def test_frame_words_and_stopwords_carry_no_weight(embedder, matcher):
    ((_, question),) = embedder.encode_queries_with_tokens(["What does the author of the op-ed think about prisoner releases?"])
    kept = {question.pieces[i] for i in matcher.content(question)}
    assert {"prisoner", "releases"} <= kept
    assert not kept & {"what", "does", "the", "author", "of", "op", "ed", "think", "about"}
    ((_, bare),) = embedder.encode_queries_with_tokens(["What does the author think?"])
    assert matcher.content(bare) == []
    assert not matcher.scores(bare, [0, 1, 2]).any()
    assert not matcher.scores(None, [0, 1]).any()
