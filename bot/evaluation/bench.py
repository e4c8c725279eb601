"""``opedbot bench``: latency figures of the extractive answerer, printed, never asserted.

Measured in one run on the same machine, so the ratio is meaningful even where absolute
numbers are noisy:
* warm per-question latency (p50/p95) over distinct questions — there is no answer cache, so
  each is computed in full;
* the raw cost of embedding the same questions with MiniLM (the floor any answer pays);
* the op-ed index build time after the model is loaded, in a fresh temporary data dir, and the
  part of it spent making the document map.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bot.config import Settings
from bot.evaluation.metrics import percentile
from bot.evaluation.runner import load_items
from bot.service import Bot, embedder_for, open_store
from bot.validation import parse_request
from index.docmap import build_maps
from index.store import IndexStore

DEFAULT_SETS = ("eval.jsonl", "holdout.jsonl", "unseen.jsonl")


def default_question_files() -> list[Path]:
    data = Path(__file__).resolve().parents[2] / "tests" / "data"
    return [data / name for name in DEFAULT_SETS if (data / name).is_file()]


def run_bench(settings: Settings, files: list[Path] | None, repeat: int = 1) -> dict:
    files = files or default_question_files()
    questions = list(dict.fromkeys(it.question for f in files for it in load_items(f)))
    embedder = embedder_for(settings)
    t = time.perf_counter()
    embedder.encode(["warm-up"])
    load_s = time.perf_counter() - t

    if settings.backend == "llamacpp" and not settings.llm_gguf:
        from bot.llm import model_path

        settings = settings.model_copy(update={"llm_gguf": model_path(settings)})  # not assembled again below
    with tempfile.TemporaryDirectory() as tmp:
        store = IndexStore(Path(tmp), embedder, progress=None)
        t = time.perf_counter()
        store.build()
        build_s = time.perf_counter() - t
        bot_settings = settings.model_copy(update={"data_dir": Path(tmp), "answer_cache": 0})  # every question answered
        t = time.perf_counter()
        bot = Bot(bot_settings, embedder=embedder, store=store)
        index = bot.load()
        start_s = time.perf_counter() - t
        t = time.perf_counter()
        Bot(bot_settings, embedder=embedder, store=store).load()  # again: what was cached is loaded
        restart_s = time.perf_counter() - t
        llm_figures = _local_model_start(index, bot_settings) if settings.backend == "llamacpp" else {}
        t = time.perf_counter()
        build_maps(index.sentences, index.sentence_vectors)
        map_ms = (time.perf_counter() - t) * 1000
        for q in ("warm-up one", "what does it say?", "warm up three"):
            bot.ask(parse_request(q, None, settings))
        answer_ms, embed_ms = [], []
        for _ in range(max(1, repeat)):
            for q in questions:
                t = time.perf_counter()
                bot.ask(parse_request(q, None, settings))
                answer_ms.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                embedder.encode([q])  # the model call itself, no batching thread
                embed_ms.append((time.perf_counter() - t) * 1000)

    fig = {
        "questions": len(questions) * max(1, repeat),
        "answer_p50_ms": percentile(answer_ms, 0.5),
        "answer_p95_ms": percentile(answer_ms, 0.95),
        "embed_p50_ms": percentile(embed_ms, 0.5),
        "embed_p95_ms": percentile(embed_ms, 0.95),
        "build_s": build_s,
        "model_load_s": load_s,
        "map_ms": map_ms,
        "backend": settings.backend,
        "backend_start_s": start_s,
        "backend_restart_s": restart_s,
        **llm_figures,
    }
    fig["ratio_p50"] = fig["answer_p50_ms"] / fig["embed_p50_ms"]
    fig["ratio_p95"] = fig["answer_p95_ms"] / fig["embed_p95_ms"]
    print(f"questions (distinct, warm): {fig['questions']}")
    print(f"{settings.backend + ' answer':19} p50 {fig['answer_p50_ms']:7.2f} ms   p95 {fig['answer_p95_ms']:7.2f} ms")
    print(f"raw MiniLM embed    p50 {fig['embed_p50_ms']:7.2f} ms   p95 {fig['embed_p95_ms']:7.2f} ms")
    print(f"ratio answer/embed  p50 {fig['ratio_p50']:7.2f} x    p95 {fig['ratio_p95']:7.2f} x")
    print(
        f"index build (op-ed, model loaded): {fig['build_s']:.2f} s   (model load {fig['model_load_s']:.2f} s; document map {map_ms:.1f} ms)"
    )
    print(f"answerer start over the built index: {start_s:.2f} s; a second start, with what it cached: {restart_s:.2f} s")
    if llm_figures:
        print(
            f"local model load {llm_figures['llm_load_s']:.2f} s; its prompt prefix (KV state) from disk {llm_figures['llm_prefix_from_disk_s']:.2f} s"
        )
    return fig


def _local_model_start(index, settings) -> dict:
    """A cold start of the local model in this process: loading the GGUF, then the prompt
    prefix's KV state from the disk cache the first start wrote."""
    from bot.answerers.llamacpp import LlamaSelectorAnswerer
    from bot.llm import LocalModel

    t = time.perf_counter()
    model = LocalModel(settings.llm_gguf, threads=settings.llm_threads)
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    LlamaSelectorAnswerer(index, settings, model=model)
    return {"llm_load_s": load_s, "llm_prefix_from_disk_s": time.perf_counter() - t}


def run_rest_bench(settings: Settings, files: list[Path] | None, port: int = 0, load: bool = False, workers: int = 1) -> dict:
    """Start ``opedbot serve`` on 127.0.0.1 with the existing index, time it to /readyz 200,
    then time POST /api/ask over the distinct questions from one client; with ``load``, also
    throughput at 1, 5, 20, 50 and 100 concurrent connections (``bot.evaluation.load``)."""
    import json
    import os
    import socket
    import subprocess
    import sys
    import urllib.request

    open_store(settings, progress=lambda _msg: None).build()  # existing index
    if not port:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    files = files or default_question_files()
    questions = list(dict.fromkeys(it.question for f in files for it in load_items(f)))
    # One client (or the load generator's many) on 127.0.0.1: per-client limits would measure themselves.
    # one client asking hundreds of distinct questions on purpose: no per-client limits, no cache
    env = dict(
        os.environ,
        OPEDBOT_DATA_DIR=str(settings.data_dir),
        OPEDBOT_RATE_LIMIT="0",
        OPEDBOT_MAX_IN_FLIGHT_PER_CLIENT="0",
        OPEDBOT_ANSWER_CACHE="0",
    )
    base = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        ready_s = _wait_ready(base, workers) - t0
        latencies = []
        for q in questions:
            body = json.dumps({"question": q}).encode()
            req = urllib.request.Request(f"{base}/api/ask", data=body, headers={"content-type": "application/json"})
            t = time.perf_counter()
            with urllib.request.urlopen(req, timeout=30) as r:
                r.read()
            latencies.append((time.perf_counter() - t) * 1000)
        if load:
            from bot.evaluation.load import run_load

            load_rows = run_load(base, questions)
        rss_mb = _peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    cached_rows = []
    if load:
        # Separately: the repeats a public widget sees (a few suggested questions asked again
        # and again), with the answer cache on.
        from bot.evaluation.load import run_load

        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--port", str(port), "--workers", str(workers)],
            env={**env, "OPEDBOT_ANSWER_CACHE": "1024"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_ready(base, workers)
            print("with the answer cache on, 6 questions asked again and again (a widget's suggestions):")
            cached_rows = run_load(base, questions[:6], levels=(20,))
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    fig = {
        "questions": len(questions),
        "rest_p50_ms": percentile(latencies, 0.5),
        "rest_p95_ms": percentile(latencies, 0.95),
        "serve_to_ready_s": ready_s,
        "workers": workers,
        "serve_peak_rss_mb": rss_mb,
        "load_cached": cached_rows,
        "load": load_rows if load else [],
    }
    print(
        f"REST POST /api/ask   p50 {fig['rest_p50_ms']:7.2f} ms   p95 {fig['rest_p95_ms']:7.2f} ms   ({fig['questions']} distinct questions, one client)"
    )
    print(f"opedbot serve -> /readyz 200 with an existing index: {fig['serve_to_ready_s']:.2f} s")
    print(f"opedbot serve peak RSS (all its processes, {workers} worker(s)): {rss_mb:.0f} MB")
    return fig


def _wait_ready(base: str, workers: int, seconds: float = 120) -> float:
    """When ``/readyz`` said 200 several times in a row (each call reaches one worker)."""
    import urllib.request

    t0, in_a_row = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=1) as r:
                in_a_row = in_a_row + 1 if r.status == 200 else 0
        except OSError:
            in_a_row = 0
            time.sleep(0.05)
        if in_a_row >= 4 * workers:
            return time.perf_counter()
    raise RuntimeError(f"server did not become ready in {seconds:.0f} s")


def _peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process and its children, from /proc (Linux; 0 elsewhere)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total / 1024
