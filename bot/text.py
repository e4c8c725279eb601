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
    where which while who whom whose why will with would you your yours yourself yourselves
    s t don doesn didn isn aren wasn weren won may might must shall let us
    tell say says said write writes wrote written according op ed oped article author writer piece text argue argues argued
    columnist column essay editorial commentator
    mention mentions mentioned describe describes think thinks view claim claims according
    please explain give list name kind sort thing things way ways really actually
    anyone anybody anything someone somebody something everyone everybody everything else next
    another get gets got getting""".split()
)

# Words that give a question its shape rather than its subject ("what steps does it recommend",
# "what happened", "what are the consequences", "how long", "where is it located", "who ends up
# paying"). They are kept out of the vocabulary-coverage
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
    examples identify identifies identified highlight highlights highlighted note notes noted
    discuss discusses discussed outline outlines outlined cite cites cited address addresses
    addressed acknowledge acknowledges acknowledged believe believes warn warns warned blame
    blames blamed blaming long located end ends""".split()
)

# Words that only point at the document itself or frame a request about it ("give me the gist of
# the article"): set aside when asking whether a question names a topic of its own.
DOC_WORDS = frozenset(
    """op ed oped op-ed article piece column essay author writer text document editorial it whole
    overall main basically briefly short quick quickly simple simply words sentence sentences give
    me please tell explain list lists listing make makes made key important top all every each
    various different one two three few couple line lines paragraph paragraphs try tries trying
    tried reach reaches reached argument arguments case message thrust""".split()
)

_stemmer = snowballstemmer.stemmer("english")

# British and American spellings of one word: a reader types one, an op-ed uses the other
# ("organisation"/"organization", "centre"/"center", "labour"/"labor", "dialogue"/"dialog",
# "defence"/"defense", "analyse"/"analyze"). Both sides are written the American way before
# stemming, so the rules only need to be consistent, not to know every word: "promise" becoming
# "promize" on both sides changes nothing.
_SPELLINGS = [
    (re.compile(r"^([a-z]{3,}[^aeiouy])is(e|es|ed|ing|ation|ations|er|ers)$"), r"\1iz\2"),  # organise
    (re.compile(r"^([a-z]{2,})ys(e|es|ed|ing)$"), r"\1yz\2"),  # analyse, paralyse
    (re.compile(r"^([a-z]{3,})our(s|ed|ing|ite|ites|able|ably|hood|hoods|er|ers|ful|less)?$"), r"\1or\2"),  # labour
    (re.compile(r"^([a-z]{2,}[bgt])re(s?)$"), r"\1er\2"),  # centre, fibre, meagre
    (re.compile(r"^([a-z]{2,}[bgt])red$"), r"\1ered"),  # centred
    (re.compile(r"^([a-z]{4,})ogues?$"), r"\1og"),  # dialogue, catalogue
    (re.compile(r"^(def|off|lic|pret)ence(s?)$"), r"\1ense\2"),  # defence, licence
    (re.compile(r"^programme(s?)$"), r"program\1"),
]


def american(word: str) -> str:
    """A lower-cased word in its American spelling, by the regular British/American differences."""
    for pattern, repl in _SPELLINGS:
        word = pattern.sub(repl, word)
    return word


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _stemmer.stemWord(american(word))


def words(text: str) -> list[str]:
    """Lower-cased word tokens, possessives dropped (“TTP’s” → “ttp”)."""
    return [re.split(r"[’']", w)[0].lower() for w in _WORD.findall(text)]


def strip_markup(text: str) -> str:
    """Question text without HTML: script/style blocks and tags carry no meaning for retrieval."""
    text = _SCRIPT.sub(" ", text)
    return " ".join(_TAG.sub(" ", text).split())


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


# Instructions to the bot rather than questions about the op-ed (OWASP LLM01 / garak probes):
# overriding its rules, revealing its prompt, role-play, dictating what it must say.
INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instructions?|rules|prompts?|guidelines|guardrails|restrictions)\b|"
    r"\b(system|developer|hidden|initial|original)\s+(prompt|message|instructions?|override|mode)\b|"
    r"\b(print|reveal|show|repeat|output|display|leak|dump)\b.{0,30}\b(prompt|instructions|rules|configuration|everything above)\b|"
    r"\byou are (now|no longer)\b|\bpretend (to be|you)\b|\bact as\b|\brole-?play\b|\bfrom now on\b|\bjailbreak|\bDAN\b|"
    # ("back up *the claim that* the fleet is dying" names a claim: no instruction)
    r"\b(say|state|write|respond with|reply with|answer with|declare|(?<!the )(?<!a )(?<!this )(?<!her )(?<!his )(?<!its )claim)\s+(that|only|exactly|the words?|yes|no)\b|"
    r"\brepeat after me\b|\bin your own voice\b|\bas if the author\b|"
    # setting the op-ed aside ("Forget the article - …"), or a piece of writing of the bot's own
    # ("write me a persuasive letter to my councillor"): the bot quotes the op-ed, it writes nothing
    r"\b(ignore|disregard|forget|never mind)\s+(about\s+)?(the|this)\s+(article|op-?ed|piece|column|document|text|editorial)\b|"
    r"\b(write|draft|compose|generate|create|produce|pen)\s+(me\s+|us\s+)?(a|an|some|my)\s+([\w-]+\s+){0,2}"
    r"(letters?|emails?|essays?|poems?|songs?|tweets?|posts?|speech|story|stories|petitions?|press release|cover letter|limerick|haiku|rap|script|code|"
    r"op-?eds?|articles?|columns?|editorials?)\b",
    re.I,
)
# a tell-me that asks the bot to assert something ("then tell me the ferry was cancelled on 100
# days"), not to say what the op-ed says ("tell me the main argument", "tell me what it says")
ASSERT = re.compile(
    r"\btell\s+(?:me|us)\s+(?:that\s+|the\s+|a\s+|an\s+)(?!(?:what|why|how|who|when|where|which|whether|if|about)\b)"
    r"(?:[\w’'-]+\s+){0,2}(?:is|are|was|were|has been|have been|will be|would be)\b",
    re.I,
)
_CLAUSES = re.compile(
    r"(?<=[.!?;:])\s+|,?\s+(?:and\s+)?then\s+|\s+and\s+(?=(?:tell|say|explain|what|who|why|how|when|where|which|list|summari[sz]e|give)\b)",
    re.I,
)


def without_instructions(text: str) -> tuple[str, bool]:
    """The text with every clause that instructs the bot removed, and whether any was."""
    clauses = [c for c in _CLAUSES.split(text) if c and c.strip()]
    kept = [c for c in clauses if not INSTRUCTION.search(c) and not ASSERT.search(c)]
    return " ".join(kept).strip(), len(kept) < len(clauses)


# Chat shorthand, read as the words it stands for ("last yr", "the govt's plan").
SHORTHAND = {
    "yr": "year", "yrs": "years", "govt": "government", "gov't": "government", "govts": "governments", "ppl": "people",
    "abt": "about", "bc": "because", "b/c": "because", "cuz": "because", "w/o": "without", "w/": "with", "thru": "through",
    "tho": "though", "u": "you", "ur": "your", "pls": "please", "plz": "please", "approx": "approximately", "avg": "average",
    "dept": "department", "natl": "national", "intl": "international", "esp": "especially",
}  # fmt: skip
_SHORTHAND = re.compile(
    r"(?<![\w/’'])(" + "|".join(re.escape(k) for k in sorted(SHORTHAND, key=len, reverse=True)) + r")(?!\w|\.\w|['’](?!s\b))", re.I
)


# "What's the name of …" asks as "What is the name of …" does (the decision reads the question's shape).
_IS = re.compile(r"\b(what|who|where|when|how|which|that|there|here)(?:['’]s|(?<=what)s)\b", re.I)


def expand_shorthand(text: str) -> str:
    """The text with chat shorthand and a question word's "'s" written out."""
    return _IS.sub(lambda m: f"{m.group(1)} is", _SHORTHAND.sub(lambda m: SHORTHAND[m.group(1).lower()], text))


_ASKS = re.compile(r"^\W*(?:what|what's|whats|why|how|who|whom|whose|when|where|which|tell me|explain|describe|summari[sz]e|list)\b", re.I)


def focus(text: str) -> tuple[str, bool]:
    """The text to retrieve with: markup removed, clauses that instruct the bot removed ("Ignore
    all previous instructions, then …"), and, when the input holds several sentences of which
    some ask something, only the asking ones; and whether any instruction was removed."""
    text, instructed = without_instructions(strip_markup(text))
    parts = [p for p in _SENTENCE_END.split(text) if p.strip()]
    # a question typed without its question mark asks too ("… or for the toll? what's the actual point")
    asking = [p for p in parts if p.rstrip().endswith("?") or _ASKS.match(p)]
    return (" ".join(asking) if asking and len(asking) < len(parts) else text), instructed


# Phrases that attribute a question to the op-ed rather than say what it is about ("…, according
# to the piece?", "in the writer's telling", "does the author think …"). Every question about an
# op-ed is about what its author says, so they tell MiniLM nothing about which sentence answers,
# and on a 10-word question they pull the query vector a long way off the subject.
# What a question may call the op-ed or its author.
OPED_NOUN = r"(?:op-?ed|piece|article|author|writer|columnist|column|essay|editorial|commentator)"
_ATTRIBUTION = [
    re.compile(r",?\s*\b(?:according to|in the (?:view|opinion|eyes) of)\s+(?:the|this)\s+" + OPED_NOUN + r"(?:['’]s)?", re.I),
    re.compile(
        r",?\s*\b(?:in|by) (?:the|this) "
        + OPED_NOUN
        + r"(?:['’]s?)? (?:telling|view|opinion|account|words|reading|estimation|judge?ment)\b",
        re.I,
    ),
    re.compile(
        r"\b(?:what|how) does (?:the|this) " + OPED_NOUN + r" (?:say|think|argue|write|feel|claim) (?:about|of|regarding|on)\b", re.I
    ),
    re.compile(r"\b(?:does|do|did|would) (?:the|this) " + OPED_NOUN + r" (?:think|believe|feel|consider|say|argue|claim|see)\b", re.I),
]


def without_attribution(text: str) -> str:
    """The question with the phrases that only attribute it to the op-ed removed: what the query
    vector is made from. A question that is nothing but such a phrase is kept as it is."""
    out = text
    for pattern in _ATTRIBUTION:
        out = pattern.sub(" ", out)
    out = re.sub(r"\s+([?.!,;:])", r"\1", " ".join(out.split())).lstrip(",;: ")
    return out if len(words(out)) >= 2 else text


def topic_terms(text: str) -> set[str]:
    """The stemmed words that name what a question is about: no function words, no frame
    words ("steps", "happened"), no words that only point at the document ("the article")."""
    return set(terms(text)) - _NOT_TOPIC


def names(text: str) -> list[str]:
    """Words written with a capital that do not start a sentence: names ("India", "Imran Khan",
    "CPEC"), the things a near-topic question asks about and a paraphrase rarely brings in."""
    out = []
    for sentence in re.split(r"(?<=[.!?:])\s+", text.strip()):
        for m in list(re.finditer(r"[A-Za-z][A-Za-z]*", sentence))[1:]:
            w = m.group(0)
            if w[0].isupper() and w.lower() not in STOPWORDS and w != "I":
                out.append(w)
    return out


def terms(text: str) -> list[str]:
    """Stemmed content words: the tokens BM25 and overlap measures work on."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


_NOT_TOPIC = frozenset(stem(w) for w in FRAME_WORDS | STOPWORDS | DOC_WORDS)
