from bot.feedback import FeedbackStore

ANSWER = {
    "question": "Q?",
    "answer": "The op-ed argues: “x” [1]",
    "answered": True,
    "quotes": [{"n": 1, "text": "x"}],
    "backend": "extractive",
}


def test_feedback_round_trip_and_export(tmp_path):
    store = FeedbackStore(tmp_path)
    store.add("like", ANSWER, session="s1")
    store.add("dislike", ANSWER)
    rows = store.rows()
    assert [r["vote"] for r in rows] == ["like", "dislike"]
    assert rows[0]["question"] == "Q?" and rows[0]["quotes"][0]["text"] == "x" and rows[0]["session"] == "s1"
    assert store.export("jsonl").count("\n") == 2
    csv = store.export("csv").splitlines()
    assert csv[0].startswith("time,vote,question") and len(csv) == 3


def test_torn_last_line_is_skipped(tmp_path):
    store = FeedbackStore(tmp_path)
    store.add("like", ANSWER)
    with open(store.path, "a", encoding="utf-8") as f:
        f.write('{"vote": "li')
    assert len(store.rows()) == 1


def test_bad_vote_is_refused(tmp_path):
    import pytest

    with pytest.raises(ValueError):
        FeedbackStore(tmp_path).add("meh", ANSWER)
    assert not (tmp_path / "feedback.jsonl").exists()


def test_a_write_after_a_torn_line_is_not_lost(tmp_path):
    store = FeedbackStore(tmp_path)
    store.add("like", ANSWER)
    with open(store.path, "ab") as f:
        f.write('{"vote": "like", "question": "torn “'.encode()[:-2])  # a crash mid-write, mid-character too
    store.add("dislike", ANSWER)
    rows, skipped = store.read()
    assert [r["vote"] for r in rows] == ["like", "dislike"] and skipped == 1


def test_lines_of_the_wrong_shape_are_skipped_and_counted(tmp_path):
    store = FeedbackStore(tmp_path)
    store.add("like", ANSWER)
    with open(store.path, "ab") as f:
        f.write(b'[1, 2]\n{"vote": "meh", "question": "x"}\n{"vote": "like"}\n\xff\xfe not utf-8\n')
    store.add("like", {**ANSWER, "quotes": [{"n": 1, "text": "y"}, "junk"]})
    rows, skipped = store.read()
    assert len(rows) == 2 and skipped == 4 and rows[1]["quotes"] == [{"n": 1, "text": "y"}]
    assert store.export("csv").count("\n") == 3


def test_csv_export_neutralises_formulas(tmp_path):
    store = FeedbackStore(tmp_path)
    for q in ('=HYPERLINK("http://evil.example","x")', "+1+1", "-2", "@SUM(A1)", "\t=1", "plain question"):
        store.add("like", {**ANSWER, "question": q})
    cells = [line.split(",", 3)[2] for line in store.export("csv").splitlines()[1:]]
    assert all(not c.lstrip('"').startswith(("=", "+", "-", "@", "\t")) for c in cells), cells
    assert any("plain question" == c for c in cells)
