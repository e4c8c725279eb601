"""Documents: reading a file into canonical text, metadata and numbered paragraphs.

The canonical text is what every quote's offsets point into. It keeps the file's characters
exactly (curly quotes and all); only line endings are normalised to ``\\n`` and metadata that
precedes the body (a ``date 2025-09-09`` prefix, ``key: value`` header lines, Markdown front
matter, an HTML ``<title>``) is lifted out of it. Paragraphs are separated by blank lines and
numbered from 1.

Supported: .txt, .md, .html/.htm. PDF is left out on purpose: text extraction from PDF rarely
yields exact sentences, and a quote that is not exact is worthless to us.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

from index.errors import DocumentError

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
MAX_DOCUMENT_BYTES = 2_000_000
METADATA_KEYS = ("title", "author", "date", "source")

_INLINE_DATE = re.compile(r"\A\s*date\s*:?\s*(\d{4}-\d{2}-\d{2})\b[ \t]*\n?")
_HEADER_LINE = re.compile(r"\A[ \t]*(title|author|date|source)[ \t]*:[ \t]*(.+?)[ \t]*(?:\n|\Z)", re.I)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)
_MD_HEADING = re.compile(r"\A[ \t]*#[ \t]+(.+?)[ \t]*(?:\n|\Z)")
# A newspaper's plain text: a headline, then a byline and/or a dateline, each on its own line,
# before the first blank line ("Cutting the Skerrin ferry …\nBy Morag Linklater\nMarch 3, 2025").
_BYLINE = re.compile(r"^by\s+(\S.{0,80}?)\s*$", re.I)
_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d", "%A, %B %d, %Y", "%A %d %B %Y")
MAX_HEADLINE_WORDS = 25
_PARAGRAPH = re.compile(r"\S(?:.*?\S)?(?=\n[ \t]*\n|\s*\Z)", re.S)
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Paragraph:
    n: int
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """One op-ed: an id, metadata, and the canonical text that quotes point into."""

    id: str
    text: str
    title: str
    date: str | None = None
    author: str | None = None
    source: str | None = None
    paragraphs: tuple[Paragraph, ...] = field(default=())

    @property
    def sha256(self) -> str:
        payload = json.dumps([self.id, self.title, self.date, self.author, self.text])
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def paragraph_at(self, offset: int) -> int:
        for p in self.paragraphs:
            if p.start <= offset < p.end:
                return p.n
        raise ValueError(f"offset {offset} is outside every paragraph of {self.id}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["paragraphs"] = [asdict(p) for p in self.paragraphs]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Document:
        paragraphs = tuple(Paragraph(**p) for p in d.get("paragraphs", ()))
        return cls(
            id=d["id"],
            text=d["text"],
            title=d["title"],
            date=d.get("date"),
            author=d.get("author"),
            source=d.get("source"),
            paragraphs=paragraphs,
        )


def make_document(doc_id: str, body: str, metadata: dict | None = None) -> Document:
    """Build a Document from body text (metadata already removed) and its metadata."""
    metadata = metadata or {}
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise DocumentError(f"document {doc_id!r} has no text")
    paragraphs = tuple(Paragraph(n=i, start=m.start(), end=m.end()) for i, m in enumerate(_PARAGRAPH.finditer(text), start=1))
    title = metadata.get("title") or _title_from_text(text)
    return Document(
        id=doc_id,
        text=text,
        title=title,
        date=metadata.get("date"),
        author=metadata.get("author"),
        source=metadata.get("source"),
        paragraphs=paragraphs,
    )


def parse_text(raw: str) -> tuple[str, dict]:
    """Split plain text or Markdown into (body, metadata)."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    meta: dict[str, str] = {}
    fm = _FRONT_MATTER.match(text)
    if fm:
        for line in fm.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip().lower() in METADATA_KEYS:
                meta[key.strip().lower()] = value.strip().strip("\"'")
        text = text[fm.end() :]
    while True:
        m = _INLINE_DATE.match(text)
        if m:
            meta.setdefault("date", m.group(1))
            text = text[m.end() :]
            continue
        m = _HEADER_LINE.match(text.lstrip("\n"))
        if m:
            meta.setdefault(m.group(1).lower(), m.group(2))
            text = text.lstrip("\n")[m.end() :]
            continue
        break
    m = _MD_HEADING.match(text.lstrip("\n"))
    if m:
        meta.setdefault("title", m.group(1))
        text = text.lstrip("\n")[m.end() :]
    elif "title" not in meta:
        text = _masthead(text, meta)
    return text, meta


def _iso_date(line: str) -> str | None:
    """A dateline as an ISO date ("March 3, 2025" → "2025-03-03"), or None."""
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(line.strip().rstrip("."), fmt).date().isoformat()
        except ValueError:
            continue
    return None


def _masthead(text: str, meta: dict[str, str]) -> str:
    """The text without a newspaper masthead, its headline, byline and date put in ``meta``: the
    first block's first line is the headline only when every other line of the block is a
    byline or a dateline, and there is at least one; otherwise the text as it was. A headline
    alone in its block may have its byline and dateline each in a block of its own (text copied
    from a web page keeps them apart)."""
    stripped = text.lstrip("\n")
    blocks = stripped.split("\n\n")
    lines = [ln.strip() for ln in blocks[0].split("\n") if ln.strip()]
    used = 1
    while len(lines) == used < 3 and used < len(blocks):
        line = blocks[used].strip()
        # a paragraph of its own is a byline only when it reads as one ("By and large, …." is text)
        byline = _BYLINE.match(line) and len(line.split()) <= 8 and not line.endswith((".", "!", "?"))
        if "\n" in line or not (byline or _iso_date(line)):
            break
        lines.append(line)
        used += 1
    if used == len(blocks) or not 2 <= len(lines) <= 3 or len(lines[0].split()) > MAX_HEADLINE_WORDS or lines[0].endswith("."):
        return text
    found: dict[str, str] = {}
    for line in lines[1:]:
        if (by := _BYLINE.match(line)) and "author" not in found:
            found["author"] = by.group(1)
        elif (day := _iso_date(line)) and "date" not in found:
            found["date"] = day
        else:
            return text
    meta["title"] = lines[0]
    for key, value in found.items():
        meta.setdefault(key, value)
    return "\n\n".join(blocks[used:])


class _HTMLText(HTMLParser):
    """Collects <title>, the first <h1> and the text of block elements, one paragraph each."""

    BLOCKS = {"p", "li", "blockquote", "h2", "h3", "h4", "h5", "h6"}
    SKIP = {"script", "style", "noscript", "template", "nav", "header", "footer"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.h1 = ""
        self.meta: dict[str, str] = {}
        self.paragraphs: list[str] = []
        self._buf: list[str] | None = None
        self._where: str | None = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        elif tag == "meta":
            a = dict(attrs)
            name = (a.get("name") or a.get("property") or "").lower().removeprefix("article:")
            if name in ("author", "published_time", "date") and a.get("content"):
                key = "author" if name == "author" else "date"
                self.meta.setdefault(key, a["content"][:10] if key == "date" else a["content"])
        elif tag in ("title", "h1") or tag in self.BLOCKS:
            self._where, self._buf = tag, []
        elif tag == "br" and self._buf is not None:
            self._buf.append(" ")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == self._where and self._buf is not None:
            value = " ".join("".join(self._buf).split())
            if tag == "title":
                self.title = self.title or value
            elif tag == "h1":
                self.h1 = self.h1 or value
            elif value:
                self.paragraphs.append(value)
            self._where, self._buf = None, None

    def handle_data(self, data):
        if self._buf is not None and not self._skip:
            self._buf.append(data)


def parse_html(raw: str) -> tuple[str, dict]:
    parser = _HTMLText()
    parser.feed(raw)
    parser.close()
    meta = dict(parser.meta)
    if parser.h1 or parser.title:
        meta["title"] = html.unescape(parser.h1 or parser.title)
    return "\n\n".join(parser.paragraphs), meta


_VALID_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{2,62}$")


def check_id(doc_id: str) -> str:
    """A document id is a file name in the data dir: lower-case letters, digits, '.', '_', '-',
    3 to 63 characters, no path separators and no '..'. DocumentError otherwise."""
    if not isinstance(doc_id, str) or not _VALID_ID.match(doc_id) or ".." in doc_id:
        raise DocumentError(
            f"bad document id {doc_id!r}: use 3-63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return doc_id


def load_document(path: Path | str, doc_id: str | None = None, title: str | None = None, follow_symlinks: bool = False) -> Document:
    """Read one file into a Document, or raise DocumentError with a one-line reason. A symbolic
    link is refused unless ``follow_symlinks`` (it may point anywhere, /etc/passwd included), and
    so is anything that is not a regular file (a FIFO would block, a device never end)."""
    path = Path(path)
    if path.is_symlink() and not follow_symlinks:
        raise DocumentError(f"{path}: a symbolic link; add it with --follow-symlinks if you mean it")
    if not path.exists():
        raise DocumentError(f"{path}: no such file")
    if not path.is_file():
        raise DocumentError(f"{path}: not a regular file")
    if doc_id is not None:
        check_id(doc_id)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(f"{path}: unsupported file type {suffix or '(none)'!r}; use one of " + ", ".join(SUPPORTED_SUFFIXES))
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        raise DocumentError(f"{path}: larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        raw = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if "\x00" in raw:
        raise DocumentError(f"{path}: binary data, not text")
    body, meta = parse_html(raw) if suffix in (".html", ".htm") else parse_text(raw)
    if title:
        meta["title"] = title
    return make_document(doc_id or slugify(path.stem), body, meta)


def slugify(name: str) -> str:
    """An id from a file name. A name with too few ASCII letters or digits ("文档") gets a short
    hash of the whole name, so two such names never share an id."""
    slug = _SLUG.sub("-", name.lower()).strip("-")[:54].strip("-")
    if len(re.sub(r"[^a-z0-9]", "", slug)) < 3:
        slug = f"doc-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"
    return check_id(slug[:63])


def _title_from_text(text: str, words: int = 10) -> str:
    first = text.split("\n", 1)[0].split()
    return " ".join(first[:words]) + ("…" if len(first) > words else "")
