"""The document map: what an op-ed argues as a whole, found at index time from its text.

For each document: its **thesis** (the opening sentence closest in meaning to the whole op-ed,
the opening's first strong claim, the points it states as such, and its first sentence when that
states its subject rather than setting a scene), its **conclusion** (the closing paragraph's most central
sentence, its first strong claim and its last word), its
**recommendations** (every prescriptive sentence past the opening, "should / must / needs to …",
in order) and the **enumerations** it contains ("First … Second … Finally", "To begin with …
Another step …", "1) … 2) …", or a paragraph of recommendations one after another), each as
sentence indices. Readers' first questions ("what is it about?", "what does it recommend?") are
answered from this map rather than from retrieval.

Everything is derived from structure, cue words, position and the sentence vectors already made
for the index: nothing is written by hand for a particular op-ed, and no model beyond MiniLM is
needed. The cues are English.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import numpy as np

from index.chunking import Span

MAP_VERSION = "map-v18"

# The verbs of a call to action in the imperative ("Call them, write to them …", "So speak for them.").
CALLS_TO_ACT = "call|write|tell|ask|demand|vote|join|sign|contact|email|urge|insist|speak|stand"
# Deontic modality: the author says what ought to be done.
PRESCRIPTIVE = re.compile(
    r"\b(should|must|ought to|(?<!['’]s )(?<!the )(?<!its )(?<!their )(?<!our )(?<!basic )(?<!who )(?<!which )(?<!that )(?<!would )(?<!will )(?<!still )needs?\b(?![,.;:)]| (?:and|or|of|are|were|is)\b)|has to|have to|it is (?:essential|imperative|vital|crucial|necessary|time)|"
    # ("the range recommended by UNESCO" describes)
    # ("let us start with the numbers" leads the reader on, it recommends nothing)
    r"is needed|are needed|calls? for|recommend(?!ed by)\w*|let us(?! (?:start|begin|look|turn|consider|take|be clear|recall|remember)\b)|we need|"
    r"(?:i|we) (?:would |must |strongly |therefore )*(?:still )?(?:urge|propose|suggest|advise)|"
    # the conditions on which a policy could work: "Removal could work only if it is phased …"
    r"(?:works?|succeed|succeeds) only if|(?:could|would|can|will) (?:only )?(?:work|succeed) (?:only )?if|"
    # a call to action, in the imperative, to the reader: "Call them, write to them …"
    r"^\W*(?:so |and |now |please )?(?:" + CALLS_TO_ACT + r")(?= (?:them|him|her|your|the|on|for|to|up)\b))\b",
    re.I,
)
# A concession that something need not be done ("None of this means the subsidy must last
# forever.", "This is not to say that the council should …"): no recommendation.
NOT_MEANT = re.compile(
    r"^\W*(?:but |and |yet )?(?:none of (?:this|that|it)|(?:this|that|it) (?:does not|doesn['’]t)) mean|^\W*(?:this|that|it) is not to (?:say|imply|suggest)",
    re.I,
)
# What could also be done, after a recommendation: its continuation.
ALSO = re.compile(r"\b(?:could|can|might|may) also\b", re.I)
# Words of argument: contrast, negation, evaluation (good, bad, better, worse, wrong …),
# obligation. A sentence that carries them states a claim ("X does not lack water so much as it
# lacks the will…"); one without them usually describes or narrates.
CLAIM = re.compile(
    r"\b(but|yet|however|not|no|none|neither|nor|never|instead|rather|wrong|right|real|mistake|good|bad|better|worse|must|should|needs?|cannot|can.t|only|"
    r"question is|problem is|answer is|key|crisis|too (?:little|late|much|many|few|slow|small|weak|often|long|high|low|costly))\b",
    re.I,
)
CLAIM_BONUS, CLAIM_CAP = 0.05, 3
# A thesis is a sentence of some length, not an aside ("I have nothing against scented candles.").
MIN_THESIS_WORDS = 8
# The sentence where an op-ed says what its point is, wherever it comes ("The answer is to make
# the developer pay properly …", "The trouble is that a toll is a price …"); a column often
# reaches it only after its story. Not when the op-ed reports others saying so ("Some argue
# that the answer is …").
STATES_POINT = re.compile(
    r"\b(?:the (?:real |simple |short |honest )?(?:answer|solution|point|lesson|truth|remedy|fix|trouble|problem) (?:here |now )?is"
    r"|what \w+(?: \w+){0,3} (?:needs?|lacks?) is|my (?:argument|point|case) is|i (?:would )?argue|the way forward is"
    # the author's own conviction: "I believe this is the worst transport decision …"
    r"|i (?:firmly |strongly |genuinely )?(?:believe|am convinced|support|oppose)"
    r"|in my (?:\w+ )?(?:view|opinion|judg(?:e)?ment))\b(?! \w+ed\b)",
    re.I,
)
REPORTED = re.compile(
    r"\b(?:some|many|others|critics|opponents|supporters|defenders|proponents|they)\b(?:\s+\w+){0,3}\s+(?:say|argue|claim|insist|believe|contend|suggest)s?\b",
    re.I,
)
# The sentence that announces the parts of the argument ("The frequent emphasis on negotiations
# and the politicization of counterterrorism are two areas where …", "The answer lies in three
# mutually reinforcing factors"): it says what the paragraphs after it argue. Not one that counts
# back ("Beyond those three steps", "Those are three things …").
SIGNPOST = re.compile(
    r"(?<!these )(?<!those )(?<!the )\b(?:two|three|four|five|six|several|a few|a number of) (?:[\w-]+ ){0,2}"
    r"(?:areas|factors|reasons|causes|problems|failures|flaws|mistakes|lessons|fronts|questions|issues|ways|reforms|steps|measures|changes)\b",
    re.I,
)
# How a column opens on a scene or a story rather than its subject ("Every morning before dawn,
# the lanes …", "Last August I pronounced …", "When I was a boy, …", "At ten past six …"): such an
# opening is a hook, not a statement of what the op-ed is about.
SCENE = re.compile(
    r"^\W*(?:every|last|at|on|one|once|yesterday|early|late|growing up|as a|it was|i|my|we|our|"
    r"when (?:i|we|my|our)|in (?:\d{4}|the (?:spring|summer|autumn|fall|winter))|"
    r"this (?:morning|week|month|year|spring|summer|autumn|fall|winter)|\w+ (?:years|months|weeks|days) ago)\b",
    re.I,
)
QUOTED = re.compile(r"[\"“”]")
ANNOUNCES = re.compile(
    r"^\W*(?:so |but |and )?(?:here(?:['’]s| is) (?:the|my|our) (?:real |central |basic |core )?(?:problem|point|thing|truth|catch|trouble|answer|rub|reality|issue)"
    r"|(?:the|my|our) (?:real |central |basic |core )?(?:problem|point|answer|truth|trouble|issue) is (?:this|simple))\W*$",
    re.I,
)
POINT_WITHIN = 0.6  # of the op-ed, from its start
MAX_POINTS = 2


def claim_words(text: str) -> int:
    """How many distinct words of argument a sentence carries (capped)."""
    return min(CLAIM_CAP, len({m.lower() for m in CLAIM.findall(text)}))


# Sentence-initial markers of a sequence of points.
ORDINAL = re.compile(
    r"^\s*(?:\(?(?:\d{1,2}[.)]|[a-h]\))\s|(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)(?:ly)?\b|"
    r"finally\b|lastly\b|last but not least\b|to (?:begin|start) with\b|another\b|equally important\b|"
    r"in addition\b|next\b|moving (?:ahead|forward)\b|going forward\b)",
    re.I,
)
MIN_UNMARKED = 3
FIRST = re.compile(r"^\s*(?:\(?(?:1[.)]|a\))\s|first(?:ly)?\b|to (?:begin|start) with\b|moving (?:ahead|forward)\b|going forward\b)", re.I)


@dataclass
class DocMap:
    doc: str
    thesis: list[int] = field(default_factory=list)  # indices into the document's sentences
    conclusion: list[int] = field(default_factory=list)
    recommendations: list[int] = field(default_factory=list)
    enumerations: list[list[tuple[int, int]]] = field(default_factory=list)  # items as [start, end) of the document text
    version: str = MAP_VERSION

    def to_dict(self) -> dict:
        return asdict(self)

    def enumeration_at(self, start: int, end: int) -> list[tuple[int, int]]:
        """The enumeration one of whose items lies within ``[start, end)`` (a sentence), or []."""
        return next((run for run in self.enumerations if any(start <= a and b <= end for a, b in run)), [])

    @classmethod
    def from_dict(cls, d: dict) -> DocMap:
        d = dict(d)
        d["enumerations"] = [[(int(a), int(b)) for a, b in run] for run in d["enumerations"]]
        return cls(**{k: d[k] for k in ("doc", "thesis", "conclusion", "recommendations", "enumerations", "version")})


def _enumerations(sentences: list[Span]) -> list[list[tuple[int, int]]]:
    """Every enumeration, its items as document offsets. The sentence splitter cuts a numbered
    list ("… four: 1) publish …; 2) redesign …") into one piece per item, so an enumeration is a
    run of sentences marked as a sequence: at least two ordinal cues ("Second,", "2)", "(b)",
    "Another …", "Finally, …"), no more than one paragraph apart, starting at the first cue or,
    when the run has no explicit "first", at the prescriptive sentence just before its second
    item. Three or more recommendations in a row within a paragraph are one too, cues or not."""
    return [[(sentences[i].start, sentences[i].end) for i in run] for run in _sentence_runs(sentences)]


def _sentence_runs(sentences: list[Span]) -> list[list[int]]:
    cues = [i for i, s in enumerate(sentences) if ORDINAL.match(s.text)]
    runs: list[list[int]] = []
    for i in cues:
        if runs and sentences[i].paragraph - sentences[runs[-1][-1]].paragraph <= 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    out = []
    for run in runs:
        if len(run) < 2:
            continue
        if not FIRST.match(sentences[run[0]].text):
            # "…should avoid binary choices. … Second, …": the first item carries no cue
            before = [j for j in range(run[0] - 1, -1, -1) if sentences[j].paragraph == sentences[run[0]].paragraph]
            first = next((j for j in before if PRESCRIPTIVE.search(sentences[j].text)), None)
            if first is not None:
                run = [first, *run]
        out.append(run)
    # A list may go without ordinal cues: a paragraph that makes three or more recommendations
    # one after another ("The board should pay … Every clinic ought to be paired … The housing
    # authority should set aside …") is an enumeration too.
    taken = {i for run in out for i in run}
    prescribes = _prescribes(sentences)
    run = []
    for i, s in enumerate([*sentences, None]):
        if s is not None and prescribes[i] and i not in taken and (not run or s.paragraph == sentences[run[-1]].paragraph):
            run.append(i)
            continue
        if len(run) >= MIN_UNMARKED:
            out.append(run)
        run = [i] if s is not None and prescribes[i] and i not in taken else []
    return sorted(out)


def _prescribes(sentences: list[Span]) -> list[bool]:
    """Which sentences recommend: a prescriptive one, not a question, or one that goes on from
    a recommendation in its paragraph with what could also be done ("The council should pause
    the decision … It could also lease a second-hand vessel …")."""
    out = [bool(PRESCRIPTIVE.search(s.text)) and not s.text.rstrip().endswith("?") and not NOT_MEANT.search(s.text) for s in sentences]
    for i in range(1, len(sentences)):
        if not out[i] and out[i - 1] and sentences[i].paragraph == sentences[i - 1].paragraph and ALSO.search(sentences[i].text):
            out[i] = True
    return out


def _first_strong_claim(sentences: list[Span], candidates: list[int]) -> int | None:
    """The first candidate that carries two or more words of argument, if any."""
    return next((i for i in candidates if claim_words(sentences[i].text) >= 2), None)


def build_map(doc_id: str, sentences: list[Span], vectors: np.ndarray) -> DocMap:
    """The map of one document from its sentences (in order) and their unit vectors."""
    n = len(sentences)
    if n == 0:
        return DocMap(doc_id)
    centroid = vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    # How much a sentence speaks for the whole op-ed, and whether it argues rather than narrates.
    central = vectors @ centroid + CLAIM_BONUS * np.array([claim_words(s.text) for s in sentences])
    paragraphs = sorted({s.paragraph for s in sentences})
    first_par, last_par = paragraphs[0], paragraphs[-1]

    # Thesis: the two most central sentences of the opening (first paragraph, or first fifth).
    asks = [s.text.rstrip().endswith("?") for s in sentences]
    stands = [len(s.text.split()) >= MIN_THESIS_WORDS for s in sentences]
    opening = [i for i, s in enumerate(sentences) if (s.paragraph == first_par or i < max(2, n // 5)) and not asks[i]]
    opening = [i for i in opening if stands[i]] or opening
    # An op-ed states its position early and in words of argument: the opening's first strong
    # claim (two or more such words: "I understand the impulse, but a ban is the wrong answer")
    # is part of the thesis even when a sentence that narrates is closer to the whole.
    by_centrality = sorted(opening, key=lambda i: -central[i])
    # (A hook of its own paragraph is common: the claim is looked for in the second paragraph too.)
    lede = paragraphs[:2] if len(paragraphs) > 2 else paragraphs[:1]
    in_opening = set(opening)
    claim = _first_strong_claim(
        sentences, [i for i, s in enumerate(sentences) if i in in_opening or (s.paragraph in lede and not asks[i] and stands[i])]
    )
    thesis = sorted({by_centrality[0], claim} if claim is not None else set(by_centrality[:2]))
    if len(thesis) < 2 and len(by_centrality) > 1:
        thesis = sorted({*thesis, by_centrality[1]})
    points = [
        i
        for i, s in enumerate(sentences)
        if i < POINT_WITHIN * n and not asks[i] and (STATES_POINT.search(s.text) or SIGNPOST.search(s.text)) and not REPORTED.search(s.text)
    ]
    # "Here is the problem." announces the point; the sentence after it makes it ("On roughly 70
    # percent of the city's residential land, it is currently illegal to build …"), first.
    announced = [i + 1 for i, s in enumerate(sentences[:-1]) if i + 1 < POINT_WITHIN * n and ANNOUNCES.match(s.text)]
    points = [*announced, *(i for i in points if i not in announced and i + 1 not in announced)]  # not the announcement
    thesis = sorted({*thesis, *points[:MAX_POINTS]})
    # The position stated, then what should follow from it in the next breath ("I believe this is
    # the worst transport decision the council has made … It should be reversed before a single
    # contract is signed."): that is the thesis too.
    thesis = sorted(
        {*thesis}
        | {
            i + 1
            for i in thesis
            if STATES_POINT.search(sentences[i].text)
            and i + 1 < n
            and sentences[i + 1].paragraph == sentences[i].paragraph
            and PRESCRIPTIVE.search(sentences[i + 1].text)
            and not NOT_MEANT.search(sentences[i + 1].text)
        }
    )
    # An op-ed that opens by stating its subject ("Khyber Pakhtunkhwa, the long frontline of
    # Pakistan's fight against militancy, is again under severe strain.") says in that sentence
    # what it is about, however little it argues there.
    if n > 1 and stands[0] and not asks[0] and not SCENE.match(sentences[0].text) and not QUOTED.search(sentences[0].text):
        thesis = sorted({0, *thesis})

    # Prescriptive statements, not questions ("What should the city do instead?").
    prescribes = _prescribes(sentences)
    prescriptive = [i for i, p in enumerate(prescribes) if p]
    # Conclusion: the closing paragraph's most central claim, and its last sentence (an op-ed's
    # last word is usually its punchline).
    # A column may close on a scene or a quip that argues nothing ("Back on the slipway, I asked
    # … She laughed."): its conclusion is then the last paragraph before it that argues or
    # recommends ("So speak for them." does).
    argues = {s.paragraph for i, s in enumerate(sentences) if claim_words(s.text) or prescribes[i]}
    arguing = [p for p in paragraphs[1:] if p in argues]
    if len(paragraphs) > 2 and arguing and arguing[-1] != last_par:
        last_par = arguing[-1]
    closing = (
        [i for i, s in enumerate(sentences) if s.paragraph == last_par and not s.text.rstrip().endswith("?")] if len(paragraphs) > 1 else []
    )
    claim = _first_strong_claim(sentences, closing)
    conclusion = sorted({*sorted(closing, key=lambda i: -central[i])[:1], *([claim] if claim is not None else []), *closing[-1:]})
    conclusion = [i for i in conclusion if i not in thesis]

    enumerations = _enumerations(sentences)
    starts = {s.start: i for i, s in enumerate(sentences)}
    enumerated = {starts[a] for run in enumerations for a, _ in run if a in starts}
    body_start = max(opening) + 1 if len(paragraphs) > 1 else 0
    recommendations = sorted({i for i in prescriptive if i >= body_start} | {i for i in enumerated if i in prescriptive or i >= body_start})
    return DocMap(doc_id, thesis, conclusion, recommendations, enumerations)


def build_maps(sentences: list[Span], vectors: np.ndarray) -> dict[str, DocMap]:
    """Maps for every document of an index; ``sentences`` sorted by (doc, start), ``vectors``
    row-aligned. Indices in each map count from the document's first sentence."""
    maps: dict[str, DocMap] = {}
    docs = list(dict.fromkeys(s.doc for s in sentences))
    for doc in docs:
        rows = [i for i, s in enumerate(sentences) if s.doc == doc]
        maps[doc] = build_map(doc, [sentences[i] for i in rows], vectors[rows])
    return maps
