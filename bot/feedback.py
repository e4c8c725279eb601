"""Reader feedback (like/dislike on an answer), appended to ``<data dir>/feedback.jsonl``.

One JSON object a line: time, vote, question, answer text, answered, quotes, backend. Appends
take a file lock so several server workers can share one file; a torn last line (a crash
mid-write) is skipped when reading, never fatal.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import threading
import time
from pathlib import Path

VOTES = ("like", "dislike")


class FeedbackStore:
    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "feedback.jsonl"
        self._lock = threading.Lock()

    def add(self, vote: str, answer: dict, session: str | None = None) -> dict:
        if vote not in VOTES:
            raise ValueError(f"vote must be one of {VOTES}")
        row = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "vote": vote,
            "session": session,
            "question": answer.get("question"),
            "answer": answer.get("answer"),
            "answered": answer.get("answered"),
            "quotes": answer.get("quotes", []),
            "backend": answer.get("backend"),
        }
        line = json.dumps(row, ensure_ascii=False) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.path, "a", encoding="utf-8") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.write(line)
            f.flush()
            fcntl.flock(f, fcntl.LOCK_UN)
        return row

    def rows(self) -> list[dict]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text("utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return out

    def export(self, fmt: str = "jsonl") -> str:
        rows = self.rows()
        if fmt == "jsonl":
            return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["time", "vote", "question", "answer", "answered", "quotes"])
        for r in rows:
            w.writerow(
                [r["time"], r["vote"], r["question"], r["answer"], r["answered"], " | ".join(q["text"] for q in r.get("quotes", []))]
            )
        return buf.getvalue()
