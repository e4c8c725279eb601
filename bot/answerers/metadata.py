"""Questions about the document rather than its argument: when it was published, who wrote it,
what it is called, where it appeared. These are answered from the document's metadata, never from
body text, and a field the document does not carry is a refusal ("the op-ed doesn't give its
author"). For any other question it returns None and the pipeline asks the backend.

Intent is recognised by cue words ("title", "published", "wrote") when the question names nothing
else, or by meaning: the question's MiniLM vector against a few phrasings per field (embedded
once when the bot starts), when it is closer to them than to any sentence of the op-ed. So "when
did the ceasefire talks begin?" and "who wrote the NACTA law?" stay questions about the argument.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from bot.decision import AFTER_PUBLICATION
from bot.text import topic_terms
from bot.turn import Draft, Turn
from bot.wording import refusal
from index.documents import Document
from index.embeddings import MiniLMEmbeddings
from index.store import LoadedIndex

PHRASINGS = {
    "date": [
        "When was the op-ed published?",
        "When was it published?",
        "What is the publication date of this article?",
        "What date is the piece from?",
        "How old is this article?",
    ],
    "author": [
        "Who wrote the op-ed?",
        "Who wrote it?",
        "Who is the author of this article?",
        "What is the writer's name?",
        "Whose opinion piece is this?",
    ],
    "source": [
        "Which newspaper published this?",
        "Where was the op-ed published?",
        "What publication is this article from?",
    ],
    "title": [
        "What is the title of the op-ed?",
        "What is it called?",
        "What is the headline of this article?",
    ],
}
CUES = {  # "where … published" before "published": the outlet, not the date
    "source": re.compile(
        r"\b(newspaper|paper|publication|outlet|magazine|journal|website|where\b.*\b(publish\w*|appear\w*|print\w*))\b", re.I
    ),
    "title": re.compile(r"\b(title[ds]?|headline|called|named)\b", re.I),
    "date": re.compile(
        r"\b(publish\w*|dated?|date of|how old|how recent|which year|what year|when\b.*\b(written|wrote|released?|out))\b", re.I
    ),
    # "the writer" alone is how many questions refer to the author ("what point is the writer
    # trying to make?"): the field is asked for by "who", a name, or a byline
    "author": re.compile(
        r"\b(wrote|written by|authored|byline|whose|who(?:['’]s| is| was)? (?:the |this |its )?(?:author|writer|columnist)|"
        r"(?:author|writer|columnist)['’]?s? name|name of (?:the |its )?(?:author|writer|columnist))\b|"
        r"^\W*(?:the |its )?(?:author|writer)\W*$",
        re.I,
    ),
}
MISSING = {"date": "its publication date", "author": "its author", "title": "its title", "source": "where it was published"}


@dataclass(frozen=True)
class MetadataIntent:
    field: str
    similarity: float


class MetadataAnswerer:
    name = "metadata"

    def __init__(self, index: LoadedIndex, embedder: MiniLMEmbeddings, threshold: float = 0.75, margin: float = 0.1) -> None:
        self.index = index
        self.threshold = threshold
        self.margin = margin
        names, texts = zip(*[(f, p) for f, ps in PHRASINGS.items() for p in ps])
        self._fields = list(names)
        self._vectors = embedder.encode(list(texts))

    def answer(self, turn: Turn) -> Draft | None:
        assert turn.vector is not None, "retrieve runs before answer"
        # The question as asked, not joined to the conversation: "When was it published?" means
        # the same after any history.
        vector = turn.own[1] if turn.own else turn.vector
        if AFTER_PUBLICATION.search(turn.text):
            return None  # "What happened after the op-ed was published?" asks no date: ruled out later
        best = float(np.max(self.index.sentence_vectors @ vector)) if len(self.index.sentences) else 0.0
        intent = self.by_cue(turn.text) or self.intent(vector, best)
        if intent is None:
            return None
        docs = self.index.documents
        doc = docs[turn.hits[0].chunk.doc] if turn.hits else next(iter(docs.values()))
        return self.field_answer(intent, doc)

    def by_cue(self, question: str) -> MetadataIntent | None:
        """A field named by a cue word, in a question that names no topic besides."""
        rest = question
        for cue in CUES.values():
            rest = cue.sub(" ", rest)
        if topic_terms(rest):
            return None
        for field, cue in CUES.items():
            if cue.search(question):
                return MetadataIntent(field, 1.0)
        return None

    def intent(self, query_vector: np.ndarray, best_body_cosine: float) -> MetadataIntent | None:
        sims = self._vectors @ query_vector
        i = int(np.argmax(sims))
        if sims[i] >= self.threshold and sims[i] >= best_body_cosine + self.margin:
            return MetadataIntent(self._fields[i], float(sims[i]))
        return None

    def field_answer(self, intent: MetadataIntent, doc: Document) -> Draft:
        value = getattr(doc, intent.field)
        multi = len(self.index.documents) > 1
        name = f"The op-ed ‘{doc.title}’" if multi else "The op-ed"
        if intent.field == "title" and value:
            return Draft(answered=True, lead=f"The op-ed is listed as ‘{value}’.")
        if intent.field == "date" and value:
            return Draft(answered=True, lead=f"{name} is dated {value}{long_date(value)}.")
        if intent.field == "author" and value:
            return Draft(answered=True, lead=f"{name} is by {value}.")
        if intent.field == "source" and value:
            return Draft(answered=True, lead=f"{name} was published in {value}.")
        lead = f"{name} doesn't give {MISSING[intent.field]}."
        return refusal(self.index.documents, reason=f"no {intent.field} in the metadata", lead=lead)


def long_date(iso: str) -> str:
    import datetime as dt

    try:
        d = dt.date.fromisoformat(iso)
    except ValueError:
        return ""
    return f" ({d.strftime('%B')} {d.day}, {d.year})"  # as a dateline prints it
