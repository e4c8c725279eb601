import re

from index.builtin import default_document
from index.chunking import chunk_document, split_sentences
from index.documents import make_document


def test_sentences_and_chunks_are_exact_spans():
    doc = default_document()
    sents = split_sentences(doc)
    chunks = chunk_document(doc, sents)
    for s in sents + chunks:
        assert doc.text[s.start : s.end] == s.text
        assert doc.paragraph_at(s.start) == s.paragraph == doc.paragraph_at(s.end - 1)


def test_chunks_cover_the_text_and_never_cut_a_sentence():
    doc = default_document()
    sents = split_sentences(doc)
    chunks = chunk_document(doc, sents)
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    non_space = {i for i, ch in enumerate(doc.text) if not ch.isspace()}
    assert non_space <= covered
    starts, ends = {s.start for s in sents}, {s.end for s in sents}
    for c in chunks:
        assert c.start in starts and c.end in ends


def test_sentence_split_is_sensible():
    doc = default_document()
    sents = split_sentences(doc)
    assert 30 <= len(sents) <= 45
    assert any(s.text == "The current spike in violence is not inexplicable." for s in sents)
    assert all(re.search(r"[.!?”]$", s.text) for s in sents)


def test_ids_are_stable_and_content_derived():
    doc = default_document()
    a = [c.id for c in chunk_document(doc, split_sentences(doc))]
    b = [c.id for c in chunk_document(doc, split_sentences(doc))]
    assert a == b and len(set(a)) == len(a)
    changed = make_document(doc.id, doc.text.replace("the spaces they exploit.", "the room they exploit."))
    c = [x.id for x in chunk_document(changed, split_sentences(changed))]
    assert c[:-1] == a[:-1]  # untouched chunks keep their ids
    assert c[-1] != a[-1]  # the edited one gets a new id


def test_long_sentence_is_its_own_chunk():
    doc = make_document("long", "Short one. " + "word " * 200 + "end.")
    chunks = chunk_document(doc, split_sentences(doc), max_chars=100)
    assert any(len(c.text) > 100 for c in chunks)
    assert all(doc.text[c.start : c.end] == c.text for c in chunks)
