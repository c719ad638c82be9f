"""The passages as the framing signals read them: arrays sorted by event, outlet and passage
id, with every per-passage feature computed once.

Features: the terms (``passage_terms`` counted into one sparse passages x terms matrix, so an
event's or topic's counts are row sums), the language code, and the English lexicons' hits
(read in English passages and passages of unknown language only). Tone and speakers are read
from the passages table as given (computed upstream, in ``analyze`` and ``compare.text.passages``).
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from compare.errors import CompareError
from compare.framing.lexicons import find_hedges, find_intensifiers
from compare.text.quotes import attribution_verbs
from corpus.text import LETTER_OR_MARK, find_words

_NEEDED = ("passage_id", "outlet", "event_id", "topic_id", "text")
# Languages the English lexicons (hedges, intensifiers, attribution verbs) are counted in; ""
# is unknown, read as the corpus' usual English.
_LEXICON_LANGUAGES = ("en", "")
STOPWORDS = frozenset(ENGLISH_STOP_WORDS)
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
# The same where a text has combining marks (Devanagari vowel signs: corpus.text.MARKS)
_MARKED_WORD = re.compile(rf"[^\W\d_]{LETTER_OR_MARK}*(?:-[^\W\d_]{LETTER_OR_MARK}*)*")


def term_words(text: str) -> list[str]:
    """The ``WORD`` tokens of ``text``, a run of Chinese or Japanese script read as its
    character pairs (``corpus.text.unspaced_pairs``)."""
    return find_words(WORD, _MARKED_WORD, text)


# n-grams never cross punctuation: "Kremlin, Peskov" is not a phrase.
_CHUNK = re.compile(r"[.,;:!?()\[\]\"“”«»—–/]")


def passage_terms(text: str, ngram_max: int = 2) -> list[str]:
    """Lower-cased unigrams and n-grams up to ``ngram_max`` of a text, stopwords removed.

    Tokens are runs of letters, hyphens inside ("de-escalation"); an n-gram has no stopword
    or one-letter word in it and never crosses punctuation.
    """
    terms: list[str] = []
    for chunk in _CHUNK.split(text.lower()):
        words = [w if w not in STOPWORDS and len(w) > 1 else "" for w in term_words(chunk)]
        for n in range(1, ngram_max + 1):
            for i in range(len(words) - n + 1):
                gram = words[i:i + n]
                if all(gram):
                    terms.append(" ".join(gram))
    return terms


def segments(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of equal values in a sorted array: the values, where each run starts and ends."""
    if not len(values):
        return values[:0], np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    cut = np.flatnonzero(values[1:] != values[:-1]) + 1
    starts, ends = np.concatenate(([0], cut)), np.concatenate((cut, [len(values)]))
    return values[starts], starts, ends


def _term_matrix(texts: Sequence[str], ngram_max: int) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Each passage's ``passage_terms`` counted: passages x terms (CSR) and the sorted terms.

    The layout of scikit-learn's CountVectorizer, built here because CountVectorizer refuses a
    corpus without a single term.
    """
    found = [passage_terms(t, ngram_max) for t in texts]
    vocab = np.array(sorted(set(chain.from_iterable(found))), dtype=object)
    column = {term: i for i, term in enumerate(vocab)}
    cols = np.fromiter((column[t] for terms in found for t in terms), dtype=np.int64)
    rows = np.repeat(np.arange(len(found)), [len(terms) for terms in found])
    counts = sparse.coo_matrix((np.ones(len(cols), dtype=np.int64), (rows, cols)),
                               shape=(len(found), len(vocab)))
    return counts.tocsr(), vocab


@dataclass(frozen=True)
class Passages:
    """The passages as arrays, sorted by event, outlet and passage id, with the per-passage
    features every signal reads, each computed once."""

    event_id: np.ndarray
    outlet: np.ndarray
    passage_id: np.ndarray
    text: list[str]
    language: np.ndarray  # ISO 639-1, "": unknown
    is_quote: np.ndarray
    tone: np.ndarray  # NaN: not measured
    speaker: list[str]  # "": none
    lexicon: dict[str, list[list[str]]]  # "attribution_verb", "hedge", "intensifier"
    lexicon_read: np.ndarray  # the lexicons were read (English or unknown language)
    terms: sparse.csr_matrix  # passages x vocab counts
    vocab: np.ndarray  # sorted terms
    words: np.ndarray  # unigrams per passage (topic word choice needs enough of them)


def prepare_passages(passages: pd.DataFrame, ngram_max: int
                     ) -> tuple[Passages, dict[Any, np.ndarray],
                                dict[Any, list[tuple[str, np.ndarray]]]]:
    """The passages as arrays, each event's rows and each event's topics with their rows.

    Raises:
        CompareError: a needed passage column is missing.
    """
    missing = [c for c in _NEEDED if c not in passages.columns]
    if missing:
        raise CompareError(f"framing needs passage column(s) {', '.join(missing)}; "
                           f"pass the passages table of DESIGN.md")
    df = passages.assign(topic_id=passages["topic_id"].fillna("").astype(str))
    df = df.sort_values(["event_id", "outlet", "passage_id"], ignore_index=True)
    texts = df["text"].tolist()
    terms, vocab = _term_matrix(texts, ngram_max)
    language = _languages(df)
    read = np.isin(language, _LEXICON_LANGUAGES)
    p = Passages(
        event_id=df["event_id"].to_numpy(dtype=object),
        outlet=df["outlet"].to_numpy(dtype=object),
        passage_id=df["passage_id"].to_numpy(dtype=object),
        text=texts, language=language,
        is_quote=(df["is_quote"].astype(bool).to_numpy() if "is_quote" in df
                  else np.zeros(len(df), dtype=bool)),
        tone=(df["tone"].to_numpy(dtype=float) if "tone" in df
              else np.full(len(df), math.nan)),
        speaker=(df["speaker"].fillna("").astype(str).tolist() if "speaker" in df
                 else [""] * len(df)),
        # English lexicons, read where they apply (the other passages leave their rates too).
        lexicon={signal: [find(t) if ok else [] for t, ok in zip(texts, read, strict=True)]
                 for signal, find in (("attribution_verb", attribution_verbs),
                                      ("hedge", find_hedges),
                                      ("intensifier", find_intensifiers))},
        lexicon_read=read, terms=terms, vocab=vocab,
        words=terms @ np.array([" " not in t for t in vocab], dtype=np.int64))
    events = df.groupby("event_id", sort=True).indices
    topics: dict[Any, list[tuple[str, np.ndarray]]] = defaultdict(list)
    by_topic = df.groupby(["event_id", "topic_id"], sort=True).indices
    for (event_id, topic_id), rows in by_topic.items():
        if topic_id != "":
            topics[event_id].append((topic_id, rows))
    return p, events, topics


def _languages(df: pd.DataFrame) -> np.ndarray:
    """Each passage's ISO 639-1 code ("en-GB" -> "en"); "" where unknown or absent."""
    if "language" not in df:
        return np.full(len(df), "", dtype=object)
    codes = df["language"].fillna("").astype(str).str.strip().str.lower()
    return codes.str.replace(r"[-_].*", "", regex=True).to_numpy(dtype=object)


def by_language(p: Passages, rows: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """``rows`` split by language (sorted), each part in its original order."""
    languages = p.language[rows]
    return [(code, rows[languages == code]) for code in sorted(set(languages.tolist()))]
