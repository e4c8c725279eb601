"""How an op-ed argues with the other side: which sentences report someone else's case, and which
sentences are the author's reply to each.

An op-ed states objections in order to answer them ("Others say that raising water prices will
hurt the poor. That concern is real, but …"). Quoting the objection alone would present someone
else's case as the op-ed's: the overview answerer ("How does the author respond to the
critics?"), the extractive answerer (a question whose best sentence is an objection) and the
model's picks all use the reply found here. Cue words and MiniLM vectors only; English.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

import numpy as np

from bot.text import terms
from index.chunking import Span
from index.store import LoadedIndex

# A sentence that brings in the other side ("Critics worry that …", "Some argue that …",
# "Supporters of the plan raise serious objections …", "its defenders deserve a fair hearing"),
# not "It is argued that …", which op-eds also use for their own points,
# and, after one in the same paragraph, those that go on reporting it ("They argue that …").
OTHER_SIDE = re.compile(
    r"\b(critics?|opponents?|sceptics?|skeptics?|supporters of|defenders|proponents|objections?|the case for|"
    r"(?:some|others?|many) (?:argue|say|will say|worry|point|claim|insist|contend|object|fear)|"
    r"one (?:might|could) (?:argue|object)|objectors?|"
    # their case, in their words or the author's account of it: "The council's case is simple",
    # "… put it this way when the vote was taken: "…"", "… telling residents that the plan …"
    r"(?<!my )(?<!our )(?:['’]s|their|its) case (?:is|rests)|puts? it (?:this way|like this)|(?:telling|warning|assuring) (?:\w+ ){0,2}that|"
    # someone's words quoted to be disputed: "Gregor Lindqvist … told the council that "the
    # evidence shows …""
    r"(?:told|said|says|claimed|claims|insisted|insists|assured|assures)\b[^.“\"]{0,60}[“\"])",
    re.I,
)
# The author granting the other side a point before answering it; within a paragraph that
# already sets out their case, it is the start of the author's answer, not a new point of theirs.
CONCESSION = re.compile(
    r"\b(i (?:will |must |should )?(?:concede|grant|admit)|admittedly|to be sure|(?:has|have) a point|"
    r"(?:is|are) (?:not )?without (?:cost|costs|risk|risks)|will be resisted)\b",
    re.I,
)
# A sentence in the author's own voice even when it reports: "But I would gently point out …".
OWN_VOICE = re.compile(r"^\W*(?:but|yet|however|still)\b|\b(?:i|we) (?:\w+ ){0,2}(?:argue|say|point|claim|insist|contend)", re.I)
REPORTING = re.compile(
    r"\b(argue|argues|say|says|worry|worries|point to|points to|points? out|claim|claims|insist|insists|contend|contends|fear|fears|"
    # ("The council's report adds that the ferry was cancelled on 37 days …")
    r"adds|added|notes|noted|promises|promised|maintains|maintained|warns|warned|predicts|predicted|assumes|assumed)\b",
    re.I,
)
# A sentence that turns against what came before it: the author answering an objection.
CONTRAST = re.compile(
    r"\b(but|yet|however|nevertheless|nonetheless|still|instead|in fact|true|truth|real|"
    r"(?:is|are|was) (?:simply |just |plainly )?(?:not|wrong|false|mistaken|misleading))\b",
    re.I,
)
MAX_REPLY = 3


def other_side(sentences: Sequence[Span]) -> list[int]:
    """Positions of the sentences (one document's, in order) that state the other side's case."""
    out: list[int] = []
    para_with_cue = None
    for i, s in enumerate(sentences):
        if OTHER_SIDE.search(s.text) or (CONCESSION.search(s.text) and para_with_cue != s.paragraph):
            para_with_cue = s.paragraph
            out.append(i)
        elif para_with_cue == s.paragraph and REPORTING.search(s.text) and not OWN_VOICE.search(s.text):
            out.append(i)
    return out


def reply_to(i: int, sentences: Sequence[Span], theirs: set[int], similarity: Callable[[int, int], float] | None = None) -> list[int]:
    """The author's reply to the other-side sentence at position ``i`` (``theirs``: all such
    positions; the sentences right after ``i`` that go on reporting are part of its point).
    When the op-ed answers point by point, the first later sentence of the paragraph that turns
    against it; when the paragraph goes on to answer, the rest of it (up to ``MAX_REPLY``); when
    the paragraph only states their case, the opening of the next one, and, given
    ``similarity`` (of two positions), the sentence of it nearest to this point."""
    point, paragraph = i, sentences[i].paragraph
    turns = lambda j: bool(CONTRAST.search(sentences[j].text))  # noqa: E731
    asked = lambda j: sentences[j].text.rstrip().endswith("?")  # noqa: E731
    # a case stated over several sentences ("Critics worry … They worry, too, …") is one point
    while i + 1 < len(sentences) and i + 1 in theirs and sentences[i + 1].paragraph == paragraph:
        i += 1
    later = [j for j in range(i + 1, len(sentences)) if sentences[j].paragraph == paragraph]
    rest = list(itertools.takewhile(lambda j: j not in theirs, later))  # up to their next point
    if len(rest) < len(later):  # answered point by point
        return [j for j in rest if turns(j)][:1]
    if any(turns(j) for j in rest):  # the paragraph goes on to answer them
        return [j for j in rest if not asked(j)][:MAX_REPLY]
    following = [j for j in range(i + 1, len(sentences)) if sentences[j].paragraph != paragraph]
    first = sentences[following[0]].paragraph if following else None
    block = [j for j in following if sentences[j].paragraph == first and not asked(j)]
    if similarity is not None and len(block) > 2:
        # a reply that takes their points in turn: its opening, and the sentence that answers
        # this point (nearest to it in meaning)
        return [block[0], max(block[1:], key=lambda j: similarity(point, j))]
    return block[:MAX_REPLY]


def replies(sentences: Sequence[Span], vectors: np.ndarray, theirs: list[int] | None = None) -> dict[int, list[int]]:
    """For one document's sentences (in order, with their unit vectors): each other-side
    sentence's position and the positions of the author's reply to it. A point is nearest the
    reply sentence closest in meaning plus the share of its words the reply repeats ("the toll
    revenue would pay for buses" — "the revenue argument is the strongest, but …"): MiniLM alone
    put "Bus lanes do not have to wait for pricing" nearer."""
    theirs = other_side(sentences) if theirs is None else theirs
    words = [set(terms(s.text)) for s in sentences]

    def similarity(a: int, b: int) -> float:
        return float(vectors[a] @ vectors[b]) + len(words[a] & words[b]) / max(1, len(words[a]))

    return {i: reply_to(i, sentences, set(theirs), similarity) for i in theirs}


class Arguments:
    """The other side and the replies of each op-ed of an index, found the first time a question
    reaches that op-ed (an index of many op-eds pays nothing for them at start-up). Positions
    count from the op-ed's first sentence; ``reply`` and ``states_other_side`` take index rows.
    One per build (``of_index``), shared by every answerer that quotes the other side."""

    def __init__(self, index: LoadedIndex) -> None:
        self.index = index
        self._found: dict[str, tuple[list[int], dict[int, list[int]]]] = {}

    @classmethod
    def of_index(cls, index: LoadedIndex) -> Arguments:
        return index.derived("arguments", lambda: cls(index))

    def of(self, doc: str) -> tuple[list[int], dict[int, list[int]]]:
        """The positions of the op-ed's other-side sentences, and of the reply to each."""
        if doc not in self._found:
            rows = self.index.sentence_rows(doc)
            sentences = [self.index.sentences[r] for r in rows]
            theirs = other_side(sentences)
            self._found[doc] = (theirs, replies(sentences, self.index.sentence_vectors[rows], theirs))
        return self._found[doc]

    def reply(self, row: int) -> list[int]:
        """The rows of the author's reply to the sentence at ``row`` ([] when it is no other-side one)."""
        doc = self.index.sentences[row].doc
        start = self.index.sentence_rows(doc).start
        return [start + j for j in self.of(doc)[1].get(row - start, [])]

    def states_other_side(self, row: int) -> bool:
        doc = self.index.sentences[row].doc
        return row - self.index.sentence_rows(doc).start in self.of(doc)[1]
