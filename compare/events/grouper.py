"""Group articles into events: the same happening reported by several outlets.

An event is one happening, not merely one subject: two earthquakes a month apart are two events,
even though their articles share most of their vocabulary. What separates them is the names,
places, numbers and dates, so the grouper works on sparse TF-IDF features that keep those, and it
discounts the similarity of articles published far apart.

Method (``EventGrouper.fit``):

1. Features. Two TF-IDF blocks with sublinear term frequency, fitted on the input itself (no gold
   labels, no outside corpus): lower-cased words (English stop words removed, digits excluded),
   and "anchor" tokens: capitalised names (each word and the whole multi-word name, e.g.
   ``michael_steele`` and ``steele``) and numbers of two or more characters. The title and the
   lead (the first ``lead_paragraphs`` paragraphs) are added again with weight ``lead_weight``,
   because news is written as an inverted pyramid: the lead states the happening, the tail is
   background that other events share. Rows are L2-normalised, so a dot product is a cosine.
2. Time. Each pair's cosine is multiplied by a publication-time factor: 1 within ``grace_days``
   (outlets report the same happening on the same or next days), then ``exp(-(gap - grace) /
   time_scale_days)``, and 0 beyond ``max_gap_days``. A missing or unreadable date is unknown:
   the factor is ``unknown_date_factor`` (1.0 by default: no penalty, since a missing date says
   nothing about the happening).
3. Graph. For each article only its ``n_neighbors`` most similar articles (after the time
   factor) are kept, computed in row chunks, so memory grows as ``n * n_neighbors``, never as a
   dense ``n x n`` matrix. Up to ``exact_up_to`` articles every pair is scored; above it each
   article's candidates come from an approximate index (``compare.events.candidates``: its
   TF-IDF row projected, and its lead embedding when languages are mixed) and only those pairs
   are scored, the same way, so the cost grows with ``n`` rather than ``n * n``.
4. Clustering. Average-linkage agglomeration on that sparse graph (pairs outside the graph count
   as similarity 0), merging while the best average similarity between two groups is at least
   ``threshold``. Average linkage, unlike single linkage (connected components), does not chain
   distinct events together through one bridging article.

Optional ``embeddings`` (``(n, d)`` L2-normalised) are blended into the cosine with
``embedding_weight``; they help little once names and dates are used, and cost a model run.

Languages. Two articles in different languages share almost no words or name spellings, so their
TF-IDF cosine is near 0 even when they report one happening. When ``languages`` and
``lead_embeddings`` (a multilingual encoder's vectors of each article's title + lead,
``EventGrouper.leads``) are given, a pair whose languages are both known and differ gets the
similarity its leads' cosine predicts on the TF-IDF scale instead (``cross_language_similarity``);
every same-language pair keeps its TF-IDF cosine, so a corpus in one language groups exactly
as without them. A pair with an article in a language the multilingual encoder does not cover
(``compare.embed.scales.USE_LANGUAGES``; Ukrainian for one) reads ``wide_lead_embeddings`` (e5) instead,
put on the multilingual encoder's scale (``compare.embed.scales.WIDE_TO_USE``).

Determinism: no randomness; ties break by article index; event numbers follow first appearance.
"""
from __future__ import annotations

import datetime as dt
import heapq
import logging
import re
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.preprocessing import normalize

from compare.embed.scales import CROSS_LANGUAGE_SHRINK, uncovered, wide_on_use_scale
from compare.errors import SettingsError
from compare.groups import find_root, number_by_first_appearance
from compare.text.tfidf import fit_tfidf
from corpus.text import GLUED, LETTER_OR_MARK, MARKS, find_words

log = logging.getLogger(__name__)

# Merge threshold on the time-discounted cosine, TF-IDF only and with embeddings blended in;
# tuned on BASIL and NewsWCL50 gold events, B-cubed F1 (docs/evaluation.md#events).
DEFAULT_THRESHOLD = 0.19
DEFAULT_THRESHOLD_WITH_EMBEDDINGS = 0.375

# Line from two leads' same-language cosine (a translation's, divided by
# CROSS_LANGUAGE_SHRINK from compare.embed.scales) to the TF-IDF scale; least squares on
# same-language BASIL and NewsWCL50 pairs (docs/evaluation.md#events).
CROSS_LANGUAGE_SLOPE = 0.983
CROSS_LANGUAGE_INTERCEPT = -0.460

_WORD_PATTERN = re.compile(r"(?u)\b[^\W\d_][^\W\d_]+\b")
# The same where a text has combining marks (Devanagari vowel signs: corpus.text.MARKS)
_MARKED_WORD_PATTERN = re.compile(
    rf"(?<![\w{MARKS}])[^\W\d_]{LETTER_OR_MARK}+(?![\w{MARKS}])")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+|\n+")
_NAME = re.compile(r"\b[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*")
_NUMBER = re.compile(rf"(?<!{GLUED})\d+(?:[.,]\d+)*(?!{GLUED})")  # "12人" too
_LOWER_WORD = re.compile(r"\b[a-z][\w'’-]*\b")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# Capitalised words that are not names: weekdays recur across all events, and honorifics are
# spelled differently by each outlet ("Mr. Steele", "Steele").
_NOT_NAMES = frozenset(ENGLISH_STOP_WORDS) | {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "mr", "mrs", "ms", "dr", "sen", "rep", "gov", "prof", "gen", "lt", "st",
}
_LEAD_MAX_CHARS = 2000  # caps the lead of texts without paragraph breaks (about 3 paragraphs)


def _anchor_tokens(text: str) -> list[str]:
    """Names (whole and per word) and numbers of one text, as TF-IDF tokens.

    A single capitalised word that also occurs in lower case in the same text is an ordinary
    word at a sentence start ("Officials said"), not a name, and is skipped.
    """
    lower_words = set(_LOWER_WORD.findall(text))
    tokens: list[str] = []
    for sentence in _SENTENCE_BREAK.split(text):
        for match in _NAME.finditer(sentence):
            words = [w.strip(".'’-").lower() for w in match.group(0).split()]
            words = [w for w in words if w and w not in _NOT_NAMES]
            if not words or (len(words) == 1 and words[0] in lower_words):
                continue
            tokens.extend(words)
            if len(words) > 1:
                tokens.append("_".join(words))
    for number in _NUMBER.findall(text):
        number = number.replace(",", "")
        if len(number) >= 2:
            tokens.append("#" + number)
    return tokens


def article_words(text: str) -> list[str]:
    """The word block's tokens (letters, two or more), a run of Chinese or Japanese script
    read as its character pairs (``corpus.text.unspaced_pairs``): unsegmented, two reports of
    one happening in Chinese shared almost no token."""
    return find_words(_WORD_PATTERN, _MARKED_WORD_PATTERN, text)


def article_lead(text: str, paragraphs: int) -> str:
    """Title plus the first ``paragraphs`` paragraphs (texts are title + blank line + body)."""
    parts = _PARAGRAPH_BREAK.split(text, maxsplit=paragraphs + 1)
    return "\n\n".join(parts[: paragraphs + 1])[:_LEAD_MAX_CHARS]


def _day_numbers(published: Sequence[str], n: int) -> np.ndarray:
    """Publication days as ordinal floats, NaN where the date is missing or unreadable."""
    if len(published) == 0:
        return np.full(n, np.nan)
    if len(published) != n:
        raise ValueError(
            f"published has {len(published)} dates for {n} texts; pass one date per text "
            "(\"\" where unknown) or none at all"
        )
    days = np.full(n, np.nan)
    unreadable = 0
    for i, value in enumerate(published):
        value = (value or "").strip()
        if not value:
            continue
        try:
            days[i] = dt.date.fromisoformat(value[:10]).toordinal()
        except ValueError:
            unreadable += 1
    if unreadable:
        log.warning("%d publication dates are not YYYY-MM-DD...; treated as unknown", unreadable)
    return days


def cross_language_similarity(cosine: np.ndarray) -> np.ndarray:
    """The TF-IDF-scale similarity of two articles in different languages whose leads have
    this multilingual cosine (``CROSS_LANGUAGE_*``); never below 0."""
    same_language = np.asarray(cosine, dtype=np.float32) / CROSS_LANGUAGE_SHRINK
    return np.clip(CROSS_LANGUAGE_SLOPE * same_language + CROSS_LANGUAGE_INTERCEPT, 0.0, None)


def article_features(
    texts: Sequence[str], *, name_weight: float = 1.0, lead_paragraphs: int = 3,
    lead_weight: float = 0.7,
) -> sparse.csr_matrix:
    """Sparse L2-normalised TF-IDF rows over words and anchors (names, numbers), lead repeated.

    Args:
        texts: one string per article, title + "\\n\\n" + body.
        name_weight: weight of the anchor block relative to the word block.
        lead_paragraphs: paragraphs after the title that form the lead; 0 disables the lead.
        lead_weight: weight of the repeated title + lead.

    Returns:
        ``(n, vocabulary)`` float32 CSR matrix; an all-zero row for a text without tokens.
    """
    return _article_blocks(texts, name_weight, lead_paragraphs, lead_weight)[0]


def _article_blocks(
    texts: Sequence[str], name_weight: float, lead_paragraphs: int, lead_weight: float,
) -> tuple[sparse.csr_matrix, tuple[TfidfVectorizer, sparse.csr_matrix] | None]:
    """The article features and the fitted word TF-IDF (vectoriser, matrix) they contain."""
    n = len(texts)
    leads = [article_lead(t, lead_paragraphs) for t in texts] if lead_paragraphs > 0 else []
    blocks: list[sparse.csr_matrix] = []
    words = fit_tfidf(texts, analyzer="word", tokenizer=article_words, token_pattern=None,
                      stop_words="english")
    anchors = fit_tfidf(texts, analyzer=_anchor_tokens)
    for fitted, weight in ((words, 1.0), (anchors, name_weight)):
        if fitted is None or weight <= 0:
            continue
        vectorizer, matrix = fitted
        blocks.append(weight * normalize(matrix))
        if leads and lead_weight > 0:
            blocks.append(weight * lead_weight * normalize(vectorizer.transform(leads)))
    if not blocks:
        return sparse.csr_matrix((n, 1), dtype=np.float32), words
    return normalize(sparse.hstack(blocks, format="csr", dtype=np.float32)), words


class EventGrouper:
    """Groups articles into events from their text and publication dates (scikit-learn style).

    Args:
        threshold: merge two groups while their average pairwise similarity is at least this;
            None picks ``DEFAULT_THRESHOLD`` (or ``DEFAULT_THRESHOLD_WITH_EMBEDDINGS``).
        time_scale_days: e-folding time of the similarity discount beyond ``grace_days``.
        grace_days: publication gap with no discount.
        max_gap_days: articles further apart than this are never in one event.
        unknown_date_factor: time factor for a pair where either date is unknown.
        name_weight, lead_paragraphs, lead_weight: see ``article_features``.
        n_neighbors: neighbours kept per article; an event larger than about this many articles
            may split, so raise it for very large stories.
        embedding_weight: share of the embedding cosine in the blend when ``embeddings`` is given.
        cross_language: score pairs in two different languages by their leads' multilingual
            cosine when ``fit`` gets ``languages`` and ``lead_embeddings`` (False: TF-IDF only).
        chunk_size: rows per block when computing neighbours (memory ``chunk_size * n`` floats).
        exact_up_to: articles up to which every pair is scored; above, ``candidates`` per
            article from an approximate index (None: always every pair).
        candidates: candidates per article and index view when above ``exact_up_to``.

    Attributes (after ``fit``):
        labels_: ``(n,)`` int event number per article, numbered by first appearance.
        n_events_: number of events.
        threshold_: the threshold used.
        graph_: ``(n, n)`` sparse symmetric CSR of kept neighbour similarities.
        words_: the fitted word TF-IDF ``(vectoriser, matrix)`` (None without words), which
            ``event_labels`` reuses.
    """

    def __init__(
        self, *, threshold: float | None = None, time_scale_days: float = 3.0,
        grace_days: float = 1.0, max_gap_days: float = 14.0, unknown_date_factor: float = 1.0,
        name_weight: float = 1.0, lead_paragraphs: int = 3, lead_weight: float = 0.7,
        n_neighbors: int = 50, embedding_weight: float = 0.5, cross_language: bool = True,
        chunk_size: int = 512, exact_up_to: int | None = 20000, candidates: int = 150,
    ) -> None:
        self.threshold = threshold
        self.time_scale_days = time_scale_days
        self.grace_days = grace_days
        self.max_gap_days = max_gap_days
        self.unknown_date_factor = unknown_date_factor
        self.name_weight = name_weight
        self.lead_paragraphs = lead_paragraphs
        self.lead_weight = lead_weight
        self.n_neighbors = n_neighbors
        self.embedding_weight = embedding_weight
        self.cross_language = cross_language
        self.chunk_size = chunk_size
        self.exact_up_to = exact_up_to
        self.candidates = candidates

    def _validate(self, use_embeddings: bool) -> float:
        threshold = self.threshold
        if threshold is None:
            threshold = DEFAULT_THRESHOLD_WITH_EMBEDDINGS if use_embeddings else DEFAULT_THRESHOLD
        checks = [
            (0 < threshold <= 1, f"threshold={threshold}", "use a value in (0, 1], e.g. 0.19"),
            (self.time_scale_days > 0, f"time_scale_days={self.time_scale_days}", "use > 0"),
            (self.grace_days >= 0, f"grace_days={self.grace_days}", "use >= 0"),
            (self.max_gap_days >= self.grace_days, f"max_gap_days={self.max_gap_days}",
             "use a value >= grace_days"),
            (0 <= self.unknown_date_factor <= 1,
             f"unknown_date_factor={self.unknown_date_factor}", "use a value in [0, 1]"),
            (self.n_neighbors >= 1, f"n_neighbors={self.n_neighbors}", "use >= 1"),
            (0 <= self.embedding_weight <= 1, f"embedding_weight={self.embedding_weight}",
             "use a value in [0, 1]"),
            (self.chunk_size >= 1, f"chunk_size={self.chunk_size}", "use >= 1"),
            (self.exact_up_to is None or self.exact_up_to >= 0,
             f"exact_up_to={self.exact_up_to}", "use >= 0, or None to score every pair"),
            (self.candidates >= self.n_neighbors, f"candidates={self.candidates}",
             f"use >= n_neighbors ({self.n_neighbors})"),
        ]
        for ok, what, fix in checks:
            if not ok:
                raise SettingsError(f"EventGrouper: {what} cannot work; {fix}")
        return float(threshold)

    def _time_factor(self, days_rows: np.ndarray, days_all: np.ndarray) -> np.ndarray:
        return self._gap_factor(np.abs(days_rows[:, None] - days_all[None, :]))

    def _gap_factor(self, gap: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            factor = np.exp(-np.maximum(gap - self.grace_days, 0.0) / self.time_scale_days)
            factor[gap > self.max_gap_days] = 0.0
        factor[np.isnan(gap)] = self.unknown_date_factor
        return factor.astype(np.float32)

    def leads(self, texts: Sequence[str]) -> list[str]:
        """Each article's title + lead, the text ``lead_embeddings`` should embed."""
        return [article_lead(t, self.lead_paragraphs) for t in texts]

    def needs_leads(self, languages: Sequence[str]) -> bool:
        """Whether ``fit`` would use lead embeddings: two or more known languages."""
        return self.cross_language and len({lang for lang in languages if lang}) > 1

    def fit(
        self, texts: Sequence[str], published: Sequence[str] = (),
        embeddings: np.ndarray | None = None, *, languages: Sequence[str] = (),
        lead_embeddings: np.ndarray | None = None,
        wide_lead_embeddings: np.ndarray | None = None,
    ) -> EventGrouper:
        """Group ``texts`` into events.

        Args:
            texts: one string per article, title + "\\n\\n" + body.
            published: one date per article (``YYYY-MM-DD``, a longer ISO timestamp, or ""),
                or empty when no dates are known.
            embeddings: optional ``(n, d)`` L2-normalised float array in article order.
            languages: one ISO 639-1 code per article ("" where unknown), or empty.
            lead_embeddings: ``(n, d)`` L2-normalised multilingual vectors of ``leads(texts)``;
                with ``languages``, they score the pairs in two different known languages.
            wide_lead_embeddings: ``(n, d)`` e5 vectors of ``leads(texts)``, read for the pairs
                with an article outside ``compare.embed.scales.USE_LANGUAGES`` (optional).

        Returns:
            self, with ``labels_``, ``n_events_``, ``threshold_`` and ``graph_`` set.

        Raises:
            SettingsError: a parameter cannot work.
            ValueError: ``published`` or ``embeddings`` does not match ``texts`` in length.
        """
        n = len(texts)
        use_embeddings = embeddings is not None and self.embedding_weight > 0
        self.threshold_ = self._validate(use_embeddings)
        days = _day_numbers(published, n)
        if embeddings is not None and len(embeddings) != n:
            raise ValueError(f"embeddings has {len(embeddings)} rows for {n} texts")
        features, self.words_ = _article_blocks(
            texts, self.name_weight, self.lead_paragraphs, self.lead_weight)
        emb = np.asarray(embeddings, dtype=np.float32) if use_embeddings else None
        self.graph_ = self._neighbour_graph(features, emb, days,
                                            _CrossLanguage.of(languages, lead_embeddings, n,
                                                              wide_lead_embeddings)
                                            if self.cross_language else None)
        self.labels_ = _average_linkage(self.graph_, self.threshold_)
        self.n_events_ = int(self.labels_.max()) + 1 if n else 0
        return self

    def _neighbour_graph(
        self, features: sparse.csr_matrix, emb: np.ndarray | None, days: np.ndarray,
        cross: _CrossLanguage | None = None,
    ) -> sparse.csr_matrix:
        """Symmetric sparse graph of each article's top ``n_neighbors`` similarities (> 0)."""
        n = features.shape[0]
        k = min(self.n_neighbors, n - 1)
        if self.exact_up_to is not None and n > self.exact_up_to and k > 0:
            return _symmetric(*self._candidate_neighbours(features, emb, days, cross, k), n)
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        features_t = features.T.tocsc()
        for start in range(0, n if k > 0 else 0, self.chunk_size):
            stop = min(start + self.chunk_size, n)
            sim = (features[start:stop] @ features_t).toarray()
            if emb is not None:
                w = self.embedding_weight
                sim = (1 - w) * sim + w * np.clip(emb[start:stop] @ emb.T, 0.0, None)
            if cross is not None:
                cross.apply(sim, start, stop)
            sim *= self._time_factor(days[start:stop], days)
            sim[np.arange(stop - start), np.arange(start, stop)] = -np.inf  # no self-loops
            top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
            top_sim = np.take_along_axis(sim, top, axis=1)
            keep = top_sim > 0
            rows.append(np.repeat(np.arange(start, stop), k)[keep.ravel()])
            cols.append(top[keep])
            vals.append(top_sim[keep])
        return _symmetric(rows, cols, vals, n)

    def _candidate_neighbours(
        self, features: sparse.csr_matrix, emb: np.ndarray | None, days: np.ndarray,
        cross: _CrossLanguage | None, k: int,
    ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """Each article's top ``k`` among its candidates, scored as every pair would be."""
        from compare.events.candidates import candidate_pairs, project

        views = [project(features)] + ([emb] if emb is not None else []) + \
            ([cross.leads] if cross is not None else [])
        found = candidate_pairs(views, min(self.candidates, features.shape[0] - 1), days,
                                max(self.max_gap_days, 1.0))
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        step = max(1, self.chunk_size // 4)  # pairs per chunk: step * candidates sparse rows
        for start in range(0, features.shape[0], step):
            cand = found[start : start + step]
            r = np.repeat(np.arange(start, start + len(cand)), cand.shape[1])
            c = np.where(cand.ravel() >= 0, cand.ravel(), r)
            sim = np.asarray(features[r].multiply(features[c]).sum(axis=1)).ravel()
            if emb is not None:
                w = self.embedding_weight
                sim = (1 - w) * sim + w * np.clip(np.einsum("ij,ij->i", emb[r], emb[c]), 0, None)
            if cross is not None:
                cross.apply_pairs(sim, r, c)
            sim = (sim * self._gap_factor(np.abs(days[r] - days[c]))).reshape(cand.shape)
            sim[(cand < 0)] = -np.inf  # no candidate, or a repeat; r == c only there
            kk = min(k, cand.shape[1])
            top = np.argpartition(-sim, kk - 1, axis=1)[:, :kk]
            top_sim = np.take_along_axis(sim, top, axis=1)
            keep = top_sim > 0
            rows.append(np.repeat(np.arange(start, start + len(cand)), kk)[keep.ravel()])
            cols.append(np.take_along_axis(cand, top, axis=1)[keep])
            vals.append(top_sim[keep])
        return rows, cols, vals


def _symmetric(rows: list[np.ndarray], cols: list[np.ndarray], vals: list[np.ndarray], n: int
               ) -> sparse.csr_matrix:
    """The neighbour graph from each article's kept neighbours, both directions."""
    if not rows:
        return sparse.csr_matrix((n, n), dtype=np.float32)
    graph = sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n),
    )
    # Union of both directions; the two float sums of one pair may differ in the last bit.
    return graph.maximum(graph.T).tocsr()


class _CrossLanguage:
    """The pairs in two different known languages, and their leads' similarity."""

    def __init__(self, codes: np.ndarray, leads: np.ndarray, wide: np.ndarray | None = None,
                 uncovered: np.ndarray | None = None) -> None:
        self.codes = codes  # language number per article, -1 where unknown
        self.leads = leads
        self.wide = wide  # the wide encoder's lead vectors, read where a side is uncovered
        self.uncovered = uncovered

    @classmethod
    def of(cls, languages: Sequence[str], leads: np.ndarray | None, n: int,
           wide: np.ndarray | None = None) -> _CrossLanguage | None:
        if leads is None or len(languages) == 0:
            return None
        if len(languages) != n or len(leads) != n:
            raise ValueError(f"{len(languages)} languages and {len(leads)} lead embeddings "
                             f"for {n} texts")
        known = [lang or None for lang in languages]
        if len({lang for lang in known if lang}) < 2:
            return None
        numbers = {lang: i for i, lang in enumerate(sorted({k for k in known if k}))}
        codes = np.array([numbers[k] if k else -1 for k in known])
        if wide is None or not uncovered(languages).any():
            return cls(codes, np.asarray(leads, dtype=np.float32))
        return cls(codes, np.asarray(leads, dtype=np.float32), np.asarray(wide, np.float32),
                   uncovered(languages))

    def apply(self, sim: np.ndarray, start: int, stop: int) -> None:
        """Replace, in rows ``start:stop`` of ``sim``, the cross-language pairs' values."""
        rows, cols = self.codes[start:stop, None], self.codes[None, :]
        mask = (rows != cols) & (rows >= 0) & (cols >= 0)
        if mask.any():
            cosine = self.leads[start:stop] @ self.leads.T
            if self.wide is not None and self.uncovered is not None:
                off = self.uncovered[start:stop, None] | self.uncovered[None, :]
                cosine = np.where(off, wide_on_use_scale(self.wide[start:stop] @ self.wide.T,
                                                         True), cosine)
            predicted = cross_language_similarity(cosine)
            sim[mask] = predicted[mask]

    def apply_pairs(self, sim: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> None:
        """The same for the pairs ``(rows[i], cols[i])`` of the flat ``sim``."""
        a, b = self.codes[rows], self.codes[cols]
        mask = (a != b) & (a >= 0) & (b >= 0)
        if mask.any():
            r, c = rows[mask], cols[mask]
            cosine = np.einsum("ij,ij->i", self.leads[r], self.leads[c])
            if self.wide is not None and self.uncovered is not None:
                off = self.uncovered[r] | self.uncovered[c]
                cosine = np.where(off, wide_on_use_scale(
                    np.einsum("ij,ij->i", self.wide[r], self.wide[c]), True), cosine)
            sim[mask] = cross_language_similarity(cosine)


def _average_linkage(graph: sparse.csr_matrix, threshold: float) -> np.ndarray:
    """Average-linkage agglomeration on a sparse similarity graph; absent pairs count as 0.

    Each group keeps the sum of similarities to its neighbouring groups, so the average between
    groups A and B is ``sum / (|A| * |B|)`` exactly, as in dense average linkage over a matrix
    that is 0 outside the graph. The best pair is merged first; a heap with version stamps
    skips stale entries. Ties break by the smaller group ids, so the result is deterministic.
    """
    n = graph.shape[0]
    coo = sparse.triu(graph, k=1).tocoo()
    links: list[dict[int, float]] = [{} for _ in range(n)]
    for i, j, s in zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()):
        links[i][j] = s
        links[j][i] = s
    size = [1] * n
    version = [0] * n
    parent = list(range(n))
    heap = [(-s, i, j, 0, 0) for i, j, s in zip(coo.row.tolist(), coo.col.tolist(),
                                                coo.data.tolist()) if s >= threshold]
    heapq.heapify(heap)
    while heap:
        _neg_avg, a, b, va, vb = heapq.heappop(heap)
        if version[a] != va or version[b] != vb or parent[a] != a or parent[b] != b:
            continue  # stale: one side has merged since this entry was pushed
        parent[b] = a  # a < b always: the merged group keeps the smaller id
        size[a] += size[b]
        version[a] += 1
        del links[a][b]
        for c, s in links[b].items():
            if c == a:
                continue
            total = links[a].get(c, 0.0) + s
            links[a][c] = total
            del links[c][b]
            links[c][a] = total
        links[b] = {}
        for c, total in links[a].items():
            avg = total / (size[a] * size[c])
            if avg >= threshold:
                lo, hi = (a, c) if a < c else (c, a)
                heapq.heappush(heap, (-avg, lo, hi, version[lo], version[hi]))
    return number_by_first_appearance([find_root(parent, i) for i in range(n)])
