"""``opedbot bench --scale 1,10,100``: index build time and peak memory as the index grows.

Each level builds, in a fresh temporary data dir and a fresh process (so the peak memory is that
build's own), an index of N generated op-ed-sized documents: the sentences of the op-eds in
``tests/data`` shuffled per document and tagged with the document's number, so no two documents
share a sentence and no embedding can be reused. Time and peak RSS are printed per level and
per document: a linear build costs the same per document at every level.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = """
import json, sys, time
from pathlib import Path
from bot.config import load_settings
from bot.service import embedder_for, open_store
from index.documents import make_document
settings = load_settings(data_dir=Path(sys.argv[1]))
embedder = embedder_for(settings)
embedder.encode(["load the model"])
docs = [make_document(p.stem, p.read_text("utf-8"), {"title": p.stem}) for p in sorted(Path(sys.argv[2]).glob("*.txt"))]
store = open_store(settings, embedder, progress=lambda _m: None)
t = time.perf_counter()
r = store.add(docs)
print(json.dumps({"build_s": time.perf_counter() - t, "chunks": r.chunks, "sentences": r.sentences}))
"""


def _sentences() -> list[str]:
    from index.builtin import default_document
    from index.chunking import split_sentences
    from index.documents import make_document

    data = Path(__file__).resolve().parents[2] / "tests" / "data" / "other-opeds"
    docs = [default_document()] + [make_document(p.stem, p.read_text("utf-8")) for p in sorted(data.glob("*.txt"))]
    return [s.text for d in docs for s in split_sentences(d)]


def write_documents(folder: Path, n: int, seed: int = 7) -> None:
    """``n`` op-ed-sized documents (about 60 sentences in 10 paragraphs) under ``folder``."""
    pool, rng = _sentences(), random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        picked = rng.sample(pool, min(60, len(pool)))
        paragraphs = [" ".join(f"{s[:-1]} (report {i}-{j})." for j, s in enumerate(picked[k : k + 6], k)) for k in range(0, len(picked), 6)]
        (folder / f"gen-{i:04d}.txt").write_text(f"Generated op-ed {i}\n\n" + "\n\n".join(paragraphs) + "\n", "utf-8")


def run_scale(levels: list[int]) -> list[dict]:
    rows = []
    for n in levels:
        with tempfile.TemporaryDirectory() as tmp:
            docs = Path(tmp) / "docs"
            write_documents(docs, n)
            proc = subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(Path(tmp) / "data"), str(docs)],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env={**os.environ, "OPEDBOT_CHROMA_URL": ""},
            )
            assert proc.stdout is not None
            out = proc.stdout.read()
            _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak memory
            code = os.waitstatus_to_exitcode(status)
            peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
            if code != 0 or not out.strip():
                raise RuntimeError(f"the build of {n} documents failed (exit {code})")
            row = {"documents": n, **json.loads(out.strip().splitlines()[-1]), "peak_rss_mb": peak_mb}
        row["s_per_document"] = row["build_s"] / n
        rows.append(row)
        print(
            f"build {n:>5} documents: {row['build_s']:8.2f} s  ({row['s_per_document'] * 1000:6.1f} ms each; "
            f"{row['chunks']} chunks, {row['sentences']} sentences)   peak RSS {peak_mb:7.0f} MB",
            flush=True,
        )
    return rows
