"""The Chroma index on disk: real PersistentClient, real MiniLM."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from index.documents import load_document
from index.errors import IndexCorruptError, IndexMissingError, OpedbotError
from index.store import IndexStore

pytestmark = pytest.mark.slow


def test_build_load_and_spans_match(tmp_path, embedder):
    store = IndexStore(tmp_path, embedder, progress=None)
    r = store.build()
    assert r.changed and r.chunks > 5 and r.sentences > r.chunks
    loaded = store.load()
    doc = loaded.documents["kp-oped-2025-09-09"]
    for s in loaded.chunks + loaded.sentences:
        assert doc.text[s.start : s.end] == s.text
    assert loaded.sentence_vectors.shape == (len(loaded.sentences), 384)


def test_rebuild_of_unchanged_documents_does_no_work(tmp_path, embedder):
    store = IndexStore(tmp_path, embedder, progress=None)
    first = store.build()
    before = sorted(p.name for p in (tmp_path / "builds").iterdir())
    again = store.build()
    assert not again.changed and again.embedded == 0 and again.build_id == first.build_id
    assert sorted(p.name for p in (tmp_path / "builds").iterdir()) == before


def test_forced_rebuild_reuses_embeddings_and_survives_reload(tmp_path, embedder):
    store = IndexStore(tmp_path, embedder, progress=None)
    first = store.build()
    a = store.load()
    forced = store.build(force=True)
    assert forced.changed and forced.embedded == 0 and forced.build_id != first.build_id
    b = IndexStore(tmp_path, embedder, progress=None).load()
    assert [c.id for c in a.chunks] == [c.id for c in b.chunks]
    assert abs(a.sentence_vectors - b.sentence_vectors).max() < 1e-6, abs(a.sentence_vectors - b.sentence_vectors).max()


def test_missing_index_is_a_clear_error(tmp_path, embedder):
    with pytest.raises(IndexMissingError, match="opedbot index"):
        IndexStore(tmp_path, embedder, progress=None).load()


def test_failed_build_leaves_previous_index_served(tmp_path, embedder, monkeypatch):
    store = IndexStore(tmp_path, embedder, progress=None)
    first = store.build()
    note = tmp_path / "extra.md"
    note.write_text("# Extra\n\nA second op-ed says water matters.", "utf-8")

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr("index.vectordb.atomic_write", boom)
    with pytest.raises(RuntimeError):
        store.add([load_document(note)])
    monkeypatch.undo()
    served = IndexStore(tmp_path, embedder, progress=None).load()
    assert served.build_id == first.build_id and list(served.documents) == ["kp-oped-2025-09-09"]
    # the next build sweeps the half-written folder and succeeds
    r = store.add([load_document(note)])
    assert r.changed and sorted(p.name for p in (tmp_path / "builds").iterdir()) == sorted([first.build_id, r.build_id])


def test_build_killed_mid_write_leaves_previous_index_served(tmp_path, embedder):
    store = IndexStore(tmp_path, embedder, progress=None)
    first = store.build()
    note = tmp_path / "extra.txt"
    note.write_text("Another op-ed. It argues that roads matter.", "utf-8")
    script = textwrap.dedent(
        f"""
        import os, signal
        import index
        from chromadb.api.models.Collection import Collection
        from index.documents import load_document
        from index.embeddings import MiniLMEmbeddings
        from index.store import IndexStore
        real_add = Collection.add
        def add_then_die(self, *a, **k):
            real_add(self, *a, **k)
            os.kill(os.getpid(), signal.SIGKILL)
        Collection.add = add_then_die
        IndexStore({str(tmp_path)!r}, MiniLMEmbeddings(), progress=None).add([load_document({str(note)!r})])
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=300)
    assert proc.returncode == -9, proc.stderr.decode()[-500:]
    served = IndexStore(tmp_path, embedder, progress=None).load()
    assert served.build_id == first.build_id and list(served.documents) == ["kp-oped-2025-09-09"]


def test_add_documents_reuses_embeddings_and_lists_them(tmp_path, embedder):
    store = IndexStore(tmp_path, embedder, progress=None)
    store.build()
    md = tmp_path / "water.md"
    md.write_text(
        "---\ntitle: Water and the Indus\ndate: 2025-01-05\n---\nDams are argued to help.\n\nCanals too, says the piece.", "utf-8"
    )
    r = store.add([load_document(md)])
    loaded = store.load()
    assert set(loaded.documents) == {"kp-oped-2025-09-09", "water"}
    assert loaded.documents["water"].title == "Water and the Indus"
    new_spans = [s for s in loaded.chunks + loaded.sentences if s.doc == "water"]
    assert r.embedded == len(new_spans)  # the op-ed's vectors were reused
    again = store.add([load_document(md)])
    assert not again.changed
    # the registry survives: a plain rebuild keeps both documents
    assert not store.build().changed


def test_duplicate_ids_in_one_add_are_refused(tmp_path, embedder):
    a, b = tmp_path / "x" / "same.txt", tmp_path / "y" / "same.md"
    for p in (a, b):
        p.parent.mkdir()
        p.write_text("Some text here.", "utf-8")
    with pytest.raises(OpedbotError, match="same document id"):
        IndexStore(tmp_path / "d", embedder, progress=None).add([load_document(a), load_document(b)])
    assert not (tmp_path / "d" / "CURRENT").exists()


@pytest.mark.parametrize("manifest", ["[]", '{"build_id": 5}', "null", '"text"', "{}", "", "{not json"])
def test_a_manifest_of_the_wrong_shape_is_reported_and_index_force_recovers(tmp_path, embedder, manifest):
    store = IndexStore(tmp_path, embedder, progress=None)
    build = store.build().build_id
    (tmp_path / "builds" / build / "manifest.json").write_text(manifest, "utf-8")
    with pytest.raises(IndexCorruptError, match="index --force"):
        store.load()
    r = store.build(force=True)
    assert r.changed and store.load().build_id == r.build_id


def test_current_pointing_outside_the_builds_is_corrupt_not_followed(tmp_path, embedder):
    store = IndexStore(tmp_path, embedder, progress=None)
    store.build()
    (tmp_path / "CURRENT").write_text("../../etc", "utf-8")
    with pytest.raises(IndexCorruptError):
        store.load()
