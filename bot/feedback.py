"""Reader feedback (like/dislike on an answer), appended to ``<data dir>/feedback.jsonl``.

One JSON object a line: time, vote, question, answer text, answered, quotes, backend. Appends
take a file lock so several server workers can share one file, and end a torn last line first
(a crash mid-write) so the new row is not lost with it. Reading skips and counts lines that are
torn, not UTF-8 or not feedback rows; CSV export neutralises cells a spreadsheet would run as
formulas.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
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
        line = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.path, "ab+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                # A crash mid-append leaves a torn last line: end it, so this row stands alone
                # instead of being glued to it (and lost with it when read).
                if f.seek(0, os.SEEK_END) > 0:
                    f.seek(-1, os.SEEK_END)
                    if f.read(1) != b"\n":
                        f.write(b"\n")
                f.write(line)
                f.flush()
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
        return row

    def read(self) -> tuple[list[dict], int]:
        """The stored rows, and how many lines were skipped as unreadable (torn, not UTF-8,
        not a feedback row): a bad line never costs the others."""
        if not self.path.exists():
            return [], 0
        out, skipped = [], 0
        for raw in self.path.read_bytes().split(b"\n"):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                skipped += 1
                continue
            if not isinstance(row, dict) or row.get("vote") not in VOTES or not isinstance(row.get("question"), str):
                skipped += 1
                continue
            row["quotes"] = [q for q in row.get("quotes") or [] if isinstance(q, dict) and isinstance(q.get("text"), str)]
            out.append(row)
        return out, skipped

    def rows(self) -> list[dict]:
        return self.read()[0]

    def export(self, fmt: str = "jsonl") -> str:
        rows = self.rows()
        if fmt == "jsonl":
            return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["time", "vote", "question", "answer", "answered", "quotes"])
        for r in rows:
            cells = [
                r.get("time"),
                r["vote"],
                r["question"],
                r.get("answer"),
                r.get("answered"),
                " | ".join(q["text"] for q in r["quotes"]),
            ]
            w.writerow([_cell(c) for c in cells])
        return buf.getvalue()


def _cell(value) -> str:
    """A CSV cell a spreadsheet will not run: text starting with = + - @ (or a tab or carriage
    return before one) is prefixed with an apostrophe (OWASP's CSV-injection advice)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
