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
