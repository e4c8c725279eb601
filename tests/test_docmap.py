"""The document map's thesis and conclusion (``index.docmap``), and maps made by an older
release: remade when the index loads, never served stale."""

from __future__ import annotations

import json

import pytest

from index.chunking import split_sentences
from index.docmap import MAP_VERSION, build_map
from index.documents import load_document, make_document
from index.store import IndexStore
from tests.conftest import DATA, ROOT, ask

pytestmark = pytest.mark.slow
OTHER = DATA / "other-opeds"


def _map(embedder, doc):
    sents = split_sentences(doc)
    return sents, build_map(doc.id, sents, embedder.encode([s.text for s in sents]))


def test_the_opening_s_first_strong_claim_is_part_of_the_thesis(embedder):
    """An anecdote, then the position in words of argument: the sentence that narrates may be
    the closest to the whole op-ed, the claim is still part of its thesis."""
    sents, dmap = _map(embedder, load_document(OTHER / "ai-schools-oped.txt"))
    assert "I understand the impulse, but a ban is the wrong answer." in [sents[i].text for i in dmap.thesis]


def test_a_claim_is_found_in_an_op_ed_written_for_this_test(embedder):
    text = (
        "The bus came at seven. Nobody was on it. The driver waved at an empty stop and drove on.\n\n"
        "The city has cut the evening service again. That is not thrift but a mistake, and riders will pay for it.\n\n"
        "Ridership fell by a fifth last year. Fares rose twice.\n\n"
        "The council meets on Friday. It should restore the evening buses before it cuts anything else."
    )
    sents, dmap = _map(embedder, make_document("buses", text))
    thesis = [sents[i].text for i in dmap.thesis]
    assert "That is not thrift but a mistake, and riders will pay for it." in thesis, thesis
    conclusion = [sents[i].text for i in dmap.conclusion]
    assert conclusion[-1] == "It should restore the evening buses before it cuts anything else.", conclusion


def test_a_point_stated_as_such_after_the_story_is_part_of_the_thesis(embedder):
    """A column may reach its point halfway ("The answer is to make the developer pay properly
    …"): a sentence that says it is the answer or the point, in the first part of the op-ed, is
    part of the thesis; the other side saying so ("Some argue that the answer is …") is not, and
    an aside too short to stand alone is no thesis."""
    sents, dmap = _map(embedder, load_document(OTHER / "fisheries-oped.txt"))
    thesis = [sents[i].text for i in dmap.thesis]
    assert "The answer is to make the developer pay properly for the privilege of our sea." in thesis, thesis
    assert "I have nothing against scented candles." not in thesis
    sents, dmap = _map(embedder, load_document(OTHER / "water-oped.txt"))
    assert not any(sents[i].text.startswith("Some argue that the answer is") for i in dmap.thesis)


def test_a_sentence_that_announces_the_parts_of_the_argument_is_part_of_the_thesis(embedder):
    """ "… lies in three factors": the sentence that says what the paragraphs after it argue
    is part of the thesis; one that counts back ("Beyond those three steps …") is not."""
    text = (
        "The river flooded the old town again this spring, the third time in five years.\n\n"
        "Residents are tired of being told the next flood is a freak of nature.\n\n"
        "The damage comes down to two failures that the council could have prevented. "
        "The first is a levee left unrepaired since 2009. The second is a drainage plan that was never funded.\n\n"
        "Those two failures cost the town dearly, and the insurers have noticed.\n\n"
        "The council should repair the levee before the autumn rains and fund the drainage plan in its next budget."
    )
    sents, dmap = _map(embedder, make_document("floods", text))
    thesis = [sents[i].text for i in dmap.thesis]
    assert "The damage comes down to two failures that the council could have prevented." in thesis, thesis
    assert not any(t.startswith("Those two failures") for t in thesis), thesis
    sents, dmap = _map(embedder, load_document(OTHER / "exams-oped.txt"))
    assert "The answer, in our assessment, lies in three mutually reinforcing factors." in [sents[i].text for i in dmap.thesis]


def test_the_closing_s_first_strong_claim_is_part_of_the_conclusion(embedder):
    sents, dmap = _map(embedder, load_document(OTHER / "water-oped.txt"))
    conclusion = [sents[i].text for i in dmap.conclusion]
    assert "But Varunapuri does not lack water so much as it lacks the will to manage it." in conclusion
    assert conclusion[-1].startswith("Wait for a bigger pipeline")  # the last word stays
    # "Yet", "none", "neither … nor" are words of argument too
    sents, dmap = _map(embedder, load_document(OTHER / "exams-oped.txt"))
    assert any(sents[i].text.startswith("Yet the alternative is to continue") for i in dmap.conclusion)


def test_maps_of_an_older_release_are_remade_when_the_index_loads(tmp_path, embedder):
    store = IndexStore(tmp_path, embedder, progress=None)
    build = store.build().build_id
    fresh = store.load().maps["kp-oped-2025-09-09"]
    path = tmp_path / "builds" / build / "docmap.json"
    stale = {k: {**v, "thesis": [], "conclusion": [], "version": "map-v0"} for k, v in json.loads(path.read_text()).items()}
    path.write_text(json.dumps(stale))
    loaded = store.load().maps["kp-oped-2025-09-09"]
    assert loaded.version == MAP_VERSION and loaded == fresh


def test_recommendations_in_a_row_are_a_list_without_ordinal_cues(embedder):
    text = (
        "The clinic closed for a month. Patients who need regular checks went without.\n\n"
        "A better plan is within reach. The board should pay nurses more. Every clinic ought to have a partner clinic. "
        "The housing authority must set aside flats for staff. None of this is costly.\n\n"
        "The city should act. It must act soon.\n\n"
        "Fund the people, not the buildings."
    )
    doc = make_document("clinics", text)
    sents, dmap = _map(embedder, doc)
    assert [[doc.text[a:b] for a, b in run] for run in dmap.enumerations] == [
        [
            "The board should pay nurses more.",
            "Every clinic ought to have a partner clinic.",
            "The housing authority must set aside flats for staff.",
        ]
    ]  # two in a row are not a list; "patients who need checks" recommends nothing
    assert "Patients who need regular checks went without." not in [sents[i].text for i in dmap.recommendations]


def test_an_op_ed_s_unmarked_list_is_counted_and_numbered(other_bots):
    health = other_bots["health-oped"]
    a = ask(health, "How many proposals does the writer make?")
    assert a.answered and a.lead == "The op-ed makes five recommendations:", a.answer
    second = ask(health, "What is the second proposal?")
    assert [q.text for q in second.quotes] == [a.quotes[1].text], second.answer


def test_words_of_evaluation_make_a_claim(embedder):
    """ "Congestion pricing is a good idea arriving in the wrong order": a judgement, good and
    wrong, is the closing paragraph's first strong claim."""
    sents, dmap = _map(embedder, load_document(OTHER / "transit-oped.txt"))
    assert "Congestion pricing is a good idea arriving in the wrong order." in [sents[i].text for i in dmap.conclusion]


def test_what_something_would_still_need_is_no_recommendation(embedder):
    """ "Need" after "would", "will" or "still" says what a thing requires, not what the author
    asks for: only "should", "must", "X needs to" and the like make a recommendation."""
    text = (
        "The county wants to close the Hillside branch library. I think that is a mistake.\n\n"
        "The building is owned by the county and would still need heat and security while it sits empty. "
        "A new roof will need money too.\n\n"
        "The council should keep the branch open. The county needs to find the savings elsewhere."
    )
    sents, dmap = _map(embedder, make_document("hillside", text))
    assert [sents[i].text for i in dmap.recommendations] == [
        "The council should keep the branch open.",
        "The county needs to find the savings elsewhere.",
    ]


def test_the_other_side_s_must_is_no_recommendation_or_stance_of_the_author(tmp_path, embedder):
    """ "Others say every department must share the pain" states the other side's case: what the
    op-ed recommends, or where it stands on sharing the pain, is the author's own words."""
    text = (
        "The county wants to close the Hillside branch library to save money. That would be a mistake.\n\n"
        "The branch had 80,000 visits last year, and the savings are small.\n\n"
        "Others say the county has no choice, and that every department must share the pain. "
        "But sharing the pain is not the same as spreading it evenly.\n\n"
        "The council should keep the branch open and find the savings elsewhere."
    )
    store = IndexStore(tmp_path, embedder, progress=None)
    store.add([make_document("hillside", text)])
    store.remove(["kp-oped-2025-09-09"])
    from bot.config import load_settings
    from bot.service import Bot

    bot = Bot(load_settings(data_dir=tmp_path), embedder=embedder, store=store)
    theirs = "Others say the county has no choice, and that every department must share the pain."
    assert theirs in [s.text for s in bot.index.sentences]
    for question in ("What does the author recommend?", "What does the author think about sharing the pain?"):
        a = ask(bot, question)
        assert a.answered and theirs not in [q.text for q in a.quotes] or a.lead.startswith("The op-ed sets out the other side"), (
            question,
            a.answer,
        )


def test_recommended_by_someone_else_is_no_recommendation():
    """ "well below the range of 15 to 20 percent recommended by UNESCO" describes; "we
    recommend" prescribes."""
    from index.docmap import PRESCRIPTIVE

    assert not PRESCRIPTIVE.search("Education receives 9.8 percent, well below the range recommended by UNESCO.")
    assert PRESCRIPTIVE.search("We recommend a dedicated prosecution unit.")


def test_the_author_s_own_judgement_and_a_call_to_action(embedder):
    """ "It is also, in my professional judgement, far too little …" states the point (the
    author flags the judgement as theirs, and "too little" argues); "Call them, write to them …"
    asks the reader to act: a recommendation, as "should" is. "Tell me about it" is no call."""
    from index.docmap import PRESCRIPTIVE

    sents, dmap = _map(embedder, load_document(OTHER / "heat-oped.txt"))
    assert any("in my professional judgement, far too little" in sents[i].text for i in dmap.thesis)
    assert PRESCRIPTIVE.search("Call them, write to them, and tell them that a city must act.")
    assert not PRESCRIPTIVE.search("Tell me about it.")
    # the author urging, and the conditions on which a policy could work, recommend too
    assert PRESCRIPTIVE.search("I would still urge the ministry to keep the goal of reform.")
    assert PRESCRIPTIVE.search("Removal could work only if it is phased over three to five seasons.")


def test_an_anecdote_led_column_s_point_and_a_closing_scene(embedder):
    """A column that opens on a scene and closes on one (the ferry op-ed, written by a helper
    who saw no code): the author's conviction ("I believe this is the worst transport
    decision …") is part of the thesis, and the conclusion is the last paragraph that argues,
    not the quip the column ends on ("And the langoustines can swim.")."""
    sents, dmap = _map(embedder, load_document(OTHER / "ferry-oped.txt"))
    assert any("I believe this is the worst transport decision" in sents[i].text for i in dmap.thesis)
    conclusion = [sents[i].text for i in dmap.conclusion]
    assert any(t.startswith("And above all it must put any final decision") for t in conclusion), conclusion
    assert not any("langoustines" in t for t in conclusion), conclusion
    # a closing call to action is no scene: "So speak for them." is the zoning op-ed's conclusion
    zs, zmap = _map(embedder, load_document(OTHER / "zoning-oped.txt"))
    assert "So speak for them." in [zs[i].text for i in zmap.conclusion]
    # the masthead is metadata: no headline among the sentences
    assert not any(s.text.startswith("Cutting the Skerrin ferry") for s in sents)


def test_leading_the_reader_on_is_no_recommendation_and_signing_up_is_one():
    from index.docmap import PRESCRIPTIVE

    assert not PRESCRIPTIVE.search("The numbers matter, so let us start with them.")
    assert PRESCRIPTIVE.search("Let us fund the buses first.")
    assert PRESCRIPTIVE.search("Sign up to speak, or write to your councillor before the vote.")


def test_what_could_also_be_done_after_a_recommendation_is_one(embedder):
    """ "The council should pause the decision … It could also lease a second-hand vessel …
    And above all it must put any final decision to the people …": three recommendations in a
    row, a list; "could also" alone, with no recommendation before it, recommends nothing."""
    sents, dmap = _map(embedder, load_document(OTHER / "ferry-oped.txt"))
    recs = [sents[i].text for i in dmap.recommendations]
    assert any(t.startswith("It could also lease a second-hand vessel") for t in recs), recs
    firsts = [next(s.text for s in sents if s.start == run[0][0]) for run in dmap.enumerations]
    assert any(t.startswith("The council should pause the decision") for t in firsts), firsts
    text = "The river is low this year.\n\nFarmers could also plant earlier, some say. Nobody knows."
    sents, dmap = _map(embedder, make_document("river", text))
    assert dmap.recommendations == []


def test_a_noun_and_a_concession_are_no_recommendations(embedder):
    """ "regardless of soil *needs*, and …" uses the noun, and "None of this means the subsidy
    must last forever." concedes what need not be done: neither recommends; the farm op-ed's
    conditions ("Removal could work only if …") and its closing urge still do."""
    sents, dmap = _map(embedder, load_document(OTHER / "farm-oped.txt"))
    recs = [sents[i].text for i in dmap.recommendations]
    assert not any(t.startswith(("Cheap inputs can encourage", "None of this means")) for t in recs), recs
    assert any(t.startswith("Removal could work only if") for t in recs), recs
    assert any(t.startswith("Having long argued") for t in recs), recs


def test_an_opening_that_states_the_subject_is_part_of_the_thesis_and_a_scene_is_not(embedder):
    """ "Khyber Pakhtunkhwa … is again under severe strain." says what the op-ed is about however
    little it argues; an opening scene ("Every morning before dawn, …") is a hook."""
    sents, dmap = _map(embedder, load_document(ROOT / "index" / "corpus" / "kp-oped-2025-09-09.txt"))
    assert 0 in dmap.thesis and sents[0].text.startswith("Khyber Pakhtunkhwa (KP), the long frontline"), [
        sents[i].text for i in dmap.thesis
    ]
    sents, dmap = _map(embedder, load_document(OTHER / "water-oped.txt"))
    assert sents[0].text.startswith("Every morning before dawn") and 0 not in dmap.thesis


def test_the_sentence_after_here_is_the_problem_is_part_of_the_thesis(embedder):
    """ "Here is the problem." announces the point; the sentence after it makes it (the zoning
    op-ed's "On roughly 70 percent of the city's residential land, it is currently illegal …")."""
    sents, dmap = _map(embedder, load_document(OTHER / "zoning-oped.txt"))
    thesis = [sents[i].text for i in dmap.thesis]
    assert any(t.startswith("On roughly 70 percent of the city's residential land") for t in thesis), thesis
    assert "Here is the problem." not in thesis
