"""``same_fact``: the verifier's probability for any two lists of texts, in any languages."""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from compare.embed.scales import MULTILINGUAL_ENCODER, WIDE_ENCODER, reads_minilm
from compare.errors import CompareError
from compare.facts.signals import PassageSignals, passage_signals
from compare.facts.verifier import load_verifier, verify_pairs


def same_fact(texts_a: str | Sequence[str], texts_b: str | Sequence[str], *,
              languages_a: str | Sequence[str] | None = None,
              languages_b: str | Sequence[str] | None = None) -> np.ndarray:
    """The calibrated probability that ``texts_a[i]`` and ``texts_b[i]`` state the same fact,
    for any pair of languages.

    Args:
        texts_a, texts_b: two equally long sequences of passages (sentences). One text given
            as a plain string is scored against every text of the other side
            (``same_fact(query, candidates)``).
        languages_a, languages_b: ISO 639-1 codes when known (a sequence, or one code for
            every text of its side); detected otherwise, the texts of the call read together
            (:func:`corpus.language.detect_languages`: a short Russian sentence among Russian
            ones is not taken for Bulgarian); a text too short to guess is read as the other
            side's language.

    Returns:
        ``(n,)`` float64 probabilities, one per pair. The threshold for "the same fact" is
        :data:`compare.SAME_FACT_THRESHOLD`. A text without a letter or a digit states no
        fact: its pairs get 0.

    Raises:
        CompareError: the two sides differ in length, or an item is not a string (a missing
            value of a table column, for one).
    """
    from corpus.language import detect_languages

    side_a, side_b = _texts("texts_a", texts_a), _texts("texts_b", texts_b)
    if isinstance(texts_a, str) and not isinstance(texts_b, str):
        side_a *= len(side_b)
    if isinstance(texts_b, str) and not isinstance(texts_a, str):
        side_b *= len(side_a)
    if len(side_a) != len(side_b):
        raise CompareError(f"same_fact needs pairs: got {len(side_a)} and {len(side_b)} texts")
    n = len(side_a)
    if n == 0:
        return np.zeros(0)
    texts = [*side_a, *side_b]
    given: list[str | None] = [*_languages("languages_a", languages_a, n),
                               *_languages("languages_b", languages_b, n)]
    unknown = [k for k, lang in enumerate(given) if lang is None]
    detected = dict(zip(unknown, detect_languages([texts[k] for k in unknown]), strict=True))
    languages = [detected[k] if lang is None else lang for k, lang in enumerate(given)]
    signals = text_signals(texts, languages)
    pairs = np.column_stack([np.arange(n), n + np.arange(n)])
    probability = verify_pairs(signals, pairs, load_verifier())
    empty = np.array([not _CONTENT.search(t) for t in texts])
    probability[empty[:n] | empty[n:]] = 0.0
    return probability


# A text states something only if it holds a letter or a digit: two blank texts (or two lines
# of punctuation) are no fact told twice, though their vectors meet.
_CONTENT = re.compile(r"[^\W_]")


def text_signals(texts: Sequence[str], languages: Sequence[str], store: Any = None
                 ) -> PassageSignals:
    """The verifier's signals of ``texts`` read together, as ``analyze`` reads one event's
    passages: the multilingual encoder on every text, MiniLM on the English ones (and those of
    unknown language), e5 on every text. ``store``: a :class:`corpus.store.Store` keeping the
    vectors (None: embed again)."""
    from compare.embed.embedders import embed_texts, make_embedder

    texts = list(texts)
    # embed_texts embeds each distinct text once: one sentence scored against many
    # (``same_fact([q] * 25, candidates)``) is encoded once per encoder.
    use = embed_texts(texts, make_embedder(MULTILINGUAL_ENCODER), store)
    minilm = None
    english = np.flatnonzero(reads_minilm(languages))
    if len(english):
        main = make_embedder()
        minilm = np.zeros((len(texts), main.dim), dtype=np.float32)
        minilm[english] = embed_texts([texts[k] for k in english], main, store)
    wide = embed_texts(texts, make_embedder(WIDE_ENCODER), store)
    return passage_signals(texts, list(languages), use, minilm, wide)


def _texts(name: str, texts: str | Sequence[str]) -> list[str]:
    """``texts`` as a list (a plain string is one text), each checked to be a string."""
    out = [texts] if isinstance(texts, str) else list(texts)
    for k, text in enumerate(out):
        if not isinstance(text, str):
            raise CompareError(f"same_fact compares texts: {name}[{k}] is "
                               f"{type(text).__name__} ({text!r:.40}), not a string")
    return out


def _languages(name: str, languages: str | Sequence[str] | None, n: int) -> list[str | None]:
    """One language (or None: detect it) per text of a side."""
    if languages is None or isinstance(languages, str):
        one: list[str | None] = [languages]
        return one * n
    out: list[str | None] = [str(lang) if lang is not None else None for lang in languages]
    if len(out) != n:
        raise CompareError(f"{name} gives {len(out)} languages for {n} texts")
    return out
