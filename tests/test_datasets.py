"""The labelled question sets are usable: unique ids, every gold quote verbatim in its op-ed,
every key fact inside a gold quote, and no key facts for a question the op-ed cannot answer."""

from __future__ import annotations

import pytest

from bot.answerers.metadata import long_date
from bot.evaluation.metrics import includes, norm
from bot.evaluation.runner import load_items
from index.documents import load_document
from tests.conftest import DATA

KP = DATA.parent.parent / "index" / "corpus" / "kp-oped-2025-09-09.txt"
OTHER = DATA / "other-opeds"
SETS = (
    [(p, KP) for p in sorted(DATA.glob("*.jsonl")) if p.name != "hostile.jsonl"]
    + [(p, OTHER / f"{p.stem.removesuffix('-facts').removesuffix('-oped')}-oped.txt") for p in sorted(OTHER.glob("*.jsonl"))]
    + [
        (p, KP if p.stem.rstrip("0123456789") == "kp" else OTHER / f"{p.stem.rstrip('0123456789')}-oped.txt")
        for p in sorted((DATA / "reader").glob("*.jsonl"))
    ]
)


@pytest.mark.parametrize(("questions", "document"), SETS, ids=[p.name for p, _ in SETS])
def test_a_labelled_set_fits_its_op_ed(questions, document):
    doc = load_document(document)
    text, about = doc.text, f"{doc.date}{long_date(doc.date or '')} {doc.title} {doc.author}"  # the date as the bot gives it
    items = load_items(questions)
    assert items and len({it.id for it in items}) == len(items)
    for it in items:
        if it.must_include and all(includes(e, about) for e in it.must_include):
            continue  # a question about the date, title or author: no passage answers it
        assert all(q in text for q in it.gold_quotes), it.id
        if it.answerable:
            assert it.must_include, it.id
            assert all(includes(e, text) for e in it.must_include), it.id
            if it.gold_quotes:
                assert all(includes(e, " ".join(it.gold_quotes)) for e in it.must_include), it.id
        else:
            assert not it.must_include and not it.gold_quotes, it.id
        assert norm(it.question)
