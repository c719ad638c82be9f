"""Group the passages of one event, from all outlets, into topics: facts or sub-topics stated by
one or more outlets.

``TopicClusterer`` follows the scikit-learn contract on the event's ``(n, d)`` L2-normalised
embedding matrix. Up to ``max_dense`` passages it runs exact average-linkage agglomerative
clustering on cosine distance. Larger events are first cut into blocks by the connected
components of a bounded top-k neighbour graph (``PassageAligner`` with every passage its own
group, so same-outlet neighbours count too); components still over ``max_dense`` are cut again at
a stricter edge threshold; each block is then clustered exactly. Memory stays at
``O(max_dense**2)``.

A topic with one passage is kept as its own topic: it is a fact only one outlet reports, which the
product shows as "unique". Topics reported by fewer than ``min_outlets`` outlets are labelled -1
(noise) instead, for views that only want shared facts.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import CountVectorizer

from compare.align import PassageAligner, _as_matrix
from compare.errors import SettingsError

# Average-linkage cosine threshold (mean pairwise cosine inside a topic). Tuned on NewsWCL50
# events 0-4 (dev) with all-MiniLM-L6-v2 sentence embeddings: pairwise co-clustering precision
# against shared mention chains (all chains except the two that cover > 40 % of an event's
# sentences) and the share of passages landing in multi-outlet topics; 0.55 was the lowest
# value with dev pairwise precision >= 0.6 (dev P / R: 0.50 -> 0.55 / 0.20, 0.55 -> 0.66 / 0.18,
# 0.60 -> 0.81 / 0.11). Single linkage chained whole sub-stories (0.60: P 0.32, a 122-passage
# topic). On the Istanbul material the Kyiv/Chernihiv announcement ends up in two multi-source
# topics plus one singleton (see tests/test_align_quality.py).
DEFAULT_TOPIC_THRESHOLD = 0.55
# Exact agglomerative clustering builds a dense n x n distance matrix: 5,000 passages is
# 100 MB and ~10 s here (INSTALL-NOTES measured 57 s / 3.4 GB at 20k).
DEFAULT_MAX_DENSE = 5000


def _agglomerate(matrix: np.ndarray, threshold: float, linkage: str) -> np.ndarray:
    """Exact clustering of one block; labels in arbitrary order."""
    if len(matrix) == 1:
        return np.zeros(1, dtype=np.int64)
    distances = np.clip(1.0 - matrix @ matrix.T, 0.0, 2.0).astype(np.float64)
    np.fill_diagonal(distances, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage=linkage,
        distance_threshold=1.0 - threshold,
    )
    return np.asarray(model.fit_predict(distances), dtype=np.int64)


def _components(
    pairs: np.ndarray, scores: np.ndarray, nodes: np.ndarray, min_score: float
) -> list[np.ndarray]:
    """Connected components of ``nodes`` using the edges scoring at least ``min_score``."""
    position = {int(node): i for i, node in enumerate(nodes)}
    keep = scores >= min_score
    rows = np.array([position[int(a)] for a in pairs[keep, 0]], dtype=np.int64)
    cols = np.array([position[int(b)] for b in pairs[keep, 1]], dtype=np.int64)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(nodes), len(nodes)))
    _, comp = connected_components(graph, directed=False)
    return [nodes[comp == c] for c in range(int(comp.max()) + 1)] if len(nodes) else []


def _relabel_by_first_appearance(raw: np.ndarray) -> np.ndarray:
    """Topic 0 is the topic of the first passage, topic 1 the next new one, and so on."""
    order: dict[int, int] = {}
    return np.fromiter((order.setdefault(int(r), len(order)) for r in raw), np.int64, len(raw))


class TopicClusterer:
    """Cluster one event's passages into topics (scikit-learn style).

    Args:
        threshold: minimum average cosine within a topic (``DEFAULT_TOPIC_THRESHOLD``).
        min_outlets: topics covered by fewer outlets get label -1; 1 keeps outlet-unique facts.
        linkage: ``"average"`` (default), ``"complete"`` (tighter topics) or ``"single"``
            (chains: not recommended).
        max_dense: largest block clustered exactly; bigger events use the neighbour graph first.
        top_k: neighbours per passage in that graph.
        block_size: tile size of the graph's similarity products.

    Attributes:
        labels_: ``(n,)`` int64 topic per passage, numbered by first appearance; -1 = noise.
        n_topics_: number of topics (labels >= 0).
    """

    def __init__(
        self,
        *,
        threshold: float = DEFAULT_TOPIC_THRESHOLD,
        min_outlets: int = 1,
        linkage: str = "average",
        max_dense: int = DEFAULT_MAX_DENSE,
        top_k: int = 10,
        block_size: int = 2048,
    ) -> None:
        self.threshold = threshold
        self.min_outlets = min_outlets
        self.linkage = linkage
        self.max_dense = max_dense
        self.top_k = top_k
        self.block_size = block_size

    def _validate(self) -> None:
        if self.linkage not in ("average", "complete", "single"):
            raise SettingsError(f"linkage={self.linkage!r}: use 'average', 'complete' or 'single'")
        if not -1.0 <= self.threshold <= 1.0:
            raise SettingsError(f"threshold={self.threshold} is a cosine: use a value in [-1, 1]")
        if self.min_outlets < 1:
            raise SettingsError(f"min_outlets={self.min_outlets} must be at least 1")
        if self.max_dense < 2:
            raise SettingsError(f"max_dense={self.max_dense} must be at least 2")

    def _blocks(self, matrix: np.ndarray) -> list[np.ndarray]:
        """Index blocks of at most ``max_dense`` passages that no topic crosses (approximately)."""
        n = len(matrix)
        if n <= self.max_dense:
            return [np.arange(n)]
        graph = PassageAligner(
            threshold=self.threshold, top_k=self.top_k, block_size=self.block_size
        ).fit(matrix, [str(i) for i in range(n)])
        pending, blocks = [(np.arange(n), self.threshold)], []
        while pending:
            nodes, min_score = pending.pop()
            inside = np.isin(graph.pairs_[:, 0], nodes) & np.isin(graph.pairs_[:, 1], nodes)
            for comp in _components(graph.pairs_[inside], graph.scores_[inside], nodes, min_score):
                if len(comp) <= self.max_dense or min_score >= 1.0:
                    # A block of identical passages cannot be split further; cut it in slices.
                    blocks.extend(np.array_split(comp, -(-len(comp) // self.max_dense)))
                else:
                    pending.append((comp, min(1.0, min_score + 0.05)))
        return sorted(blocks, key=lambda b: int(b[0]))

    def fit(self, embeddings: np.ndarray, groups: Sequence[str]) -> TopicClusterer:
        """Cluster the passages.

        Args:
            embeddings: ``(n, d)`` L2-normalised passage embeddings of one event.
            groups: the outlet of each passage (used by ``min_outlets``).

        Returns:
            self, with ``labels_`` and ``n_topics_`` set.

        Raises:
            SettingsError: bad parameters, or ``groups`` does not match ``embeddings``.
        """
        self._validate()
        matrix = _as_matrix(embeddings)
        if len(groups) != len(matrix):
            raise SettingsError(
                f"groups has {len(groups)} outlets for {len(matrix)} embeddings: "
                "give one outlet per passage"
            )
        raw = np.full(len(matrix), -1, dtype=np.int64)
        offset = 0
        for block in self._blocks(matrix):
            sub = _agglomerate(matrix[block], self.threshold, self.linkage)
            raw[block] = sub + offset
            offset += int(sub.max()) + 1
        labels = _relabel_by_first_appearance(raw)
        if self.min_outlets > 1 and len(labels):
            outlets = np.asarray([str(g) for g in groups])
            for topic in np.unique(labels):
                members = labels == topic
                if len(set(outlets[members])) < self.min_outlets:
                    labels[members] = -1
            kept = labels >= 0
            labels[kept] = _relabel_by_first_appearance(labels[kept])
        self.labels_ = labels
        self.n_topics_ = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
        return self


def topic_terms(
    texts: Sequence[str], labels: np.ndarray, n_terms: int = 6
) -> dict[int, list[str]]:
    """Distinctive terms per topic, c-TF-IDF style (BERTopic): the topic's passages are one
    document; term weight = (term frequency / topic length) * log(1 + mean topic length / term
    frequency over all topics). English stop words are dropped; ties go to the term that sorts
    first. Topics labelled -1 get no entry.

    Returns:
        ``{topic: [term, ...]}`` with at most ``n_terms`` unigrams or bigrams, best first.
    """
    labels = np.asarray(labels)
    topics = sorted(int(t) for t in np.unique(labels) if t >= 0)
    docs = [" ".join(t for t, lab in zip(texts, labels, strict=True) if lab == topic)
            for topic in topics]
    if not topics:
        return {}
    # Words start with a letter: bare numbers ("18" from a timestamp) say nothing about a topic.
    vectorizer = CountVectorizer(stop_words="english", ngram_range=(1, 2), min_df=1,
                                 token_pattern=r"(?u)\b[^\W\d_]\w+\b")
    try:
        counts = vectorizer.fit_transform(docs).toarray().astype(np.float64)
    except ValueError:  # only stop words or no tokens at all: no terms to show
        return {topic: [] for topic in topics}
    vocab = vectorizer.get_feature_names_out()
    lengths = counts.sum(axis=1, keepdims=True)
    tf = counts / np.where(lengths == 0, 1.0, lengths)
    idf = np.log(1.0 + lengths.mean() / np.maximum(counts.sum(axis=0), 1.0))
    weights = tf * idf
    out: dict[int, list[str]] = {}
    for row, topic in enumerate(topics):
        order = np.lexsort((vocab, -weights[row]))
        out[topic] = [str(vocab[i]) for i in order[:n_terms] if weights[row, i] > 0]
    return out


def representative_index(embeddings: np.ndarray, labels: np.ndarray) -> dict[int, int]:
    """The most central passage of each topic: highest cosine to the topic's mean direction
    (ties: the earliest passage). Topics labelled -1 get no entry.

    Returns:
        ``{topic: passage index}``.
    """
    matrix = _as_matrix(embeddings)
    labels = np.asarray(labels)
    out: dict[int, int] = {}
    for topic in sorted(int(t) for t in np.unique(labels) if t >= 0):
        members = np.flatnonzero(labels == topic)
        centroid = matrix[members].mean(axis=0)
        sims = matrix[members] @ centroid
        out[topic] = int(members[int(np.argmax(sims))])  # argmax returns the first maximum
    return out
