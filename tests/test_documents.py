from importlib import resources

import pytest

from index.builtin import default_document
from index.documents import load_document, parse_text
from index.errors import DocumentError
from tests.conftest import ROOT


def test_default_document_metadata_and_paragraphs():
    doc = default_document()
    assert doc.date == "2025-09-09"
    assert doc.text.startswith("Khyber Pakhtunkhwa (KP), the long frontline")
    assert "date 2025-09-09" not in doc.text
    assert [p.n for p in doc.paragraphs] == list(range(1, 10))
    for p in doc.paragraphs:
        body = doc.text[p.start : p.end]
        assert body == body.strip() and "\n\n" not in body


def test_canonical_text_keeps_the_files_characters():
    doc = default_document()
    for ch in "’“”":
        assert ch in doc.text
    assert "“Dollar Wars”" in doc.text
    raw = (resources.files("index") / "corpus" / "kp-oped-2025-09-09.txt").read_text("utf-8")
    shared = ROOT.parent / "shared" / "corpus" / "kp-oped-2025-09-09.txt"
    if shared.is_file():  # beside a checkout: our copy is the shared corpus, byte for byte
        assert raw == shared.read_text("utf-8")
    for p in doc.paragraphs:
        assert doc.text[p.start : p.end] in raw


def test_paragraph_at_maps_offsets():
    doc = default_document()
    i = doc.text.index("Since 2021, ceasefire talks")
    assert doc.paragraph_at(i) == 2
    with pytest.raises(ValueError):
        doc.paragraph_at(len(doc.text) + 5)


def test_header_lines_and_front_matter():
    body, meta = parse_text("title: A Title\nauthor: Jane Doe\ndate: 2024-01-02\n\nFirst para.\n\nSecond para.")
    assert meta == {"title": "A Title", "author": "Jane Doe", "date": "2024-01-02"}
    assert body.strip().startswith("First para.")
    body, meta = parse_text('---\ntitle: "Front"\ndate: 2023-05-06\n---\n# Heading\n\nBody text here.')
    assert meta["title"] == "Front" and meta["date"] == "2023-05-06"
    assert body.strip() == "Body text here."


def test_a_newspaper_masthead_is_headline_byline_and_date_not_body():
    """Plain text as newspapers export it: headline, byline, dateline, then the body. The
    headline is no sentence of the op-ed (it was quoted as its thesis)."""
    body, meta = parse_text("Cutting the ferry will strand the island\nBy Morag Linklater\nMarch 3, 2025\n\nAt ten past six.\n\nMore.")
    assert meta == {"title": "Cutting the ferry will strand the island", "author": "Morag Linklater", "date": "2025-03-03"}
    assert body.startswith("At ten past six.")
    assert parse_text("A headline\n19 May 2025\n\nBody.")[0] == "Body."
    # copied from a web page: headline, byline and dateline each in a paragraph of its own
    body, meta = parse_text("Cutting the ferry will strand the island\n\nBy Morag Linklater\n\nMarch 3, 2025\n\nAt ten past six.\n\nMore.")
    assert meta == {"title": "Cutting the ferry will strand the island", "author": "Morag Linklater", "date": "2025-03-03"}
    assert body == "At ten past six.\n\nMore."
    body, meta = parse_text("A headline\n\n19 May 2025\n\nBody.\n\nBy the end of it, more.")
    assert body == "Body.\n\nBy the end of it, more." and meta == {"title": "A headline", "date": "2025-05-19"}
    # a first paragraph of ordinary lines, or a headline with nothing under it, stays text
    for raw in (
        "Short line\nAnother ordinary line of text.\n\nBody.",
        "Just a headline\n\nBody.",
        "One sentence.\nBy the river\n\nBody.",
        "A short opening line\n\nBy and large, the council got this wrong.\n\nBody.",
        "Only a headline\n\nBy Someone",
    ):
        body, meta = parse_text(raw)
        assert body == raw and "title" not in meta, raw


def test_markdown_and_html_files(tmp_path):
    md = tmp_path / "note.md"
    md.write_text("# Water policy\n\nDams are argued to help.\n\nCanals too.", "utf-8")
    d = load_document(md)
    assert d.id == "note" and d.title == "Water policy" and len(d.paragraphs) == 2
    html = tmp_path / "page.html"
    html.write_text(
        "<html><head><title>T</title><script>alert(1)</script></head><body><h1>Heads</h1>"
        "<p>One &amp; two.</p><p>Three <b>four</b>.</p></body></html>",
        "utf-8",
    )
    h = load_document(html)
    assert h.title == "Heads"
    assert h.text == "One & two.\n\nThree four."
    assert "alert" not in h.text


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("a.pdf", b"%PDF-1.4", "unsupported file type"),
        ("b.txt", b"\xff\xfe\x00bad", "not UTF-8"),
        ("c.txt", b"   \n\n  ", "no text"),
        ("d.txt", b"abc\x00def", "binary"),
    ],
)
def test_bad_files_are_refused_clearly(tmp_path, name, content, message):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(DocumentError, match=message):
        load_document(p)


def test_missing_file(tmp_path):
    with pytest.raises(DocumentError, match="no such file"):
        load_document(tmp_path / "nope.txt")
