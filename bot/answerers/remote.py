"""The ``openai`` backend: the same sentence selector as ``llamacpp``, asking any
OpenAI-compatible endpoint (Ollama, vLLM, the llama.cpp server, OpenAI) through LangChain's
``ChatOpenAI``.

The system message is the numbered op-ed (``prompts/selector_chat.md``, the user's question
never part of a template), then worked turns, then the question as its own message. There is no
grammar on a remote endpoint, so the reply is checked instead: anything but ``NONE`` or sentence
numbers of this op-ed is a model failure. Failures of every kind (unreachable, no reply within
``OPEDBOT_LLM_TIMEOUT``, an HTTP error, an empty or garbled or endless reply) leave the
extractive answer with a one-line ``fallback`` note: never a hang or a traceback, and one slow
endpoint holds up only the request waiting on it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from bot.answerers.selector import CANARY, ModelFailure, SentenceSelector, examples, parse_reply
from bot.errors import ConfigError
from bot.schema import Quote
from index.embeddings import MiniLMEmbeddings
from index.store import LoadedIndex
from prompts import render

MAX_REPLY_TOKENS = 12  # "NONE" or four numbers; an endless reply is cut here
MAX_LEAD_TOKENS = 160  # a prose lead of one or two sentences


class RemoteSelectorAnswerer(SentenceSelector):
    name = "openai"

    def __init__(self, index: LoadedIndex, settings, embedder: MiniLMEmbeddings | None = None) -> None:
        super().__init__(index, settings, embedder)
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
        from langchain_openai import ChatOpenAI
        from pydantic import SecretStr

        if not settings.openai_model:
            raise ConfigError(
                "the openai backend needs a model name: set OPEDBOT_OPENAI_MODEL (and OPEDBOT_OPENAI_BASE_URL for a local server)"
            )
        key = settings.openai_api_key or os.environ.get("OPENAI_API_KEY")
        if not key and not settings.openai_base_url:
            raise ConfigError("the openai backend needs an API key for OpenAI: set OPEDBOT_OPENAI_API_KEY or OPENAI_API_KEY")
        self.timeout = settings.llm_timeout
        self.chat = ChatOpenAI(
            base_url=settings.openai_base_url,
            model=settings.openai_model,
            api_key=SecretStr(key or "not-needed"),  # local servers take any key
            timeout=settings.llm_timeout,
            max_retries=0,
            temperature=0.0,
            # "max_tokens" is what every OpenAI-compatible server knows (ChatOpenAI itself would
            # send only the newer "max_completion_tokens", which local servers ignore)
            extra_body={"max_tokens": MAX_REPLY_TOKENS},
        )
        self._human = HumanMessage
        # the prose lead (OPEDBOT_LLM_PROSE): the same endpoint, streamed, with room to write
        self.writer = self.chat.model_copy(update={"extra_body": {"max_tokens": MAX_LEAD_TOKENS}})
        self._lead_system = SystemMessage(render("lead_chat", canary=CANARY))
        self._messages = {}
        for doc in index.documents:
            rows = index.sentence_rows(doc)
            sentences = [{"n": k + 1, "text": index.sentences[r].text} for k, r in enumerate(rows)]
            turns = [m for q, a in examples(index, doc, rows) for m in (HumanMessage(q), AIMessage(a))]
            self._messages[doc] = [SystemMessage(render("selector_chat", canary=CANARY, sentences=sentences)), *turns]

    def pick(self, doc: str, question: str) -> tuple[list[int], float | None]:
        import openai

        try:
            reply = self.chat.invoke([*self._messages[doc], self._human(question)])
        except openai.APITimeoutError:
            raise ModelFailure(f"the model did not answer within {self.timeout:g} s") from None
        except openai.APIConnectionError:
            raise ModelFailure("the model's server could not be reached") from None
        except openai.APIStatusError as exc:
            raise ModelFailure(f"the model's server answered HTTP {exc.status_code}") from None
        text = reply.content if isinstance(reply.content, str) else ""
        rows = self.index.sentence_rows(doc)
        return [rows[n - 1] for n in parse_reply(text, len(rows))], None

    def lead_stream(self, question: str, quotes: list[Quote]) -> Iterator[str]:
        """The endpoint's prose lead over an answer's quotes, streamed as it writes (the
        question and the quotes are message text, never template); checked by ``bot.prose``."""
        text = "Quotes:\n" + "".join(f"[{q.n}] {q.text}\n" for q in quotes) + f"Question: {question}\nAnswer:"
        for chunk in self.writer.stream([self._lead_system, self._human(text)]):
            if isinstance(chunk.content, str) and chunk.content:
                yield chunk.content


def create(index: LoadedIndex, settings=None, embedder: MiniLMEmbeddings | None = None, **_components) -> RemoteSelectorAnswerer:
    """Registry factory (entry point ``opedbot.backends: openai``)."""
    return RemoteSelectorAnswerer(index, settings, embedder)
