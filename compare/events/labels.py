"""A readable label per event: the title of its most central article, in the language most of
its outlets write in."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from compare.events.grouper import article_words
from compare.text.tfidf import fit_tfidf


def event_labels(
    texts: Sequence[str], titles: Sequence[str], labels: Sequence[int] | np.ndarray,
    fitted: tuple[TfidfVectorizer, sparse.csr_matrix] | None = None,
    languages: Sequence[str] | None = None, outlets: Sequence[str] | None = None,
) -> dict[int, str]:
    """A readable label per event: the title of its most central article.

    The central article is the titled one whose TF-IDF row is closest to the event's mean row
    (ties: the first). When no article of the event has a title, the label is the event's three
    most distinctive terms (highest mean TF-IDF weight), joined by " / ".

    With ``languages`` and ``outlets``, an event in several languages is labelled in the
    language most of its *outlets* write in (:func:`label_language`), and the central article
    is taken among the articles in that language, so one prolific outlet does not name the
    event in its language by weight of numbers.

    Args:
        texts: the texts given to ``EventGrouper.fit``.
        titles: one title per article ("" where none).
        labels: ``EventGrouper.labels_``.
        fitted: ``EventGrouper.words_`` when the grouper ran (its TF-IDF is reused, not
            fitted again); None fits it here.
        languages: each article's language ("" where unknown).
        outlets: each article's outlet.

    Returns:
        ``{event number: label}`` for every event in ``labels``.
    """
    labels = np.asarray(labels)
    if not (len(texts) == len(titles) == len(labels)):
        raise ValueError(f"{len(texts)} texts, {len(titles)} titles, {len(labels)} labels differ")
    if fitted is None:
        fitted = fit_tfidf(texts, analyzer="word", tokenizer=article_words, token_pattern=None,
                           stop_words="english")
    matrix = normalize(fitted[1]).tocsr() if fitted is not None else None
    terms = fitted[0].get_feature_names_out() if fitted is not None else np.array([])
    result: dict[int, str] = {}
    for event in sorted(set(labels.tolist())):
        members = np.flatnonzero(labels == event)
        if languages is not None and outlets is not None:
            langs = [languages[i] for i in members.tolist()]
            chosen = label_language(langs, [outlets[i] for i in members.tolist()])
            members = members[[lang == chosen for lang in langs]]
        titled = np.array([bool((titles[i] or "").strip()) for i in members.tolist()])
        central = int(members[int(np.argmax(titled))])
        centre = np.zeros(0)
        if matrix is not None:
            centre = np.asarray(matrix[members].mean(axis=0)).ravel()
            scores = np.asarray(matrix[members] @ centre).ravel()
            if titled.any():
                scores = np.where(titled, scores, -np.inf)
            central = int(members[int(np.argmax(scores))])
        title = (titles[central] or "").strip()
        if title:
            result[event] = title
        elif centre.any():
            best = np.argsort(-centre, kind="stable")[:3]
            result[event] = " / ".join(str(terms[i]) for i in best if centre[i] > 0)
        else:
            first_line = (texts[central] or "").strip().split("\n", 1)[0][:80]
            result[event] = first_line or f"event {event}"
    return result


def label_language(languages: Sequence[str], outlets: Sequence[str]) -> str:
    """The language an event is labelled in: the one the most outlets write in (ties: the one
    with more articles, then the first article's). Unknown ("") counts only when nothing else
    is known."""
    known = [(lang, o) for lang, o in zip(languages, outlets, strict=True) if lang]
    if not known:
        return languages[0]
    first: dict[str, int] = {}
    for k, (lang, _) in enumerate(known):
        first.setdefault(lang, k)
    outlet_count = {lang: len({o for lg, o in known if lg == lang}) for lang in first}
    article_count = {lang: sum(1 for lg, _ in known if lg == lang) for lang in first}
    return min(first, key=lambda lang: (-outlet_count[lang], -article_count[lang], first[lang]))
