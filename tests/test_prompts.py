import pytest

import prompts


def test_prompt_renders_with_all_variables():
    text = prompts.render("answer", refusal="NO", question="Q?", passages=[{"n": 1, "text": "P one."}])
    assert "[1] P one." in text and "Question: Q?" in text and "reply exactly: NO" in text


def test_missing_variable_is_an_error():
    with pytest.raises(prompts.PromptError, match="undefined"):
        prompts.render("answer", question="Q?", passages=[])


def test_user_text_is_not_a_template():
    text = prompts.render("answer", refusal="NO", question="{{ 7*7 }} {% if 1 %}x{% endif %}", passages=[])
    assert "{{ 7*7 }}" in text and "49" not in text


def test_unknown_prompt():
    with pytest.raises(prompts.PromptError, match="no prompt named"):
        prompts.render("nope")
