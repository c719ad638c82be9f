"""Quotes and attribution: who an outlet quotes or cites, and with which verb.

A rule-based reader (regular expressions and small lexicons; no parser or NER model is
available). It recognises:

- direct quotes in straight (``"..."``), curly (``“...”``) and guillemet (``«...»``) marks;
- attribution after a quote: ``"...," Blinken said`` and ``"...," said Antony Blinken``;
- attribution before a quote: ``Medinsky told reporters "..."``, ``Blinken said: "..."``;
- indirect attribution: ``Peskov said that ...``, ``according to Tass`` (``attribution`` only);
- titled and institutional speakers: ``Secretary of State Antony Blinken`` -> ``Antony Blinken``,
  ``the Kremlin``, ``Russian state-run news agency Tass`` -> ``Tass``,
  ``Ukrainian officials`` (a group with a capitalised modifier).

Limits, honestly: pronouns ("he said", "she told") are not resolved, so the speaker is "";
speakers are found only when they stand next to the verb (a participle such as
``..., saying "..."`` is attributed to no one); a quote spanning several sentences is seen only
where its marks are in the same paragraph; single quotation marks are not read (they collide with
apostrophes); names written in lower case, or a capitalised word that is not a name
("Istanbul Medinsky said"), fool the capitalisation rules; no coreference, so "Blinken" and
"Antony Blinken" are two speakers here (``compare.framing.lexicons.merge_speakers`` merges
surnames per event).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# Attribution verbs, every surface form mapped to one canonical (past tense) form, so that
# "says", "said" and "saying" count as one verb.
_VERB_FORMS: dict[str, tuple[str, ...]] = {
    "said": ("say", "says", "said", "saying"),
    "told": ("tell", "tells", "told", "telling"),
    "stated": ("state", "states", "stated", "stating"),
    "added": ("adds", "added", "adding"),
    "noted": ("notes", "noted", "noting"),
    "explained": ("explains", "explained", "explaining"),
    "announced": ("announces", "announced", "announcing"),
    "reported": ("reports", "reported", "reporting"),
    "wrote": ("writes", "wrote", "writing"),
    "asked": ("asks", "asked", "asking"),
    "replied": ("replies", "replied", "replying"),
    "responded": ("responds", "responded", "responding"),
    "confirmed": ("confirms", "confirmed", "confirming"),
    "declared": ("declares", "declared", "declaring"),
    "stressed": ("stresses", "stressed", "stressing"),
    "emphasized": ("emphasizes", "emphasized", "emphasised", "emphasises", "emphasizing"),
    "claimed": ("claims", "claimed", "claiming"),
    "alleged": ("alleges", "alleged", "alleging"),
    "insisted": ("insists", "insisted", "insisting"),
    "maintained": ("maintains", "maintained", "maintaining"),
    "asserted": ("asserts", "asserted", "asserting"),
    "admitted": ("admits", "admitted", "admitting"),
    "conceded": ("concedes", "conceded", "conceding"),
    "acknowledged": ("acknowledges", "acknowledged", "acknowledging"),
    "warned": ("warns", "warned", "warning"),
    "threatened": ("threatens", "threatened", "threatening"),
    "boasted": ("boasts", "boasted", "boasting"),
    "complained": ("complains", "complained", "complaining"),
    "denied": ("denies", "denied", "denying"),
    "dismissed": ("dismisses", "dismissed", "dismissing"),
    "accused": ("accuses", "accused", "accusing"),
    "argued": ("argues", "argued", "arguing"),
    "suggested": ("suggests", "suggested", "suggesting"),
    "revealed": ("reveals", "revealed", "revealing"),
    "vowed": ("vows", "vowed", "vowing"),
    "urged": ("urges", "urged", "urging"),
    "tweeted": ("tweets", "tweeted", "tweeting"),
}
_CANONICAL = {form: verb for verb, forms in _VERB_FORMS.items() for form in forms}
# Wikipedia MOS:SAID ("Words to watch") and the AP Stylebook treat "said" as the neutral
# attribution; the others carry a judgement. Verbs not listed here are "other".
VERB_NOTES: dict[str, str] = {
    **dict.fromkeys(("said", "told", "stated", "added", "noted", "announced", "reported",
                     "wrote", "asked", "replied", "responded", "according to", "tweeted"),
                    "neutral"),
    **dict.fromkeys(("confirmed", "explained", "revealed", "stressed", "emphasized",
                     "declared"), "loaded: lends credence"),
    **dict.fromkeys(("claimed", "alleged", "insisted", "maintained", "asserted"),
                    "loaded: casts doubt"),
    **dict.fromkeys(("admitted", "conceded", "acknowledged"), "loaded: implies concession"),
    **dict.fromkeys(("warned", "threatened", "boasted", "complained", "denied", "dismissed",
                     "accused", "argued", "vowed", "urged", "suggested"), "loaded: charged"),
}
# Verbs that are attribution whatever follows; the others need a cue (that, a colon, a quote).
_FREE_VERBS = {"said", "told"}

# Capitalised words that announce a person's name after them.
_TITLES = {
    "President", "Minister", "Secretary", "Spokesman", "Spokeswoman", "Spokesperson",
    "Ambassador", "Chancellor", "Premier", "Prime", "Deputy", "Chief", "Head", "Mr", "Mrs", "Ms",
    "Dr", "Gen", "General", "Sen", "Senator", "Rep", "Governor", "Mayor", "Commander", "Adviser",
    "Advisor", "Envoy", "Negotiator", "Chairman", "Director", "Speaker", "Pope", "King", "Queen",
    "Prince", "Lt", "Col", "Colonel", "Major", "Captain", "Admiral", "Marshal", "Patriarch",
    "Press", "Vice", "Acting", "Former", "Lieutenant", "Representative", "Aide",
}
# Capitalised words that belong to a title when a title is present ("Secretary of State").
_QUALIFIERS = {
    "State", "Foreign", "Defence", "Defense", "Affairs", "Interior", "Finance", "Justice",
    "Health", "Economy", "Trade", "National", "Security", "Council", "General",
}
# Lower-case words that may stand inside a speaker's description.
_DESCRIPTORS = {
    "spokesman", "spokeswoman", "spokesperson", "minister", "secretary", "president", "official",
    "officials", "head", "chief", "deputy", "adviser", "advisor", "aide", "ambassador", "envoy",
    "negotiator", "negotiators", "delegation", "agency", "news", "state-run", "state-owned",
    "state-controlled", "media", "outlet", "newspaper", "daily", "broadcaster", "ministry",
    "office", "leader", "commander", "governor", "mayor", "senior", "top", "former", "foreign",
    "defense", "defence", "press", "presidential", "military", "intelligence", "source", "sources",
    "diplomat", "diplomats", "analyst", "analysts", "expert", "experts", "correspondent",
    "representative", "representatives", "chairman", "director", "prosecutor", "prosecutors",
    "authorities", "government", "administration", "lawmaker", "lawmakers", "senator",
}
_CONNECTORS = {"of", "the", "for"}
# Capitalised words that begin sentences or name days, never speakers on their own.
_NOT_NAMES = {
    "The", "A", "An", "But", "And", "Or", "Then", "However", "Meanwhile", "Later", "Earlier",
    "Also", "So", "Yet", "Still", "Now", "Today", "Yesterday", "On", "In", "At", "After",
    "Before", "As", "When", "While", "He", "She", "It", "They", "We", "I", "You", "His", "Her",
    "Their", "This", "That", "These", "Those", "There", "Here", "Monday", "Tuesday", "Wednesday",
    "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March", "April", "May",
    "June", "July", "August", "September", "October", "November", "December", "Mr", "Mrs", "Ms",
}
# Words allowed between a speaker and the verb ("Blinken also said", "Peskov later told").
_BETWEEN = {"also", "later", "earlier", "then", "again", "repeatedly", "has", "had", "have",
            "was", "is", "reportedly", "previously", "separately", "further"}

_PRONOUNS = {"he", "she", "they", "it", "we", "i", "you"}

_TOKEN = re.compile(r"(?:[A-Z]\.){2,}|[^\W\d_]+(?:['’-][^\W\d_]+)*|\S", re.UNICODE)
# A quote never runs over a line break: a multi-paragraph quote (opened again on each
# paragraph, closed only at the last) would otherwise pair marks across paragraphs.
_QUOTE = re.compile(r"“([^“”\n]+)”|\"([^\"\n]+)\"|«([^«»\n]+)»")
_OPENERS = "\"“«"
_CUE_AFTER = re.compile(
    r"^(?:\s+(?:on|in|at|late|early|last|this|earlier|later|again|today|yesterday|[A-Z][a-z]+day|"
    r"reporters|journalists|[A-Z][\w'’-]*|the|a|an|\w+ly))*\s*(?:that\b|[,:;.!?]|[\"“«]|$)"
)
_ACCORDING = re.compile(r"\baccording to\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Quote:
    """A direct quote: ``text[char_start:char_end]`` is the quoted words, without the marks.

    ``speaker`` is the attributed speaker ("" when none is named next to the quote) and
    ``verb`` the canonical attribution verb ("said" for "says"; "" when none).
    """

    char_start: int
    char_end: int
    speaker: str = ""
    verb: str = ""


@dataclass(frozen=True)
class _Tok:
    text: str
    start: int
    end: int


def _tokens(text: str) -> list[_Tok]:
    return [_Tok(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _is_cap(word: str) -> bool:
    return word[:1].isupper() and word[:1].isalpha()


def _phrase_word(tok: _Tok) -> bool:
    """Whether a token can belong to a speaker phrase."""
    return _is_cap(tok.text) or tok.text in _DESCRIPTORS or tok.text in _CONNECTORS


def _phrase_before(toks: Sequence[_Tok], end: int) -> list[_Tok]:
    """The speaker-like phrase ending just before token index ``end`` (skipping adverbs)."""
    i = end - 1
    while i >= 0 and toks[i].text.lower() in _BETWEEN:
        i -= 1
    phrase: list[_Tok] = []
    while i >= 0 and _phrase_word(toks[i]):
        phrase.insert(0, toks[i])
        i -= 1
    return phrase


def _phrase_after(toks: Sequence[_Tok], start: int) -> list[_Tok]:
    """The speaker-like phrase starting at token index ``start`` ("a"/"an" skipped)."""
    i = start
    if i < len(toks) and toks[i].text.lower() in {"a", "an"}:
        i += 1
    phrase: list[_Tok] = []
    while i < len(toks) and _phrase_word(toks[i]):
        phrase.append(toks[i])
        i += 1
    return phrase


def normalise_speaker(words: Sequence[str]) -> str:
    """A speaker's name from the words that describe them.

    A titled person keeps the name after the last title word ("Secretary of State Antony
    Blinken" -> "Antony Blinken"; "Russian state-run news agency Tass" -> "Tass"); an
    institution keeps its whole name, with "the" when the text has it ("the Kremlin"); a group
    keeps its capitalised modifier ("Ukrainian officials"). Without any capitalised word, for a
    pronoun, or for a bare title ("the President", an anaphor), the speaker is "".
    """
    had_the = False
    words = list(words)
    while words and (words[0] in _NOT_NAMES or words[0].lower() in _CONNECTORS):
        had_the = words[0].lower() == "the"
        words.pop(0)
    while words and words[-1].lower() in _CONNECTORS:
        words.pop()
    if not any(_is_cap(w) and w not in _NOT_NAMES for w in words):
        return ""
    titled = any(w in _TITLES or w in _DESCRIPTORS for w in words)
    last = max((i for i, w in enumerate(words)
                if w in _TITLES or w in _DESCRIPTORS or (titled and w in _QUALIFIERS)), default=-1)
    name = [w for w in words[last + 1:] if w not in _NOT_NAMES]
    while name and name[0].lower() in _CONNECTORS:
        name.pop(0)
    if name and last >= 0:
        return " ".join(name)
    if all(w in _TITLES or w in _QUALIFIERS or not _is_cap(w) for w in words):
        return ""  # "the President", "the Adviser": an anaphor this reader cannot resolve
    return ("the " if had_the else "") + " ".join(words)


def _verb_at(tok: _Tok) -> str:
    return _CANONICAL.get(tok.text.lower(), "") if tok.text.islower() else ""


def _speaker_around_verb(toks: Sequence[_Tok], i: int) -> str:
    """The speaker of the verb at token ``i``: before it, else after it when inverted."""
    before = normalise_speaker([t.text for t in _phrase_before(toks, i)])
    if before:
        return before
    prev = toks[i - 1].text if i > 0 else ""
    if i == 0 or prev in {",", "\"", "”", "»", ":"}:
        return normalise_speaker([t.text for t in _phrase_after(toks, i + 1)])
    return ""


def _is_attribution(text: str, toks: Sequence[_Tok], i: int, verb: str) -> bool:
    """Whether the verb at token ``i`` introduces speech rather than, say, a land claim."""
    if verb in _FREE_VERBS:
        return True
    prev = toks[i - 1].text if i > 0 else ""
    if prev in {",", "\"", "”", "»"}:
        return True
    return bool(_CUE_AFTER.match(text[toks[i].end:]))


def _attributions(text: str, lo: int = 0, hi: int | None = None) -> list[tuple[int, str, str]]:
    """(position, speaker, verb) for every attribution verb in ``text[lo:hi]``, outside quotes."""
    hi = len(text) if hi is None else hi
    quoted = [(m.start(), m.end()) for m in _QUOTE.finditer(text)]
    toks = _tokens(text)
    found = []
    for i, tok in enumerate(toks):
        if not lo <= tok.start < hi or any(s < tok.start < e for s, e in quoted):
            continue
        verb = _verb_at(tok)
        if verb and _is_attribution(text, toks, i, verb):
            found.append((tok.start, _speaker_around_verb(toks, i), verb))
    for m in _ACCORDING.finditer(text, lo, hi):
        rest = _tokens(text[m.end():])
        speaker = normalise_speaker([t.text for t in _phrase_after(rest, 0)])
        found.append((m.start(), speaker, "according to"))
    return sorted(found)


def _after_quote(text: str, end: int) -> tuple[str, str]:
    """Attribution right after a closing quote mark: ``," Blinken said`` / ``," said Blinken``."""
    toks = _tokens(text[end:end + 160])
    j = 0
    while j < len(toks) and toks[j].text in {",", "”", "\"", "»"}:
        j += 1
    for k in range(j, min(j + 8, len(toks))):
        verb = _verb_at(toks[k])
        if verb and k == j:
            return normalise_speaker([t.text for t in _phrase_after(toks, k + 1)]), verb
        if verb:
            return normalise_speaker([t.text for t in _phrase_before(toks, k)]), verb
        word = toks[k].text
        if not (_phrase_word(toks[k]) or word.lower() in _BETWEEN or word.lower() in _PRONOUNS):
            break
    return "", ""


def _before_quote(text: str, start: int) -> tuple[str, str]:
    """Attribution right before an opening quote: ``Medinsky told reporters "..."``."""
    head = text[max(0, start - 200):start]
    toks = _tokens(head)
    # At most three words (an object such as "reporters") between the verb and the quote.
    k = len(toks) - 1
    while k >= 0 and toks[k].text in {":", ","}:
        k -= 1
    for i in range(k, max(-1, k - 4), -1):
        verb = _verb_at(toks[i])
        if verb:
            return _speaker_around_verb(toks, i), verb
        if not toks[i].text.isalpha():
            break
    return "", ""


def find_quotes(text: str) -> list[Quote]:
    """Direct quotes in ``text`` with their speaker and verb, in text order.

    The speaker is looked for right after the quote, then right before it, then (for a quote
    embedded in a sentence, ``Blinken called the moves "delaying tactics"``) at the nearest
    attribution verb earlier in the same sentence. Indirect speech is not a quote; see
    ``attribution``.

    Args:
        text: a sentence, paragraph or article.

    Returns:
        One ``Quote`` per pair of quote marks, spans pointing inside the marks.
    """
    quotes = []
    for m in _QUOTE.finditer(text):
        group = next(g for g in (1, 2, 3) if m.group(g) is not None)
        speaker, verb = _after_quote(text, m.end())
        if not verb:
            speaker, verb = _before_quote(text, m.start())
        if not verb:
            sentence_start = max(text.rfind(p, 0, m.start()) for p in (". ", "! ", "? ", "\n"))
            earlier = _attributions(text, max(sentence_start, 0), m.start())
            if earlier:
                _pos, speaker, verb = earlier[-1]
        quotes.append(Quote(m.start(group), m.end(group), speaker, verb))
    return quotes


def attribution(sentence: str) -> tuple[str, str]:
    """Who a sentence attributes its content to, and with which verb.

    Direct quotes with a named speaker win; then the first indirect attribution
    (``Peskov said that ...``, ``according to Tass``) with a named speaker; then the first
    attribution verb with no named speaker (``he said`` -> ``("", "said")``).

    Args:
        sentence: one passage's text.

    Returns:
        ``(speaker, verb)``; ``("", "")`` when the sentence attributes nothing.
    """
    quotes = find_quotes(sentence)
    for q in quotes:
        if q.speaker:
            return q.speaker, q.verb
    found = _attributions(sentence)
    for _pos, speaker, verb in found:
        if speaker:
            return speaker, verb
    verbs = [q.verb for q in quotes if q.verb] + [verb for _pos, _s, verb in found]
    return ("", verbs[0]) if verbs else ("", "")


def attribution_verbs(sentence: str) -> list[str]:
    """Every canonical attribution verb a sentence uses, in text order, with repeats."""
    found = {(pos, verb) for pos, _s, verb in _attributions(sentence)}
    return [verb for _pos, verb in sorted(found)]
