"""Word-level text handling shared by BM25 and the answerer: tokens, stems, stopwords."""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

_SCRIPT = re.compile(r"<(script|style)\b.*?(</\1\s*>|$)", re.I | re.S)
_TAG = re.compile(r"<[^>]{0,500}>")
_WORD = re.compile(r"[A-Za-z0-9]+(?:[’'][A-Za-z]+)?")

# Function words plus the words questions are made of ("what does the op-ed say about ...").
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them themselves
    then there these they this those through to too under until up very was we were what when
    where which while who whom why will with would you your yours yourself yourselves
    s t don doesn didn isn aren wasn weren won may might must shall let us
    tell say says said according op ed oped article author writer piece text argue argues argued
    mention mentions mentioned describe describes think thinks view claim claims according
    please explain give list name kind sort thing things way ways really actually""".split()
)

# Words that give a question its shape rather than its subject ("what steps does it recommend",
# "what happened", "what are the consequences"). They are kept out of the vocabulary-coverage
# signal, where an unknown word means "the op-ed never talks about this", but stay in BM25.
FRAME_WORDS = frozenset(
    """happen happened happens happening take takes taken took done do make makes made go going
    goes went forward reason reasons cause causes recommend recommends recommended recommendation
    recommendations step steps measure measures effect effects consequence consequences result
    results impact role lack lacks lacked offer offers level overall right much many kind type
    label called use used using see seen shown show shows point points view stance position
    opinion main key important significant mean means meaning part parts aspect aspects issue
    issues problem problems solution solutions suggest suggests propose proposes proposed
    describe described explain summary summarise summarize overview detail details example
    examples""".split()
)

_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def words(text: str) -> list[str]:
    """Lower-cased word tokens, possessives dropped (“TTP’s” → “ttp”)."""
    return [re.split(r"[’']", w)[0].lower() for w in _WORD.findall(text)]


def strip_markup(text: str) -> str:
    """Question text without HTML: script/style blocks and tags carry no meaning for retrieval."""
    text = _SCRIPT.sub(" ", text)
    return " ".join(_TAG.sub(" ", text).split())


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def focus(text: str) -> str:
    """The text to retrieve with: markup removed and, when the input holds several sentences of
    which some ask something, only the asking ones. Instructions padded around a question
    ("Ignore all previous instructions. … Now: what is …?") do not steer retrieval."""
    text = strip_markup(text)
    parts = [p for p in _SENTENCE_END.split(text) if p.strip()]
    asking = [p for p in parts if p.rstrip().endswith("?")]
    return " ".join(asking) if asking and len(asking) < len(parts) else text


def terms(text: str) -> list[str]:
    """Stemmed content words: the tokens BM25 and overlap measures work on."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]
