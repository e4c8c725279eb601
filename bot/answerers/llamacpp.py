"""The ``llamacpp`` backend: the extractive answerer, helped by a local model that picks
sentences.

The model sees the op-ed's sentences, numbered, in a fixed prefix (``prompts/selector.md``)
whose KV state is computed once per build and cached on disk; each question adds only its own
tokens. Its reply is constrained by a grammar to ``NONE`` or up to four sentence numbers, so it
cannot write prose, quote, or leak its prompt. Measured on this machine (README), the model is
used where it helps:

* ``rescue``: only when the extractive answerer refuses, its pick answers instead;
* ``union`` (default): always asked, its picks join the extractive answer's quotes.

A pick is re-checked against its neighbours with MiniLM (the model often names the sentence
next to the right one). Every quote still passes the one verifier; a model failure of any kind
leaves the extractive answer as it was (``bot.answerers.selector`` holds what is shared with
the ``openai`` backend).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from bot.answerers.selector import CANARY, SentenceSelector, examples, parse_reply
from bot.llm import LocalModel, model_path
from bot.schema import Quote
from index.store import LoadedIndex
from prompts import render

GRAMMAR = r"""root ::= "NONE" | num (", " num){0,3}
num ::= [1-9] [0-9]?"""
_models: dict[tuple[str, int], LocalModel] = {}


def _model(path, threads: int) -> LocalModel:
    key = (str(path), threads)
    if key not in _models:
        _models[key] = LocalModel(path, threads=threads)
    return _models[key]


class LlamaSelectorAnswerer(SentenceSelector):
    name = "llamacpp"

    def __init__(self, index: LoadedIndex, settings, model: LocalModel | None = None) -> None:
        super().__init__(index, settings)
        self.model = model or _model(model_path(settings), settings.llm_threads)
        self._keys: dict[str, str] = {}
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

    def pick(self, doc: str, question: str) -> tuple[list[int], float | None]:
        key = self._prefix(doc)
        suffix = [("<|im_start|>user\n", True), (question, False), ("<|im_end|>\n<|im_start|>assistant\n", True)]
        reply, p_none = self.model.complete(key, suffix, GRAMMAR, first=("NONE", [str(d) for d in range(1, 10)]))
        rows = self.index.sentence_rows(doc)
        return [rows[n - 1] for n in parse_reply(reply, len(rows))], p_none

    def lead_prompt(self, question: str, quotes: list[Quote]) -> tuple[str, str, list[tuple[str, bool]]]:
        """The lead's prompt (``prompts/lead.md``): its fixed part, the key its evaluated state is
        cached under, and the (text, special) pieces that follow; user text and quotes are
        tokenized as text, never as template markup."""
        text = render("lead", canary=CANARY)
        key = hashlib.sha256(f"lead|{self.model.path.name}|{text}".encode()).hexdigest()[:16]
        pieces: list[tuple[str, bool]] = []
        for q in quotes:
            pieces += [(f"[{q.n}] ", True), (q.text, False), ("\n", True)]
        pieces += [("Question: ", True), (question, False), ("<|im_end|>\n<|im_start|>assistant\n", True)]
        return key, text, pieces

    def lead_stream(self, question: str, quotes: list[Quote]) -> Iterator[str]:
        """The model's prose lead over an answer's quotes, as it writes it. The fixed part is
        evaluated once and its state cached like the selector's prefix."""
        key, text, pieces = self.lead_prompt(question, quotes)
        self.model.prefix(key, text, cache=self.settings.cache_dir / "llm" / f"{key}.state")
        return self.model.stream(key, pieces)


def create(index: LoadedIndex, settings=None, **_components) -> LlamaSelectorAnswerer:
    """Registry factory (entry point ``opedbot.backends: llamacpp``)."""
    return LlamaSelectorAnswerer(index, settings)
