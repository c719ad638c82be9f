"""The checkable details of a passage: numbers, dates, names, negation; and how two differ.

Two outlets can state "the same fact" and still disagree on what matters most: how many were
killed, on which day, who did it, whether it happened at all. The same-fact verifier reads these
details as signals (shared names and numbers raise the probability, a negation on one side only
lowers it), and a verified pair whose details disagree is marked with what differs
(:func:`relation`).

Rules, in any language the tokenizer reads: numbers are written digits ("14,000", "2.5"), and
a figure counts the word right after it ("820 people"; in English a spelled-out count too,
"three people", for what two passages count); dates are a day, or a range of days,
with a month name (English, Russian, Ukrainian, German, French, Spanish, Italian, Polish,
Turkish month names), or written with numbers in Chinese, Japanese and Korean ("3月29日");
names are capitalised words after the first word of the sentence,
transliterated to ASCII (anyascii) and reduced to their first four consonants, so "Zelensky",
"Zelenskiy" and "Зеленский" meet, and so do "Kyiv" and "Киев", "Russia" and "Россия"; the
subject is the first name outside quotes, past a dateline and titles; negation is a word from
a short per-language list. Limits: spelled-out numbers are read only as English counts (two to
ninety: not "one", not the inflected forms of other languages, not as the verifier's numbers);
a capitalised common noun (every German noun) counts as a name; negation is lexical ("not
only" counts); the subject is a heuristic, not a parse, which is why ``actor`` is read only
between passages that share most of their wording.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

import numpy as np
from scipy import sparse

from corpus.text import NUMBER, WORD, number_value
from corpus.text import words as text_words

# English month names (the numbers' reader takes these too: compare.facts.numbers), then the
# other languages' (genitive and nominative forms).
ENGLISH_MONTHS: dict[int, tuple[str, ...]] = {
    1: ("january", "jan"),
    2: ("february", "feb"),
    3: ("march", "mar"),
    4: ("april", "apr"),
    5: ("may",),
    6: ("june", "jun"),
    7: ("july", "jul"),
    8: ("august", "aug"),
    9: ("september", "sep", "sept"),
    10: ("october", "oct"),
    11: ("november", "nov"),
    12: ("december", "dec"),
}
_OTHER_MONTHS: dict[int, tuple[str, ...]] = {
    1: ("января", "январь", "січня", "januar", "janvier", "enero", "gennaio", "stycznia", "ocak"),
    2: ("февраля", "февраль", "лютого", "februar", "février", "febrero", "febbraio", "lutego",
        "şubat"),
    3: ("марта", "март", "березня", "märz", "mars", "marzo", "marca", "mart"),
    4: ("апреля", "апрель", "квітня", "avril", "abril", "aprile", "kwietnia", "nisan"),
    5: ("мая", "май", "травня", "mai", "mayo", "maggio", "maja", "mayıs"),
    6: ("июня", "июнь", "червня", "juni", "juin", "junio", "giugno", "czerwca", "haziran"),
    7: ("июля", "июль", "липня", "juli", "juillet", "julio", "luglio", "lipca", "temmuz"),
    8: ("августа", "август", "серпня", "août", "agosto", "sierpnia", "ağustos"),
    9: ("сентября", "сентябрь", "вересня", "septembre", "septiembre", "settembre", "września",
        "eylül"),
    10: ("октября", "октябрь", "жовтня", "oktober", "octobre", "octubre", "ottobre",
         "października", "ekim"),
    11: ("ноября", "ноябрь", "листопада", "novembre", "noviembre", "listopada", "kasım"),
    12: ("декабря", "декабрь", "грудня", "dezember", "décembre", "diciembre", "dicembre",
         "grudnia", "aralık"),
}
_MONTHS = {m: ENGLISH_MONTHS[m] + _OTHER_MONTHS[m] for m in ENGLISH_MONTHS}
_MONTH_OF = {name: month for month, names in _MONTHS.items() for name in names}
_MONTH_ALT = "|".join(sorted(map(re.escape, _MONTH_OF), key=len, reverse=True))
# A day and month either way round; a range of days ("28-30 March", "March 28-30") is every
# day in it, so "talks on March 28-30" and "talks on 29 March" do not differ in date. A month
# with a day on each side is read with the day after it: "the 19 Sept. 11 hijackers" is 11
# September, and 19 counts the hijackers.
_RANGE_END = r"(?:\s*[-–—]\s*(?P<{}>[0-3]?\d))?"
_DATE = re.compile(
    rf"\b(?P<d1>[0-3]?\d){_RANGE_END.format('e1')}(?:st|nd|rd|th)?\.?\s+(?:of\s+)?"
    rf"(?P<m1>{_MONTH_ALT})\b(?!\.?\s+[0-3]?\d\b)"
    rf"|\b(?P<m2>{_MONTH_ALT})\.?\s+(?P<d2>[0-3]?\d)(?:st|nd|rd|th)?"
    rf"{_RANGE_END.format('e2')}\b",
    re.IGNORECASE,
)
# Chinese, Japanese and Korean write a date with numbers: "3月29日" (colloquially "3月29号"),
# "3월 29일".
_NUMBERED_DATE = re.compile(r"(?<!\d)(?P<m>1[0-2]|0?[1-9])\s?[月월]\s?(?P<d>[0-3]?\d)\s?[日号號일]")
_YEAR = re.compile(r"^(1[89]|20)\d\d$")
_DIGIT = re.compile(r"\d")
# What a figure counts: the word right after it ("820 people", "$716 billion", "36 percent").
_COUNTED = re.compile(r"\s?(%|[^\W\d_]+)")
# English news spells small counts out ("Three people were killed", AP style under ten): a
# number word counts the word after it like a written figure. Only the counts read them (what
# ``relation`` compares in one language), not the verifier's numbers and figures. "One" is
# left out ("no one knows", "one of the"), and so are the other languages' inflected forms.
SPELLED_NUMBERS = {word: value for value, word in enumerate(
    ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
     "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
     "twenty"], start=2)} | {word: 10 * k for k, word in enumerate(
         ["thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], start=3)}
_SPELLED_NUMBER = re.compile(rf"\b(?:{'|'.join(SPELLED_NUMBERS)})\b(?![-‐‑])", re.IGNORECASE)
# A rank is no count ("the No. 2 job").
_RANK = re.compile(r"(?:\bNo\.|#|№)\s?$")
# Recorded in each run's parameters: a change in what the details read changes the run.
DETAILS_VERSION = ("day-ranges;apostrophes;subjects;counts;negation-scope;"
                   "month-between-numbers;mixed-quotes;spelled-counts;translated-figures;"
                   "numbered-dates;spelled-figures;contains")
# Negation words per language (the lexical core: particles, "never", "without", "no one").
NEGATIONS = frozenset({
    # English
    "not", "no", "never", "neither", "nor", "none", "nobody", "nothing", "without", "cannot",
    "n't", "didn't", "doesn't", "don't", "isn't", "wasn't", "weren't", "aren't", "won't",
    "wouldn't", "couldn't", "shouldn't", "hasn't", "haven't", "hadn't", "can't",
    # Russian, Ukrainian
    "не", "нет", "ни", "никогда", "без", "ничего", "никто", "ні", "ніколи", "немає", "ніхто",
    "нічого",
    # German, French, Spanish, Italian, Polish, Turkish
    "nicht", "kein", "keine", "keinen", "keiner", "keinem", "nie", "niemals", "ohne",
    "ne", "pas", "jamais", "aucun", "aucune", "sans", "nunca", "sin", "ningún", "ninguna",
    "tampoco", "non", "senza", "nessun", "nessuna", "nigdy", "bez", "değil",
    "hiç", "asla",
})
_NAME_KEY_CHARS = 4
_NAME_MIN_CHARS = 2


@dataclass(frozen=True)
class PassageDetails:
    """What a passage states that can be checked against another outlet's passage."""

    numbers: frozenset[str]  # every written number, canonical ("14000", "2.5")
    figures: frozenset[str]  # numbers that count something: not years, not days of dates
    counts: frozenset[tuple[str, str]]  # (what is counted: the next word's key, figure)
    dates: frozenset[str]  # "MM-DD" of day-and-month dates
    names: frozenset[str]  # name keys (transliterated consonant skeletons)
    subject: str  # the key of the first name (who the sentence is about), or ""
    negated: bool
    words: tuple[str, ...] = ()  # the words in order, lower case (where a negation stands)


@lru_cache(maxsize=65536)
def name_key(word: str) -> str:
    """A name's key: the first four consonants of its ASCII transliteration, lower case.

    Vowels are where transliterations and inflections disagree ("Kyiv" / "Kiev" / "Киева",
    "Zelensky" / "Zelenskiy" / "Зеленского", "Russia" / "Россия"), consonants mostly agree, so
    the consonant skeleton meets across scripts and cases: kv, zlns, rss. ``""`` for names with
    fewer than two consonants.

    An English possessive keeps its "s" ("Putin’s" is ptns, "Putin" ptn): reading it as the
    name itself, with the verifier retrained, gave no measured gain.
    """
    from anyascii import anyascii

    consonants = re.sub(r"[^a-z]|[aeiouy]", "", anyascii(word).lower())
    return consonants[:_NAME_KEY_CHARS] if len(consonants) >= _NAME_MIN_CHARS else ""


@lru_cache(maxsize=64)
def stopwords(language: str) -> frozenset[str]:
    """Function words of a language (scikit-learn's list for English, stopwords-iso for the
    others; empty for a language neither knows)."""
    if language in ("en", ""):
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        return frozenset(ENGLISH_STOP_WORDS)
    import stopwordsiso

    return frozenset(stopwordsiso.stopwords(language)) if stopwordsiso.has_lang(language) \
        else frozenset()


def _dates(text: str) -> tuple[set[str], set[str]]:
    """(``"MM-DD"`` keys, the numbers they used: days, and months written as numbers)."""
    keys: set[str] = set()
    days: set[str] = set()
    if not _DIGIT.search(text):  # every date here has a day number
        return keys, days
    for m in _DATE.finditer(text):
        first, last, month = (m.group("d1", "e1", "m1") if m.group("d1")
                              else m.group("d2", "e2", "m2"))
        start = int(first)
        end = int(last) if last and start < int(last) <= 31 else start
        for number in range(start, end + 1):
            if 1 <= number <= 31:
                keys.add(f"{_MONTH_OF[month.lower()]:02d}-{number:02d}")
                days.add(str(number))
    for m in _NUMBERED_DATE.finditer(text):
        month, day = int(m.group("m")), int(m.group("d"))
        if 1 <= day <= 31:
            keys.add(f"{month:02d}-{day:02d}")
            days |= {str(month), str(day)}
    return keys, days


def _may_name(word: str, first: bool) -> bool:
    """Whether a word may be (part of) a name: capitalised, no month or function word, and not
    a common opener ("Officials said") when it opens the sentence."""
    lower = word.lower()
    return (word[0].isupper() and lower not in _MONTH_OF and lower not in stopwords("en")
            and not (first and lower in _COMMON_OPENERS))


def _names(text: str, language: str) -> list[str]:
    """Name keys of the capitalised words; the sentence's first word only when it is neither a
    function word of the language nor a common opener ("Officials said")."""
    keys = []
    for i, m in enumerate(WORD.finditer(text)):
        if not _may_name(m.group(), i == 0):
            continue
        key = name_key(m.group())
        if key:
            keys.append(key)
    return keys


# Capitalised sentence openers that are not names (beyond the stop word lists).
_COMMON_OPENERS = frozenset({
    "officials", "police", "authorities", "troops", "forces", "witnesses",
    "residents", "talks", "negotiators", "sources", "analysts", "experts",
    "critics", "protesters", "lawmakers", "soldiers", "people", "earlier",
    "later", "meanwhile", "separately", "today", "yesterday",
    # function words that open sentences in the other languages read here (stop word lists
    # are not used: stopwords-iso's Russian list holds "россия")
    "он", "она", "оно", "они", "это", "этот", "эта", "эти", "в", "во", "на", "по", "как", "так",
    "но", "и", "а", "при", "после", "до", "для", "также", "однако", "кроме", "с", "со", "у",
    "из", "за", "о", "об", "что", "когда", "где", "тем", "все", "его", "ее", "её", "их", "мы",
    "вы", "я", "він", "вона", "вони", "це", "і", "та", "але", "після", "der", "die", "das",
    "ein", "eine", "er", "sie", "es", "wir", "im", "am", "auf", "nach", "bei", "mit", "und",
    "aber", "auch", "diese", "dieser", "le", "la", "les", "un", "une", "il", "elle", "ils",
    "elles", "dans", "au", "aux", "et", "mais", "ce", "cette", "selon", "el", "los", "las",
    "una", "en", "y", "pero", "según", "este", "esta"})


# Words that stand before a name without being who acts: titles ("Mr. Strzok", "Sen. Reid",
# "Senator Reid" are the same actor), weekdays, party and role words that open a sentence.
_NOT_ACTORS = frozenset({
    "mr", "mrs", "ms", "miss", "dr", "sen", "senator", "rep", "representative", "gov",
    "governor", "gen", "general", "lt", "col", "capt", "sgt", "adm", "prof", "president",
    "vice", "prime", "minister", "secretary", "mayor", "judge", "justice", "speaker", "leader",
    "chairman", "chairwoman", "deputy", "chief", "director", "sir", "lord", "lady", "st",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "republican", "republicans", "democrat", "democrats", "democratic", "conservative",
    "liberal", "update", "updated", "according", "breaking", "exclusive", "watch", "read",
    "господин", "госпожа", "президент", "премьер", "министр", "глава", "пан", "пані",
})
# A quote, its marks as scraped text mixes them ("“Like most Americans, ...," Sanders said."
# opens curly and closes straight).
_QUOTED = re.compile(r"[“\"„][^”\"“]*[”\"“]|«[^»]*»|‘[^’]*’")
_DATELINE = re.compile(r"^[A-ZА-ЯЁ][A-ZА-ЯЁ .,'’()/-]{2,}\s*[—―–-]\s")


def _subject(text: str) -> str:
    """The key of who the sentence is about: its first name outside quotes, after a dateline
    ("WASHINGTON —"), past titles ("Mr.", "Sen.") and an opening word that is no name
    ("According", "Talking", "Republican"); "" when none."""
    text = _DATELINE.sub(lambda m: " " * len(m.group()), text)
    text = _QUOTED.sub(lambda m: " " * len(m.group()), text)
    found = list(WORD.finditer(text))
    for i, m in enumerate(found):
        lower = m.group().lower()
        if not _may_name(m.group(), i == 0) or lower in _NOT_ACTORS or (
                i == 0 and lower.endswith(("ing", "ly", "ed"))):
            continue
        # a name of several words is keyed by its last ("Harry Reid", "Vladimir V. Putin")
        end = i
        while end + 1 < len(found) and found[end + 1].group()[0].isupper() and \
                re.fullmatch(r"\s|\.?\s|\s\w\.\s", text[found[end].end():found[end + 1].start()]):
            end += 1
        key = name_key(found[end].group())
        if key:
            return key
    return ""


def passage_details(text: str, language: str = "") -> PassageDetails:
    """The checkable details of one passage (see the module docstring)."""
    written = [(m, number_value(m.group())) for m in NUMBER.finditer(text)]
    numbers = {value for _, value in written}
    dates, days = _dates(text)
    figures = {n for n in numbers if not _YEAR.match(n) and n not in days}
    counted = [(m, value) for m, value in written if value in figures]
    if language in ("en", ""):
        counted += [(m, str(SPELLED_NUMBERS[m.group().lower()]))
                    for m in _SPELLED_NUMBER.finditer(text)]
    counts = set()
    for m, value in counted:
        thing = _COUNTED.match(text, m.end())
        word = thing.group(1).lower() if thing else ""
        rank = _RANK.search(text[max(0, m.start() - 4):m.start()])
        if word and word not in stopwords(language) and not rank and word not in _MONTH_OF:
            counts.add(("%" if word in ("%", "percent") else word.rstrip("s")[:6], value))
    names = _names(text, language)
    # a typographic apostrophe ("won’t") is read as the plain one
    plain = text.replace("\u2019", "'").replace("\u02bc", "'")
    sequence = tuple(text_words(plain))
    words = set(sequence) | set(re.findall(r"\w+n't", plain.lower()))
    return PassageDetails(
        numbers=frozenset(numbers), figures=frozenset(figures), counts=frozenset(counts),
        dates=frozenset(dates),
        names=frozenset(names), subject=_subject(text),
        negated=bool(words & NEGATIONS), words=sequence,
    )


def _counts_differ(a: PassageDetails, b: PassageDetails, same_language: bool) -> bool:
    """Whether the two give different figures for one thing: in one language, a thing both
    count ("50,000 pages" / "55,000 pages") with no figure in common; across languages, where
    the counted word cannot be compared, figures on both sides and none in common, or as many
    figures on each side with one of each side's missing from the other (a magnitude and a
    toll, "6.1 ... 12 dead" / "6,1 ... 15 muertos": the toll differs; a figure only one side
    gives is a detail the other leaves out, not a disagreement)."""
    if not same_language:
        if not (a.figures and b.figures):
            return False
        return not a.figures & b.figures or (
            len(a.figures) == len(b.figures) and a.figures != b.figures)
    for thing in {t for t, _ in a.counts} & {t for t, _ in b.counts}:
        if not {v for t, v in a.counts if t == thing} & {v for t, v in b.counts if t == thing}:
            return True
    return False


def relation(a: PassageDetails, b: PassageDetails, overlap: float = 1.0,
             same_language: bool = True) -> str:
    """What differs between two passages stating the same fact.

    Checked in this order, one answer per pair:

    - ``number``: different figures for one thing (:func:`_counts_differ`: two ages beside a
      follower count are no disagreement);
    - ``date``: both date it, differently;
    - ``negation``: one side is negated and the other not, read only when ``overlap`` (a
      lexical similarity in 0..1) reaches :data:`NEGATION_MIN_OVERLAP`, since a "not" elsewhere
      in a long sentence says nothing about the shared claim; in one language, only where the
      "not" stands right before shared words (:func:`_negates_shared`);
    - ``actor``: in one language only (a translation reorders the sentence, so its first name
      is no subject), with ``overlap`` as for a negation: both name who acts, the names
      differ, neither names the other's, and they share another name (the same scene, a
      different doer). The overlap condition is there because paraphrases name their first
      actor in different places ("Goelman said ... Bowdich overruled" / "Mr. Strzok's lawyer
      said Bowdich had overruled");
    - ``contains``: no difference above, and one passage is at least twice as long as the
      other (:data:`CONTAINS_RATIO`): it states the fact inside a longer passage
      (:func:`larger_side` says which);
    - else ``same``.
    """
    if _counts_differ(a, b, same_language):
        return "number"
    if a.dates and b.dates and not a.dates & b.dates:
        return "date"
    if a.negated != b.negated and overlap >= NEGATION_MIN_OVERLAP and (
            not same_language or _negates_shared(*((a, b) if a.negated else (b, a)))):
        return "negation"
    if (same_language and overlap >= NEGATION_MIN_OVERLAP and a.subject and b.subject
            and a.subject != b.subject
            and a.subject not in b.names
            and b.subject not in a.names and (a.names - {a.subject}) & (b.names - {b.subject})):
        return "actor"
    shorter, longer = sorted((len(a.words), len(b.words)))
    if longer and shorter / longer <= CONTAINS_RATIO:
        return "contains"
    return "same"


# A same-fact pair is ``contains`` when the shorter passage has at most this share of the
# longer one's words; on the claims gold's same-fact pairs this picks the `contains` label over
# `same` about two times in three (docs/evaluation.md#contains).
CONTAINS_RATIO = 0.5


def larger_side(a: PassageDetails, b: PassageDetails) -> str:
    """``"a"`` or ``"b"``: the side with more words (``"a"`` on a tie)."""
    return "b" if len(b.words) > len(a.words) else "a"


def _is_negation(word: str) -> bool:
    return word in NEGATIONS or word.endswith("n't")


# How far after a negation the words it negates are looked for ("did not attend the meeting":
# "the meeting" is shared with "attended the meeting"), and how many words in a row two
# passages must share there (one shared "the" is no shared claim).
NEGATION_SCOPE_WORDS = 3
NEGATION_SHARED_RUN = 2


def _negates_shared(negated: PassageDetails, other: PassageDetails) -> bool:
    """Whether a negation of ``negated`` stands right before wording it shares with
    ``other``: the two say the same words, one of them with "not".

    The two word sequences are aligned (difflib); a negation counts when one of the
    :data:`NEGATION_SCOPE_WORDS` words after it lies in a shared run of at least
    :data:`NEGATION_SHARED_RUN` words. "If they don't pass this bill" against "To pass this
    bill" differs in a negation; a longer quote whose extra clause holds one ("... the best
    deal possible and if we don't get it, there should be no deal" against the quote that stops
    at "possible"; "We can't afford to be politically correct anymore" after the shared part)
    does not: the shorter passage does not state what the "not" negates.
    """
    shared = np.zeros(len(negated.words), dtype=bool)
    matcher = SequenceMatcher(None, negated.words, other.words, autojunk=False)
    for block in matcher.get_matching_blocks():
        if block.size >= NEGATION_SHARED_RUN:
            shared[block.a : block.a + block.size] = True
    return any(_is_negation(word) and shared[k + 1 : k + 1 + NEGATION_SCOPE_WORDS].any()
               for k, word in enumerate(negated.words))


# Lexical similarity (character n-gram cosine of the transliterations) from which a negation
# on one side only is the difference: a pair this close says the same words, one with "not".
NEGATION_MIN_OVERLAP = 0.5


def indicator_matrix(sets: Sequence[Iterable[str]]) -> sparse.csr_matrix:
    """A binary ``(len(sets), vocabulary)`` CSR matrix: row i marks the members of sets[i]."""
    vocabulary: dict[str, int] = {}
    rows, cols = [], []
    for i, members in enumerate(sets):
        for member in sorted(set(members)):
            rows.append(i)
            cols.append(vocabulary.setdefault(member, len(vocabulary)))
    data = np.ones(len(rows), dtype=np.float32)
    return sparse.csr_matrix((data, (rows, cols)), shape=(len(sets), max(len(vocabulary), 1)))
