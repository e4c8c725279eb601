"""A bounded load generator for ``opedbot bench --load``: N concurrent clients on 127.0.0.1 post
distinct questions to ``/api/ask`` for a fixed time (and at most a fixed number of requests),
and the figures are printed, never asserted: throughput, latency percentiles, errors.

It uses ``wrk`` when it is installed (``apt-get install wrk``): a C client that costs the two
cores little, so the figures are the server's. Otherwise an asyncio client (httpx), whose own
CPU use on the same machine lowers them (measured: 282 answers/s at 20 connections where wrk
saw 342 on the same server); there a client told 503/429 waits its ``Retry-After`` before
asking again, as a polite client would.

It only ever targets the loopback address it is given; the loops stop by themselves."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from urllib.parse import urlparse

from bot.evaluation.metrics import percentile


async def _client(client, url: str, questions: list[str], start: int, stop_at: float, budget: list[int], out: dict) -> None:
    i = start
    while time.perf_counter() < stop_at and budget[0] > 0:
        budget[0] -= 1
        q = questions[i % len(questions)]
        i += 7
        t = time.perf_counter()
        try:
            r = await client.post(url, json={"question": q}, timeout=30)
        except Exception:
            out["errors"].append((time.perf_counter() - t) * 1000)
            continue
        ms = (time.perf_counter() - t) * 1000
        if r.status_code in (429, 503):  # a polite client waits as told before asking again
            out["rejected"].append(ms)
            await asyncio.sleep(min(5.0, float(r.headers.get("retry-after", "1") or 1)))
        else:
            (out["ok"] if r.status_code == 200 else out["errors"]).append(ms)


async def _run(base: str, questions: list[str], connections: int, seconds: float, max_requests: int) -> dict:
    import httpx

    host = urlparse(base).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"the load generator only targets this machine, not {host}")
    out: dict[str, list[float]] = {"ok": [], "rejected": [], "errors": []}
    budget = [max_requests]
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits) as client:
        t0 = time.perf_counter()
        stop_at = t0 + seconds
        await asyncio.gather(*(_client(client, f"{base}/api/ask", questions, k, stop_at, budget, out) for k in range(connections)))
        elapsed = time.perf_counter() - t0
    ok = out["ok"]
    return {
        "connections": connections,
        "answers_per_s": len(ok) / elapsed,
        "p50_ms": percentile(ok, 0.5) if ok else None,
        "p95_ms": percentile(ok, 0.95) if ok else None,
        "ok": len(ok),
        "rejected": len(out["rejected"]),
        "errors": len(out["errors"]),
        "client": "asyncio",
    }


_WRK_SCRIPT = """
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i + 1
  return wrk.format(nil, "/api/ask", nil, bodies[(i % #bodies) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("OPEDBOT %d %d %d %d %.3f %.3f\\n", summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write, summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000))
end
"""


def _run_wrk(wrk: str, base: str, questions: list[str], connections: int, seconds: float) -> dict:
    import json
    import subprocess
    import tempfile

    bodies = ",\n".join(json.dumps(json.dumps({"question": q})) for q in questions)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(f"local bodies = {{\n{bodies}\n}}\n{_WRK_SCRIPT}")
    try:
        done = subprocess.run(
            [wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "-s", f.name, base],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
        )
    finally:
        Path(f.name).unlink(missing_ok=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith("OPEDBOT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed: {done.stderr.strip() or done.stdout.strip()}")
    total, non2xx, socket_errors, timeouts, p50, p95 = line.split()[1:]
    ok = int(total) - int(non2xx)
    return {
        "connections": connections,
        "answers_per_s": ok / seconds,
        "p50_ms": float(p50),
        "p95_ms": float(p95),
        "ok": ok,
        "rejected": int(non2xx),
        "errors": int(socket_errors) + int(timeouts),
        "client": "wrk",
    }


def run_load(base: str, questions: list[str], levels=(1, 5, 20, 50, 100), seconds: float = 8.0, max_requests: int = 5000) -> list[dict]:
    import shutil

    host = urlparse(base).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"the load generator only targets this machine, not {host}")
    wrk = shutil.which("wrk")
    rows = []
    for n in levels:
        row = _run_wrk(wrk, base, questions, n, seconds) if wrk else asyncio.run(_run(base, questions, n, seconds, max_requests))
        rows.append(row)
        p50 = f"{row['p50_ms']:7.1f}" if row["p50_ms"] is not None else "      -"
        p95 = f"{row['p95_ms']:7.1f}" if row["p95_ms"] is not None else "      -"
        print(
            f"load {n:>3} connections: {row['answers_per_s']:7.1f} answers/s   p50 {p50} ms   p95 {p95} ms"
            f"   ok {row['ok']}  not-2xx {row['rejected']}  errors {row['errors']}  ({row['client']})",
            flush=True,
        )
    return rows
