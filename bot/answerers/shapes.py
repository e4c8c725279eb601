"""The shapes of questions about the op-ed as a whole (``bot.answerers.overview``): the cue
words of each kind (a summary, the conclusion, the recommendations, the other side, the author's
reply, where the author stands), a few example phrasings of each for closeness in meaning, and the
words that name no topic of their own in such a question ("What *rules* does she propose?",
"What *risks* does the author acknowledge?"). The cues are English."""

from __future__ import annotations

import re

from bot.text import OPED_NOUN, stem
from index.docmap import CALLS_TO_ACT

# A judgement asked for ("… is a good idea?"): where the author stands, unless the question asks
# why it judges so ("Why does the author think trading prisoners … is a bad idea?": its reasons).
JUDGED = (
    r"(?:a )?(?:good|bad|smart|wise|terrible|great) idea|(?:is|are|was|were) (?:a )?mistake|"
    r"the (?:right|wrong) (?:call|move|approach|decision|answer)|(?:okay|ok|happy|comfortable) with"
)
WHY_JUDGED = re.compile(rf"^\W*(?:and |so |but )?(?:why|how come)\b(?=.*\b(?:{JUDGED})\b)", re.I)


def why_judged(question: str, found: list[str]) -> bool:
    """Whether a question asks why the author judges something so, by a judgement cue alone."""
    return bool(WHY_JUDGED.match(question)) and all(re.fullmatch(JUDGED, f, re.I) for f in found)


CUES = {
    "recommendations": re.compile(
        r"\b(recommend\w*|propos(?:e|es|al|als|ing)|(?:is|are|was|were|being|been) proposed|"
        r"(?:measures|steps|solutions|changes|reforms|fixes|actions|ideas|policies|remedies) proposed(?! (?:by|for)\b)|suggest\w*|advocat\w*|prescri\w*|solutions?|remed\w*|"
        r"what(?=(?:['’]s| is)? (?:\w+ ){0,6}(?:should|must|ought to|needs? to)\b.*\b(?:do|done|happen|take)\b)|should be done|way forward|"
        r"call(?:s|ed|ing)? for|asks? for|urg(?:e|es|ing)|wants? (?:done|to see)|wants?(?=\W*$)|(?:want|ask)\w*\b.{0,60}\bto (?:\w+ly )?(?:do|take)|would like to see|"
        r"policy (?:advice|options)|what to do)\b",
        re.I,
    ),
    "conclusion": re.compile(
        r"\b(conclu\w*|ends?|ending|closing|(?:final|last|closing) (?:point|thoughts?|words?|message|takeaways?|lines?|paragraph)|"
        r"wrap\w*|land|lands|leaves? (?:us|off))\b",
        re.I,
    ),
    # The author's reply to the other side ("How does the writer respond to critics?", after the
    # objections: "How does she answer that point?"). Before "objections": both name the critics.
    "rebuttal": re.compile(
        r"\b(rebut\w*|(?:respond\w*|repl(?:y|ies|ying)|answer(?:s|ing)?)\s+(?:to\s+)?(?:the\s+|those\s+|these\s+|that\s+|this\s+|such\s+|its\s+|her\s+|his\s+|their\s+)?"
        r"(?:critics?|criticisms?|objections?|objectors?|opponents?|other side|concerns?|worries|points?|arguments?|them|that|those|these|this|it)\b|"
        r"counter(?:s|ing)?\s+(?:the\s+|those\s+|these\s+|that\s+|them\b|their\s+)(?:objections?|arguments?|critics?|points?)?)\b",
        re.I,
    ),
    # The other side: the objections the op-ed reports and answers.
    "objections": re.compile(
        r"\b(objections?|objectors?|objects?|opposing (?:arguments?|views?|side)|counter-?arguments?|critics?|criticisms?|opponents?|"
        r"other side|push(?:es)? ?back|concede\w*|concessions?|acknowledg\w*|admit\w*|arguments? against|case against|"
        # someone else's side ("What's the council's side of the argument?"); the author's is a stance
        r"(?<!author['’]s )(?<!writer['’]s )(?<!columnist['’]s )(?<!op-ed['’]s )(?<!oped['’]s )(?<=['’]s )side(?: of (?:the |this |that )?(?:argument|debate|story|case|dispute))?)\b",
        re.I,
    ),
    # The evidence it offers: figures and findings ("What evidence does the author give?", "What
    # data does it cite on cheating?"). "Examples" are often of a point, with no figure in them.
    "evidence": re.compile(
        r"\b(evidence|data|statistics|stats|figures|numbers|proof|cite[sd]?|citing|back(?:s|ed)? (?:it |this |that )?up)\b", re.I
    ),
    # Where the author stands, on the op-ed's subject or on a topic it names ("Is the writer for or
    # against congestion pricing?"): answered from the op-ed's claims, not from any passage.
    "stance": re.compile(
        r"\b(stance|position (?:on|about|regarding|towards?)|(?:author|writer|columnist)['’]s (?:overall )?position|"
        r"stands? on|where does .{1,40} stand|(?:which|whose) side|for or against|in favou?r of|supports? or opposes?|opinion (?:on|of|about)|"
        r"views? (?:on|of|about)|point of view|think(?:s)? (?:of|about)|feel(?:s)? about|take on|"
        r"criticis(?:e|es|ed|ing)|criticiz(?:e|es|ed|ing)|blam\w*|(?:holds?|held) (?:\w+ ){0,3}responsible|at fault|"
        r"who(?:['’]s| is| are| was| were) (?:most )?responsible|"
        r"(?:does|is) (?:the )?(?:author|writer|columnist|op-?ed|piece|article) (?:\w+ )?(?:support|oppose|favou?r|back|endorse|"
        r"agree with|approve of|against|for)|"
        # a judgement asked for: "Does the author think negotiating with the TTP is a good idea?"
        rf"{JUDGED})\b",
        re.I,
    ),
    "summary": re.compile(
        r"\b(about|summar\w*|gist|tl;?\s?dr|overview|main (?:point|argument|idea|message|claim|thrust|takeaway|problem|issue|concern)s?|"
        r"(?:actual|real|overall|basic|whole|strongest|most important|core) (?:point|argument|message)|"
        r"topic|subject|theme|sum(?:s|med|ming)? (?:it |this |that |the \w+ )?up|recap|run-?down|short version|"
        r"trying to (?:say|make|argue|get across)|getting at|driving at|"
        r"thesis|central (?:argument|claim|idea|problem|issue|thesis)|key (?:point|message|argument|takeaway)s?|bottom line|nutshell|"
        r"takeaways?|views?|in (?:short|brief|a sentence|one sentence|a few words)|bullet(?:s| points?)|eli5|like i.?m (?:five|5)|"
        r"in (?:simple|plain) (?:terms|words|english))\b",
        re.I,
    ),
    # What the op-ed finds wrong ("What problems does the op-ed identify?"); after "summary",
    # whose "main problem" is the main argument. "Why is that a problem?" and "What's wrong
    # with the buses?" are about a passage.
    # … and the problem it sets out to solve, asked for as such ("What problem is the op-ed
    # trying to solve?", "What issue does she address?"), the whole phrase a cue.
    "problems": re.compile(
        r"\b((?:problem|issue)s?\s+(?:(?:is|are|does|do|did)\s+)?(?:the\s+|this\s+|that\s+)?"
        rf"(?:{OPED_NOUN}|she|he|it|they)\s+(?:is\s+|are\s+)?"
        r"(?:(?:trying|tries|try|wants?|wanting|seeks?|seeking|hopes?|hoping|aims?|aiming|attempts?|attempting)\s+to\s+)?"
        r"(?:solv|fix|address|tackl|rais|highlight)\w*|(?:problem|issue)s?\s+(?:is|are)\s+(?:being\s+)?(?:solved|fixed|addressed|tackled)|"
        r"problems|issues|failings|failures|shortcomings|troubles|worri(?:ed|es)|concerned)\b",
        re.I,
    ),
}
# Problems asked for as such, on a topic ("What problems does the author see with the plan?",
# "Which issues with the subsidy …"), not a passage question with the word in it ("Have ER trips
# for minor problems gone up?").
PROBLEMS_OF = re.compile(r"\b(?:what|which)\b(?: \w+){0,3} (?:problems|issues|failings|failures|shortcomings|troubles)\b", re.I)
# A cue's leftover words the op-ed never uses are how the question is put ("what is it *trying*
# to say?"); this many or more, and most of the leftover words, make it a question about
# something else ("recommend a good laptop for students"), not a paraphrase ("what extra pay does
# she suggest for staff willing to commit long-term?").
FOREIGN_WORDS = 2
# Cues that also introduce a passage question ("What is its view of the talks?", "What does it
# say about X?"): with these, every leftover word counts as a topic.
WEAK_CUES = re.compile(r"^(about|views?)$", re.I)

PHRASINGS = {
    "summary": [
        "What is the op-ed about?",
        "Summarize the article.",
        "What is the main argument of the piece?",
        "Give me the gist.",
    ],
    "stance": ["What is the author's stance?", "Where does the writer stand?"],
    "problems": ["What problems does the op-ed identify?", "What issues does the author raise?"],
    "objections": ["What objections does the author answer?", "What do the critics say?"],
    "evidence": ["What evidence does the author give?", "What data does the op-ed cite?"],
    "conclusion": ["What does the op-ed conclude?", "How does the article end?", "What is the author's final point?"],
    "recommendations": [
        "What does the op-ed recommend?",
        "List the recommendations.",
        "What steps does the author propose?",
        "What should be done according to the writer?",
    ],
}
# What a question may call the items of a list of recommendations ("What rules does she
# propose?"): no topic of their own.
# ("What should the council do *instead*?" asks for the alternative the op-ed proposes: its list)
ITEM_NOUNS = frozenset(stem(w) for w in "rules ideas proposals changes actions fixes things moves instead alternative alternatives".split())
# … and the points of the other side that the author concedes or answers ("What risks or
# downsides does the author acknowledge?").
OBJECTION_NOUNS = frozenset(
    stem(w) for w in "risks downsides drawbacks weaknesses concerns worries dangers problems limitations flaws costs caveats doubts".split()
)
# … and how a question asks for the evidence behind the argument ("What evidence does the author
# *present* to *support* her *claims*?").
EVIDENCE_WORDS = frozenset(
    stem(w)
    for w in "present presents offer offers provide provides give gives use uses rely relies cite put forward support supports "
    "back argument arguments claim claims case point points show shows make makes base based "
    # evidence that something works ("… that this kind of reform works?"): the evidence asked for
    "work works worked working effective succeed succeeds succeeded".split()
)
# A question after whom the author blames, and the words with which an op-ed assigns the blame.
# What (not whom) the author blames for something: its causes ("What does the writer blame for
# the rise in violence?").
BLAMES_WHAT = re.compile(r"^\W*(?:and |so )?what (?:\w+ ){1,4}blames?\b", re.I)
BLAME_Q = re.compile(r"\b(blam\w*|criticis\w*|criticiz\w*|responsib\w*|at fault|fault)\b", re.I)
RESPONSIBLE = re.compile(
    # "responsible" as a charge ("is responsible", "responsibility for this rests with"), not as a
    # job ("the deputy mayor responsible for the plan")
    r"\b((?:is|are|was|were|be|been|held|hold|holds|equally|partly|largely|most|chiefly) responsible|responsibility (?:for|lies|rests)|"
    r"to blame|blame[sd]?|at fault|fault of|short-?sighted|negligen\w*|culpab\w*|"
    r"(?:is|are|was|were|has been|have been) failing)\b",
    re.I,
)
# Without such words, the author's criticism of someone: an actor ("the provincial setup", "the
# board", "PTI aligned movements") and what it is doing wrong ("appeasing", "undermining").
ACTOR = re.compile(
    r"\b((?i:governments?|administrations?|board|council|ministr(?:y|ies)|ministers?|mayor|authorit(?:y|ies)|officials?|"
    r"leaders(?:hip)?|setup|part(?:y|ies)|movements?|state|city|department|agenc(?:y|ies)|regulators?|politicians?|"
    r"management|executives?|compan(?:y|ies)|industry|trustees|commission|committee)|[A-Z]{2,})\b"
)
FAULT = re.compile(
    r"\b(undermin\w*|appeas\w*|embolden\w*|fail(?:s|ed|ing|ure)?|neglect\w*|ignor(?:e|es|ed|ing)|mismanag\w*|"
    r"reckless\w*|complacen\w*|incompeten\w*|squander\w*|misguided|wasted|lagged|abdicat\w*|betray\w*|dither\w*|"
    r"irresponsib\w*|blunder\w*|sowing|shirk\w*|cut corners|looked away|turned a blind eye|(?:created|made) (?:this|the|a) mess|"
    r"(?:deserves?|requires?|needs?) (?:\w+ )?scrutiny)\b",
    re.I,
)
# A cleft that puts someone in the dock: "It was Eastmoor District Council, which let the
# harbour silt up …" (an actor must stand in it: "It is a tax on people who …" blames nobody).
CLEFT = re.compile(r"^\W*(?:and |but |no, )?it (?:was|is|has been),? ([^.;]{2,100}?)\s*,?\s*(?:who|which|that) \w+", re.I)
# A recommendation question about what the public should do ("What does the author want readers
# to do?", "… local people …"), and a recommendation addressed to them: an imperative to the
# reader, "you / we / every … should", "make their voice heard".
PUBLIC_Q = re.compile(r"\b(readers?|people|public|residents|citizens|voters|locals|taxpayers|ordinary|us|you|we)\b", re.I)
TO_PUBLIC = re.compile(
    r"^\W*(?:so |and |now |please |but )?(?:" + CALLS_TO_ACT + r"|come|attend|show up|turn up)\b|"
    r"(?<!that )\b(?:you|we|readers|residents|citizens|voters|people|everyone|all of us|each of us)(?: \w+)? (?:should|must|need to|ought to)\b|"
    r"\bmake (?:their|your|our) voices? heard\b",
    re.I,
)
# Who a question may call the author ("What does *she* think about the plan?", "How does the
# author of the piece respond …?").
AUTHOR = re.compile(r"^(?:the |this |our )?(?:" + OPED_NOUN + r"|she|he|they|it)\b", re.I)
HOW_MANY = re.compile(r"\bhow many\b", re.I)
WHO = re.compile(r"^\W*(?:and |so |but )?(?:who|whom|whose)\b", re.I)
# The op-ed's last words asked for as such ("How does the op-ed end?"), not only its conclusion.
ASKS_ENDING = re.compile(
    r"\bhow does (?:the |this |that )?(?:op-?ed|article|piece|column|essay|it) end\b|\bending\b|\b(?:final|last|closing) (?:words?|lines?|sentences?)\b",
    re.I,
)
# Someone asking for something ("what did KP's own leaders ask for?"): theirs unless the author.
ASKED_BY = re.compile(
    r"\b(?:what|how) (?:does|do|did|would|will|has|have|is|are|was|were) (.{1,60}?) "
    r"(?:ask(?:ing|ed)?|want(?:ing|ed)?|propos(?:e|ing|ed)|recommend(?:ing|ed)?|suggest(?:ing|ed)?|call(?:ing|ed)?|demand(?:ing|ed)?|urg(?:e|ing|ed)|advocat(?:e|ing|ed))\b",
    re.I,
)
