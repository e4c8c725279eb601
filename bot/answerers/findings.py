"""What an op-ed finds: who is at fault ("Who does the author blame?"), what is wrong (its
diagnosis: "What problems does it identify?") and the evidence it offers ("What evidence does
the author give?", "What figures does it cite for the decline of the fleet?"). Positions count
from the op-ed's first sentence; none of these is ever the other side's case.

**Evidence** is the sentences that carry figures or report a finding (a study, a survey, a
report, what was recorded or found), in the author's own voice. An op-ed argues from evidence it
states as fact: counts and shares ("41 of the 63 heat-related deaths"), money, years, what a
study found. Such a sentence is no recommendation and no question. Without a topic, the
sentences that carry the most of it; with one ("evidence of cheating in the examination"), those
nearest the topic. The cues are English.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

import numpy as np

from bot.answerers.shapes import ACTOR, CLEFT, FAULT, RESPONSIBLE
from bot.text import terms
from index.docmap import NOT_MEANT, REPORTED, STATES_POINT
from index.store import LoadedIndex

MAX_HELD = 3  # sentences that say who is responsible, quoted for "who does the author blame?"
MAX_PROBLEMS = 4  # paragraphs of the op-ed's diagnosis quoted for "what problems does it identify?"
MIN_PROBLEM_WORDS = 8


def faults(text: str) -> bool:
    """Whether a sentence finds fault with someone: an actor and a word of fault, or a cleft
    with an actor in it."""
    cleft = CLEFT.match(text)
    return bool(ACTOR.search(text) and FAULT.search(text)) or bool(cleft and ACTOR.search(cleft.group(1)))


# The author declaring where it stands, in the first person, whatever words it uses for the topic:
# "I support the principle of charging for scarce road space", "Having long argued that input
# subsidies are a costly and imperfect tool, I would still urge …".
DECLARES = re.compile(
    r"\b(?:i|we)(?: \w+ly)?(?: would| do| did| still| have| had)*(?: \w+ly)?"
    r" (?:believe|support|oppose|favou?r|back|reject|welcome|argue|argued|urge|think|am convinced|am not convinced|doubt|accept|agree|disagree)\b"
    r"|\bhaving (?:long |often |always )?argued\b",
    re.I,
)


def declares_position(text: str) -> bool:
    """Whether the author says in the first person where it stands (not reported of others)."""
    return bool(DECLARES.search(text)) and not REPORTED.search(text)


def states_position(text: str, topic: set[str]) -> bool:
    """Whether the author says in so many words where it stands ("That is why I support the
    city's Neighbourhood Homes Plan", "The answer is …"; the map's ``STATES_POINT``, not
    reported of others) on a topic, by one of its words."""
    return bool(STATES_POINT.search(text)) and not REPORTED.search(text) and bool(topic & set(terms(text)))


def held_responsible(index: LoadedIndex, rows: range, theirs: set[int], recommended: set[int], vector: np.ndarray) -> list[int]:
    """The op-ed's sentences that say in so many words who is responsible or at fault (the
    ``MAX_HELD`` closest to the question), not the other side's and not the author's own
    recommendations ("… so that residents can see where the plan is failing"); [] when it says
    so nowhere. In so many words, or where it faults someone ("the provincial setup … an
    appeasing posture")."""
    sents = index.sentences
    own = [i for i, r in enumerate(rows) if i not in theirs and i not in recommended and not sents[r].text.rstrip().endswith("?")]
    found = [i for i in own if RESPONSIBLE.search(t := sents[rows[i]].text) or faults(t)]
    found.sort(key=lambda i: -float(index.sentence_vectors[rows[i]] @ vector))
    return sorted(found[:MAX_HELD])


def closeness(index: LoadedIndex, rows: range, vector: np.ndarray, topic: list[str], share: float = 0.5) -> Callable[[int], float]:
    """A sentence's closeness to a topic a question names: by meaning, plus a share of the
    topic's words (``share`` for all of them)."""
    words, sents, vecs = set(topic), index.sentences, index.sentence_vectors
    return lambda i: float(vecs[rows[i]] @ vector) + share * len(words & set(terms(sents[rows[i]].text))) / len(words)


def takes_position(text: str, topic: set[str]) -> bool:
    """Whether a sentence is where the author takes a position: in so many words, in the first
    person, or by qualifying it ("This is not to imply that negotiation is always illegitimate.")."""
    return states_position(text, topic) or declares_position(text) or bool(NOT_MEANT.search(text))


# Words that say something is wrong: a sentence that names a problem carries them.
NEGATIVE = re.compile(
    r"\b(?:crisis|crises|fail\w*|risks?|risking|threat\w*|devastat\w*|erod\w*|undermin\w*|embolden\w*|collaps\w*|declin\w*|worse\w*|"
    r"shortage\w*|damag\w*|harm\w*|danger\w*|loss\w*|lost|strain\w*|violen\w*|attacks?|problem\w*|wrong|mistake\w*|cannot|unable|"
    r"too (?:little|late|few|slow|weak)|leak\w*|cheat\w*|scandal\w*|dies|died|dead|deaths?|closed?|shut|costs?|expensive|"
    r"unafford\w*|illegal|forbid\w*|strand\w*|cancel\w*|broken|delay\w*|confus\w*|divisive|instabilit\w*|weak\w*)\b",
    re.I,
)
# Where the op-ed names its problem in so many words ("The trouble is that a toll is a price …",
# "the timetable and the missing safeguards are the problem", "they have a staffing problem"),
# or announces it ("Here is the problem."), which the next sentence then states.
NAMES_PROBLEM = re.compile(
    r"\b(?:here(?:['’]s| is) the (?:\w+ )?(?:problem|trouble|issue)|"
    r"the (?:real |main |core |whole |underlying |deeper |central |basic )?(?:problem|trouble|issue) (?:is|was|lies|here is)\b|"
    r"(?:is|are|was|were) the (?:real |main |core |whole |underlying |deeper )?(?:problem|trouble)\b|"
    r"(?:have|has|had|face|faces) an? (?:\w+ )?(?:problem|crisis)\b)",
    re.I,
)
ANNOUNCEMENT_WORDS = 6  # "Here is the problem.": no more words than this, and the next sentence states it


def named_problem(texts: list[str], eligible: Callable[[int], bool]) -> list[int]:
    """The sentences (indexes into ``texts``) where the op-ed names its problem in so many
    words, with the one after a short announcement of it; only those ``eligible``."""
    found: list[int] = []
    for i, t in enumerate(texts):
        if NAMES_PROBLEM.search(t) and eligible(i):
            found.append(i)
            if len(t.split()) <= ANNOUNCEMENT_WORDS and i + 1 < len(texts) and eligible(i + 1):
                found.append(i + 1)
    return found


NEGATIVE_WEIGHT = 0.02  # per such word, on closeness to its paragraph and to the question (0.05 lost a fisheries answer)


def diagnosis(
    index: LoadedIndex,
    rows: range,
    theirs: set[int],
    recommendations: list[int],
    vector: np.ndarray,
    topic: Callable[[int], float] | None = None,
) -> list[int]:
    """What the op-ed finds wrong: the paragraphs that neither recommend nor close it, each
    by its most representative sentence (the closest to the paragraph as a whole): the
    opening's and those closest to the question, ``MAX_PROBLEMS`` in all. With ``topic`` (a
    sentence's closeness to what the problems are asked about: "What problems does the author
    see with replacing the boat with planes?"), each paragraph by its sentence closest to the
    topic, and the ``MAX_PROBLEMS`` paragraphs whose sentence is closest."""
    sents, vecs = index.sentences, index.sentence_vectors
    # a paragraph that mostly recommends, and the closing one, diagnose nothing: wherever the
    # recommendations begin (a call to reverse a decision may come in the opening)
    sizes = Counter(sents[r].paragraph for r in rows)
    recommending = Counter(sents[rows[i]].paragraph for i in recommendations)
    end = sents[rows[-1]].paragraph
    by_par: dict[int, list[int]] = {}
    for i, r in enumerate(rows):
        s = sents[r]
        if i in recommendations or 2 * recommending[s.paragraph] >= sizes[s.paragraph]:
            continue
        if s.paragraph < end and i not in theirs and not s.text.rstrip().endswith("?") and len(s.text.split()) >= MIN_PROBLEM_WORDS:
            by_par.setdefault(s.paragraph, []).append(i)
    if topic is not None:
        best = [max(members, key=topic) for members in by_par.values()]
        return sorted(sorted(best, key=topic, reverse=True)[:MAX_PROBLEMS])
    picks = []
    # a paragraph's sentence that names what is wrong ("a devastating mix of more attacks, eroded
    # public confidence …") before one that only describes
    bad = {i: NEGATIVE_WEIGHT * len(NEGATIVE.findall(sents[rows[i]].text)) for members in by_par.values() for i in members}
    for members in by_par.values():
        centre = vecs[[rows[i] for i in members]].mean(axis=0)
        picks.append(max(members, key=lambda i: float(vecs[rows[i]] @ centre) + bad[i]))
    # the opening states the problem, and so does a sentence that names it as such (in its
    # paragraph's place); the other paragraphs by closeness to the question
    texts = [sents[r].text for r in rows]
    named = named_problem(texts, lambda i: i not in theirs and i not in recommendations and not texts[i].rstrip().endswith("?"))
    named_pars = {sents[rows[i]].paragraph for i in named}
    picks = [i for i in picks if sents[rows[i]].paragraph not in named_pars]
    rest = sorted(picks[1:], key=lambda i: -float(vecs[rows[i]] @ vector) - bad[i])
    return sorted(dict.fromkeys([*picks[:1], *named, *rest][: max(MAX_PROBLEMS, len(named) + 1)]))


# Figures: numerals (with their separators) and number words a count or a share is written in.
FIGURE = re.compile(
    r"\d[\d,.]*\d|\d|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|half|dozens?|percent|per cent|doubled|tripled|halved)\b",
    re.I,
)
# A finding reported: "a study … found", "the board's own workforce report", "has recorded".
FINDING = re.compile(
    r"\b(?:stud(?:y|ies)|survey\w*|reports?|reviews?|analys[ie]s|polls?|data|statistics|research\w*|audit\w*|census|found|finds|show|showed|shows|recorded|according to)\b",
    re.I,
)
MAX_FIGURES = 3  # figures counted towards a sentence's weight of evidence
FINDING_WEIGHT = 2
MIN_WEIGHT = 2  # without a topic: two figures, or a finding
MAX_EVIDENCE = 4
MAX_TOPICAL = 3
WEIGHT_BONUS = 0.05  # per unit of weight, on closeness to a topic


def weight(text: str) -> int:
    """How much evidence a sentence carries: its figures (up to ``MAX_FIGURES``), and a reported
    finding."""
    return min(MAX_FIGURES, len(FIGURE.findall(text))) + (FINDING_WEIGHT if FINDING.search(text) else 0)


def evidence(texts: list[str], excluded: set[int], score: Callable[[int], float] | None = None, gap: float = 0.12) -> list[int]:
    """Positions (in order) of the evidence among an op-ed's sentences ``texts``, ``excluded``
    (its recommendations and the other side's case) set aside. Without ``score``: the sentences
    of most weight, at least ``MIN_WEIGHT``, ``MAX_EVIDENCE`` at most (earlier first on a tie).
    With ``score`` (closeness to a topic): any sentence with a figure or a finding, by closeness
    plus a bonus for its weight, those within ``gap`` of the best, ``MAX_TOPICAL`` at most."""
    found = {i: w for i, t in enumerate(texts) if i not in excluded and not t.rstrip().endswith("?") and (w := weight(t))}
    if score is None:
        strong = sorted((i for i, w in found.items() if w >= MIN_WEIGHT), key=lambda i: (-found[i], i))
        return sorted(strong[:MAX_EVIDENCE])
    if not found:
        return []
    scores = {i: score(i) + WEIGHT_BONUS * w for i, w in found.items()}  # the more figures, the more it is evidence
    best = max(scores.values())
    near = sorted((i for i in found if scores[i] >= best - gap), key=lambda i: -scores[i])
    return sorted(near[:MAX_TOPICAL])


MAX_CLOSING = 6  # sentences of the closing paragraph quoted whole as the conclusion
MIN_STANDALONE, MAX_LEAN = 7, 2  # a closing line under 7 words comes with up to 2 sentences before it


def conclusion(sents: list, rows: range, dmap, ending: bool = False) -> list[int]:
    """The conclusion as the passage it is: the map's conclusion sentences and those between
    them in the closing paragraph ("The question is whether … A ban chooses the first outcome.
    Regulated use … chooses the second. Our schools should choose the second." is read whole, or
    its last word means nothing), unless that passage runs past ``MAX_CLOSING`` sentences; the
    thesis when there is none. A closing line too short to stand alone ("So speak for them.")
    comes with what it answers. With ``ending`` ("How does the op-ed end?"), a column that closes
    on a scene or a quip after its conclusion has that added: the reader asked for its last words."""
    picks: list[int] = list(dmap.conclusion)
    if picks:
        span = [i for i in range(picks[0], picks[-1] + 1) if sents[rows[i]].paragraph == sents[rows[picks[-1]]].paragraph]
        picks = span if len(span) <= MAX_CLOSING and set(picks) <= set(span) else picks
    picks = picks or list(dmap.thesis)

    def lean(run: list[int]) -> list[int]:
        while run and run[0] > 0 and len(run) <= MAX_LEAN and len(sents[rows[run[0]]].text.split()) < MIN_STANDALONE:
            run = [run[0] - 1, *run]
        return run

    picks = lean(picks)
    if ending and len(rows) - 1 not in picks:
        picks = sorted({*picks, *lean([len(rows) - 1])})
    return picks


def addresses_a_list(index: LoadedIndex, dmap, rows: range, residue: list[str]) -> bool:
    """Whether the topic named is who or what one of the op-ed's enumerations is addressed to:
    its words are in the list's first item ("Moving ahead, KP's leadership should …"), so
    "what steps for KP's leadership?" asks for the whole list."""
    sents = index.sentences
    for run in dmap.enumerations:
        k = next((k for k, r in enumerate(rows) if sents[r].start <= run[0][0] < sents[r].end), None)
        if k is None:
            continue
        # the first item, and the sentence before it in the same paragraph ("The council
        # should therefore commit to a clear sequence. First, …")
        heads = [rows[k]] + ([rows[k - 1]] if k > 0 and sents[rows[k - 1]].paragraph == sents[rows[k]].paragraph else [])
        if set(residue) <= {w for r in heads for w in terms(sents[r].text)}:
            return True
    return False
