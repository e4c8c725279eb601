"""Reader questions put in ways no cue covered before: a helper's reader questions for five
op-eds (tests/data/reader/) asked for the topic, a rundown, what someone should do or take,
the last thing on a list, and whom the author blames; "the writer" alone is no question about
the byline."""

from __future__ import annotations

import pytest

from bot.answerers.findings import faults
from tests.conftest import ask

pytestmark = pytest.mark.slow


def test_what_someone_should_do_is_a_recommendation_question_with_its_own_topic(bot, other_bots):
    """ "What … should … do/take" asks for recommendations; the words between are its topic
    ("practical measures" is the op-ed's "Practically, …" sentence, not the whole list), and an
    ordinal picks an item of the list ("the last thing the council should do")."""
    transit = other_bots["transit-oped"]
    steps = ask(transit, "What steps does the author want the council to take?")
    assert [q.text.split(",")[0] for q in steps.quotes] == ["First", "Second", "Third", "Finally"], steps.answer
    last = ask(transit, "And what's the last thing the council should do, according to the op-ed?")
    assert [q.text.split(",")[0] for q in last.quotes] == ["Finally"], last.answer
    practical = ask(bot, "What practical measures should KP take?")
    assert [q.text.split(",")[0] for q in practical.quotes] == ["Practically"], practical.answer


def test_whom_the_author_blames_is_the_main_argument_and_where_it_puts_the_responsibility(other_bots):
    """ "Who does the author criticize?" / "who's to blame?" with no topic named: what the op-ed
    argues against is its main argument, so it gets the thesis and conclusion, as "where does the
    author stand?" does; an op-ed that says in so many words who is responsible or at fault ("The
    board's response so far has been expensive and short-sighted.") is quoted saying so, with its
    thesis."""
    transit = other_bots["transit-oped"]
    stance = [q.text for q in ask(transit, "Where does the author stand?").quotes]
    for question in ("Who does the author criticize?", "who's to blame according to the author?"):
        a = ask(transit, question)
        assert a.answered and [q.text for q in a.quotes] == stance, a.answer
    health = other_bots["health-oped"]
    thesis = {
        health.index.sentences[health.index.sentence_rows(next(iter(health.index.documents)))[i]].text
        for i in health.index.maps[next(iter(health.index.documents))].thesis
    }
    for question in ("Who does the author criticize?", "who's to blame according to the author?"):
        a = ask(health, question)
        quoted = {q.text for q in a.quotes}
        assert "The board's response so far has been expensive and short-sighted." in quoted and thesis <= quoted, a.answer
        assert a.lead.startswith("In its own words, where the op-ed puts the responsibility"), a.answer


def test_without_words_of_responsibility_blame_is_where_the_op_ed_finds_fault(bot, other_bots):
    """An op-ed that never says "responsible" still blames: "It was Eastmoor District Council,
    which let the harbour silt up …", "the current provincial setup … adopt an appeasing
    posture". Asked with a topic ("for the decline of the fleet"), those sentences answer alone;
    a topic the op-ed never names gets none of them."""
    fisheries = other_bots["fisheries-oped"]
    a = ask(fisheries, "Who does the author blame for the decline of the fishing fleet?")
    quoted = " ".join(q.text for q in a.quotes)
    assert "successive fisheries ministers" in quoted and "Eastmoor District Council" in quoted, a.answer
    assert a.lead == "In its own words, where the op-ed puts the responsibility:", a.answer
    kp = ask(bot, "Who is the author blaming?")
    assert any("appeasing posture" in q.text for q in kp.quotes), kp.answer
    elsewhere = ask(bot, "Does the author blame India for the attacks?")
    assert not any("appeasing posture" in q.text for q in elsewhere.quotes), elsewhere.answer


def test_the_problems_an_op_ed_identifies_are_its_diagnosis_paragraph_by_paragraph(bot, other_bots):
    """ "What problems does the op-ed identify?" is no summary: the paragraphs before the op-ed
    turns to what should be done, each by its most representative sentence, the opening's first;
    never a recommendation. "Why is that a problem?" and "What's wrong with the buses?" are
    about a passage."""
    fisheries = other_bots["fisheries-oped"]
    a = ask(fisheries, "What problems does the op-ed identify?")
    texts = [q.text for q in a.quotes]
    assert a.lead == "In its own words, what the op-ed finds wrong:", a.answer
    assert texts[0].startswith("In 1988 the town had 64 registered vessels"), texts
    assert any("Eastmoor District Council" in t for t in texts), texts
    recs = {
        fisheries.index.sentences[fisheries.index.sentence_rows(next(iter(fisheries.index.documents)))[i]].text
        for i in fisheries.index.maps[next(iter(fisheries.index.documents))].recommendations
    }
    assert not recs & set(texts), texts
    transit = other_bots["transit-oped"]
    assert not ask(transit, "What's wrong with Marston's buses right now?").lead.startswith("In its own words, what the op-ed finds")
    kp = ask(
        bot,
        "Why is that a problem?",
        [
            {"role": "user", "content": "What has KP’s elected leadership asked for?"},
            {"role": "assistant", "content": "It urged consultation with the Centre."},
        ],
    )
    assert not kp.answer.startswith("In its own words, what the op-ed finds wrong"), kp.answer


def test_the_problems_with_something_named_are_the_diagnosis_closest_to_it(other_bots):
    """ "What problems does the author see with replacing the boat with planes?": one sentence
    from each of the paragraphs closest to what is named, not one passage; an early call to
    reverse the decision ("It should be reversed …") does not end the diagnosis. A passage
    question with the word in it ("Have ER trips for minor problems gone up?") stays one."""
    ferry = ask(other_bots["ferry-oped"], "What problems does the author see with replacing the boat with planes?")
    assert ferry.lead == "On that, what the op-ed finds wrong:", ferry.answer
    assert len({q.paragraph for q in ferry.quotes}) == len(ferry.quotes) >= 3, ferry.answer
    assert any("a plane cannot carry" in q.text for q in ferry.quotes), ferry.answer
    assert not any(q.text.startswith("It should be reversed") for q in ferry.quotes)
    er = ask(other_bots["health-oped"], "Have hospital ER trips for minor problems gone up?")
    assert "finds wrong" not in er.lead


def test_objections_and_how_the_author_responds_are_asked_together(other_bots):
    """ "What objections does the author address, and how does she respond to them?" wants both:
    the other side's case with the author's reply, not the reply alone; objections "to the
    proposals" are still objections, not the list of proposals."""
    health = other_bots["health-oped"]
    for question in (
        "What objections does the author address, and how does she respond to them?",
        "Does the author acknowledge any objections or difficulties with the proposals, and how does the author answer them?",
    ):
        a = ask(health, question)
        texts = [q.text for q in a.quotes]
        assert any(t.startswith("Others say the budget is fixed") for t in texts), (question, a.answer)
        assert any(t.startswith("There is truth in each of these points") for t in texts), (question, a.answer)
        assert a.lead == "The op-ed sets out the other side’s case and answers it:", a.answer


def test_a_fact_asked_of_what_was_just_shown_may_be_in_it(other_bots):
    """A follow-up asks for something new, so the sentences just shown step back; but "When was
    that law passed?" of "the Examination Malpractice Act of 1999 …" is answered by the date in
    it."""
    history = [
        {"role": "user", "content": "What does the author say about the malpractice law?"},
        {"role": "assistant", "content": 'It wants it amended: "Thirdly, the Examination Malpractice Act of 1999 should be amended …"'},
    ]
    a = ask(other_bots["exams-oped"], "When was that law passed?", history)
    assert any("Act of 1999" in q.text for q in a.quotes), a.answer


def test_a_job_title_is_no_charge_and_scrutiny_is(other_bots):
    """ "the deputy mayor responsible for the plan" names a job, not a culprit; "The housing
    authority deserves particular scrutiny." finds fault; the author's own recommendation ("so
    that residents can see where the plan is failing") blames no one."""
    heat = other_bots["heat-oped"]
    texts = [q.text for q in ask(heat, "Who does the author blame?").quotes]
    assert "The housing authority deserves particular scrutiny." in texts, texts
    assert not any(t.startswith("Gregor Lindqvist") or "where the plan is failing" in t for t in texts), texts
    a = ask(heat, "What objections does the author address, and how does the author respond to them?")
    assert "That is simply not what the evidence shows." in [q.text for q in a.quotes], a.answer


def test_a_sentence_finds_fault_with_an_actor_or_in_a_cleft():
    assert faults("It was Eastmoor District Council, which let the harbour silt up for want of a dredging contract.")
    assert faults("And it was, I am sorry to say, our own MP, Sir Julian Pettigrew, who has visited the quay twice.")
    assert faults("The current provincial setup also continued to adopt an appeasing posture.")
    assert not faults("It is a tax on people who have no other way to get to work.")
    assert not faults("It is argued that the province's marginalisation after merger creates recruitment opportunities.")


@pytest.mark.parametrize("question", ["Who is the writer?", "who wrote it", "author?", "What is the author's name?"])
def test_the_byline_is_asked_for_by_who_or_name_not_by_the_word_writer(bot, question):
    a = ask(bot, question)
    assert not a.answered and a.reason == "no author in the metadata", a.answer


def test_why_a_point_of_a_list_is_what_the_op_ed_says_on_it_elsewhere(bot, other_bots):
    """ "Why the second one?" after the list: the point (saying which one it is about), then what
    the op-ed says on it in other paragraphs, never the other side's case passed off as its own."""
    listed = ask(bot, "What does the op-ed recommend?")
    history = [{"role": "user", "content": "What does the op-ed recommend?"}, {"role": "assistant", "content": listed.answer}]
    why = ask(bot, "Why the second one?", history)
    point, *elsewhere = why.quotes if why.answered else (None,)
    assert point and elsewhere and point.text.startswith("Second,") and not any(q.text.startswith("Second,") for q in elsewhere), why.answer
    assert all(q.paragraph != point.paragraph for q in elsewhere), why.answer
    transit = other_bots["transit-oped"]
    listed = ask(transit, "What does the author recommend?")
    history = [{"role": "user", "content": "What does the author recommend?"}, {"role": "assistant", "content": listed.answer}]
    for question in ("Why the third?", "Why the first one?", "And why the last one?"):
        why = ask(transit, question, history)
        assert not any(q.text.startswith(("Others argue", "Some say", "Supporters of")) for q in why.quotes), why.answer


def test_why_a_point_that_gives_its_reason_is_that_point(bot, other_bots):
    """ "Why the first one?" of a point that carries its own reason ("…, thereby closing the long
    chain of custody through which leaks presently occur") is answered by that sentence, said to
    hold its reason; a point without one still gets what the op-ed says on it elsewhere."""
    exams = other_bots["exams-oped"]
    listed = ask(exams, "What reforms does the author propose?")
    history = [{"role": "user", "content": "What reforms does the author propose?"}, {"role": "assistant", "content": listed.answer}]
    why = ask(exams, "Why does the author want the first one?", history)
    assert why.answer.startswith("The op-ed gives its reason in the same sentence:"), why.answer
    assert [q.text[:8] for q in why.quotes] == ["Firstly,"] and "chain of custody" in why.quotes[0].text
    listed = ask(bot, "What does the op-ed recommend?")
    history = [{"role": "user", "content": "What does the op-ed recommend?"}, {"role": "assistant", "content": listed.answer}]
    assert [q.text[:6] for q in ask(bot, "Why the third one?", history).quotes] == ["Third,"]  # "in order for communities to …"
    assert not ask(bot, "Why the second one?", history).answer.startswith("The op-ed gives its reason")


def test_a_stance_topic_in_the_readers_words_beside_the_op_eds(bot, other_bots):
    """A word of the reader's own ("Copilot-style") beside the op-ed's words ("banning tools in
    classrooms") is how the question is put: the author's claims on the topic answer it. A topic
    mostly in words the op-ed never uses is not its topic."""
    a = ask(other_bots["ai-schools-oped"], "Where does the author stand on banning Copilot-style tools in classrooms?")
    assert a.answered and a.answer.startswith("On that, the op-ed argues:"), a.answer
    assert any("ban" in q.text.lower() or "allow generative AI" in q.text for q in a.quotes), a.answer
    assert not ask(bot, "Is the author for or against Trump's tariffs?").answered


def test_what_the_author_wants_done_with_an_adverb_between(other_bots):
    a = ask(other_bots["transit-oped"], "What does the writer want the council to actually do?")
    assert [q.text.split(",")[0] for q in a.quotes] == ["First", "Second", "Third", "Finally"], a.answer


@pytest.mark.parametrize("question", ["What's the central issue in the piece?", "what main problem does the writer describe?"])
def test_the_main_problem_is_the_main_argument(other_bots, question):
    b = other_bots["water-oped"]
    summary = [q.text for q in ask(b, "Summarize the op-ed.").quotes]
    a = ask(b, question)
    assert a.answered and [q.text for q in a.quotes] == summary, a.answer


def test_recommendations_on_the_topic_the_list_opens_with_are_the_whole_list(bot):
    """ "What does the author recommend KP do about the militant threat?": the list's first point
    ("Moving ahead, KP's leadership should …") is among the nearest, and it frames the list; a
    topic only one later point is about gets that point."""
    a = ask(bot, "What does the author recommend KP do about the militant threat?")
    assert a.lead == "The op-ed makes four recommendations:", a.answer
    one = ask(bot, "What does the op-ed recommend about Afghanistan?")
    assert [q.text.split(",")[0] for q in one.quotes] == ["Last but not least"], one.answer


def test_what_the_author_acknowledges_or_admits_is_the_other_side(bot, other_bots):
    """Conceding is answering the other side: "What risks or downsides does the author
    acknowledge?" gets the objections the op-ed sets out (its words for them, "risks",
    "downsides", name no topic), on every op-ed that has some; one without gets no such lead."""
    from bot.argument import Arguments

    for b in other_bots.values():
        theirs, _ = Arguments(b.index).of(next(iter(b.index.documents)))
        rows = b.index.sentence_rows(next(iter(b.index.documents)))
        stated = {b.index.sentences[rows[i]].text for i in theirs}
        if not stated:  # no other side found (the exams op-ed concedes costs but quotes no one)
            assert "other side" not in ask(b, "What risks or downsides does the author acknowledge?").answer
            continue
        for question in ("What risks or downsides does the author acknowledge?", "Does the writer admit any weaknesses in her argument?"):
            a = ask(b, question)
            assert a.answered and a.lead.startswith("The op-ed takes on the other side"), (question, a.answer)
            assert {q.text for q in a.quotes} & stated, a.answer
    kp = ask(bot, "What risks or downsides does the author acknowledge?")
    assert "other side" not in kp.answer


def test_why_is_answered_from_the_reasons_in_the_body(other_bots):
    """A "why" question's closest sentence is often the thesis restating what it asks about
    ("Why are nurses leaving?": "… do not have a clinic problem; they have a staffing problem");
    the reasons are quoted from the sentence nearest it in the body, and those after it. So are
    the problems a question asks about."""
    health = ask(other_bots["health-oped"], "Why are nurses leaving the rural clinics?")
    text = " ".join(q.text for q in health.quotes)
    assert "on call most nights" in text and "on-call burden" in text, health.answer
    water = ask(other_bots["water-oped"], "Why is Varunapuri running out of water in the first place?")
    assert water.quotes[0].text.startswith("The Varunapuri Water Board's own audit"), water.answer
    assert any("paved over" in q.text for q in water.quotes), water.answer
    # what is wrong with something is described in the body too, not in the conclusion
    buses = ask(other_bots["transit-oped"], "What's wrong with Marston's buses right now?")
    text = " ".join(q.text for q in buses.quotes)
    assert "Only three routes come every 15 minutes" in text and "Ridership has fallen" in text, buses.answer
    # a thesis sentence that announces the reasons ("lies in three … factors") is followed by them
    exams = ask(other_bots["exams-oped"], "Why does the author think the problem persists?")
    text = " ".join(q.text for q in exams.quotes)
    assert "three mutually reinforcing factors" in text and "The first is chronic underfunding" in text, exams.answer


def test_where_the_author_stands_after_another_question_is_asked_as_itself(bot):
    """After a conversation, "Who does the author criticize?" names nothing of the turns before:
    it gets what it gets first, not the previous topic's passage; "What does the author think of
    them?" points back and goes on from the turn before."""
    history = [
        {"role": "user", "content": "Who brokered the ceasefire talks?"},
        {"role": "assistant", "content": ask(bot, "Who brokered the ceasefire talks?").answer},
    ]
    for question in ("Where does the author stand?", "Who does the author criticize?", "Who is to blame?"):
        first, later = ask(bot, question), ask(bot, question, history)
        assert later.answered and [q.text for q in later.quotes] == [q.text for q in first.quotes], (question, later.answer)
    them = ask(bot, "What does the author think of them?", history)
    assert them.lead != ask(bot, "Where does the author stand?").lead, them.answer
    from bot.followup import points_back

    assert points_back("Does anyone else get blamed?") and points_back("What does she think of that plan?")
    assert not points_back("What does it recommend?") and not points_back("What is its stance?")


def test_the_evidence_an_op_ed_offers_is_its_figures_and_findings_in_its_own_voice(bot, other_bots):
    """ "What evidence does the author offer?" quotes the sentences that carry the most figures
    or report a finding (the coroner's report, the recorded summers), never the other side's
    ("told the council that "the evidence shows …"") nor a recommendation; with a topic, the
    evidence nearest it; a topic the op-ed never names is no question for this answer."""
    heat = other_bots["heat-oped"]
    a = ask(heat, "What evidence does the author offer?")
    texts = [q.text for q in a.quotes]
    assert a.lead == "In its own words, the evidence the op-ed offers:", a.answer
    assert any("41 of the 63" in t for t in texts) and any("four of its five hottest" in t for t in texts), texts
    assert not any("Lindqvist" in t or t.startswith("(") for t in texts), texts
    # how the question is put ("present", "to support her claims") names no topic
    assert [q.text for q in ask(heat, "What evidence does the writer present to support her claims?").quotes] == texts
    exams = other_bots["exams-oped"]
    cheating = ask(exams, "What evidence does the author give of cheating in the examination?")
    assert cheating.lead == "On that, the op-ed offers this evidence:", cheating.answer
    assert any("circulated on social media" in q.text for q in cheating.quotes), cheating.answer
    assert not ask(bot, "What evidence does the writer give of India backing the TTP?").answered


def test_evidence_weight_counts_figures_and_findings():
    from bot.answerers.findings import weight

    assert weight("The study projects that a $6 charge would cut those entries by 18 percent.") >= 4
    assert weight("In 1988 the town had 64 registered vessels; this winter it has eleven.") == 3
    assert weight("That is an exaggeration, of course, but only a small one.") == 0


def test_a_columns_reader_questions_asked_as_a_reader_would(other_bots):
    """On the ferry column (a helper's, unseen by the code): "What does the columnist want?" asks
    for its recommendations; "Who does the columnist hold responsible for this mess?" is a blame
    question ("columnist" names the op-ed, "hold … responsible" blames)."""
    ferry = other_bots["ferry-oped"]
    want = ask(ferry, "What does the columnist want?")
    assert "recommend" in want.lead and any("independent study" in q.text for q in want.quotes), want.answer
    blame = ask(ferry, "Who does the columnist hold responsible for this mess?")
    assert any(q.text.startswith("The blame lies squarely with the council") for q in blame.quotes), blame.answer


def test_someone_else_s_view_is_no_question_about_the_author_s_stance(other_bots):
    """ "What does the mayor of Brackenridge think about the plan?" asks for a view the op-ed
    never gives (it names no mayor): no stance of the author's is quoted for it. "What does she
    think …?" is about the author."""
    zoning = other_bots["zoning-oped"]
    assert not ask(zoning, "What does the mayor of Brackenridge think about the plan?").answered
    assert ask(zoning, "What does the author think about the plan?").answered
    # nor is someone else's reply the author's: "respond to criticism" names no critics of hers
    fisheries = other_bots["fisheries-oped"]
    assert not ask(fisheries, "How did Sir Julian Pettigrew respond to criticism of his visits to the quay?").answered
    reply = ask(fisheries, "How does the author of the piece respond to the objectors?")
    assert reply.answered and reply.lead == "The op-ed answers the other side:", reply.answer


def test_what_the_author_asks_of_readers_is_what_it_asks_of_them_not_of_the_council(other_bots):
    """ "What does the author want readers to do?" gets the recommendations addressed to the
    public (a call to action in the imperative, "You should be there too.", "… should make
    their voice heard"), not what the council should do; "so that residents can see …" is the
    council's. An op-ed that asks nothing of its readers answers with its recommendations."""
    heat = other_bots["heat-oped"]
    a = ask(heat, "What does the author want readers to do?")
    assert [q.text.split(",")[0] for q in a.quotes] == ["Call them"], a.answer
    zoning = ask(other_bots["zoning-oped"], "What does she want local people to do?")
    assert {q.text.split(" ")[0] for q in zoning.quotes} == {"You", "Sign", "So"}, zoning.answer  # "So speak for them."
    transit = ask(other_bots["transit-oped"], "What does the author want readers to do?")
    assert transit.answered and transit.lead.startswith("The op-ed"), transit.answer


def test_a_fragment_is_quoted_with_the_sentence_it_leans_on(other_bots, bot):
    """ "Engineers always say that." says nothing alone: the sentence before it in its paragraph
    comes with it. A short point of a list stands on its own."""
    fisheries = other_bots["fisheries-oped"]
    a = ask(fisheries, "What do engineers always say?")
    texts = [q.text for q in a.quotes]
    assert "Northlight's engineers say the disturbance will be temporary." in texts and "Engineers always say that." in texts, texts
    water = other_bots["water-oped"]
    tariffs = ask(water, "How should tariffs be reformed?")
    assert [q.text for q in tariffs.quotes] == ["Another step is to reform tariffs."], tariffs.answer


def test_a_closing_line_too_short_to_stand_alone_comes_with_what_it_answers(other_bots):
    """ "How does the op-ed wrap up?" of an op-ed that ends "They cannot come to the hearing. So
    speak for them.": the last line with the sentences it leans on."""
    a = ask(other_bots["zoning-oped"], "How does the op-ed wrap up?")
    assert [q.text for q in a.quotes][-2:] == ["They cannot come to the hearing.", "So speak for them."], a.answer
