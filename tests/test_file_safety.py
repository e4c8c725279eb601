"""Documents from disk are taken only as asked: ids that are safe file names and never collide
silently, no symbolic links or special files unless asked for."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from index.documents import DocumentError, check_id, load_document, slugify

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("bad", ["../../x", "a/b", "..", "a..b", "ab", "-abc", "UPPER", "with space", "a\\b", "x" * 64, ""])
def test_bad_ids_are_refused(bad):
    with pytest.raises(DocumentError, match="bad document id"):
        check_id(bad)


def test_names_without_ascii_letters_get_distinct_ids():
    assert slugify("文档") != slugify("资料")
    assert slugify("文档") == slugify("文档") and check_id(slugify("文档"))
    assert slugify("My Op-Ed (2025)") == "my-op-ed-2025"


def test_cli_refuses_traversal_symlinks_fifos_and_silent_replaces(cli, tmp_path, session_data_dir):
    data = tmp_path / "data"
    shutil.copytree(session_data_dir, data)
    doc = tmp_path / "water.txt"
    doc.write_text("Dams need consent, the op-ed argues.\n\nRivers do not stop at borders.", "utf-8")
    cases = [
        (["index", "add", str(doc), "--id", "../../x"], "bad document id"),
        (["index", "add", str(doc), "--id", "a/b"], "bad document id"),
    ]
    link = tmp_path / "passwd.txt"
    link.symlink_to("/etc/passwd")
    cases.append((["index", "add", str(link)], "symbolic link"))
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    cases.append((["index", "add", str(fifo)], "not a regular file"))
    for args, message in cases:
        code, out, err = cli(args, data)
        assert code == 2 and message in err and "Traceback" not in err, (args, err)
    assert not (tmp_path / "x.json").exists() and not any(tmp_path.rglob("x.json"))

    assert cli(["index", "add", str(doc)], data)[0] == 0
    other = tmp_path / "other" / "water.txt"
    other.parent.mkdir()
    other.write_text("A different op-ed that happens to share the file name.", "utf-8")
    code, _, err = cli(["index", "add", str(other)], data)
    assert code == 2 and "already indexed" in err and "with other text" in err and "--replace" in err
    # the shipped op-ed's own file, added to a new data dir: it is there already, and the error
    # says so and what differs (its file has no title line; the shipped copy has a title)
    shipped = Path(__file__).resolve().parent.parent / "index" / "corpus" / "kp-oped-2025-09-09.txt"
    code, _, err = cli(["index", "add", str(shipped)], tmp_path / "new-data")
    assert code == 2 and "shipped op-ed, which every index starts with" in err and "same text" in err, err
    assert cli(["index", "add", str(other), "--replace"], data)[0] == 0
    assert cli(["index", "add", str(doc), "--id", "water-2"], data)[0] == 0
    code, out, _ = cli(["docs", "--json"], data)
    assert {"water", "water-2", "kp-oped-2025-09-09"} <= set(out.split('"id": "')[i].split('"')[0] for i in range(1, out.count('"id"') + 1))


def test_a_symlink_is_read_when_asked_for(tmp_path):
    target = tmp_path / "real.txt"
    target.write_text("Some op-ed text that is long enough.", "utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    assert load_document(link, follow_symlinks=True).text.startswith("Some op-ed")
