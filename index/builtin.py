"""The document the project ships: the op-ed of 2025-09-09 on militancy in Khyber Pakhtunkhwa."""

from importlib import resources

from index.documents import Document, make_document, parse_text

DEFAULT_DOCUMENT_ID = "kp-oped-2025-09-09"
# The file carries no title; this one is descriptive, not the newspaper's headline.
DEFAULT_TITLE = "Militancy and counter-terrorism policy in Khyber Pakhtunkhwa"


def default_document() -> Document:
    raw = resources.files("index").joinpath("corpus", f"{DEFAULT_DOCUMENT_ID}.txt").read_text("utf-8")
    body, meta = parse_text(raw)
    meta.setdefault("title", DEFAULT_TITLE)
    return make_document(DEFAULT_DOCUMENT_ID, body, meta)
