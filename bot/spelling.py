"""Typing slips in a question, repaired against the op-ed's own words.

A reader types "acording to the writer" or "the goverment's negotations": the slip is a word the
op-ed never uses, so the decision counts it as something the op-ed does not mention and may
refuse, and retrieval misses the word the reader meant. A word is repaired when it is no real
word (not in pyspellchecker's English word list of 160,000 words, nor a whole word of MiniLM's
vocabulary, nor one of the op-ed's), is at least ``MIN_LENGTH`` letters long, is no name
(capitalised inside a sentence), and one word of the op-ed or of the words questions are put in
("according", "recommend") lies within one edit of it (two for a word of ``LONG`` letters or
more): a letter added, dropped, changed, or two swapped. When two such words are equally close,
the one the op-ed uses more wins; a tie leaves the word as typed. A real word is never changed: "downsides" stays
"downsides" though the zoning op-ed says "downsize" (MiniLM's vocabulary alone lacks
"downside": it was changed before the word list was added).
"""

from __future__ import annotations

import re
from collections import Counter

from rapidfuzz import process
from rapidfuzz.distance import OSA
from spellchecker import SpellChecker

from bot.text import FRAME_WORDS, STOPWORDS
from index.store import LoadedIndex

MIN_LENGTH = 5
LONG = 9
WORD = re.compile(r"[A-Za-z]+")
SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“(]\s*)$")


_ENGLISH: frozenset[str] | None = None


def english_words() -> frozenset[str]:
    """pyspellchecker's English word list (loaded once per process, ≈ 0.1 s)."""
    global _ENGLISH
    if _ENGLISH is None:
        _ENGLISH = frozenset(SpellChecker(language="en", distance=1).word_frequency.dictionary)
    return _ENGLISH


class Speller:
    def __init__(self, index: LoadedIndex, dictionary: frozenset[str]) -> None:
        counts: Counter[str] = Counter()
        for s in index.sentences:
            counts.update(w.lower() for w in WORD.findall(s.text))
        for d in index.documents.values():
            counts.update(w.lower() for w in WORD.findall(d.title))
        self.counts = counts
        self.targets = sorted(
            {w for w in counts if len(w) >= MIN_LENGTH - 1} | {w for w in STOPWORDS | FRAME_WORDS if len(w) >= MIN_LENGTH - 1}
        )
        self.known = frozenset(counts) | STOPWORDS | FRAME_WORDS
        self.dictionary = dictionary | english_words()

    def repair(self, word: str) -> str | None:
        """The word meant, or None when the word stands as typed."""
        low = word.lower()
        if len(low) < MIN_LENGTH or low in self.known or low in self.dictionary:
            return None
        cutoff = 2 if len(low) >= LONG else 1
        found = process.extract(low, self.targets, scorer=OSA.distance, score_cutoff=cutoff, limit=None)
        if not found:
            return None
        best = min(d for _, d, _ in found)
        closest = sorted(((self.counts.get(w, 0), w) for w, d, _ in found if d == best), reverse=True)
        if len(closest) > 1 and closest[0][0] == closest[1][0]:
            return None  # as close to two words the op-ed uses as often: no telling which was meant
        meant = closest[0][1]
        return meant.capitalize() if word[0].isupper() else meant

    def correct(self, text: str) -> tuple[str, list[tuple[str, str]]]:
        """The text with its slips repaired, and each repair as (typed, meant)."""
        repairs: list[tuple[str, str]] = []

        def fix(m: re.Match) -> str:
            word = m.group(0)
            if word[0].isupper() and not SENTENCE_START.search(text[: m.start()]):
                return word  # a name ("Imran", "Halden") is no slip
            meant = self.repair(word)
            if meant is None:
                return word
            repairs.append((word, meant))
            return meant

        return WORD.sub(fix, text), repairs
