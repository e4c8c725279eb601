"""Offline switches, set before huggingface, transformers or chromadb are imported, and the
BLAS thread count, set before numpy is.

They are defaults (``setdefault``): a user who really wants the hub can still override them.
"""

import os

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
    # numpy's OpenBLAS starts a thread per core for every matrix product; the products here are
    # small (a question's wordpieces against an op-ed's), and under concurrent questions those
    # threads fought the embedding model's for 2 cores: 20 connections 190 answers/s with them,
    # 327 without (`make bench`). Parallelism comes from the workers and the embedding batches.
    "OPENBLAS_NUM_THREADS": "1",
}


def apply() -> None:
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
