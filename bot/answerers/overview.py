"""Questions about the op-ed as a whole, answered from its document map (``index.docmap``):
what it is about, a summary, its main argument, its conclusion, its recommendations.

A question is about the whole op-ed when it asks in one of these shapes (cue words, or close in
meaning to a few example phrasings) *and* names no topic of its own once the cue and words for
"the op-ed" are set aside: "What does the op-ed recommend?" is, "What does it say about
Afghanistan?" is not (retrieval answers that). A recommendation question that does name a topic
("What steps does it recommend for KP's leadership?") is answered from the recommendations
alone, those closest to the topic. Anything else returns None and the next answerer is asked.
"""

from __future__ import annotations

import numpy as np

from bot.answerers.conversation import ORDINAL_REF, shown_sentences
from bot.answerers.conversation import position as _position
from bot.answerers.findings import (
    addresses_a_list,
    closeness,
    conclusion,
    declares_position,
    diagnosis,
    evidence,
    faults,
    held_responsible,
    states_position,
    takes_position,
)
from bot.answerers.shapes import (
    ASKED_BY,
    ASKS_ENDING,
    AUTHOR,
    BLAME_Q,
    BLAMES_WHAT,
    CUES,
    EVIDENCE_WORDS,
    FOREIGN_WORDS,
    HOW_MANY,
    ITEM_NOUNS,
    OBJECTION_NOUNS,
    PHRASINGS,
    PROBLEMS_OF,
    PUBLIC_Q,
    TO_PUBLIC,
    WEAK_CUES,
    WHO,
    why_judged,
)
from bot.argument import MAX_REPLY, Arguments, reply_to
from bot.decision import VIEW_OF
from bot.followup import points_back
from bot.quotes import quotes_at
from bot.schema import Quote
from bot.text import names, stem, terms, topic_terms
from bot.turn import Draft, Turn
from bot.wording import lead_for
from index.docmap import claim_words
from index.embeddings import MiniLMEmbeddings
from index.store import LoadedIndex

MAX_RECOMMENDATIONS = 10
MAX_OBJECTIONS = 4
MAX_TOPICAL_REPLY = 2
STANCE_SHARE, STANCE_BONUS = 0.25, 0.1  # a stance question's topic words, and a sentence that takes a position


class OverviewAnswerer:
    name = "overview"

    def __init__(self, index: LoadedIndex, embedder: MiniLMEmbeddings, similarity: float = 0.72, topic_gap: float = 0.12) -> None:
        self.index = index
        self.similarity = similarity
        self.topic_gap = topic_gap
        kinds, texts = zip(*[(k, p) for k, ps in PHRASINGS.items() for p in ps])
        self._kinds = list(kinds)
        self._vectors = embedder.encode(list(texts))
        # The op-ed's own subject: its title's words and those in at least a fifth of its
        # sentences ("AI", "schools"): naming them names no narrower topic.
        self._subject: dict[str, set[str]] = {}
        self._vocab: dict[str, set[str]] = {}
        self.arguments = Arguments.of_index(index)  # the other side and the author's replies, per op-ed
        for d, doc in index.documents.items():
            counts: dict[str, int] = {}
            rows = index.sentence_rows(d)
            for r in rows:
                for w in set(terms(index.sentences[r].text)):
                    counts[w] = counts.get(w, 0) + 1
            self._vocab[d] = set(counts)
            frequent = {w for w, c in counts.items() if c >= max(3, len(rows) / 5)}
            self._subject[d] = set(terms(doc.title)) | frequent

    def kind(self, question: str, vector: np.ndarray, doc: str | None = None) -> tuple[str, list[str]] | None:
        """The whole-op-ed question kind and the topic words left once its cue is set aside.

        With a clear cue ("gist", "main point", "recommend"), a leftover word the op-ed never uses
        and that is no name ("what's the main point it is *trying* to make?") is part of how the
        question is put, not a topic of its own; when two or more of the leftover words, and most of
        them, are such words ("recommend a good *laptop* for *students*"), it is a question about
        something else (None)."""
        sims = self._vectors @ vector
        by_meaning = self._kinds[int(np.argmax(sims))] if float(np.max(sims)) >= self.similarity else None
        if WHO.match(question):
            by_meaning = None  # "Who is the writer?" is close to "Where does the writer stand?" but asks for a person
        # A cue word decides before closeness in meaning ("the main *point* it makes" is close to "the
        # author's final point", but asks for the main one); recommendations first ("summarize its recommendations").
        matches = [(kind, cue, [m.group(0) for m in cue.finditer(question)]) for kind, cue in CUES.items()]
        matches = [m for m in matches if m[2]] or [(k, c, []) for k, c in CUES.items() if k == by_meaning]
        if not matches:
            return None
        found_kinds = [k for k, _, f in matches if f]
        if "objections" in found_kinds and found_kinds[0] == "recommendations":
            # "Does the author acknowledge any objections to the proposals?": the other side's
            matches = [m for m in matches if m[0] != "recommendations"]
        kind, cue, found = matches[0]
        if kind == "stance" and why_judged(question, found):
            return None  # its reasons: a passage question
        if kind == "rebuttal" and CUES["objections"].search(cue.sub(" ", question)):
            # "What objections does she address, and how does she respond?": both, together
            # ("How does she respond to critics?" names the critics only to ask for the reply)
            kind, found = "objections", [f for _, _, fs in matches if fs for f in fs]
        rest = question
        for _, c, _ in matches:
            rest = c.sub(" ", rest)  # every cue's words, not only the first kind's
        residue = sorted(topic_terms(rest))
        if kind in ("objections", "evidence"):
            residue = [w for w in residue if w not in (OBJECTION_NOUNS if kind == "objections" else EVIDENCE_WORDS)]
        if doc is not None and any(not WEAK_CUES.match(f) for f in found):
            named = {stem(w.lower()) for w in names(question)}
            foreign = [w for w in residue if w not in self._vocab.get(doc, set()) and w not in named]
            if len(foreign) >= FOREIGN_WORDS and 2 * len(foreign) > len(residue):
                return None  # "Recommend a good laptop for students": about something else, not the op-ed
            residue = [w for w in residue if w in self._vocab.get(doc, set()) or w in named]
        return kind, residue

    def answer(self, turn: Turn) -> Draft | None:
        assert turn.vector is not None, "retrieve runs before answer"
        vector = turn.own[1] if turn.own else turn.vector  # the question as asked, not joined to history
        doc = self._document(turn)
        found = self.kind(turn.text, vector, doc)
        if found is None:
            return None
        kind, residue = found
        view = (
            VIEW_OF.search(turn.text)
            if kind in ("rebuttal", "stance")
            else ASKED_BY.search(turn.text)
            if kind == "recommendations"
            else None
        )
        if view and not AUTHOR.match(view.group(1)):
            # "How did Sir Julian respond to criticism?", "What does the mayor think about the
            # plan?", "what did KP's own leaders ask for?": someone else's, for retrieval
            return None
        dmap = self.index.maps.get(doc)
        if dmap is None:
            return None
        residue = [w for w in residue if w not in self._subject.get(doc, set())]
        if kind == "recommendations":
            residue = [w for w in residue if w not in ITEM_NOUNS]
        rows = self.index.sentence_rows(doc)
        lead = lead_for(kind, self.index.documents[doc].title, len(self.index.documents) > 1, topical=bool(residue))
        ordinal = ORDINAL_REF.search(turn.text)
        if kind == "recommendations" and ordinal and (items := self._listed(dmap, rows)):
            k = _position(ordinal, len(items))  # "What is the last recommendation?"
            if k is not None:
                return Draft(answered=True, quotes=quotes_at(self.index.documents, [(doc, *items[k - 1])]), lead=lead_for("item"))
        if kind == "recommendations":
            turn.topical = (kind, residue) if residue else None  # a model backend may add to it
            return self._recommendations(turn, doc, dmap, rows, residue, lead)
        if kind == "rebuttal":
            return self._rebuttal(turn, doc, rows, lead)
        if kind == "objections":
            theirs, replies = self.arguments.of(doc)
            picks = theirs[:MAX_OBJECTIONS]
            if not residue and CUES["rebuttal"].search(turn.text):
                picks = sorted({*picks, *(j for i in picks for j in replies.get(i, [])[:MAX_TOPICAL_REPLY])})
                lead = lead_for("other-side", self.index.documents[doc].title, len(self.index.documents) > 1)
            elif residue:
                picks = self._closest(picks, rows, turn.vector, residue, defer=True)
                # one point of theirs ("the critics' worries about cheating"): with the reply to it
                picks = [*picks, *(j for i in picks for j in replies.get(i, [])[:MAX_TOPICAL_REPLY])]
                if any(i not in replies for i in picks):
                    lead = lead_for("other-side", self.index.documents[doc].title, len(self.index.documents) > 1)
            if not picks:
                return None
            return Draft(answered=True, quotes=self._numbered([self._row_span(rows[i]) for i in picks]), lead=lead)
        if kind == "evidence":
            picks = self._evidence(turn, doc, dmap, rows, residue)
            return Draft(answered=True, quotes=self._numbered([self._row_span(rows[i]) for i in picks]), lead=lead) if picks else None
        if kind == "stance" and turn.own is not None and points_back(turn.text):
            return None  # "what does the author think of that plan?": its topic is in the turns before
        if kind == "stance" and residue and BLAMES_WHAT.match(turn.text):
            return None  # "What does the author blame for the rise in violence?": causes, a passage question
        if kind == "stance" and BLAME_Q.search(turn.text) and (not residue or self._names_topic(doc, residue)):
            # "Who does the author blame (for the fleet's decline)?": where the op-ed finds fault
            # in so many words, with its main argument when no topic is named
            others = set(self.arguments.of(doc)[0])
            if held := held_responsible(self.index, rows, others, set(dmap.recommendations), turn.vector):
                picks = sorted({*held, *([] if residue else dmap.thesis)})
                lead = lead_for("blame-topic" if residue else "blame")
                return Draft(answered=True, quotes=self._numbered([self._row_span(rows[i]) for i in picks]), lead=lead)
        if kind == "stance" and residue:
            # someone else's position, or a topic the op-ed never names: for retrieval
            if not self._names_topic(doc, residue):
                return None
            turn.topical = (kind, residue)
            return self._stance(turn, doc, dmap, rows, [w for w in residue if w in self._vocab[doc]])
        if residue and not (kind == "problems" and PROBLEMS_OF.search(turn.text) and self._names_topic(doc, residue)):
            return None  # "what does it argue about X?": a passage question, for retrieval
        if kind == "conclusion":
            picks = conclusion(self.index.sentences, rows, dmap, ending=bool(ASKS_ENDING.search(turn.text)))
        elif kind == "problems":
            near = closeness(self.index, rows, vector, residue) if residue else None
            turn.topical = (kind, residue) if residue else None  # a model backend may add to it
            # the op-ed's problems however they are asked ("What has the author worried?"): as the
            # canonical question, unless a topic is named
            asked = vector if residue else self._vectors[self._kinds.index("problems")]
            picks = diagnosis(self.index, rows, set(self.arguments.of(doc)[0]), dmap.recommendations, asked, near)
        else:
            picks = sorted(set(dmap.thesis) | set(dmap.conclusion))
        if not picks:
            return None
        return Draft(answered=True, quotes=self._numbered([self._row_span(rows[i]) for i in picks]), lead=lead)

    def _evidence(self, turn: Turn, doc: str, dmap, rows: range, residue: list[str]) -> list[int]:
        """The figures and findings the op-ed offers, or those on a topic it names; none for a
        follow-up on something just shown ("what evidence is there for that?": retrieval, with
        the turns before)."""
        if (turn.own is not None and points_back(turn.text)) or (residue and not self._names_topic(doc, residue)):
            return []
        texts = [self.index.sentences[r].text for r in rows]
        excluded = set(self.arguments.of(doc)[0]) | set(dmap.recommendations)
        if not residue:
            return evidence(texts, excluded)
        assert turn.vector is not None
        return evidence(texts, excluded, closeness(self.index, rows, turn.vector, residue), self.topic_gap)

    def _names_topic(self, doc: str, residue: list[str]) -> bool:
        """Whether a question's leftover words name a topic of this op-ed: its own words are most
        of them ("banning *ChatGPT-type* tools at school" is how the question is put)."""
        known = [w for w in residue if w in self._vocab[doc]]
        return bool(known) and len(known) >= 2 * (len(residue) - len(known))

    def _recommended(self, doc: str, dmap) -> list[int]:
        """The map's prescriptive sentences that the author says, not the other side ("Others say
        … every department must share the pain")."""
        theirs = set(self.arguments.of(doc)[0])
        return [i for i in dmap.recommendations if i not in theirs]

    def _recommendations(self, turn: Turn, doc: str, dmap, rows: range, residue: list[str], lead: str) -> Draft | None:
        """The op-ed's list of recommendations (with the sentence announcing it), or, without a
        list, its prescriptive sentences; for a topic, those nearest it. A follow-up ("and what
        should it do about them?") takes its topic from the turn it follows."""
        assert turn.vector is not None
        topic = list(residue)
        if turn.own is not None:  # joined to earlier turns: their topic words count too
            topic += sorted(topic_terms(turn.query) - topic_terms(turn.text) - self._subject.get(doc, set()))
        if PUBLIC_Q.search(turn.text) and (
            ours := [i for i in self._recommended(doc, dmap) if TO_PUBLIC.search(self.index.sentences[rows[i]].text)]
        ):
            # "What does the author want readers to do?": what it asks of them ("Call them, write
            # to them …", "You should be there too."), not what it asks of the council
            lead = lead_for("recommendations", self.index.documents[doc].title, len(self.index.documents) > 1, topical=True)
            return Draft(answered=True, quotes=self._numbered([self._row_span(rows[i]) for i in ours]), lead=lead)
        listed = self._listed(dmap, rows)
        counting = bool(HOW_MANY.search(turn.text)) and bool(listed)  # "How many rules does she propose?": the list, counted
        if topic and not counting and not (residue and addresses_a_list(self.index, dmap, rows, residue)):
            # A question that names its own topic at length may be about another passage
            # ("since it says X, what alternative does it propose?"): let retrieval have it
            # when some other sentence is clearly nearer.
            picks = self._closest(self._recommended(doc, dmap), rows, turn.vector, topic, defer=len(residue) >= 2)
            if not picks:
                return None  # no recommendation is about that: a passage question, for retrieval
            if listed and self._row_span(rows[picks[0]])[1:] == listed[0]:
                # the list's first point is among the nearest, and it frames the list ("Moving ahead, KP's
                # leadership should …"): the topic is what the whole list is about
                spans = [*self._list_intro(rows, listed), *((doc, a, b) for a, b in listed)]
                lead = lead_for("recommendations", self.index.documents[doc].title, len(self.index.documents) > 1, count=len(listed))
                return Draft(answered=True, quotes=self._numbered(spans), lead=lead)
            spans = [self._row_span(rows[i]) for i in picks]
            lead = lead_for("recommendations", self.index.documents[doc].title, len(self.index.documents) > 1, topical=True)
        elif listed:
            spans = [*self._list_intro(rows, listed), *((doc, a, b) for a, b in listed)]
            lead = lead_for("recommendations", self.index.documents[doc].title, len(self.index.documents) > 1, count=len(listed))
        else:
            spans = [self._row_span(rows[i]) for i in self._recommended(doc, dmap)[:MAX_RECOMMENDATIONS]]
        if not spans:
            return None
        return Draft(answered=True, quotes=self._numbered(spans), lead=lead)

    def _rebuttal(self, turn: Turn, doc: str, rows: range, lead: str) -> Draft | None:
        """The author's reply to the other side: when a paragraph states the other side's case
        (it opens with it and most of it reports it), the opening of the next paragraph; when the
        op-ed answers each objection in turn, the sentences after each. A follow-up ("How does
        she answer that?") is about the other side only when the answer before showed it."""
        sents = self.index.sentences
        other = self.arguments.of(doc)[0]
        if not other:
            return None
        if turn.own is not None:  # joined to the turns before: "that" must be the other side just shown
            last = next((t["content"] for t in reversed(turn.history) if t["role"] == "assistant"), "")
            shown = set(shown_sentences(self.index, last))
            if not shown & {rows[i] for i in other}:
                return None  # "that" is something else: retrieval
        doc_sents, theirs = [sents[r] for r in rows], set(other)
        # the reply as it opens: "how does she answer the critics?" asks about all their points
        reply = sorted(dict.fromkeys(j for i in other[:MAX_OBJECTIONS] for j in reply_to(i, doc_sents, theirs)))[:MAX_REPLY]
        if not reply:
            return None
        return Draft(answered=True, quotes=self._numbered([self._row_span(rows[i]) for i in reply]), lead=lead)

    def _stance(self, turn: Turn, doc: str, dmap, rows: range, residue: list[str]) -> Draft | None:
        """Where the author stands on a topic: the op-ed's claims about it (its thesis,
        conclusion, recommendations and the sentences that argue, by words of argument) nearest
        the topic. Its stance on the op-ed's own subject (no topic left) is its main argument."""
        assert turn.vector is not None
        sents = self.index.sentences
        theirs, replies = self.arguments.of(doc)
        claims = sorted(
            (
                set(dmap.thesis)
                | set(dmap.conclusion)
                | set(dmap.recommendations)
                | {i for i, r in enumerate(rows) if claim_words(sents[r].text) or faults(sents[r].text)}  # argues, or finds fault
                | {j for reply in replies.values() for j in reply}  # what it says to the other side
            )
            - set(theirs)  # the other side's case is not where the author stands
        )
        # nearest the topic by meaning more than by its words (a sentence that names the topic
        # in passing is no view of it), and where the author takes a position before one that
        # only argues nearby ("This is not to imply that negotiation is always illegitimate.")
        near = closeness(self.index, rows, turn.vector, residue, share=STANCE_SHARE)
        topic = set(residue)
        score = {i: near(i) + STANCE_BONUS * takes_position(sents[rows[i]].text, topic) for i in claims}
        best = max(score.values(), default=0.0)
        picks = [i for i in claims if score[i] >= best - self.topic_gap][:2]
        # "is the writer for or against the plan?": where it says so, before a claim that merely mentions it
        stated = [i for i in claims if states_position(sents[rows[i]].text, set(residue))]
        if not stated and claims:  # declared in other words ("I support the principle of charging …")
            near = closeness(self.index, rows, turn.vector, residue)
            bar = max(near(i) for i in claims) - self.topic_gap
            stated = [i for i in claims if declares_position(sents[rows[i]].text) and near(i) >= bar]
        if stated and not set(stated) & set(picks):
            picks = sorted({self._closest(stated, rows, turn.vector, residue, defer=False)[0], *picks[:1]})
        if not picks:
            return None
        lead = lead_for("stance", self.index.documents[doc].title, len(self.index.documents) > 1, topical=True)
        return Draft(answered=True, quotes=self._numbered([self._row_span(rows[i]) for i in picks]), lead=lead)

    def _list_intro(self, rows: range, listed: list[tuple[int, int]]) -> list[tuple[str, int, int]]:
        """The sentence that announces a list ("I would propose four:"), when there is one."""
        sents = self.index.sentences
        first = next((k for k, r in enumerate(rows) if sents[r].start == listed[0][0]), None)
        if first and sents[rows[first - 1]].text.rstrip().endswith(":"):
            return [self._row_span(rows[first - 1])]
        return []

    def _row_span(self, row: int) -> tuple[str, int, int]:
        s = self.index.sentences[row]
        return (s.doc, s.start, s.end)

    def _numbered(self, spans: list[tuple[str, int, int]]) -> list[Quote]:
        """Quotes for the spans, once each, in document order."""
        return quotes_at(self.index.documents, sorted(set(spans), key=lambda x: (x[0], x[1])))

    def _listed(self, dmap, rows: range) -> list[tuple[int, int]]:
        """The op-ed's list of recommendations: the enumeration with the most prescriptive items."""
        sents = self.index.sentences
        recs = {(sents[rows[i]].start, sents[rows[i]].end) for i in dmap.recommendations}

        def prescriptive(run) -> int:
            return sum(any(a <= s and e <= b for a, b in recs) for s, e in run)

        best: list[tuple[int, int]] = max(dmap.enumerations, key=prescriptive, default=[])
        return best if best and prescriptive(best) else []

    def _closest(self, picks: list[int], rows: range, vector: np.ndarray, topic: list[str], defer: bool = True) -> list[int]:
        """The recommendations nearest a topic (within ``topic_gap`` of the best, by meaning plus a
        share of the topic words), or none when some other sentence of the op-ed is clearly
        nearer: then the question is about that passage, not about a recommendation."""
        if not picks:
            return []
        score = closeness(self.index, rows, vector, topic)
        scores = {i: score(i) for i in picks}
        best = max(scores.values())
        if defer and max(score(i) for i in range(len(rows))) > best + self.topic_gap:
            return []
        return [i for i in picks if scores[i] >= best - self.topic_gap]

    def _document(self, turn: Turn) -> str:
        """The document asked about: with several, the one retrieval found first."""
        if turn.hits:
            return turn.hits[0].chunk.doc
        return next(iter(self.index.documents))
