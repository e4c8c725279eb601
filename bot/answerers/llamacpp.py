"""The ``llamacpp`` backend: the extractive answerer, helped by a local model that picks
sentences.

The model sees the op-ed's sentences, numbered, in a fixed prefix (``prompts/selector.md``)
whose KV state is computed once per build and cached on disk; each question adds only its own
tokens. Its reply is constrained by a grammar to ``NONE`` or up to four sentence numbers, so it
cannot write prose, quote, or leak its prompt. Measured on this machine (README), the model is
used where it helps:

* ``rescue``: only when the extractive answerer refuses, its pick answers instead;
* ``union``: always asked, its picks join the extractive answer's quotes;
* ``rank`` (default): always asked; the extractive answerer's ten best sentences are ranked
  again with the model's probability of naming each (``LocalModel.number_logprobs``), what
  comes out on top joins the extractive answer, and so do the model's picks as in ``union``; a
  refusal is rescued by the model's pick.

A pick is re-checked against its neighbours with MiniLM (the model often names the sentence
next to the right one). Every quote still passes the one verifier; a model failure of any kind
leaves the extractive answer as it was (``bot.answerers.selector`` holds what is shared with
the ``openai`` backend).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

from bot.answerers.selector import CANARY, SentenceSelector, examples, parse_reply
from bot.llm import LocalModel, model_path
from bot.schema import Quote
from index.embeddings import MiniLMEmbeddings
from index.store import LoadedIndex
from prompts import render

GRAMMAR = r"""root ::= "NONE" | num (", " num){0,3}
num ::= [1-9] [0-9]?"""
_models: dict[tuple[str, int], LocalModel] = {}
# How many opening words of each given sentence the lead's question repeats. Measured with
# `opedbot bench --prose` (8 questions, rescue mode): none, first token p50 513 ms but 5 of 8
# leads kept (the model cites the neighbouring sentence); six, 733 ms and 8 of 8.
OPENING_WORDS = 6


def _model(path, threads: int) -> LocalModel:
    key = (str(path), threads)
    if key not in _models:
        _models[key] = LocalModel(path, threads=threads)
    return _models[key]


class LlamaSelectorAnswerer(SentenceSelector):
    name = "llamacpp"

    def __init__(self, index: LoadedIndex, settings, model: LocalModel | None = None, embedder: MiniLMEmbeddings | None = None) -> None:
        super().__init__(index, settings, embedder)
        self.model = model or _model(model_path(settings), settings.llm_threads)
        self._keys: dict[str, str] = {}
        self._lead_prefixes: dict[str, tuple[str, str]] = {}  # doc -> (key, text) of the numbered lead prefix
        for doc in index.documents:  # evaluate (or load) every document's prefix now, not on the first question
            self._prefix(doc)

    def _prefix(self, doc: str) -> str:
        if doc not in self._keys:
            rows = self.index.sentence_rows(doc)
            sentences = [{"n": k + 1, "text": self.index.sentences[r].text} for k, r in enumerate(rows)]
            text = render("selector", canary=CANARY, sentences=sentences, examples=examples(self.index, doc, rows))
            key = hashlib.sha256(f"{self.model.path.name}|{text}".encode()).hexdigest()[:16]
            # the state depends on the model and the prompt only: any build of this op-ed shares it,
            # and a read-only data dir can be served
            self.model.prefix(key, text, cache=self.settings.cache_dir / "llm" / f"{key}.state")
            self._keys[doc] = key
        return self._keys[doc]

    @staticmethod
    def _suffix(question: str) -> list[tuple[str, bool]]:
        """The rest of the question's turn, whose opening markup ends the prefix (three tokens
        fewer to evaluate per question): template markup is special, the question never is."""
        return [(question, False), ("<|im_end|>\n<|im_start|>assistant\n", True)]

    def pick(self, doc: str, question: str) -> tuple[list[int], float | None]:
        key = self._prefix(doc)
        reply, p_none = self.model.complete(key, self._suffix(question), GRAMMAR, first=("NONE", [str(d) for d in range(1, 10)]))
        rows = self.index.sentence_rows(doc)
        return [rows[n - 1] for n in parse_reply(reply, len(rows))], p_none

    def logprobs(self, doc: str, question: str, rows: list[int]) -> dict[int, float]:
        key = self._prefix(doc)
        first = self.index.sentence_rows(doc)[0]
        lp, _ = self.model.number_logprobs(key, self._suffix(question), [r - first + 1 for r in rows])
        return {n + first - 1: v for n, v in lp.items()}

    def lead_prompt(self, question: str, quotes: list[Quote]) -> tuple[str, str, list[tuple[str, bool]], dict[int, int] | None]:
        """The lead's prompt: its fixed part, the key its evaluated state is cached under, the
        (text, special) pieces that follow (user text and quotes tokenized as text, never as
        template markup), and how the model's citations map to the answer's quote numbers.

        When every quote is a whole sentence of one op-ed, the fixed part is that op-ed with its
        sentences numbered (``prompts/lead_numbered.md``, evaluated once per op-ed and cached
        like the selector's prefix) and the question names sentence numbers: a few tokens to
        evaluate instead of every quote's. Otherwise the quotes are written out
        (``prompts/lead.md``)."""
        numbered = self._sentence_numbers(quotes)
        if numbered is not None:
            doc, numbers = numbered
            key, text = self._lead_prefix(doc)
            given = ", ".join(f"[{n}] {self._opening(doc, n)}…" for n in numbers)
            pieces = [("<|im_start|>user\nSentences: ", True), (given, False), ("\nQuestion: ", True), (question, False)]
            pieces += [("<|im_end|>\n<|im_start|>assistant\n", True)]
            return key, text, pieces, {n: q.n for n, q in zip(numbers, quotes)}
        text = render("lead", canary=CANARY)
        key = hashlib.sha256(f"lead|{self.model.path.name}|{text}".encode()).hexdigest()[:16]
        pieces = []
        for q in quotes:
            pieces += [(f"[{q.n}] ", True), (q.text, False), ("\n", True)]
        pieces += [("Question: ", True), (question, False), ("<|im_end|>\n<|im_start|>assistant\n", True)]
        return key, text, pieces, None

    def lead_stream(self, question: str, quotes: list[Quote]) -> Iterator[str]:
        """The model's prose lead over an answer's quotes, as it writes it, its citations
        renumbered to the answer's quotes (a number it was not given becomes [0], which the
        gate drops)."""
        key, text, pieces, renumber = self.lead_prompt(question, quotes)
        self.model.prefix(key, text, cache=self.settings.cache_dir / "llm" / f"{key}.state")
        stream = self.model.stream(key, pieces)
        return renumbered(stream, renumber) if renumber is not None else stream

    def _sentence_numbers(self, quotes: list[Quote]) -> tuple[str, list[int]] | None:
        """The op-ed and the 1-based sentence numbers of the quotes, when each quote is a whole
        sentence of the same op-ed."""
        docs = {q.doc for q in quotes}
        if len(docs) != 1 or not quotes:
            return None
        doc = docs.pop()
        rows = self.index.sentence_rows(doc)
        at = {(self.index.sentences[r].start, self.index.sentences[r].end): k + 1 for k, r in enumerate(rows)}
        numbers = [at.get((q.start, q.end)) for q in quotes]
        return (doc, [n for n in numbers if n is not None]) if all(numbers) else None

    def _opening(self, doc: str, n: int) -> str:
        return " ".join(self.index.sentences[self.index.sentence_rows(doc)[n - 1]].text.split()[:OPENING_WORDS])

    def _lead_prefix(self, doc: str) -> tuple[str, str]:
        """The key and text of the numbered op-ed with one worked turn made from its own first
        recommendation (or its thesis): the lead restates that sentence and cites it. Made once
        per op-ed."""
        if doc not in self._lead_prefixes:
            text = self._numbered_op_ed(doc)
            key = hashlib.sha256(f"lead-numbered|{self.model.path.name}|{text}".encode()).hexdigest()[:16]
            self._lead_prefixes[doc] = (key, text)
        return self._lead_prefixes[doc]

    def _numbered_op_ed(self, doc: str) -> str:
        rows = self.index.sentence_rows(doc)
        sents = self.index.sentences
        dmap = self.index.maps.get(doc)
        k = next(iter((dmap.recommendations or dmap.thesis) if dmap else []), 0)
        body = sents[rows[k]].text.rstrip(" .")
        example = {
            "given": f"[{k + 1}] {self._opening(doc, k + 1)}…",
            "lead": f"The op-ed argues that {body[:1].lower()}{body[1:]} [{k + 1}].",
        }
        numbered = [{"n": i + 1, "text": sents[r].text} for i, r in enumerate(rows)]
        return render("lead_numbered", canary=CANARY, sentences=numbered, example=example)


def renumbered(pieces: Iterator[str], numbers: dict[int, int]) -> Iterator[str]:
    """The stream with every citation "[n]" of a sentence number rewritten to the answer's quote
    number; text between "[" and "]" is held until the bracket closes (or 8 characters pass)."""
    held = ""
    for piece in pieces:
        held += piece
        out = ""
        while held:
            i = held.find("[")
            if i < 0:
                out, held = out + held, ""
                break
            out, held = out + held[:i], held[i:]
            j = held.find("]")
            if j < 0 and len(held) < 8:
                break  # wait for the rest of the citation
            m = re.match(r"\[(\d+)\]", held)
            if m:
                out += f"[{numbers.get(int(m.group(1)), 0)}]"
                held = held[m.end() :]
            else:
                out, held = out + held[0], held[1:]
        if out:
            yield out
    if held:
        yield held


def create(index: LoadedIndex, settings=None, embedder: MiniLMEmbeddings | None = None, **_components) -> LlamaSelectorAnswerer:
    """Registry factory (entry point ``opedbot.backends: llamacpp``)."""
    return LlamaSelectorAnswerer(index, settings, embedder=embedder)
