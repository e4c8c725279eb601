"""Follow-ups that point into the previous answer: "the third one", "what about the last
one?", "tell me more about that".

The previous answer is known by the op-ed sentences it showed: every sentence of the index that
the last assistant turn quotes whole, quotes eight words of in a row, or restates in half its
words or more (``shown_sentences``), in the order shown. The history may come from any client, so
nothing of our own wording is parsed, only the document's sentences are looked up.
An ordinal picks one of them; "more" (or "why", with an ordinal) asks for what follows it in the
op-ed, or what the op-ed says on it elsewhere. Anything else returns None.
"""

from __future__ import annotations

import re

import numpy as np

from bot.argument import Arguments
from bot.quotes import quotes_at
from bot.text import FRAME_WORDS, STOPWORDS, stem, terms
from bot.turn import Draft, Turn
from bot.wording import lead_for, list_too_short
from index.store import LoadedIndex

ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5, "5th": 5,
    "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8, "ninth": 9, "9th": 9, "tenth": 10, "10th": 10,
}  # fmt: skip
ITEM_WORDS = r"(?:one|point|item|recommendation|step|measure|suggestion|proposal|quote|passage|idea|reason|thing)s?"
ORDINAL_REF = re.compile(
    rf"\b(?:the\s+)?({'|'.join(ORDINALS)}|last|final|(?:number|no\.?|#)\s*(\d{{1,2}})|\[(\d{{1,2}})\])(?:\s+{ITEM_WORDS})?\b", re.I
)
MORE = re.compile(r"\b(more|elaborate|expand|explain|details?|go on|continue|what else)\b", re.I)
# A point that carries its own reason: "…, thereby closing the long chain of custody through
# which leaks presently occur", "…, because a fishing town without young fishermen is …".
REASON_CLAUSE = re.compile(
    r"\b(?:because|since(?!\s+\d)|so that|so as to|in order (?:to|for)|thereby|lest|for fear that|"
    r"to (?:ensure|prevent|stop|avoid|protect|guarantee|make sure))\b",
    re.I,
)
ASKS_WHY = re.compile(r"\b(?:why|how come)\b", re.I)
FRAME = frozenset(stem(w) for w in FRAME_WORDS | STOPWORDS)
POINTER = re.compile(rf"\b(that|this|it|those|these)\s*(?:{ITEM_WORDS})?\b", re.I)


# The points of a list made inside one sentence: "whether by portraying … or by insisting …",
# "… a strategy that includes strong intelligence, political reconciliation, … and …",
# "if …; if …; and if …".
WHETHER = re.compile(r"\bwhether\s+(.{8,}?)\s+or\s+(.{8,}?)(?=,|;|\.|$)", re.I)
LIST_OPENER = re.compile(r"(?:\b(?:includ(?:es|e|ing)|namely)\b|:)\s*", re.I)
# A clause that qualifies what comes before it is no point of a list ("ceasefire talks, many
# brokered with the help of …, included …").
CLAUSE = re.compile(r"^(?:many|most|some|which|who|whose|that|where|when|while|although|though|as|since|because|often|even)\b", re.I)
MIN_ITEM_WORDS, MAX_ITEM_WORDS = 2, 14


def inline_items(text: str) -> list[tuple[int, int]]:
    """The points of a list within one sentence, as offsets into it ([] when it holds none):
    its parts between semicolons, the two sides of "whether … or …", or a series "A, B(,) and C"
    (from the word that opens it, "includes", "namely" or a colon, when there is one; not "such
    as", whose examples belong to one point: "bodies such as NACTA, implement …, and …")."""
    body = text.rstrip().rstrip(".!?")
    parts = _spans(body, r"\s*;\s*(?:and\s+|or\s+)?")
    if len(parts) >= 2 and all(len(body[a:b].split()) >= MIN_ITEM_WORDS for a, b in parts):
        return parts
    if m := WHETHER.search(body):
        return [m.span(1), m.span(2)]
    opener = None
    for o in LIST_OPENER.finditer(body):
        opener = o
    start = opener.end() if opener else 0
    items = _spans(body[start:], r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+(?=[^,]*$)")
    items = [(a + start, b + start) for a, b in items]
    if len(items) > 1 and len(body[items[0][0] : items[0][1]].split()) == 1:
        items = [(items[0][0], items[1][1]), *items[2:]]  # "Practically, KP should …": one point
    middle = [body[a:b] for a, b in items[1:-1]]
    if len(items) >= 3 and all(MIN_ITEM_WORDS <= len(t.split()) <= MAX_ITEM_WORDS and not CLAUSE.match(t) for t in middle):
        return items
    return []


def _spans(text: str, separator: str) -> list[tuple[int, int]]:
    """The stretches of ``text`` between matches of ``separator``, stripped."""
    out, at = [], 0
    for m in [*re.finditer(separator, text), None]:
        end = m.start() if m else len(text)
        piece = text[at:end]
        lead = len(piece) - len(piece.lstrip())
        if piece.strip():
            out.append((at + lead, at + lead + len(piece.strip())))
        at = m.end() if m else end
    return out


SHOWN_RUN = 4  # words in a row that an answer shares with a sentence to count as showing it
SHOWN_SHARE = 0.5  # of the sentence's words, in such runs
SHOWN_QUOTE = 8  # or this many words in a row: a quote of part of the sentence


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower().replace("’", "'"))


def _sentence_runs(index: LoadedIndex) -> tuple[list[list[str]], dict[tuple[str, ...], list[int]], list[int]]:
    """Each sentence's words, which sentences hold each run of ``SHOWN_RUN`` words, and those
    too short for one: made once per build (a follow-up then looks at the few sentences sharing
    a run with the answer, not at every sentence of a large collection)."""

    def make() -> tuple[list[list[str]], dict[tuple[str, ...], list[int]], list[int]]:
        words = [_words(s.text) for s in index.sentences]
        runs: dict[tuple[str, ...], list[int]] = {}
        for r, own in enumerate(words):
            for i in range(len(own) - SHOWN_RUN + 1):
                rows = runs.setdefault(tuple(own[i : i + SHOWN_RUN]), [])
                if not rows or rows[-1] != r:
                    rows.append(r)
        return words, runs, [r for r, own in enumerate(words) if len(own) < SHOWN_RUN]

    return index.derived("history-runs", make)


def shown_sentences(index: LoadedIndex, text: str) -> list[int]:
    """Rows of the op-ed sentences that ``text`` shows, in the order shown: verbatim, or (a
    history written by another client, or by hand: "It says the political narratives from PTI
    aligned movements are undermining …") half or more of a sentence's words in runs of four or
    more words in a row, or eight in a row: a quote of part of it ("… an insistence that “on paper
    defends provincial prerogative but in practice can delay decisive action …”")."""
    words, sentence_runs, short = _sentence_runs(index)
    said = _words(text)
    runs = {tuple(said[i : i + SHOWN_RUN]): i for i in range(len(said) - SHOWN_RUN, -1, -1)}
    candidates = {r for run in runs for r in sentence_runs.get(run, ())} | set(short)  # the short ones: verbatim only
    found = []
    for r in sorted(candidates):
        s = index.sentences[r]
        if len(s.text) < 20:
            continue
        if s.text in text:
            found.append((len(_words(text[: text.find(s.text)])), r))
            continue
        own = words[r]
        covered = [False] * len(own)
        first = None
        for i in range(len(own) - SHOWN_RUN + 1):
            at = runs.get(tuple(own[i : i + SHOWN_RUN]))
            if at is not None:
                covered[i : i + SHOWN_RUN] = [True] * SHOWN_RUN
                first = at if first is None else min(first, at)
        longest = max((len(run) for run in "".join("x" if c else " " for c in covered).split()), default=0)
        if first is not None and (sum(covered) >= SHOWN_SHARE * len(own) or longest >= SHOWN_QUOTE):
            found.append((first, r))
    return [r for _, r in sorted(found)]


def position(m: re.Match, n: int) -> int | None:
    """The 1-based item an ordinal reference points at in a list of ``n``, if there is one."""
    word, number, bracket = m.group(1).lower(), m.group(2), m.group(3)
    k = n if word in ("last", "final") else int(number or bracket or 0) or ORDINALS.get(word, 0)
    return k if 1 <= k <= n else None


class ConversationAnswerer:
    name = "conversation"

    def __init__(self, index: LoadedIndex, max_terms: int = 3) -> None:
        self.index = index
        self.max_terms = max_terms  # a follow-up this short leans on the answer before it
        self._closeness: dict[str, float] = {}
        self.arguments = Arguments.of_index(index)

    def answer(self, turn: Turn) -> Draft | None:
        answers = [t["content"] for t in reversed(turn.history) if t["role"] == "assistant"]
        # (words that frame a question, "the author", "so much", leave it a follow-up)
        if not answers or len(set(terms(turn.text)) - FRAME) > self.max_terms:
            return None
        m = ORDINAL_REF.search(turn.text)
        # "why the second one?", "the second one — why does the author care so much about that?":
        # its reasons are what the op-ed says after it or elsewhere on it
        wants_more = bool(MORE.search(turn.text)) or bool(m and ASKS_WHY.search(turn.text))
        if not m and not (wants_more and POINTER.search(turn.text)):
            return None
        # "that" is the last answer; "the third one" counts in the last answer that was a list
        # ("What is the second one?" … "And the third?").
        shown = shown_sentences(self.index, answers[0])
        if m and len(shown) < 2:
            shown = next((s for a in answers[1:3] if len(s := shown_sentences(self.index, a)) >= 2), shown)
        if not shown:
            return None
        sents = self.index.sentences
        if m:
            # Count as the op-ed counts when the answer showed one of its enumerations
            # ("Second, …" is the second point even when the answer quoted more sentences).
            # An answer that showed one point of an enumeration ("Moving ahead, KP should …"),
            # alone or with what follows it in its paragraph, is counted in that enumeration:
            # "and the second one?" is its second point.
            enumeration = self._enumeration_within(shown) or self._enumeration_around(shown)
            items = enumeration or [(sents[r].doc, sents[r].start, sents[r].end) for r in shown]
            if len(items) == 1:
                # one sentence shown, and a list made inside it: "the second example" is its second point
                doc, start, _ = items[0]
                items = [(doc, start + a, start + b) for a, b in inline_items(sents[shown[0]].text)] or items
            if len(items) < 2:
                return None
            k = position(m, len(items))
            if k is None and enumeration:
                # "the fifth one" of the op-ed's four points: say so, not "the op-ed doesn't address this"
                return Draft(answered=False, lead=list_too_short(len(items)), reason=f"the list has {len(items)} points")
            if k is None:
                return None
            picked = [items[k - 1]]
        elif len(shown) == 1:
            r = shown[0]
            picked = [(sents[r].doc, sents[r].start, sents[r].end)]
        else:
            return None
        kind = "item"
        if wants_more:
            more = self._continuation(picked[0], exclude=set(shown))
            if more:
                picked, kind = picked + more, "more"
            elif ASKS_WHY.search(turn.text) and REASON_CLAUSE.search(self.index.documents[picked[0][0]].text[picked[0][1] : picked[0][2]]):
                # "Why the first one?" of a point that gives its reason as it makes it: that
                # sentence is the answer, though the reader has just read it
                kind = "reason-within"
            elif related := self._related(picked[0], exclude=set(shown)):
                # The op-ed makes the point in one sentence: what it says on the same subject
                # elsewhere is more. The point comes first, so the answer says which point it
                # is about ("Tell me more about the second one." of a list of four).
                picked, kind = picked + related, "related"
            else:
                kind = "no-more"
        return Draft(answered=True, quotes=quotes_at(self.index.documents, picked), lead=lead_for(kind))

    def _enumeration_within(self, shown: list[int]) -> list[tuple[str, int, int]]:
        """The first enumeration of the document map whose every item lies in a shown sentence."""
        sents = self.index.sentences
        for doc in dict.fromkeys(sents[r].doc for r in shown):
            spans = [(sents[r].start, sents[r].end) for r in shown if sents[r].doc == doc]
            dmap = self.index.maps.get(doc)
            for run in dmap.enumerations if dmap else []:
                if all(any(a <= s and e <= b for a, b in spans) for s, e in run):
                    return [(doc, s, e) for s, e in run]
        return []

    def _enumeration_around(self, shown: list[int]) -> list[tuple[str, int, int]]:
        """The enumeration of the document map exactly one of whose items was shown, when all
        else shown lies in that item's paragraph (what the op-ed says about that point)."""
        sents = self.index.sentences
        if len({(sents[r].doc, sents[r].paragraph) for r in shown}) != 1:
            return []
        doc = sents[shown[0]].doc
        dmap = self.index.maps.get(doc)
        for r in shown:
            run = dmap.enumeration_at(sents[r].start, sents[r].end) if dmap else []
            if sum(any(sents[x].start <= a and b <= sents[x].end for x in shown) for a, b in run) == 1:
                return [(doc, a, b) for a, b in run]
        return []

    def _related(self, item: tuple[str, int, int], exclude: set[int], limit: int = 2) -> list[tuple[str, int, int]]:
        """The sentences of other paragraphs closest in meaning to a point, in document order:
        those at least as close as the op-ed's closest tenth of sentence pairs across
        paragraphs (every sentence of an op-ed shares its subject, so a fixed cosine would be
        too lax for one and too strict for another)."""
        sents = self.index.sentences
        doc, start, _ = item
        rows = self.index.sentence_rows(doc)
        row = next((r for r in rows if sents[r].start <= start < sents[r].end), None)
        if row is None:
            return []
        # not what the other side says: "elsewhere … it argues" would pass their case off as the op-ed's
        theirs = {rows[i] for i in self.arguments.of(doc)[0]}
        others = [r for r in rows if sents[r].paragraph != sents[row].paragraph and r not in exclude and r not in theirs]
        if not others:
            return []
        vectors = self.index.sentence_vectors
        cosines = vectors[others] @ vectors[row]
        close = [r for c, r in sorted(zip(cosines, others), reverse=True) if c >= self._close(doc)][:limit]
        return [(doc, sents[r].start, sents[r].end) for r in sorted(close)]

    def _close(self, doc: str) -> float:
        """The cosine of this op-ed's closest tenth of sentence pairs from different paragraphs."""
        if doc not in self._closeness:
            sents, rows = self.index.sentences, self.index.sentence_rows(doc)
            v = self.index.sentence_vectors[rows]
            paragraphs = np.array([sents[r].paragraph for r in rows])
            pairs = (v @ v.T)[paragraphs[:, None] != paragraphs[None, :]]
            self._closeness[doc] = float(np.percentile(pairs, 90)) if pairs.size else 1.0
        return self._closeness[doc]

    def _continuation(self, item: tuple[str, int, int], exclude: set[int], limit: int = 2) -> list[tuple[str, int, int]]:
        """What follows a point in its paragraph, up to the next point shown."""
        sents = self.index.sentences
        doc, start, _ = item
        rows = self.index.sentence_rows(doc)
        row = next((r for r in rows if sents[r].start <= start < sents[r].end), None)
        out: list[tuple[str, int, int]] = []
        if row is None:
            return out
        nxt = row + 1
        while nxt in rows and len(out) < limit and sents[nxt].paragraph == sents[row].paragraph and nxt not in exclude:
            out.append((doc, sents[nxt].start, sents[nxt].end))
            nxt += 1
        return out
